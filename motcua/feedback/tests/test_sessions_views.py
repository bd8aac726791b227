"""Dialogue sessions' screens (issue 9 §3): roles, another commune → 404, NUL / over-long input →
a Vietnamese 4xx, the tablet's htmx fragments, the public notice page (no personal data), the
printed notice and report (phones masked, the previous session's results)."""

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.feedback import sessions as svc
from motcua.feedback.models import DialogueSession, FeedbackItem, Neighbourhood, SessionState, State
from motcua.org.models import CommuneProfile
from motcua.testing import make_staff

from .conftest import NOW

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _clock():
    with clock.pinned(NOW):
        yield


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def session(ward, setup, staff):
    plan = svc.Plan(
        neighbourhood_id=setup["neighbourhoods"][0].pk, title="Cà phê sáng tổ 1", starts_at="2026-02-10T07:30",
        place="Nhà văn hoá tổ 1", leader_ids=(staff["leader"].pk,),
    )  # fmt: skip
    return svc.session_plan(actor=staff["leader"], plan=plan, now=NOW)[0]


def _url(name, session, *args):
    return reverse(f"feedback_sessions:{name}", args=[session.pk, *args])


def test_neighbourhood_page_add_rename_deactivate(ward, setup, staff):
    c = _client(staff["admin"])
    url = reverse("feedback_sessions:neighbourhoods")
    assert "Tổ dân phố 1" in c.get(url).content.decode()
    assert c.post(url, {"name": "Khu phố Mới"}).status_code == 302
    place = Neighbourhood.objects.get(name="Khu phố Mới")
    resp = c.post(url, {"name": "khu phố mới"})
    assert resp.status_code == 409 and "Đã có tổ dân phố" in resp.content.decode()
    resp = c.post(url, {"name": "Khu\x00phố"})
    assert resp.status_code == 422 and "có ký tự không hợp lệ" in resp.content.decode()
    resp = c.post(url, {"name": "K" * 500})
    assert resp.status_code == 422 and "tối đa 100 ký tự" in resp.content.decode()
    edit = reverse("feedback_sessions:neighbourhood_update", args=[place.pk])
    assert c.post(edit, {"name": "Khu phố Đổi"}).status_code == 302
    assert c.post(edit, {"active": "0"}).status_code == 302
    place.refresh_from_db()
    assert (place.name, place.active) == ("Khu phố Đổi", False)
    assert _client(staff["specialist_econ"]).get(url).status_code == 403


def test_plan_publish_and_the_public_notice(ward, setup, staff):
    c = _client(staff["leader"])
    page = c.get(reverse("feedback_sessions:list")).content.decode()
    assert "Lên lịch buổi đối thoại" in page and staff["head_econ"].display_name in page
    resp = c.post(
        reverse("feedback_sessions:create"),
        {"neighbourhood": setup["neighbourhoods"][1].pk, "title": "Đối thoại tổ 2", "starts_at": "2026-02-13T19:00",
         "place": "Sân nhà ông Tư", "leaders": [staff["leader"].pk], "repeat": "weekly", "times": "2",
         "notice": "Kính mời"},
    )  # fmt: skip
    assert resp.status_code == 302
    first, _second = DialogueSession.objects.filter(title="Đối thoại tổ 2").order_by("starts_at")
    assert resp["Location"] == reverse("feedback_sessions:detail", args=[first.pk])
    public = reverse("feedback_sessions:calendar", args=[ward.code])
    assert "Đối thoại tổ 2" not in Client().get(public).content.decode()
    assert c.post(_url("publish", first)).status_code == 302
    body = Client().get(public).content.decode()
    assert "Đối thoại tổ 2" in body and "Sân nhà ông Tư" in body and staff["leader"].display_name in body
    assert "<script" not in body  # residents' pages carry no JavaScript
    assert Client().get(reverse("feedback_sessions:calendar", args=[99999])).status_code == 404
    notice = c.get(_url("notice", first)).content.decode()
    assert "THÔNG BÁO" in notice and "19 giờ 00, ngày 13/02/2026" in notice


def test_planning_errors_are_vietnamese_4xx(ward, setup, staff):
    c = _client(staff["admin"])
    base = {"neighbourhood": setup["neighbourhoods"][0].pk, "title": "Đối thoại", "starts_at": "2026-02-13T19:00",
            "place": "Nhà văn hoá"}  # fmt: skip
    for bad, message in (
        ({"title": "a\x00"}, "có ký tự không hợp lệ"),
        ({"place": "p" * 5000}, "tối đa 200 ký tự"),
    ):
        resp = c.post(reverse("feedback_sessions:create"), base | bad)
        assert resp.status_code == 422 and message in resp.content.decode()
    assert not DialogueSession.objects.exists()
    assert _client(staff["head_econ"]).post(reverse("feedback_sessions:create"), base).status_code == 403


def test_the_tablet_records_issues_and_ends_the_session(ward, setup, staff, session):
    c = _client(staff["leader"])
    page = c.get(_url("record", session)).content.decode()
    assert "Ghi nhận" in page and "Chiếu sáng" in page
    resp = c.post(_url("attendance", session), {"delta": "+1"}, **HX)
    assert resp.status_code == 200 and 'value="1"' in resp.content.decode()
    resp = c.post(_url("minutes", session), {"minutes": "Khai mạc lúc 7 giờ 30."}, **HX)
    assert "Đã lưu lúc" in resp.content.decode()
    category = setup["categories"]["chieu-sang"]
    resp = c.post(
        _url("issue", session),
        {"category": category.pk, "title": "Đèn hẻm 12 hỏng", "reporter_name": "Trần Văn Bình",
         "reporter_phone": "0905111222"},
        **HX,
    )  # fmt: skip
    body = resp.content.decode()
    assert resp.status_code == 200 and "Đèn hẻm 12 hỏng" in body
    assert "0905111222" not in body and "********22" in body
    item = FeedbackItem.objects.get(session=session)
    resp = c.post(_url("issue", session), {"category": category.pk, "title": "x\x00"}, **HX)
    assert resp.status_code == 422 and "không hợp lệ" in resp.content.decode()
    resp = c.post(_url("issue_act", session, item.pk, "resolve"), {"note": "Đã thay bóng"}, **HX)
    assert resp.status_code == 200
    item.refresh_from_db()
    assert item.state == State.RESOLVED and item.resolved_on_spot
    assert c.post(_url("finish", session)).status_code == 302
    session.refresh_from_db()
    assert session.state == SessionState.REPORTED
    CommuneProfile.objects.create(
        commune=ward, unit_name="Trung tâm", address="106 Hà Huy Tập", hotline="0236 3811 111"
    )
    report = c.get(_url("report", session)).content.decode()
    assert "106 Hà Huy Tập · ĐT: 0236 3811 111" in report and "PHƯỜNG THANH KHÊ" in report
    assert "Giao:" not in report  # resolved on the spot: never assigned
    assert (
        "BIÊN BẢN" in report and item.code in report and "********22" in report and "0905111222" not in report
    )
    assert "Khai mạc lúc 7 giờ 30." in report
    assert c.post(_url("attendance", session), {"delta": "+1"}).status_code == 409


def test_the_next_session_shows_the_previous_results(ward, setup, staff, session):
    issue = svc.RaisedIssue(category_id=setup["categories"]["chieu-sang"].pk, title="Đèn hẻm 12 hỏng")
    item = svc.session_raise_issue(actor=staff["leader"], session=session, issue=issue, now=NOW)
    svc.session_issue_act(actor=staff["leader"], session=session, item_id=item.pk, action="resolve",
                          note="Đã thay bóng đèn", now=NOW)  # fmt: skip
    svc.session_finish(actor=staff["leader"], session=session, now=NOW)
    plan = svc.Plan(neighbourhood_id=setup["neighbourhoods"][0].pk, title="Buổi sau", starts_at="2026-03-10T07:30",
                    place="Nhà văn hoá tổ 1")  # fmt: skip
    later = svc.session_plan(actor=staff["leader"], plan=plan, now=NOW)[0]
    c = _client(staff["leader"])
    for name in ("record", "report"):
        body = c.get(_url(name, later)).content.decode()
        assert "Kết quả xử lý các ý kiến buổi trước" in body
        assert "Đèn hẻm 12 hỏng" in body and "Đã thay bóng đèn" in body and "Đã giải quyết" in body


def test_roles_and_another_commune(ward, setup, staff, session, other_ward):
    theirs = make_staff(other_ward, prefix="ak_")
    for user in theirs.values():
        c = _client(user)
        for name in ("detail", "record", "report", "notice"):
            assert c.get(_url(name, session)).status_code in (403, 404), (user, name)
        assert c.post(_url("attendance", session), {"delta": "+1"}).status_code in (403, 404)
        assert c.post(_url("publish", session)).status_code in (403, 404)
    for role in ("specialist_econ", "counter"):
        assert _client(staff[role]).get(_url("record", session)).status_code == 403
    # the administrator plans and publishes but does not record
    assert _client(staff["admin"]).get(_url("record", session)).status_code == 403
    assert _client(staff["admin"]).get(_url("detail", session)).status_code == 200
    assert Client().get(_url("record", session)).status_code == 302  # to the login page
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED and session.published_at is None


def test_the_report_hides_reporters_names_from_who_does_not_handle_them(ward, setup, staff, session):
    """The reporter's name on the printed report: the session's recording leaders and the item's
    department see it; the commune's administrator and another department's head see «(đã ẩn)»."""
    issue = svc.RaisedIssue(category_id=setup["categories"]["an-ninh"].pk, title="Đèn hẻm 12 hỏng",
                            reporter_name="Trần Văn Bình", reporter_phone="0905111222")  # fmt: skip
    item = svc.session_raise_issue(actor=staff["leader"], session=session, issue=issue, now=NOW)
    seen = {}
    for role in ("leader", "admin", "head_econ"):
        body = _client(staff[role]).get(_url("report", session)).content.decode()
        assert "0905111222" not in body and "Đèn hẻm 12 hỏng" in body
        seen[role] = "Trần Văn Bình" in body, "(đã ẩn)" in body
    assert seen == {"leader": (True, False), "admin": (False, True), "head_econ": (False, True)}
    # once given to the economic department (the category's is the office), its head sees the name
    FeedbackItem.objects.filter(pk=item.pk).update(department=staff["head_econ"].department)
    body = _client(staff["head_econ"]).get(_url("report", session)).content.decode()
    assert "Trần Văn Bình" in body and "(đã ẩn)" not in body


def test_ending_the_session_carries_the_count_and_minutes_on_the_screen(ward, setup, staff, session):
    """An autosave still on its way must not be overtaken by the report: «Kết thúc» sends what the
    screen shows (session.js fills the form's hidden fields); a bad value refuses and ends nothing."""
    c = _client(staff["leader"])
    page = c.get(_url("record", session)).content.decode()
    assert 'name="count" value=""' in page and 'name="minutes" value=""' in page
    resp = c.post(_url("finish", session), {"count": "abc", "minutes": "x"})
    assert resp.status_code == 422
    session.refresh_from_db()
    assert session.state != SessionState.REPORTED and session.attendance is None
    resp = c.post(_url("finish", session), {"count": "40", "minutes": "Khai mạc 7 giờ 30."})
    assert resp.status_code == 302
    session.refresh_from_db()
    assert (session.state, session.attendance, session.minutes) == (
        SessionState.REPORTED,
        40,
        "Khai mạc 7 giờ 30.",
    )
