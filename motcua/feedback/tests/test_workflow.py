"""The transition table of `workflow.feedback_apply` (issue 9 §2), step by step: which states
each step leaves from, who may take it (roles, departments, communes, the province, the reporter,
the timers), what each effect checks, and that every step writes exactly one event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.feedback.models import Channel, FeedbackEvent, FeedbackItem, State
from motcua.feedback.services import Reporter, deadline_for, feedback_create
from motcua.feedback.workflow import TRANSITIONS, Action, Actor, allowed_actions, feedback_apply
from motcua.geo.models import Province
from motcua.org.models import DepartmentKind, Role, User
from motcua.testing import make_commune, make_feedback_setup, make_staff, make_user

from .conftest import NOW

A = Action
S = State
STAFF_STEPS = [a for a, t in TRANSITIONS.items() if t.roles]


def _data_for(
    action: Action, staff: dict[str, User], original: FeedbackItem | None = None
) -> dict[str, object]:
    return {
        A.ASSIGN: {"department": staff["head_econ"].department},
        A.DUPLICATE: {"original": original},
        A.RATE: {"rating": 4},
    }.get(action, {"note": "Nội dung xử lý"})


@pytest.fixture
def people(ward, staff, setup):
    out = dict(staff)
    out["head_office"] = make_user(ward, Role.DEPARTMENT_HEAD, "tp_vanphong", DepartmentKind.OFFICE)
    out["province"] = User.objects.create_user(
        username="sonoivu", password="x-thu-nghiem", full_name="Sở Nội vụ", role=Role.PROVINCE_OFFICER,
        province=ward.province,
    )  # fmt: skip
    other_province = Province.objects.create(code=1, name="Thành phố Hà Nội", codename="ha_noi")
    out["other_province"] = User.objects.create_user(
        username="hanoi", password="x-thu-nghiem", full_name="Hà Nội", role=Role.PROVINCE_OFFICER,
        province=other_province,
    )  # fmt: skip
    return out


def _new(ward, setup, people, category="chieu-sang", **kw) -> FeedbackItem:
    return feedback_create(
        commune=ward, channel=Channel.HOTLINE, category=setup["categories"][category],
        title="Đèn đường hẻm 12 bị hỏng", now=NOW, reporter=Reporter(phone="0905111222"),
        actor=people["counter"], **kw,
    )  # fmt: skip


def _to(state: str, ward, setup, people, category="chieu-sang") -> FeedbackItem:
    """An item of the economic department brought to `state` the usual way."""
    item = _new(ward, setup, people, category)
    leader = people["leader"]
    path = {
        S.NEW: [],
        S.ASSIGNED: [A.ASSIGN],
        S.IN_PROGRESS: [A.ASSIGN, A.START],
        S.RESOLVED: [A.ASSIGN, A.START, A.RESOLVE],
        S.CLOSED: [A.ASSIGN, A.START, A.RESOLVE, A.CLOSE],
        S.REJECTED: [A.REJECT],
        S.DUPLICATE: [A.DUPLICATE],
        S.ESCALATED: [A.ESCALATE],
    }[state]
    for action in path:
        original = _new(ward, setup, people) if action == A.DUPLICATE else None
        feedback_apply(
            item=item, action=action, actor=leader, now=NOW, data=_data_for(action, people, original)
        )
    item.refresh_from_db()
    assert item.state == state
    return item


# ------------------------------------------------------------------ states: every staff step from every state


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", STAFF_STEPS)
def test_every_staff_step_from_every_state(ward, setup, people, state, action):
    """The leader may take every staff step; it works exactly from the step's source states,
    otherwise a Conflict changes nothing."""
    item = _to(state, ward, setup, people)
    events = item.events.count()
    t = TRANSITIONS[action]
    original = _new(ward, setup, people)
    data = _data_for(action, people, original)
    if state in t.sources:
        event = feedback_apply(item=item, action=action, actor=people["leader"], now=NOW, data=data)
        item.refresh_from_db()
        assert item.state == (t.target or state)
        assert (event.action, event.from_state, event.to_state) == (action, state, item.state)
        assert item.events.count() == events + 1
    else:
        with pytest.raises(Conflict):
            feedback_apply(item=item, action=action, actor=people["leader"], now=NOW, data=data)
        item.refresh_from_db()
        assert item.state == state and item.events.count() == events


def test_unknown_action(ward, setup, people):
    item = _new(ward, setup, people)
    with pytest.raises(ValidationFailed):
        feedback_apply(item=item, action="explode", actor=people["leader"], now=NOW)


# ------------------------------------------------------------------ roles


def test_assign_by_heads(ward, setup, people):
    item = _new(ward, setup, people)  # chiếu sáng: the economic department's by default
    econ = people["head_econ"].department
    # A department head assigns within their own department only…
    with pytest.raises(NotAllowed):
        feedback_apply(item=item, action=A.ASSIGN, actor=people["head_econ"], now=NOW,
                       data={"department": people["head_office"].department})  # fmt: skip
    # …and never takes another department's item.
    with pytest.raises(NotAllowed):
        feedback_apply(item=item, action=A.ASSIGN, actor=people["head_office"], now=NOW,
                       data={"department": people["head_office"].department})  # fmt: skip
    event = feedback_apply(item=item, action=A.ASSIGN, actor=people["head_econ"], now=NOW,
                           data={"assignee": people["specialist_econ"]})  # fmt: skip
    item.refresh_from_db()
    assert (item.department, item.assignee, item.state) == (econ, people["specialist_econ"], S.ASSIGNED)
    assert (event.actor, event.department, event.assignee) == (
        people["head_econ"], econ, people["specialist_econ"])  # fmt: skip


def test_head_takes_an_unassigned_item(ward, setup, people):
    item = _new(ward, setup, people, category="khac")  # no default department
    assert item.department is None
    feedback_apply(item=item, action=A.ASSIGN, actor=people["head_office"], now=NOW,
                   data={"department": people["head_office"].department})  # fmt: skip
    item.refresh_from_db()
    assert item.department == people["head_office"].department


@pytest.mark.parametrize("who", ["specialist_econ", "counter", "admin"])
def test_only_heads_assign(ward, setup, people, who):
    item = _new(ward, setup, people)
    with pytest.raises(NotAllowed):
        feedback_apply(item=item, action=A.ASSIGN, actor=people[who], now=NOW,
                       data={"department": people["head_econ"].department})  # fmt: skip


def test_assign_checks_target(ward, setup, people, other_ward):
    item = _new(ward, setup, people)
    theirs = make_staff(other_ward, prefix="ak_")
    bad = [
        {},
        {"department": theirs["head_econ"].department},
        {"assignee": theirs["specialist_econ"]},
        {"assignee": people["counter"]},  # not a handler
        {"department": people["head_econ"].department, "assignee": people["specialist_office"]},
    ]
    for data in bad:
        with pytest.raises(ValidationFailed):
            feedback_apply(item=item, action=A.ASSIGN, actor=people["leader"], now=NOW, data=data)
    closed = people["head_office"].department
    closed.closed_at = NOW
    closed.save()
    with pytest.raises(ValidationFailed):
        feedback_apply(
            item=item, action=A.ASSIGN, actor=people["leader"], now=NOW, data={"department": closed}
        )
    inactive = people["specialist_econ"]
    inactive.is_active = False
    inactive.save()
    with pytest.raises(ValidationFailed):
        feedback_apply(
            item=item, action=A.ASSIGN, actor=people["leader"], now=NOW, data={"assignee": inactive}
        )
    item.refresh_from_db()
    assert item.state == S.NEW and item.events.count() == 1


def test_assign_person_alone_takes_their_department(ward, setup, people):
    item = _new(ward, setup, people, category="khac")
    feedback_apply(item=item, action=A.ASSIGN, actor=people["leader"], now=NOW,
                   data={"assignee": people["specialist_office"]})  # fmt: skip
    item.refresh_from_db()
    assert item.department == people["specialist_office"].department


@pytest.mark.parametrize("action", [A.START, A.RESOLVE])
def test_department_work(ward, setup, people, action):
    state = S.ASSIGNED if action == A.START else S.IN_PROGRESS
    item = _to(state, ward, setup, people)
    for outsider in ("specialist_office", "head_office", "counter", "admin"):
        with pytest.raises(NotAllowed):
            feedback_apply(item=item, action=action, actor=people[outsider], now=NOW, data={"note": "x"})
    event = feedback_apply(item=item, action=action, actor=people["specialist_econ"], now=NOW,
                           data={"note": "Đã thay bóng đèn"})  # fmt: skip
    assert event.actor == people["specialist_econ"]


def test_resolve_needs_a_note_and_records_it(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    for note in ("", "   "):
        with pytest.raises(ValidationFailed):
            feedback_apply(
                item=item, action=A.RESOLVE, actor=people["head_econ"], now=NOW, data={"note": note}
            )
    with pytest.raises(ValidationFailed):
        feedback_apply(
            item=item, action=A.RESOLVE, actor=people["head_econ"], now=NOW, data={"note": "a\x00b"}
        )
    with pytest.raises(ValidationFailed):
        feedback_apply(
            item=item, action=A.RESOLVE, actor=people["head_econ"], now=NOW, data={"note": "x" * 2001}
        )
    feedback_apply(item=item, action=A.RESOLVE, actor=people["head_econ"], now=NOW, data={"note": "Đã sửa"})
    item.refresh_from_db()
    assert (item.resolution, item.resolved_at, item.resolved_on_spot) == ("Đã sửa", NOW, False)


@pytest.mark.parametrize("who", ["counter", "specialist_office", "head_econ", "leader"])
def test_resolve_on_spot_by_intake(ward, setup, people, who):
    item = _new(ward, setup, people)
    feedback_apply(item=item, action=A.RESOLVE_ON_SPOT, actor=people[who], now=NOW,
                   data={"note": "Đã hướng dẫn tại chỗ"})  # fmt: skip
    item.refresh_from_db()
    assert item.state == S.RESOLVED and item.resolved_on_spot


def test_counter_officer_only_intake(ward, setup, people):
    item = _new(ward, setup, people)
    assert [t.action for t in allowed_actions(item, people["counter"])] == [A.RESOLVE_ON_SPOT]
    for action in (A.ASSIGN, A.REJECT, A.DUPLICATE, A.ESCALATE):
        with pytest.raises(NotAllowed):
            feedback_apply(item=item, action=action, actor=people["counter"], now=NOW,
                           data=_data_for(action, people, _new(ward, setup, people)))  # fmt: skip
    with pytest.raises(NotAllowed):  # the administrator does not handle feedback
        feedback_apply(
            item=item, action=A.RESOLVE_ON_SPOT, actor=people["admin"], now=NOW, data={"note": "x"}
        )


@pytest.mark.parametrize("action", [A.REJECT, A.DUPLICATE, A.CLOSE])
def test_head_steps_within_own_department(ward, setup, people, action):
    item = _to(S.RESOLVED if action == A.CLOSE else S.ASSIGNED, ward, setup, people)
    data = _data_for(action, people, _new(ward, setup, people))
    for who in ("head_office", "specialist_econ", "counter"):
        with pytest.raises(NotAllowed):
            feedback_apply(item=item, action=action, actor=people[who], now=NOW, data=data)
    feedback_apply(item=item, action=action, actor=people["head_econ"], now=NOW, data=data)


def test_only_leader_escalates(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    for who in ("head_econ", "specialist_econ", "counter"):
        with pytest.raises(NotAllowed):
            feedback_apply(item=item, action=A.ESCALATE, actor=people[who], now=NOW, data={"note": "x"})
    with pytest.raises(ValidationFailed):
        feedback_apply(item=item, action=A.ESCALATE, actor=people["leader"], now=NOW, data={"note": ""})
    feedback_apply(item=item, action=A.ESCALATE, actor=people["leader"], now=NOW,
                   data={"note": "Vượt thẩm quyền: tuyến đường tỉnh"})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.escalated_at, item.escalation_reason) == (
        S.ESCALATED, NOW, "Vượt thẩm quyền: tuyến đường tỉnh")  # fmt: skip


def test_another_commune_may_do_nothing(ward, setup, people, other_ward):
    theirs = make_staff(other_ward, prefix="ak_")
    item = _to(S.IN_PROGRESS, ward, setup, people)
    for action in STAFF_STEPS:
        for who in theirs.values():
            with pytest.raises(NotAllowed):
                feedback_apply(item=item, action=action, actor=who, now=NOW,
                               data=_data_for(action, people, _new(ward, setup, people)))  # fmt: skip
    assert item.events.count() == 3  # create, assign, start


def test_inactive_user_may_do_nothing(ward, setup, people):
    item = _new(ward, setup, people)
    leader = people["leader"]
    leader.is_active = False
    leader.save()
    with pytest.raises(NotAllowed):
        feedback_apply(item=item, action=A.REJECT, actor=leader, now=NOW, data={"note": "x"})


def test_staff_steps_need_an_actor(ward, setup, people):
    item = _new(ward, setup, people)
    with pytest.raises(NotAllowed):
        feedback_apply(item=item, action=A.REJECT, actor=None, now=NOW, data={"note": "x"})
    for as_ in (Actor.REPORTER, Actor.SYSTEM, Actor.PROVINCE):
        with pytest.raises(NotAllowed):
            feedback_apply(item=item, action=A.REJECT, actor=people["leader"], as_=as_, now=NOW,
                           data={"note": "x"})  # fmt: skip


def test_allowed_actions_follow_roles(ward, setup, people):
    item = _to(S.ASSIGNED, ward, setup, people)
    names = {who: {t.action for t in allowed_actions(item, people[who])} for who in people}
    assert names["leader"] == {A.ASSIGN, A.START, A.RESOLVE, A.REJECT, A.DUPLICATE, A.ESCALATE}
    assert names["head_econ"] == {A.ASSIGN, A.START, A.RESOLVE, A.REJECT, A.DUPLICATE}
    assert names["specialist_econ"] == {A.START, A.RESOLVE}
    assert names["head_office"] == names["specialist_office"] == names["counter"] == set()
    assert names["admin"] == names["province"] == set()


# ------------------------------------------------------------------ duplicate


def test_duplicate_originals(ward, setup, people, other_ward):
    item = _new(ward, setup, people)
    theirs = feedback_create(
        commune=other_ward, channel=Channel.HOTLINE, category=make_feedback_setup(other_ward)["categories"]["khac"],
        title="x", now=NOW,
    )  # fmt: skip
    dup = _to(S.DUPLICATE, ward, setup, people)
    for original in (None, "PA-1", theirs, item, dup):
        with pytest.raises(ValidationFailed):
            feedback_apply(item=item, action=A.DUPLICATE, actor=people["leader"], now=NOW,
                           data={"original": original})  # fmt: skip
    original = _to(S.RESOLVED, ward, setup, people)
    event = feedback_apply(item=item, action=A.DUPLICATE, actor=people["leader"], now=NOW,
                           data={"original": original})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.duplicate_of, item.closed_at) == (S.DUPLICATE, original, NOW)
    assert event.note == f"Trùng với {original.code}"


def test_reject_records_reason(ward, setup, people):
    item = _new(ward, setup, people)
    with pytest.raises(ValidationFailed):
        feedback_apply(item=item, action=A.REJECT, actor=people["leader"], now=NOW)
    event = feedback_apply(item=item, action=A.REJECT, actor=people["leader"], now=NOW,
                           data={"note": "Không thuộc thẩm quyền"})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.closed_at, event.note) == (S.REJECTED, NOW, "Không thuộc thẩm quyền")


# ------------------------------------------------------------------ province


def test_province_resolve_and_return(ward, setup, people):
    item = _to(S.ESCALATED, ward, setup, people)
    for actor in (people["leader"], people["other_province"], None):
        with pytest.raises(NotAllowed):
            feedback_apply(item=item, action=A.PROVINCE_RESOLVE, actor=actor, as_=Actor.PROVINCE, now=NOW,
                           data={"note": "x"})  # fmt: skip
    with pytest.raises(NotAllowed):  # the province's steps are not staff steps of the commune
        feedback_apply(
            item=item, action=A.PROVINCE_RETURN, actor=people["province"], now=NOW, data={"note": "x"}
        )
    later = NOW + dt.timedelta(days=2)
    event = feedback_apply(item=item, action=A.PROVINCE_RETURN, actor=people["province"], as_=Actor.PROVINCE,
                           now=later, data={"note": "Xã tự sửa, tỉnh hỗ trợ kinh phí"})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.province_answer, item.province_answered_at, item.province_answered_by) == (
        S.ASSIGNED, "Xã tự sửa, tỉnh hỗ trợ kinh phí", later, people["province"])  # fmt: skip
    assert event.actor == people["province"]

    other = _to(S.ESCALATED, ward, setup, people)
    feedback_apply(item=other, action=A.PROVINCE_RESOLVE, actor=people["province"], as_=Actor.PROVINCE,
                   now=later, data={"note": "Sở GTVT đã sửa"})  # fmt: skip
    other.refresh_from_db()
    assert (other.state, other.resolution, other.resolved_at) == (S.RESOLVED, "Sở GTVT đã sửa", later)


def test_province_only_on_escalated(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.PROVINCE_RESOLVE, actor=people["province"], as_=Actor.PROVINCE,
                       now=NOW, data={"note": "x"})  # fmt: skip


# ------------------------------------------------------------------ the reporter: reopen, rate


@override_settings(MOTCUA_FEEDBACK_REOPEN_DAYS=7)
@pytest.mark.parametrize("state", [S.RESOLVED, S.CLOSED])
def test_reopen_window(ward, setup, people, state):
    item = _to(state, ward, setup, people)
    with pytest.raises(NotAllowed):  # staff cannot reopen on the reporter's behalf
        feedback_apply(item=item, action=A.REOPEN, actor=people["leader"], now=NOW, data={"note": "x"})
    with pytest.raises(ValidationFailed):
        feedback_apply(item=item, action=A.REOPEN, actor=None, as_=Actor.REPORTER, now=NOW)
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.REOPEN, actor=None, as_=Actor.REPORTER,
                       now=NOW + dt.timedelta(days=7, seconds=1), data={"note": "Đèn lại hỏng"})  # fmt: skip
    event = feedback_apply(item=item, action=A.REOPEN, actor=None, as_=Actor.REPORTER,
                           now=NOW + dt.timedelta(days=7), data={"note": "Đèn lại hỏng"})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.reopened_count, item.resolved_at, item.closed_at) == (
        S.IN_PROGRESS,
        1,
        None,
        None,
    )
    assert (event.actor, event.actor_label) == (None, "Người phản ánh")


@override_settings(MOTCUA_FEEDBACK_REOPEN_DAYS=2)
def test_reopen_window_follows_setting(ward, setup, people):
    item = _to(S.RESOLVED, ward, setup, people)
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.REOPEN, actor=None, as_=Actor.REPORTER,
                       now=NOW + dt.timedelta(days=3), data={"note": "x"})  # fmt: skip


def test_reporter_step_never_records_a_staff_user(ward, setup, people):
    item = _to(S.RESOLVED, ward, setup, people)
    event = feedback_apply(item=item, action=A.RATE, actor=people["leader"], as_=Actor.REPORTER, now=NOW,
                           data={"rating": 3})  # fmt: skip
    assert (event.actor, event.actor_label) == (None, "Người phản ánh")


@pytest.mark.parametrize("bad", [0, 6, -1, None, "", "abc", True, 4.5, "6"])
def test_rate_bad_values(ward, setup, people, bad):
    item = _to(S.RESOLVED, ward, setup, people)
    with pytest.raises(ValidationFailed):
        feedback_apply(
            item=item, action=A.RATE, actor=None, as_=Actor.REPORTER, now=NOW, data={"rating": bad}
        )


def test_rate_once(ward, setup, people):
    item = _to(S.CLOSED, ward, setup, people)
    with pytest.raises(ValidationFailed):  # the comment fits its column (500)
        feedback_apply(item=item, action=A.RATE, actor=None, as_=Actor.REPORTER, now=NOW,
                       data={"rating": 5, "note": "x" * 501})  # fmt: skip
    event = feedback_apply(item=item, action=A.RATE, actor=None, as_=Actor.REPORTER, now=NOW,
                           data={"rating": "5", "note": "Nhanh"})  # fmt: skip
    item.refresh_from_db()
    assert (item.state, item.rating, item.rating_comment, event.note) == (S.CLOSED, 5, "Nhanh", "5/5 — Nhanh")
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.RATE, actor=None, as_=Actor.REPORTER, now=NOW, data={"rating": 1})
    item.refresh_from_db()
    assert item.rating == 5


def test_rate_not_before_resolution(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.RATE, actor=None, as_=Actor.REPORTER, now=NOW, data={"rating": 5})


# ------------------------------------------------------------------ timers


def test_flag_near_deadline_once(ward, setup, people):
    item = _to(S.ASSIGNED, ward, setup, people)
    with pytest.raises(NotAllowed):
        feedback_apply(item=item, action=A.FLAG_NEAR_DEADLINE, actor=people["leader"], now=NOW)
    event = feedback_apply(item=item, action=A.FLAG_NEAR_DEADLINE, actor=None, as_=Actor.SYSTEM, now=NOW)
    item.refresh_from_db()
    assert (item.state, item.near_deadline_at) == (S.ASSIGNED, NOW)
    assert (event.actor, event.actor_label, event.from_state, event.to_state) == (
        None, "Hệ thống", S.ASSIGNED, S.ASSIGNED)  # fmt: skip
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.FLAG_NEAR_DEADLINE, actor=None, as_=Actor.SYSTEM, now=NOW)
    assert item.events.filter(action=A.FLAG_NEAR_DEADLINE).count() == 1


def test_escalate_overdue_only_past_due_and_once(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=item.due_at)
    past = item.due_at + dt.timedelta(minutes=1)
    feedback_apply(item=item, action=A.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=past)
    item.refresh_from_db()
    assert (item.state, item.overdue_escalated_at) == (S.IN_PROGRESS, past)
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=past)


@pytest.mark.parametrize("state", [S.RESOLVED, S.CLOSED, S.REJECTED, S.DUPLICATE, S.ESCALATED])
def test_timers_leave_other_states_alone(ward, setup, people, state):
    item = _to(state, ward, setup, people)
    late = item.due_at + dt.timedelta(days=1)
    for action in (A.FLAG_NEAR_DEADLINE, A.ESCALATE_OVERDUE):
        with pytest.raises(Conflict):
            feedback_apply(item=item, action=action, actor=None, as_=Actor.SYSTEM, now=late)


def test_system_closes(ward, setup, people):
    item = _to(S.RESOLVED, ward, setup, people)
    event = feedback_apply(item=item, action=A.CLOSE, actor=None, as_=Actor.SYSTEM, now=NOW)
    assert (event.to_state, event.actor_label) == (S.CLOSED, "Hệ thống")


# ------------------------------------------------------------------ events


def test_one_event_per_step_with_actor_department_assignee(ward, setup, people):
    item = _new(ward, setup, people)
    econ = people["head_econ"].department
    steps = [
        (A.ASSIGN, people["leader"], {"assignee": people["specialist_econ"]}),
        (A.START, people["specialist_econ"], {}),
        (A.RESOLVE, people["specialist_econ"], {"note": "Đã thay bóng"}),
        (A.CLOSE, people["head_econ"], {}),
    ]
    for action, actor, data in steps:
        feedback_apply(item=item, action=action, actor=actor, now=NOW, data=data)
    rows = list(
        FeedbackEvent.objects.filter(item=item).values_list("action", "actor", "department", "assignee", "at")
    )
    spec = people["specialist_econ"].pk
    assert rows == [
        ("create", people["counter"].pk, econ.pk, None, NOW),
        ("assign", people["leader"].pk, econ.pk, spec, NOW),
        ("start", spec, econ.pk, spec, NOW),
        ("resolve", spec, econ.pk, spec, NOW),
        ("close", people["head_econ"].pk, econ.pk, spec, NOW),
    ]


def test_refused_step_changes_nothing(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    before = FeedbackItem.objects.values().get(pk=item.pk)
    with pytest.raises(ValidationFailed):
        feedback_apply(item=item, action=A.ASSIGN, actor=people["leader"], now=NOW,
                       data={"assignee": people["counter"]})  # fmt: skip
    assert FeedbackItem.objects.values().get(pk=item.pk) == before


def test_other_commune_province(ward, setup, people):
    """A province officer of the commune's province is no staff of the commune."""
    item = _new(ward, setup, people)
    assert allowed_actions(item, people["province"]) == []
    other = make_commune(20305, "Phường An Khê", "H48.20305")
    assert other.province_id == people["province"].province_id


# ------------------------------------------------------------------ back in the commune's hands: a fresh deadline


def _overdue_and_flagged(item: FeedbackItem) -> dt.datetime:
    """Let both timers fire on `item`; returns a moment past its first deadline."""
    late = item.due_at + dt.timedelta(days=1)
    feedback_apply(item=item, action=A.FLAG_NEAR_DEADLINE, actor=None, as_=Actor.SYSTEM, now=late)
    feedback_apply(item=item, action=A.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=late)
    return late


def _assert_fresh_clock(item: FeedbackItem, now: dt.datetime) -> None:
    item.refresh_from_db()
    assert item.due_at == deadline_for(commune=item.commune, category=item.category, received_at=now)
    assert item.due_at > now
    assert (item.near_deadline_at, item.overdue_escalated_at) == (None, None)
    # Not overdue at once; the timers fire again once the new deadline passes.
    with pytest.raises(Conflict):
        feedback_apply(item=item, action=A.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=now)
    feedback_apply(item=item, action=A.FLAG_NEAR_DEADLINE, actor=None, as_=Actor.SYSTEM, now=now)
    past = item.due_at + dt.timedelta(minutes=1)
    feedback_apply(item=item, action=A.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=past)
    item.refresh_from_db()
    assert item.overdue_escalated_at == past


def test_reopen_restarts_the_deadline_and_the_timers(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    late = _overdue_and_flagged(item)
    feedback_apply(item=item, action=A.RESOLVE, actor=people["leader"], now=late, data={"note": "Đã thay"})
    reopened_at = late + dt.timedelta(hours=1)
    feedback_apply(item=item, action=A.REOPEN, actor=None, as_=Actor.REPORTER, now=reopened_at,
                   data={"note": "Đèn lại hỏng"})  # fmt: skip
    _assert_fresh_clock(item, reopened_at)


def test_province_return_restarts_the_deadline_and_the_timers(ward, setup, people):
    item = _to(S.IN_PROGRESS, ward, setup, people)
    late = _overdue_and_flagged(item)
    feedback_apply(
        item=item, action=A.ESCALATE, actor=people["leader"], now=late, data={"note": "Vượt thẩm quyền"}
    )
    answered_at = late + dt.timedelta(days=3)
    feedback_apply(item=item, action=A.PROVINCE_RETURN, actor=people["province"], as_=Actor.PROVINCE,
                   now=answered_at, data={"note": "Xã tự xử lý"})  # fmt: skip
    _assert_fresh_clock(item, answered_at)


def test_province_resolve_keeps_the_deadline(ward, setup, people):
    item = _to(S.ESCALATED, ward, setup, people)
    due = item.due_at
    feedback_apply(item=item, action=A.PROVINCE_RESOLVE, actor=people["province"], as_=Actor.PROVINCE,
                   now=NOW + dt.timedelta(days=30), data={"note": "Tỉnh đã sửa"})  # fmt: skip
    item.refresh_from_db()
    assert item.due_at == due
