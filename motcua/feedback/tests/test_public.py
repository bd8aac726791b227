"""The residents' side (issue 9 §1, §4): the online form, following by code + phone digits or by
the link, rating, reopening within the window, opting out, and the public list without personal
data."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.feedback import public
from motcua.feedback.models import Channel, FeedbackItem, State
from motcua.feedback.services import Reporter, feedback_create
from motcua.feedback.workflow import Action, feedback_apply
from motcua.notify.models import Message, MessageState, OptOut
from motcua.notify.services import address_hash

from .conftest import NOW

SECRET_NAME = "Nguyễn Thị Riêng Tư"
SECRET_PHONE = "0905123987"


@pytest.fixture(autouse=True)
def _pinned(settings):
    settings.MOTCUA_FEEDBACK_SUBMIT_RATE = "100/600"
    with clock.pinned(NOW):
        yield


@pytest.fixture
def client():
    return Client()


def _item(ward, setup, *, phone=SECRET_PHONE, title="Đèn đường hẻm 12 bị hỏng", n=0):
    return feedback_create(
        commune=ward, channel=Channel.ONLINE, category=setup["categories"]["chieu-sang"], title=title,
        now=NOW, neighbourhood=setup["neighbourhoods"][n], description=f"Nhà bà {SECRET_NAME} tối om",
        reporter=Reporter(name=SECRET_NAME, phone=phone, email="rieng.tu@example.vn"),
    )  # fmt: skip


def _resolved(ward, setup, staff, **kw):
    item = _item(ward, setup, **kw)
    feedback_apply(item=item, action=Action.ASSIGN, actor=staff["leader"], now=NOW,
                   data={"department": staff["head_econ"].department})  # fmt: skip
    feedback_apply(item=item, action=Action.RESOLVE, actor=staff["specialist_econ"], now=NOW,
                   data={"note": "Đã thay bóng đèn mới"})  # fmt: skip
    item.refresh_from_db()
    return item


def _track(item):
    return reverse("feedback_public:track", args=[item.code, item.secret])


def _act(item, action):
    return reverse("feedback_public:act", args=[item.code, item.secret, action])


# ---------------------------------------------------------------------------------- the form


def _form(setup, **kw):
    data = {
        "category": str(setup["categories"]["rac-thai"].pk),
        "neighbourhood": str(setup["neighbourhoods"][1].pk),
        "address": "Kiệt 45 Hà Huy Tập",
        "title": "Rác tồn đọng 3 ngày",
        "description": "Chưa ai thu gom.",
        "name": "Lê Văn Tâm",
        "phone": "0912 345 678",
        "email": "",
        "consent": "1",
    }
    return data | kw


def test_form_page(client, ward, setup):
    r = client.get(reverse("feedback_public:new", args=[ward.code]))
    assert r.status_code == 200
    body = r.content.decode()
    assert "Gửi phản ánh, kiến nghị" in body and "Rác thải, vệ sinh" in body and "Tổ dân phố 2" in body


def test_submit_gives_code_link_qr_and_a_notice(client, ward, setup):
    r = client.post(reverse("feedback_public:new", args=[ward.code]), _form(setup))
    assert r.status_code == 302
    item = FeedbackItem.objects.get()
    assert (item.channel, item.state, item.reporter_phone) == (Channel.ONLINE, State.NEW, "0912345678")
    assert item.neighbourhood == setup["neighbourhoods"][1] and not item.notify_opt_out
    assert r["Location"] == reverse("feedback_public:done", args=[item.code, item.secret])
    page = client.get(r["Location"])
    body = page.content.decode()
    assert item.code in body and _track(item) in body and "<svg" in body
    assert "no-store" in page["Cache-Control"]
    message = Message.objects.get(topic="feedback.received")
    assert message.recipient == "0912345678" and item.code in message.body and len(message.body) <= 160
    assert item.secret not in message.body  # an SMS may be read by others: the lookup's address


def test_email_notice_carries_the_link(client, ward, setup):
    client.post(
        reverse("feedback_public:new", args=[ward.code]), _form(setup, phone="", email="an@example.vn")
    )
    item = FeedbackItem.objects.get()
    message = Message.objects.get(topic="feedback.received")
    assert message.recipient == "an@example.vn" and _track(item) in message.body


def test_no_consent_no_notice(client, ward, setup):
    client.post(reverse("feedback_public:new", args=[ward.code]), _form(setup, consent=""))
    assert FeedbackItem.objects.get().notify_opt_out
    assert not Message.objects.exists()


def test_consent_needs_a_contact(client, ward, setup):
    r = client.post(reverse("feedback_public:new", args=[ward.code]), _form(setup, phone="", email=""))
    assert r.status_code == 422 and "số điện thoại hoặc thư điện tử" in r.content.decode()
    assert not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Rác\x00", "ký tự không hợp lệ"),
        ("title", "x" * 201, "tối đa 200 ký tự"),
        ("description", "x" * 20_000, "quá dài"),
        ("name", "Lê\x00", "ký tự không hợp lệ"),
        ("phone", "12345", "10 chữ số"),
        ("category", "99999", "không có trong danh sách"),
        ("category", "", "Hãy chọn lĩnh vực"),
    ],
)
def test_bad_input_is_a_vietnamese_4xx(client, ward, setup, field, value, message):
    r = client.post(reverse("feedback_public:new", args=[ward.code]), _form(setup, **{field: value}))
    assert r.status_code == 422 and message in r.content.decode()
    assert not FeedbackItem.objects.exists()


def test_another_communes_category_is_refused(client, ward, setup, other_ward):
    from motcua.testing import make_feedback_setup

    theirs = make_feedback_setup(other_ward)
    form = _form(setup, category=str(theirs["categories"]["rac-thai"].pk))
    assert client.post(reverse("feedback_public:new", args=[ward.code]), form).status_code == 422


def test_submit_is_rate_limited_per_client(client, ward, setup, settings):
    settings.MOTCUA_FEEDBACK_SUBMIT_RATE = "2/3600"
    url = reverse("feedback_public:new", args=[ward.code])
    assert client.post(url, _form(setup)).status_code == 302
    assert client.post(url, _form(setup, title="")).status_code == 422  # a refused form counts
    r = client.post(url, _form(setup))
    assert r.status_code == 429 and "quá nhiều lần" in r.content.decode()
    assert FeedbackItem.objects.count() == 1


def test_unknown_commune_is_404(client, db):
    assert client.get(reverse("feedback_public:new", args=["99999"])).status_code == 404
    assert client.get(reverse("feedback_public:new", args=["abc"])).status_code == 404
    assert client.get(reverse("feedback_public:list", args=["99999"])).status_code == 404


# ---------------------------------------------------------------------------------- following


def test_lookup_by_code_and_phone_leads_to_the_item(client, ward, setup):
    item = _item(ward, setup)
    r = client.get(reverse("feedback_public:lookup"), {"ma": item.code.lower(), "sdt": "3987"})
    assert r.status_code == 302 and r["Location"] == _track(item)
    assert client.get(reverse("feedback_public:lookup")).status_code == 200


def test_lookup_wrong_digits_then_lockout(client, ward, setup, settings):
    settings.MOTCUA_LOOKUP_CODE_FAILURES = 3
    item = _item(ward, setup)
    url = reverse("feedback_public:lookup")
    for _ in range(3):
        r = client.get(url, {"ma": item.code, "sdt": "0000"})
        assert r.status_code == 404 and "Không tìm thấy phản ánh" in r.content.decode()
    r = client.get(url, {"ma": item.code, "sdt": "3987"})  # the right digits, but locked now
    assert r.status_code == 429 and "tạm khóa" in r.content.decode()
    # The link with the secret still works.
    assert client.get(_track(item)).status_code == 200


def test_lookup_bad_input(client, db):
    url = reverse("feedback_public:lookup")
    assert client.get(url, {"ma": "PA-1\x00", "sdt": "1234"}).status_code == 422
    assert client.get(url, {"ma": "PA-20209-260210-0001", "sdt": "12"}).status_code == 422
    assert client.get(url, {"ma": "x" * 5000, "sdt": "1234"}).status_code == 422


def test_track_page_shows_plain_history_without_staff_names(client, ward, setup, staff):
    item = _resolved(ward, setup, staff)
    body = client.get(_track(item)).content.decode()
    assert "Đã giải quyết" in body and "Đã thay bóng đèn mới" in body
    assert staff["head_econ"].department.name in body
    for person in (staff["leader"], staff["specialist_econ"]):
        assert person.full_name not in body and person.username not in body
    assert "Đánh giá kết quả" in body and "Mở lại phản ánh" in body


def test_wrong_secret_or_other_code_is_404(client, ward, setup):
    item = _item(ward, setup)
    assert client.get(reverse("feedback_public:track", args=[item.code, "x" * 16])).status_code == 404
    assert client.get(reverse("feedback_public:track", args=["PA-1-1", item.secret])).status_code == 404
    r = client.post(reverse("feedback_public:act", args=[item.code, "sai", "danh-gia"]), {"rating": "5"})
    assert r.status_code == 404


def test_rate_once_when_resolved(client, ward, setup, staff):
    item = _resolved(ward, setup, staff)
    r = client.post(_act(item, "danh-gia"), {"rating": "5", "comment": "Nhanh, tốt"})
    assert r.status_code == 302
    item.refresh_from_db()
    assert (item.rating, item.rating_comment) == (5, "Nhanh, tốt")
    assert item.events.last().actor_label == "Người phản ánh"
    r = client.post(_act(item, "danh-gia"), {"rating": "4"})
    assert r.status_code == 409 and "đã được đánh giá" in r.content.decode()


def test_rate_refused_while_open_and_out_of_range(client, ward, setup, staff):
    item = _item(ward, setup)
    assert client.post(_act(item, "danh-gia"), {"rating": "5"}).status_code == 409
    item = _resolved(ward, setup, staff)
    assert client.post(_act(item, "danh-gia"), {"rating": "6"}).status_code == 422
    assert client.post(_act(item, "danh-gia"), {"rating": "5", "comment": "x" * 501}).status_code == 422
    assert client.post(_act(item, "danh-gia"), {"rating": "5", "comment": "a\x00"}).status_code == 422
    item.refresh_from_db()
    assert item.rating is None


def test_reopen_within_the_window_only(client, ward, setup, staff, settings):
    settings.MOTCUA_FEEDBACK_REOPEN_DAYS = 7
    item = _resolved(ward, setup, staff)
    assert client.post(_act(item, "mo-lai"), {"reason": ""}).status_code == 422
    with clock.pinned(NOW + dt.timedelta(days=8)):
        r = client.post(_act(item, "mo-lai"), {"reason": "Đèn lại tắt"})
        assert r.status_code == 409 and "7 ngày" in r.content.decode()
        assert "Mở lại phản ánh" not in client.get(_track(item)).content.decode()
    with clock.pinned(NOW + dt.timedelta(days=6)):
        assert client.post(_act(item, "mo-lai"), {"reason": "Đèn lại tắt"}).status_code == 302
    item.refresh_from_db()
    assert (item.state, item.reopened_count) == (State.IN_PROGRESS, 1)


def test_opt_out(client, ward, setup):
    item = _item(ward, setup)
    assert client.post(_act(item, "ngung-thong-bao")).status_code == 302
    item.refresh_from_db()
    assert item.notify_opt_out
    assert OptOut.objects.filter(address_sha256=address_hash(SECRET_PHONE)).exists()
    from motcua.notify.services import notify

    [m] = notify(topic="feedback.resolved", subject_ref="x", commune=ward, text="x", now=NOW,
                 dedupe_key="t", phone=SECRET_PHONE)  # fmt: skip
    assert m.state == MessageState.SKIPPED


def test_unknown_action_is_404_and_get_is_405(client, ward, setup):
    item = _item(ward, setup)
    assert client.post(_act(item, "xoa")).status_code == 404
    assert client.get(_act(item, "danh-gia")).status_code == 405


# ---------------------------------------------------------------------------------- the public list


def test_public_list_has_no_personal_data(client, ward, setup, staff):
    _resolved(ward, setup, staff)
    _item(ward, setup, title="Ổ gà trước chợ", n=1)
    r = client.get(reverse("feedback_public:list", args=[ward.code]))
    body = r.content.decode()
    assert r.status_code == 200
    assert "Ổ gà trước chợ" in body and "Đã thay bóng đèn mới" in body
    assert SECRET_NAME not in body and SECRET_PHONE not in body and "3987" not in body
    assert "rieng.tu" not in body and "tối om" not in body  # nor the description
    for person in (staff["leader"], staff["specialist_econ"]):
        assert person.full_name not in body


def test_public_list_filters_counts_and_pages(client, ward, setup, staff):
    _resolved(ward, setup, staff)
    for i in range(22):
        _item(ward, setup, title=f"Ổ gà số {i}", n=1)
    url = reverse("feedback_public:list", args=[ward.code])
    body = client.get(url, {"to": setup["neighbourhoods"][0].pk}).content.decode()
    assert "Đèn đường hẻm 12" in body and "Ổ gà số" not in body
    body = client.get(url, {"tt": "dang-xu-ly"}).content.decode()
    assert "Đèn đường hẻm 12" not in body and "Danh sách (22)" in body
    assert "Trang 1/2" in body
    assert "Ổ gà số 0" in client.get(url, {"tt": "dang-xu-ly", "trang": "2"}).content.decode()
    counts = client.get(url).context["counts"]
    assert {c["name"]: (c["total"], c["open"], c["resolved"]) for c in counts}["Tổ dân phố 2"] == (22, 22, 0)
    assert client.get(url, {"to": "x\x00", "trang": "zz"}).status_code == 200


def test_another_communes_items_never_listed(client, ward, setup, other_ward):
    from motcua.testing import make_feedback_setup

    theirs = make_feedback_setup(other_ward)
    _item(other_ward, theirs, title="Chuyện của An Khê")
    body = client.get(reverse("feedback_public:list", args=[ward.code])).content.decode()
    assert "Chuyện của An Khê" not in body


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)
    raw = zlib.compress(b"\x00" + b"\xff\x00\x00" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def test_form_photos_are_kept_and_served_only_with_the_secret(
    client, ward, setup, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_ROOT = tmp_path
    form = _form(setup, photos=[SimpleUploadedFile("a.png", _png()), SimpleUploadedFile("b.png", _png())])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("feedback_public:new", args=[ward.code]), form).status_code == 302
    item = FeedbackItem.objects.get()
    assert item.photos.count() == 2
    photo = item.photos.first()
    r = client.get(reverse("feedback_public:photo", args=[item.code, item.secret, photo.pk]))
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"\x89PNG")
    assert "no-store" in r["Cache-Control"]
    assert (
        client.get(reverse("feedback_public:photo", args=[item.code, "0" * 16, photo.pk])).status_code == 404
    )
    other = _item(ward, setup)
    assert (
        client.get(reverse("feedback_public:photo", args=[other.code, other.secret, photo.pk])).status_code
        == 404
    )


def test_form_refuses_a_fake_photo_and_four_photos(client, ward, setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("feedback_public:new", args=[ward.code])
    fake = SimpleUploadedFile("a.png", b"<html><script>alert(1)</script>")
    assert client.post(url, _form(setup, photos=[fake])).status_code == 422
    four = [SimpleUploadedFile(f"{i}.png", _png()) for i in range(4)]
    r = client.post(url, _form(setup, photos=four))
    assert r.status_code == 422 and "Tối đa 3 ảnh" in r.content.decode()
    assert not FeedbackItem.objects.exists()


def test_portal_home_links_to_the_form_and_the_lookup(client, ward, setup):
    from motcua.org.models import CommuneProfile

    CommuneProfile.objects.create(commune=ward, unit_name="UBND Phường Thanh Khê")
    body = client.get("/").content.decode()
    assert reverse("feedback_public:new", args=[ward.code]) in body and "Gửi phản ánh" in body
    assert reverse("feedback_public:lookup") in body


def test_reporter_links_masked_in_logs():
    from motcua.portal.redact import redact

    line = '"GET /gop-y/theo-doi/PA-20209-260210-0001/s3cr3tAbc/anh/4/ HTTP/1.1" /gop-y/da-gui/PA-1-260210-0001/xyz/'
    assert redact(line) == (
        '"GET /gop-y/theo-doi/PA-20209-260210-0001/***/anh/4/ HTTP/1.1" /gop-y/da-gui/PA-1-260210-0001/***/'
    )
    assert redact("/gop-y/theo-doi/?ma=PA-1&sdt=1234") == "/gop-y/theo-doi/?ma=PA-1&sdt=***"


def test_received_sms_fits_one_sms_with_a_long_public_address(client, ward, setup, settings):
    from motcua.notify.texts import sms_text

    settings.MOTCUA_PUBLIC_URL = (
        "https://dichvucong-phuong-thanh-khe.danang.gov.vn/" + "cong-thong-tin/" * 8
    )[:120]
    assert len(settings.MOTCUA_PUBLIC_URL) == 120
    assert client.post(reverse("feedback_public:new", args=[ward.code]), _form(setup)).status_code == 302
    item = FeedbackItem.objects.get()
    message = Message.objects.get(topic="feedback.received")
    assert item.code in message.body and len(sms_text(message.body)) <= 160
    # every length of the address, up to one that leaves no room for it at all
    for n in range(0, 200, 7):
        text = public.received_sms(
            commune="Phuong Thanh Khe", code=item.code, due="12/02", url="https://" + "a" * n
        )
        assert item.code in text and len(sms_text(text)) <= 160
    long_name = public.received_sms(commune="Phuong " * 30, code=item.code, due="12/02", url="https://a.vn")
    assert len(sms_text(long_name)) <= 160


def test_wrong_secrets_count_in_the_rate_limit(client, ward, setup, staff, settings, tmp_path):
    settings.MOTCUA_LOOKUP_RATE = "3/600"
    item = _resolved(ward, setup, staff)
    for _ in range(3):
        assert client.post(_act(item, "danh-gia").replace(item.secret, "0" * len(item.secret)),
                           {"rating": "5"}).status_code == 404  # fmt: skip
    r = client.post(_act(item, "danh-gia"), {"rating": "5"})
    assert r.status_code == 429 and "quá nhiều lần" in r.content.decode()
    item.refresh_from_db()
    assert item.rating is None
    wrong = reverse("feedback_public:photo", args=[item.code, "0" * len(item.secret), 1])
    for _ in range(9):  # a page of photos is up to 3 requests: 3 × the lookup rate
        assert client.get(wrong).status_code == 404
    assert client.get(reverse("feedback_public:photo", args=[item.code, item.secret, 1])).status_code == 429
