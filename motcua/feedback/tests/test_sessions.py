"""Dialogue sessions' services (issue 9 §3): neighbourhoods, planning a series, recording on the
day (PLANNED → HELD on the first thing recorded), issues through feedback_create and
feedback_apply, ending (→ REPORTED), the previous session's results."""

import datetime as dt

import pytest

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.feedback import sessions as svc
from motcua.feedback.models import Channel, DialogueSession, FeedbackEvent, SessionState, State
from motcua.testing import make_staff

from .conftest import NOW


def _plan(setup, staff, **kw):
    values = {
        "neighbourhood_id": setup["neighbourhoods"][0].pk,
        "title": "Cà phê sáng với lãnh đạo phường",
        "starts_at": "2026-02-12T07:30",
        "place": "Nhà văn hoá tổ 1",
        "notice": "Kính mời bà con đến dự.",
        "leader_ids": (str(staff["leader"].pk), str(staff["head_econ"].pk)),
    } | kw
    return svc.Plan(**values)


@pytest.fixture
def session(ward, setup, staff):
    return svc.session_plan(actor=staff["leader"], plan=_plan(setup, staff), now=NOW)[0]


def _raise(session, setup, staff, title="Đèn đường hẻm 12 bị hỏng", **kw):
    issue = svc.RaisedIssue(category_id=setup["categories"]["chieu-sang"].pk, title=title, **kw)
    return svc.session_raise_issue(actor=staff["leader"], session=session, issue=issue, now=NOW)


# neighbourhoods ------------------------------------------------------------------------------


def test_neighbourhoods_add_rename_deactivate_unique_and_cleaned(ward, setup, staff):
    admin = staff["admin"]
    place = svc.neighbourhood_create(actor=admin, name="  Tổ dân phố   9 ")
    assert place.name == "Tổ dân phố 9" and place.commune == ward
    with pytest.raises(Conflict):
        svc.neighbourhood_create(actor=admin, name="tổ dân phố 9")
    with pytest.raises(Conflict):
        svc.neighbourhood_rename(actor=admin, neighbourhood=place, name="Tổ dân phố 1")
    svc.neighbourhood_rename(actor=staff["leader"], neighbourhood=place, name="Tổ dân phố 10")
    svc.neighbourhood_set_active(actor=admin, neighbourhood=place, active=False)
    place.refresh_from_db()
    assert (place.name, place.active) == ("Tổ dân phố 10", False)
    with pytest.raises(ValidationFailed, match="không hợp lệ"):
        svc.neighbourhood_create(actor=admin, name="Tổ\x00 11")
    with pytest.raises(ValidationFailed, match="tối đa 100"):
        svc.neighbourhood_create(actor=admin, name="T" * 101)
    with pytest.raises(ValidationFailed):
        svc.neighbourhood_create(actor=admin, name="   ")
    with pytest.raises(NotAllowed):
        svc.neighbourhood_create(actor=staff["head_econ"], name="Tổ dân phố 12")


def test_another_communes_neighbourhood_is_not_found(ward, setup, staff, other_ward):
    theirs = make_staff(other_ward, prefix="ak_")
    with pytest.raises(NotFound):
        svc.neighbourhood_rename(actor=theirs["admin"], neighbourhood=setup["neighbourhoods"][0], name="X")
    with pytest.raises(NotFound):
        svc.neighbourhood_get_for(user=theirs["admin"], pk=setup["neighbourhoods"][0].pk)


# planning ------------------------------------------------------------------------------------


def test_plan_a_session_with_its_leaders(session, staff):
    assert session.state == SessionState.PLANNED and session.published_at is None
    assert session.starts_at == dt.datetime(2026, 2, 12, 7, 30, tzinfo=NOW.tzinfo)
    assert set(session.leaders.all()) == {staff["leader"], staff["head_econ"]}
    svc.session_publish(actor=staff["admin"], session=session, now=NOW)
    assert list(svc.public_upcoming(commune=session.commune, now=NOW)) == [session]


def test_weekly_and_monthly_series(ward, setup, staff):
    weekly = svc.session_plan(
        actor=staff["leader"], plan=_plan(setup, staff, repeat="weekly", times="4"), now=NOW
    )
    assert [s.starts_at.date() for s in weekly] == [
        dt.date(2026, 2, 12), dt.date(2026, 2, 19), dt.date(2026, 2, 26), dt.date(2026, 3, 5),
    ]  # fmt: skip
    monthly = svc.session_plan(
        actor=staff["admin"], plan=_plan(setup, staff, starts_at="2026-01-31T19:00", repeat="monthly", times=3),
        now=dt.datetime(2026, 1, 20, 8, 0, tzinfo=NOW.tzinfo),
    )  # fmt: skip
    assert [s.starts_at.date() for s in monthly] == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
    ]
    with pytest.raises(ValidationFailed, match="từ 1 đến 12"):
        svc.session_plan(actor=staff["leader"], plan=_plan(setup, staff, repeat="weekly", times=13), now=NOW)


def test_planning_refuses_bad_input(ward, setup, staff, other_ward):
    leader = staff["leader"]
    for kw, message in (
        ({"title": "Đối thoại\x00"}, "không hợp lệ"),
        ({"title": "Đ" * 201}, "tối đa 200"),
        ({"place": ""}, "Hãy nhập địa điểm"),
        ({"starts_at": "31/02/2026 07:30"}, "Thời gian không hợp lệ"),
        ({"starts_at": "2025-01-01T07:30"}, "đã qua"),
        ({"leader_ids": (str(staff["specialist_econ"].pk),)}, "Lãnh đạo dự"),
        ({"leader_ids": ("abc",)}, "không hợp lệ"),
        ({"neighbourhood_id": "999999"}, "tổ dân phố"),
        ({"repeat": "daily"}, "lặp lại"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            svc.session_plan(actor=leader, plan=_plan(setup, staff, **kw), now=NOW)
    theirs = make_staff(other_ward, prefix="ak_")
    with pytest.raises(ValidationFailed, match="Lãnh đạo dự"):
        svc.session_plan(
            actor=leader, plan=_plan(setup, staff, leader_ids=(str(theirs["leader"].pk),)), now=NOW
        )
    with pytest.raises(NotAllowed):
        svc.session_plan(actor=staff["head_econ"], plan=_plan(setup, staff), now=NOW)
    assert not DialogueSession.objects.exists()


# on the day ----------------------------------------------------------------------------------


def test_first_thing_recorded_holds_the_session(session, staff):
    svc.session_set_attendance(actor=staff["leader"], session=session, delta="+1", now=NOW)
    session.refresh_from_db()
    assert (session.state, session.held_at, session.attendance) == (SessionState.HELD, NOW, 1)
    svc.session_set_attendance(actor=staff["leader"], session=session, count="42", now=NOW)
    svc.session_set_attendance(actor=staff["leader"], session=session, delta="-1", now=NOW)
    svc.session_save_minutes(actor=staff["leader"], session=session, minutes="Ông Bình nêu ý kiến…", now=NOW)
    session.refresh_from_db()
    assert (session.attendance, session.minutes) == (41, "Ông Bình nêu ý kiến…")
    with pytest.raises(ValidationFailed):
        svc.session_set_attendance(actor=staff["leader"], session=session, count="-3", now=NOW)
    with pytest.raises(ValidationFailed, match="không hợp lệ"):
        svc.session_save_minutes(actor=staff["leader"], session=session, minutes="a\x00b", now=NOW)
    with pytest.raises(ValidationFailed, match="tối đa 20000"):
        svc.session_save_minutes(actor=staff["leader"], session=session, minutes="a" * 20001, now=NOW)


def test_issues_raised_assigned_resolved_then_reported(session, setup, staff):
    first = _raise(session, setup, staff, reporter_name="Trần Văn Bình", reporter_phone="0905 111 222")
    session.refresh_from_db()
    assert session.state == SessionState.HELD
    assert (first.channel, first.session, first.neighbourhood, first.created_by) == (
        Channel.SESSION, session, session.neighbourhood, staff["leader"],
    )  # fmt: skip
    second = _raise(session, setup, staff, title="Rác tồn đọng đầu kiệt 45")
    svc.session_issue_act(actor=staff["leader"], session=session, item_id=first.pk, action="resolve",
                          note="Đã cử tổ điện thay bóng ngay chiều nay", now=NOW)  # fmt: skip
    svc.session_issue_act(actor=staff["leader"], session=session, item_id=second.pk, action="assign",
                          department_id=str(staff["head_econ"].department_id), now=NOW)  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.resolved_on_spot) == (State.RESOLVED, True)
    assert (second.state, second.department) == (State.ASSIGNED, staff["head_econ"].department)
    assert FeedbackEvent.objects.filter(item=first).count() == 2
    third = _raise(session, setup, staff, title="Hố ga kiệt 7 bị vỡ nắp")
    with pytest.raises(ValidationFailed):  # resolving on the spot needs a note
        svc.session_issue_act(
            actor=staff["leader"], session=session, item_id=third.pk, action="resolve", now=NOW
        )
    with pytest.raises(Conflict):  # an assigned item is no longer resolved on the spot
        svc.session_issue_act(
            actor=staff["leader"], session=session, item_id=second.pk, action="resolve", note="x", now=NOW
        )
    with pytest.raises(NotFound):
        svc.session_issue_act(
            actor=staff["leader"], session=session, item_id=second.pk, action="delete", now=NOW
        )
    svc.session_finish(actor=staff["leader"], session=session, now=NOW)
    session.refresh_from_db()
    assert (session.state, session.reported_at) == (SessionState.REPORTED, NOW)
    with pytest.raises(Conflict):
        _raise(session, setup, staff)


def test_who_records(session, setup, staff, other_ward):
    with pytest.raises(NotAllowed):  # a specialist does not record at the session
        svc.session_set_attendance(actor=staff["specialist_econ"], session=session, count="3", now=NOW)
    with pytest.raises(NotAllowed):  # the administrator plans, does not record
        _raise(session, setup, {"leader": staff["admin"]})
    # a department head attending the session records
    svc.session_set_attendance(actor=staff["head_econ"], session=session, count="3", now=NOW)
    theirs = make_staff(other_ward, prefix="ak_")
    with pytest.raises(NotFound):
        svc.session_get_for(user=theirs["leader"], pk=session.pk)
    with pytest.raises(NotAllowed):
        svc.session_finish(actor=theirs["leader"], session=session, now=NOW)


def test_raised_issue_refuses_bad_input(session, setup, staff):
    for kw, message in (
        ({"title": ""}, "Hãy nhập nội dung"),
        ({"title": "x\x00"}, "không hợp lệ"),
        ({"title": "x" * 201}, "tối đa 200"),
        ({"reporter_phone": "12345"}, "10 chữ số"),
        ({"reporter_name": "N" * 151}, "tối đa 150"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            _raise(session, setup, staff, **kw)
    with pytest.raises(ValidationFailed, match="lĩnh vực"):
        svc.session_raise_issue(
            actor=staff["leader"], session=session, issue=svc.RaisedIssue(category_id="0", title="x"), now=NOW
        )
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED and not session.items.exists()


def test_previous_session_of_the_same_neighbourhood(session, setup, staff):
    item = _raise(session, setup, staff)
    svc.session_finish(actor=staff["leader"], session=session, now=NOW)
    later = svc.session_plan(
        actor=staff["leader"], plan=_plan(setup, staff, starts_at="2026-03-12T07:30"), now=NOW
    )[0]
    elsewhere = svc.session_plan(
        actor=staff["leader"],
        plan=_plan(
            setup, staff, starts_at="2026-03-01T07:30", neighbourhood_id=setup["neighbourhoods"][1].pk
        ),
        now=NOW,
    )[0]
    assert svc.previous_session(later) == session
    assert svc.previous_session(session) is None and svc.previous_session(elsewhere) is None
    assert list(svc.session_issues(svc.previous_session(later))) == [item]


def test_the_resident_who_left_a_phone_is_told_at_each_step(session, setup, staff):
    from motcua.notify.models import Message

    item = _raise(session, setup, staff, reporter_name="Trần Văn Bình", reporter_phone="0905111222")
    silent = _raise(session, setup, staff, title="Rác tồn đầu kiệt 45")
    svc.session_issue_act(actor=staff["leader"], session=session, item_id=item.pk, action="assign",
                          department_id=staff["head_econ"].department_id, now=NOW)  # fmt: skip
    svc.session_issue_act(actor=staff["leader"], session=session, item_id=silent.pk, action="resolve",
                          note="Đã thu gom ngay", now=NOW)  # fmt: skip
    told = list(Message.objects.filter(recipient="0905111222").order_by("id").values_list("topic", "body"))
    assert [topic for topic, _ in told] == ["feedback.create", "feedback.assign"]
    assert all(item.code in body for _, body in told)
    assert Message.objects.count() == 2  # nobody to tell for the issue raised without a phone
