"""The province's inbox (issue 9 §2): escalated items of the province's communes only, the two
answers through the one transition function, the reporter told once per answer."""

import datetime as dt

import pytest

from motcua.core import clock
from motcua.feedback.models import Channel, FeedbackEvent, State
from motcua.feedback.services import Reporter, feedback_create
from motcua.feedback.workflow import Action, feedback_apply
from motcua.geo.models import Province
from motcua.notify.models import Message
from motcua.org.models import Role
from motcua.testing import make_feedback_setup, make_staff, make_user

from .conftest import NOW

INBOX = "/phan-anh/tong-hop/tinh/"
LATER = NOW + dt.timedelta(days=2)


def _officer(province, username="sonoivu"):
    officer = make_user(None, Role.PROVINCE_OFFICER, username)
    officer.province = province
    officer.save()
    return officer


def _escalated(commune, setup, leader, title="Ngập sâu đường Hà Huy Tập", phone="0905111222"):
    item = feedback_create(
        commune=commune, channel=Channel.HOTLINE, category=setup["categories"]["thoat-nuoc"],
        neighbourhood=setup["neighbourhoods"][0], address="Đường Hà Huy Tập", title=title, now=NOW,
        reporter=Reporter(name="Trần Văn Bình", phone=phone), actor=leader,
    )  # fmt: skip
    feedback_apply(item=item, action=Action.ESCALATE, actor=leader, now=NOW,
                   data={"note": "Cống chính do thành phố quản lý"})  # fmt: skip
    item.refresh_from_db()
    return item


@pytest.fixture
def item(ward, staff, setup):
    return _escalated(ward, setup, staff["leader"])


@pytest.fixture
def officer(ward):
    return _officer(ward.province)


def test_inbox_lists_the_provinces_escalated_items(client, item, officer, other_ward):
    theirs = make_staff(other_ward, prefix="ak_")
    other = _escalated(other_ward, make_feedback_setup(other_ward), theirs["leader"], title="Sạt lở bờ kè")
    client.force_login(officer)
    body = client.get(INBOX).content.decode()
    assert item.code in body and other.code in body
    assert "Cống chính do thành phố quản lý" in body and "Phường Thanh Khê" in body
    assert "0905111222" not in body and "Trần Văn Bình" not in body
    assert 'href="/phan-anh/tong-hop/tinh/">Phản ánh chuyển tỉnh</a>' in body  # the staff nav


def test_another_provinces_officer_sees_none(client, item):
    hn = Province.objects.create(code=1, name="Thành phố Hà Nội", codename="ha_noi")
    stranger = _officer(hn, "hn_sonoivu")
    client.force_login(stranger)
    resp = client.get(INBOX)
    assert resp.status_code == 200 and item.code not in resp.content.decode()
    assert client.get(f"{INBOX}{item.pk}/").status_code == 404
    resp = client.post(f"{INBOX}{item.pk}/", {"answer": "resolve", "note": "Xong"})
    assert resp.status_code == 404
    item.refresh_from_db()
    assert item.state == State.ESCALATED


@pytest.mark.parametrize("who", ["leader", "admin", "counter", "head_econ"])
def test_commune_staff_are_refused(client, staff, item, who):
    client.force_login(staff[who])
    assert client.get(INBOX).status_code == 403
    assert client.get(f"{INBOX}{item.pk}/").status_code == 403
    assert client.post(f"{INBOX}{item.pk}/", {"answer": "resolve", "note": "x"}).status_code == 403


def test_an_item_never_escalated_is_not_found(client, ward, staff, setup, officer):
    plain = feedback_create(commune=ward, channel=Channel.HOTLINE, category=setup["categories"]["khac"],
                            title="Khác", now=NOW, actor=staff["leader"])  # fmt: skip
    client.force_login(officer)
    assert client.get(f"{INBOX}{plain.pk}/").status_code == 404


def _answer(client, officer, item, answer, note):
    client.force_login(officer)
    with clock.pinned(LATER):
        return client.post(f"{INBOX}{item.pk}/", {"answer": answer, "note": note})


def test_province_resolves_and_the_reporter_is_told_once(client, item, officer):
    resp = _answer(client, officer, item, "resolve", "Sở Xây dựng đã nạo vét cống chính")
    assert resp.status_code == 302
    item.refresh_from_db()
    assert item.state == State.RESOLVED and item.province_answer == "Sở Xây dựng đã nạo vét cống chính"
    assert item.province_answered_by == officer and item.resolved_at == LATER
    event = FeedbackEvent.objects.filter(item=item).last()
    assert (event.action, event.actor) == (Action.PROVINCE_RESOLVE, officer)
    messages = list(Message.objects.filter(subject_ref=item.code))
    assert len(messages) == 1 and messages[0].recipient == "0905111222"
    assert "cấp tỉnh đã giải quyết" in messages[0].body and len(messages[0].body) <= 160
    # Answering again is refused (the item is no longer escalated): nothing more is queued.
    resp = _answer(client, officer, item, "return", "Lần nữa")
    assert resp.status_code == 409
    assert Message.objects.filter(subject_ref=item.code).count() == 1
    # The page shows the answer.
    assert "Sở Xây dựng đã nạo vét cống chính" in client.get(f"{INBOX}{item.pk}/").content.decode()


def test_province_answers_and_the_commune_goes_on(client, item, officer):
    assert (
        _answer(client, officer, item, "return", "Thuộc thẩm quyền phường; đề nghị phường xử lý").status_code
        == 302
    )
    item.refresh_from_db()
    assert item.state == State.ASSIGNED and item.resolved_at is None
    assert item.province_answer == "Thuộc thẩm quyền phường; đề nghị phường xử lý"
    assert "phường/xã tiếp tục xử lý" in Message.objects.get(subject_ref=item.code).body


def test_no_message_when_the_reporter_left_no_contact(client, ward, staff, setup, officer):
    item = _escalated(ward, setup, staff["leader"], phone="")
    assert _answer(client, officer, item, "resolve", "Đã xử lý").status_code == 302
    assert not Message.objects.filter(subject_ref=item.code).exists()


@pytest.mark.parametrize(
    ("answer", "note"),
    [("resolve", ""), ("resolve", "   "), ("return", "a\x00b"), ("resolve", "x" * 2001), ("maybe", "Xong")],
)
def test_a_bad_answer_is_a_vietnamese_422_and_changes_nothing(client, item, officer, answer, note):
    resp = _answer(client, officer, item, answer, note)
    assert resp.status_code == 422
    assert 'role="alert"' in resp.content.decode()
    item.refresh_from_db()
    assert item.state == State.ESCALATED and not Message.objects.exists()
