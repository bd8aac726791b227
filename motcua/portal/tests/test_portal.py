import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def received():
    ward = make_commune()
    staff = make_staff(ward)
    proc = make_procedure()
    d = dossier_intake(actor=staff["counter"], procedure=proc, applicant=Applicant(name="Võ Thị Mai", phone="0905123456"),
                       form_data={}, checklist_ticked=[i.id for i in proc.checklist.all()], outcome="receive", now=clock.now())  # fmt: skip
    dossier_apply(dossier=d, action=Action.RESOLVE_ON_SPOT, actor=staff["counter"], now=clock.now())
    d.refresh_from_db()
    return d


def test_lookup_with_code_and_phone_digits_shows_every_step(client, received):
    resp = client.get(reverse("portal:lookup"), {"ma": received.code.lower(), "sdt": "3456"})
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Có kết quả" in body and "Đã tiếp nhận hồ sơ" in body and "Đã giải quyết" in body
    assert "Motcua" not in body, "officers' names are not shown to residents"


def test_lookup_with_wrong_second_factor_says_nothing_about_the_dossier(client, received):
    for params in ({"ma": received.code, "sdt": "0000"}, {"ma": "H48.20209-000000-0000", "sdt": "3456"}):
        resp = client.get(reverse("portal:lookup"), params)
        assert resp.status_code == 404
        assert "Võ Thị Mai" not in resp.content.decode()


def test_qr_link_opens_status_without_typing(client, received):
    resp = client.get(reverse("portal:status", args=[received.code, received.secret]))
    assert resp.status_code == 200 and received.code in resp.content.decode()
    assert client.get(reverse("portal:status", args=[received.code, "sai-bi-mat"])).status_code == 404


def test_lookup_is_rate_limited(client, received, settings):
    settings.MOTCUA_LOOKUP_RATE = "3/600"
    for _ in range(3):
        assert client.get(reverse("portal:lookup"), {"ma": received.code, "sdt": "0000"}).status_code == 404
    resp = client.get(reverse("portal:lookup"), {"ma": received.code, "sdt": "3456"})
    assert resp.status_code == 429 and "quá nhiều lần" in resp.content.decode()
    api = Client().get("/api/public/lookup", {"code": received.code, "phone_last4": "3456"})
    assert api.status_code == 429


def test_public_api_lookup(client, received):
    resp = client.get("/api/public/lookup", {"code": received.code, "phone_last4": "3456"})
    assert resp.status_code == 200
    assert resp.json()["state"] == State.RESULT_READY
    assert client.get("/api/public/lookup", {"code": received.code, "phone_last4": "9999"}).status_code == 404


def test_online_submission_lands_as_draft_marked_assisted(
    client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.UPLOAD_ROOT = tmp_path
    ward = make_commune()
    staff = make_staff(ward)
    proc = make_procedure()
    item = proc.checklist.first()
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"0" * 20 + b"\xff\xd9"
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("portal:online_submit", args=[proc.code]),
            {"commune": ward.pk, "applicant_name": "Đặng Văn Tư", "applicant_phone": "0987654321",
             "assisted": "1", "volunteer_name": "Đoàn phường", f"doc_{item.id}": SimpleUploadedFile("a.jpg", jpeg)},
        )  # fmt: skip
    d = Dossier.objects.get()
    assert resp.status_code == 302 and resp.url == reverse("portal:online_done", args=[d.pk, d.secret])
    assert d.state == State.DRAFT and d.channel == "ONLINE" and d.assisted_by_volunteer
    assert d.code.startswith("H48.20209-")
    assert d.documents.get().content_type == "image/jpeg"
    assert d.code in client.get(resp.url).content.decode()
    # The desk receives it: the code taken at submission stays.
    code = d.code
    d = dossier_apply(dossier=d, action=Action.RECEIVE, actor=staff["counter"],
                      data={"checklist_ticked": [i.id for i in proc.checklist.all()]}, now=clock.now())  # fmt: skip
    assert d.code == code


def test_online_submission_with_bad_input_changes_nothing(client):
    ward = make_commune()
    proc = make_procedure()
    resp = client.post(reverse("portal:online_submit", args=[proc.code]),
                       {"commune": ward.pk, "applicant_name": "", "applicant_phone": "abc"})  # fmt: skip
    assert resp.status_code == 422 and "Số điện thoại" in resp.content.decode()
    assert Dossier.objects.count() == 0


def test_home_and_lookup_pages_render(client):
    assert "Tra cứu hồ sơ" in client.get("/").content.decode()
    assert "4 số cuối điện thoại" in client.get(reverse("portal:lookup")).content.decode()


def test_residents_pages_are_small_when_compressed(client, received):
    """Under 60 KB on first load (HTML + CSS, gzip), and no JavaScript on residents' pages."""
    import gzip

    css = b"".join(client.get("/static/core/site.css").streaming_content)
    for url in (
        "/",
        reverse("portal:lookup"),
        reverse("portal:status", args=[received.code, received.secret]),
    ):
        html = client.get(url).content
        assert b"<script" not in html, url
        assert len(gzip.compress(html)) + len(gzip.compress(css)) < 60 * 1024, url
