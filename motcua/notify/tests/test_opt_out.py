import pytest
from django.core import signing
from django.urls import reverse

from motcua.core import clock
from motcua.notify.models import Message, MessageState, OptOut
from motcua.notify.services import address_hash, notify, opt_out_token

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
    assert opt_out_token("0905123456") in message.body
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
    token = opt_out_token("0905123456")
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
