"""The feedback deadline timer (issue 9 §2): near-deadline flags in working days, overdue items
escalated once with a notice to the department's head (or the leaders), the hourly task and the
`motcua feedback tick` command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from motcua.core import clock
from motcua.feedback.deadlines import feedback_tick, is_near
from motcua.feedback.models import Channel, FeedbackEvent, State
from motcua.feedback.services import feedback_create
from motcua.feedback.tasks import feedback_tick_task
from motcua.feedback.workflow import Action, feedback_apply
from motcua.notify.models import Message

from .conftest import NOW, VN

TASK = "motcua.feedback.tasks.feedback_tick_task"


def _item(ward, setup, category, **kw):
    return feedback_create(commune=ward, channel=Channel.HOTLINE, category=setup["categories"][category],
                           title="Rác tồn đọng", now=NOW, **kw)  # fmt: skip


def at(day: int, month: int = 2, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=VN)


def _marks(item, action):
    return FeedbackEvent.objects.filter(item=item, action=action).count()


@override_settings(MOTCUA_FEEDBACK_NEAR_DAYS=1)
def test_near_deadline_flagged_once(ward, setup, staff):
    item = _item(ward, setup, "rac-thai")  # 3 working days: due Friday 13/02
    assert item.due_at.astimezone(VN).date() == dt.date(2026, 2, 13)
    assert feedback_tick(at(11)).flagged == []  # two working days before
    assert feedback_tick(at(12)).flagged == [item.code]  # one working day before
    assert feedback_tick(at(12, hour=10)).flagged == []
    feedback_tick(at(13))
    item.refresh_from_db()
    assert item.near_deadline_at == at(12) and _marks(item, Action.FLAG_NEAR_DEADLINE) == 1
    assert item.state == State.NEW


@override_settings(MOTCUA_FEEDBACK_NEAR_DAYS=2)
def test_near_counts_working_days_over_tet(ward, setup, staff):
    item = _item(ward, setup, "chieu-sang")  # due 24/02, after the Tết holiday (16–20/02)
    # Friday 13/02 is 11 calendar days before, but only 2 working days (23, 24/02).
    assert not is_near(item, at(12))
    assert is_near(item, at(13))
    assert feedback_tick(at(13)).flagged == [item.code]


def test_overdue_escalated_once_with_a_notice_to_the_head(ward, setup, staff):
    head = staff["head_econ"]
    head.phone, head.email = "0905999888", "tp@phuong.vn"
    head.save()
    item = _item(ward, setup, "rac-thai")
    assert feedback_tick(item.due_at).escalated == []  # at the deadline: not yet past it
    late = item.due_at + dt.timedelta(minutes=1)
    report = feedback_tick(late)
    assert report.escalated == [item.code] and report.notices == 2
    item.refresh_from_db()
    assert item.overdue_escalated_at == late and item.state == State.NEW
    messages = Message.objects.filter(topic="feedback.overdue")
    assert {m.recipient for m in messages} == {"0905999888", "tp@phuong.vn"}
    assert all(item.code in m.body and "quá hạn" in m.body for m in messages)
    assert feedback_tick(late + dt.timedelta(hours=1)).escalated == []
    assert _marks(item, Action.ESCALATE_OVERDUE) == 1 and messages.count() == 2


def test_overdue_without_department_tells_the_leaders(ward, setup, staff):
    item = _item(ward, setup, "khac")  # no department
    feedback_tick(item.due_at + dt.timedelta(days=1))
    (row,) = Message.objects.filter(topic="feedback.overdue")
    # The leader's account has no phone nor e-mail: a CONSOLE row names them.
    assert (row.channel, row.recipient) == ("CONSOLE", f"user:{staff['leader'].username}")


def test_overdue_with_no_active_head_tells_the_leaders(ward, setup, staff):
    staff["head_econ"].is_active = False
    staff["head_econ"].save()
    item = _item(ward, setup, "rac-thai")
    feedback_tick(item.due_at + dt.timedelta(days=1))
    assert list(Message.objects.values_list("recipient", flat=True)) == [f"user:{staff['leader'].username}"]


def test_only_open_items(ward, setup, staff):
    done = _item(ward, setup, "rac-thai")
    feedback_apply(
        item=done, action=Action.RESOLVE_ON_SPOT, actor=staff["leader"], now=NOW, data={"note": "Đã dọn"}
    )
    escalated = _item(ward, setup, "rac-thai")
    feedback_apply(
        item=escalated, action=Action.ESCALATE, actor=staff["leader"], now=NOW, data={"note": "Tỉnh"}
    )
    report = feedback_tick(at(12, month=3))
    assert report.escalated == [] and report.flagged == []
    assert not Message.objects.exists()


def test_a_past_due_item_is_not_flagged_near(ward, setup, staff):
    item = _item(ward, setup, "rac-thai")
    report = feedback_tick(item.due_at + dt.timedelta(days=2))
    assert (report.flagged, report.escalated) == ([], [item.code])


def test_other_communes_are_ticked_on_their_own_items(ward, setup, staff, other_ward):
    from motcua.testing import make_feedback_setup, make_staff

    theirs = make_staff(other_ward, prefix="ak_")
    item = feedback_create(commune=other_ward, channel=Channel.HOTLINE,
                           category=make_feedback_setup(other_ward)["categories"]["rac-thai"], title="x", now=NOW)  # fmt: skip
    feedback_tick(item.due_at + dt.timedelta(days=1))
    (row,) = Message.objects.all()
    assert row.commune == other_ward and row.recipient == f"user:{theirs['head_econ'].username}"


def test_command_ticks_and_enqueues(ward, setup, staff):
    item = _item(ward, setup, "rac-thai")
    out = StringIO()
    with clock.pinned(item.due_at + dt.timedelta(days=1)):
        call_command("feedback", "tick", stdout=out)
    assert "quá hạn, đã báo: 1" in out.getvalue() and item.code in out.getvalue()
    out = StringIO()
    call_command("feedback", "tick", "--enqueue", stdout=out)
    call_command("feedback", "tick", "--enqueue", stdout=out)
    assert DBTaskResult.objects.filter(task_path=TASK).count() == 1
    assert "đã được xếp từ trước" in out.getvalue()


def test_task_ticks_and_requeues_itself_an_hour_later(ward, setup, staff):
    item = _item(ward, setup, "rac-thai")
    moment = item.due_at + dt.timedelta(days=1)
    with clock.pinned(moment):
        assert feedback_tick_task.call() == {"flagged": 0, "escalated": 1, "notices": 1}
    queued = DBTaskResult.objects.get(task_path=TASK)
    assert queued.run_after == moment + dt.timedelta(hours=1)


@pytest.mark.parametrize(("near_days", "from_day"), [(0, 13), (1, 12), (3, 10)])
def test_near_days_setting(ward, setup, staff, near_days, from_day):
    item = _item(ward, setup, "rac-thai")  # due Friday 13/02
    with override_settings(MOTCUA_FEEDBACK_NEAR_DAYS=near_days):
        assert [d for d in (10, 11, 12, 13) if is_near(item, at(d, hour=8))] == list(range(from_day, 14))
