"""The public rating pages (issue 10 §1): found by code + rating key (a wrong key, or the
tracking page's secret, is 404 like an unknown code; the rating key does not open the tracking
page), no personal data, the form without JavaScript, the source from ?nguon=, thanks
then «đã được đánh giá», bad input as a Vietnamese message (never a 500), the POST limit."""

import re

import pytest
import segno
from django.test import Client
from django.urls import reverse

from motcua.dossiers.models import State
from motcua.quality.models import Rating
from motcua.quality.ratings import rating_key
from motcua.quality.tests.rating_setup import (
    DOSSIER_ANSWERS,
    TICKET_ANSWERS,
    at,
    counter_with_officer,
    finished_dossier,
    received,
    served_ticket,
)
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_staff(make_commune())


@pytest.fixture
def dossier(staff):
    return finished_dossier(staff, at("10/03/2026", "08:00"))


def url(d, nguon=""):
    path = reverse("ratings:dossier", args=[d.code or d.pk, rating_key(d)])
    return f"{path}?nguon={nguon}" if nguon else path


def form(answers=DOSSIER_ANSWERS, overall="2", comment="", **extra):
    return {**{f"q{k}": str(v) for k, v in answers.items()}, "overall": overall, "comment": comment, **extra}


def test_the_form_shows_the_procedure_and_no_personal_data(client, dossier):
    r = client.get(url(dossier, "bien-nhan"))
    html = r.content.decode()
    assert r.status_code == 200
    assert dossier.procedure.name in html and dossier.procedure.code in html and dossier.code in html
    assert "Nguyễn Thị Lan" not in html and "0905123456" not in html and "048190001234" not in html
    # A real form: 9 radio groups of 3 in fieldsets with legends, the overall on three levels.
    assert html.count("<fieldset") == 10 and html.count("<legend>") == 10
    assert html.count('type="radio"') == 9 * 3 + 3
    assert 'name="nguon" value="bien-nhan"' in html
    assert "Rất hài lòng" in html and "Không hài lòng" in html and "<script" not in html


@pytest.mark.parametrize(("nguon", "source"), [("bien-nhan", "RECEIPT"), ("thong-bao", "NOTICE"),
                                               ("tra-cuu", "TRACKING"), ("", "TRACKING"), ("lung-tung", "TRACKING")])  # fmt: skip
def test_rating_from_each_link_records_its_source(client, dossier, nguon, source):
    r = client.post(url(dossier), form(nguon=nguon, comment="Cán bộ hướng dẫn tận tình"))
    assert r.status_code == 302 and r["Location"].endswith("?cam-on=1")
    rating = Rating.objects.get(dossier=dossier)
    assert rating.source == source and rating.overall == 2 and rating.comment == "Cán bộ hướng dẫn tận tình"
    html = client.get(r["Location"]).content.decode()
    assert "Cảm ơn ông/bà đã đánh giá" in html and "Cán bộ hướng dẫn tận tình" in html


def test_second_visit_shows_it_was_rated_not_a_new_form(client, dossier):
    client.post(url(dossier, "bien-nhan"), form(overall="0"))
    html = client.get(url(dossier, "bien-nhan")).content.decode()
    assert "Hồ sơ đã được đánh giá" in html and "Không hài lòng" in html
    assert 'data-testid="rating-form"' not in html
    r = client.post(url(dossier), form(overall="2"))
    assert r.status_code == 409 and "đã được đánh giá" in r.content.decode()
    assert Rating.objects.get(dossier=dossier).overall == 0


@pytest.mark.parametrize("secret", ["wrong", "x" * 200, "%00"])
def test_wrong_secret_is_404_like_an_unknown_code(client, dossier, secret):
    r = client.get(reverse("ratings:dossier", args=[dossier.code, secret]))
    unknown = client.get(reverse("ratings:dossier", args=["H48.20209-000000-0000", rating_key(dossier)]))
    assert r.status_code == unknown.status_code == 404
    assert r.content.decode().count("Không tìm thấy hồ sơ") == 1
    assert client.post(reverse("ratings:dossier", args=[dossier.code, secret]), form()).status_code == 404
    assert not Rating.objects.exists()


def test_the_tracking_secret_does_not_open_the_rating_page_nor_the_key_the_tracking_page(client, dossier):
    assert client.get(url(dossier)).status_code == 200
    r = client.get(reverse("ratings:dossier", args=[dossier.code, dossier.secret]))
    assert r.status_code == 404 and "Không tìm thấy hồ sơ" in r.content.decode()
    r = client.post(reverse("ratings:dossier", args=[dossier.code, dossier.secret]), form())
    assert r.status_code == 404 and not Rating.objects.exists()
    assert client.get(reverse("portal:status", args=[dossier.code, dossier.secret])).status_code == 200
    tracking = client.get(reverse("portal:status", args=[dossier.code, rating_key(dossier)]))
    assert tracking.status_code == 404 and "Nguyễn Thị Lan" not in tracking.content.decode()


def test_unfinished_dossier_has_no_form_and_post_refused(client, staff):
    d = received(staff, at("10/03/2026", "08:00"))
    assert d.state == State.RECEIVED
    html = client.get(url(d)).content.decode()
    assert "Hồ sơ chưa có kết quả" in html and 'data-testid="rating-form"' not in html
    r = client.post(url(d), form())
    assert r.status_code == 409 and not Rating.objects.exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (form(comment="Tốt\x00"), "Ý kiến có ký tự không hợp lệ"),
        (form(comment="x" * 5000), "Ý kiến dài quá 1000 ký tự"),
        (form(overall=""), "mức độ hài lòng chung"),
        (form(answers={"1": 2}), "trả lời đủ các câu hỏi"),
        (form(answers={**DOSSIER_ANSWERS, "4": "\x00"}), "không hợp lệ"),
    ],
)
def test_bad_input_is_a_message_not_a_500(client, dossier, data, words):
    r = client.post(url(dossier, "bien-nhan"), data)
    html = r.content.decode()
    assert r.status_code == 422 and words in html and 'role="alert"' in html
    assert 'data-testid="rating-form"' in html and not Rating.objects.exists()
    assert "\x00" not in html


def test_refused_form_keeps_the_choices(client, dossier):
    html = client.post(url(dossier), form(answers={**DOSSIER_ANSWERS, "9": ""}, overall="1")).content.decode()
    assert (
        'name="q1" value="2" required checked' in html and 'name="overall" value="1" required checked' in html
    )


def test_posts_are_rate_limited_per_client(client, dossier, settings):
    settings.MOTCUA_RATING_RATE = "2/600"
    for _ in range(2):
        assert client.post(url(dossier), form(overall="")).status_code == 422
    r = client.post(url(dossier), form())
    assert r.status_code == 429 and "quá nhiều lần" in r.content.decode()
    assert not Rating.objects.exists()
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.post(url(dossier), form()).status_code == 302


def test_codeless_dossier_by_id(client, dossier):
    dossier.code = None
    dossier.save(update_fields=["code"])
    assert client.get(url(dossier)).status_code == 200


def test_ticket_page_rates_a_served_ticket(client, staff):
    counter = counter_with_officer(staff["counter"].commune)
    t = served_ticket(counter, at("10/03/2026", "08:00"))
    path = reverse("ratings:ticket", args=[t.pk, t.secret])
    html = client.get(path).content.decode()
    assert f"Lượt phục vụ số {t.number}" in html and html.count("<fieldset") == 4
    r = client.post(path, {**{f"q{k}": str(v) for k, v in TICKET_ANSWERS.items()}, "overall": "1"})
    assert r.status_code == 302
    rating = Rating.objects.get(ticket=t)
    assert (
        rating.source == "TICKET_PAGE"
        and rating.subject == "TICKET"
        and rating.officer_id == counter.officer_id
    )
    assert "Lượt phục vụ đã được đánh giá" in client.get(path).content.decode()
    assert client.get(reverse("ratings:ticket", args=[t.pk, "sai"])).status_code == 404
    assert client.get(reverse("ratings:ticket", args=[t.pk + 1000, t.secret])).status_code == 404


def test_ticket_not_finished_has_no_form(client, staff):
    counter = counter_with_officer(staff["counter"].commune)
    t = served_ticket(counter, at("10/03/2026", "08:00"), finish=False)
    html = client.get(reverse("ratings:ticket", args=[t.pk, t.secret])).content.decode()
    assert "Lượt phục vụ chưa hoàn thành" in html and 'data-testid="rating-form"' not in html


# ---- the links to the rating pages ---------------------------------------------------------------


def test_receipt_mau01_has_a_second_qr_to_the_rating_page(client, staff, dossier, settings):
    client.force_login(staff["counter"])
    html = client.get(reverse("dossiers:form", args=[dossier.pk, "01"])).content.decode()
    assert 'data-testid="rating-qr"' in html and "Quét mã để đánh giá sự hài lòng" in html
    assert "Quét mã để tra cứu hồ sơ" in html and html.count("<svg") == 2
    rating_url = (
        f"{settings.MOTCUA_PUBLIC_URL}/danh-gia/ho-so/{dossier.code}/{rating_key(dossier)}/?nguon=bien-nhan"
    )
    qr_path = re.findall(r'd="([^"]+)"', segno.make(rating_url, error="m").svg_inline(scale=3))
    assert qr_path and qr_path[0] in html  # the second QR is the rating key's link


def test_tracking_page_offers_the_rating_then_says_it_was_rated(client, staff, dossier):
    status = reverse("portal:status", args=[dossier.code, dossier.secret])
    html = client.get(status).content.decode()
    link = f"/danh-gia/ho-so/{dossier.code}/{rating_key(dossier)}/?nguon=tra-cuu"
    assert "Đánh giá sự hài lòng" in html and link in html
    client.post(link, form())
    assert Rating.objects.get(dossier=dossier).source == "TRACKING"
    html = client.get(status).content.decode()
    assert "Hồ sơ đã được đánh giá" in html and 'class="button primary" href="/danh-gia' not in html
    open_one = received(staff, at("11/03/2026", "08:00"))
    html = client.get(reverse("portal:status", args=[open_one.code, open_one.secret])).content.decode()
    assert 'data-testid="rating-link"' not in html


def test_result_ready_notice_carries_the_rating_link(staff, settings):
    from motcua.notify.models import Message
    from motcua.notify.texts import sms_fits

    settings.MOTCUA_PUBLIC_URL = "http://127.0.0.1:8000"
    d = received(staff, at("10/03/2026", "08:00"))
    d.notify_email = "lan@example.com"
    d.save(update_fields=["notify_email"])
    from motcua.dossiers.workflow import Action, dossier_apply

    dossier_apply(
        dossier=d, action=Action.RESOLVE_ON_SPOT, actor=staff["counter"], now=at("10/03/2026", "08:10")
    )
    link = f"/danh-gia/ho-so/{d.code}/{rating_key(d)}/?nguon=thong-bao"
    sms = Message.objects.get(topic="dossier.result_ready", recipient="0905123456")
    mail = Message.objects.get(topic="dossier.result_ready", recipient="lan@example.com")
    assert link in sms.body and sms_fits(sms.body.split(" Từ chối")[0])
    assert d.secret not in sms.body and d.secret not in mail.body  # the tracking key never travels
    assert link in mail.body and "Mời ông/bà đến bộ phận một cửa nhận kết quả" in mail.body


def test_a_long_public_address_leaves_the_sms_without_the_link(staff, settings):
    from motcua.notify.dossier_notices import result_ready_texts
    from motcua.notify.texts import sms_fits

    settings.MOTCUA_PUBLIC_URL = "https://dichvucong.phuongthanhkhe.danang.gov.vn"
    d = finished_dossier(staff, at("10/03/2026", "08:00"))
    sms, mail = result_ready_texts(d)
    assert sms_fits(sms) and "danh-gia" not in sms and "đã có kết quả" in sms
    assert f"{settings.MOTCUA_PUBLIC_URL}/danh-gia/ho-so/{d.code}/{rating_key(d)}/?nguon=thong-bao" in mail


def test_phone_ticket_page_offers_the_rating_once_finished(client, staff):
    counter = counter_with_officer(staff["counter"].commune)
    t = served_ticket(counter, at("10/03/2026", "08:00"), finish=False)
    page = reverse("queueing:ticket", args=[t.pk, t.secret])
    assert "Đánh giá lượt phục vụ" not in client.get(page).content.decode()
    from motcua.queueing.services import ticket_finish

    ticket_finish(actor=counter.officer, counter=counter, ticket=t, now=at("10/03/2026", "08:10"))
    html = client.get(page).content.decode()
    assert "Đánh giá lượt phục vụ" in html and reverse("ratings:ticket", args=[t.pk, t.secret]) in html
