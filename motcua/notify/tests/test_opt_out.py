import base64
import datetime as dt
import zlib

import pytest
from django.core import signing
from django.urls import reverse

from motcua.core import clock
from motcua.notify.models import Message, MessageState, OptOut
from motcua.notify.services import OPT_OUT_SALT, address_hash, notify, opt_out_token

from .conftest import NOW

URL = "/thong-bao/tu-choi/"


@pytest.fixture(autouse=True)
def pinned():
    with clock.pinned(NOW):
        yield


def test_url_names():
    assert reverse("notify:opt_out") == URL
    assert reverse("notify:opt_out_confirm", args=["abc"]) == URL + "abc/"


def test_form_page(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert "Ngừng nhận thông báo" in response.content.decode()


def test_request_sends_a_signed_link_to_the_phone(db, client):
    response = client.post(URL, {"dia_chi": "+84 905 123 456"})
    assert response.status_code == 200
    assert "một liên kết xác nhận vừa được gửi" in response.content.decode()
    [message] = Message.objects.all()
    assert message.recipient == "0905123456" and message.topic == "notify.opt_out"
    assert opt_out_token("0905123456", now=NOW) in message.body
    # Asked again the same day: the same message, not a second SMS.
    client.post(URL, {"dia_chi": "0905123456"})
    assert Message.objects.count() == 1
    assert not OptOut.objects.exists()  # nothing until the link is confirmed


def test_request_by_email(db, client):
    client.post(URL, {"dia_chi": "Dan@Example.vn"})
    [message] = Message.objects.all()
    assert message.channel == "EMAIL" and message.recipient == "dan@example.vn"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("09051\x0023456", "ký tự không hợp lệ"),
        ("a" * 300 + "@x.vn", "Tối đa 254 ký tự"),
        ("12345", "10 chữ số"),
        ("dan@", "thư điện tử không hợp lệ"),
        ("", "Hãy nhập"),
    ],
)
def test_bad_address_refused_in_vietnamese(db, client, value, words):
    response = client.post(URL, {"dia_chi": value})
    assert response.status_code == 422
    assert words in response.content.decode()
    assert not Message.objects.exists()


def test_request_rate_limited(db, client, settings):
    settings.MOTCUA_NOTIFY_OPT_OUT_RATE = "2/3600"
    for i in range(2):
        assert client.post(URL, {"dia_chi": f"090512345{i}"}).status_code == 200
    response = client.post(URL, {"dia_chi": "0905123459"})
    assert response.status_code == 429
    assert Message.objects.count() == 2


def test_confirm_link_get_changes_nothing_post_opts_out(db, client):
    token = opt_out_token("0905123456", now=NOW)
    page = client.get(URL + token + "/")
    assert page.status_code == 200
    assert "********56" in page.content.decode() and "0905123456" not in page.content.decode()
    assert not OptOut.objects.exists()
    done = client.post(URL + token + "/")
    assert done.status_code == 200 and "sẽ không nhận thông báo nào nữa" in done.content.decode()
    [optout] = OptOut.objects.all()
    assert optout.address_sha256 == address_hash("0905123456")
    # From now on a notice to that phone is SKIPPED.
    [message] = notify(topic="t", subject_ref="", commune=None, text="x", now=NOW, dedupe_key="k",
                       phone="+84905123456")  # fmt: skip
    assert message.state == MessageState.SKIPPED


@pytest.mark.parametrize("token", ["garbage", signing.dumps("0905123456", salt="other")])
def test_bad_or_foreign_token_404(db, client, token):
    response = client.post(URL + token + "/")
    assert response.status_code == 404
    assert "Liên kết không đúng" in response.content.decode()
    assert not OptOut.objects.exists()


def _decoded(token: str) -> bytes:
    payload = token.split(":")[0]
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return zlib.decompress(raw) if payload.startswith(".") else raw


@pytest.mark.parametrize("address", ["0905123422", "resident.private@example.vn"])
def test_token_does_not_carry_the_address(address):
    token = opt_out_token(address, now=NOW)
    for seen in (token, _decoded(token).decode()):
        assert address not in seen and address[:-2] not in seen
    assert address_hash(address) in _decoded(token).decode()


def test_email_link_page_shows_the_masked_email(db, client):
    token = opt_out_token("Dan.Nguyen@Example.vn", now=NOW)
    page = client.get(URL + token + "/").content.decode()
    assert "d***@example.vn" in page and "dan.nguyen" not in page


def test_link_works_within_max_age_then_expires(db, client, settings):
    settings.MOTCUA_NOTIFY_OPT_OUT_MAX_AGE_DAYS = 90
    token = opt_out_token("0905123456", now=NOW - dt.timedelta(days=90))
    assert client.get(URL + token + "/").status_code == 200
    old = opt_out_token("0905123456", now=NOW - dt.timedelta(days=90, seconds=1))
    for response in (client.get(URL + old + "/"), client.post(URL + old + "/")):
        assert response.status_code == 404
        page = response.content.decode()
        assert "Liên kết đã hết hạn (chỉ dùng được trong 90 ngày)" in page and "Yêu cầu liên kết mới" in page
    assert not OptOut.objects.exists()
    assert client.post(URL + token + "/").status_code == 200
    assert OptOut.objects.get().address_sha256 == address_hash("0905123456")


def test_an_old_kind_of_link_is_refused_gracefully(db, client):
    legacy = signing.dumps("0905123456", salt=OPT_OUT_SALT, compress=True)  # before: the address itself
    response = client.post(URL + legacy + "/")
    assert response.status_code == 404
    assert "theo mẫu cũ" in response.content.decode() and "Yêu cầu liên kết mới" in response.content.decode()
    assert not OptOut.objects.exists()


def test_an_email_notice_carries_a_link_without_the_address(db):
    [message] = notify(topic="t", subject_ref="", commune=None, text="Hồ sơ đã nhận", now=NOW, dedupe_key="k",
                       email="resident.private@example.vn")  # fmt: skip
    assert message.body.count("resident.private") == 0
    assert opt_out_token("resident.private@example.vn", now=NOW) in message.body
