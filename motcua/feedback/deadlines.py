"""The feedback deadline timer (issue 9 §2): `feedback_tick(now)`.

- An open item (new, assigned, in progress) within MOTCUA_FEEDBACK_NEAR_DAYS working days of its
  deadline (on its province's calendar) is flagged «sắp đến hạn» — once (FLAG_NEAR_DEADLINE).
- An open item past its deadline is marked ESCALATE_OVERDUE — once — and the head(s) of its
  department (the commune's leaders when it has none, or no active head) get a notice on their
  phone / e-mail (org.User.phone / email), or at least a CONSOLE message row naming them.

Every mark goes through `workflow.feedback_apply` as the system, one item per transaction: a
tick that dies half-way leaves whole steps, and the next tick picks up the rest. Two ticks at
once (cron and the worker) do not mark an item twice (the row lock and the «once» checks).

How it runs: the task `feedback.tasks.feedback_tick_task` re-enqueues itself every hour in the
task worker (`motcua feedback tick --enqueue` starts the chain); `motcua feedback tick` runs one
tick now (for a cron job or a systemd timer). See docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from motcua.calendar.selectors import calendar_for_province
from motcua.core.errors import Conflict
from motcua.notify.models import Channel as NotifyChannel
from motcua.notify.models import Message, MessageState
from motcua.notify.services import notify
from motcua.org.models import Role, User

from .models import FeedbackItem, State
from .workflow import Action, Actor, feedback_apply

log = logging.getLogger(__name__)
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TIMER_STATES = (State.NEW, State.ASSIGNED, State.IN_PROGRESS)


@dataclass
class TickReport:
    flagged: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    notices: int = 0


def near_days() -> int:
    return max(0, int(settings.MOTCUA_FEEDBACK_NEAR_DAYS))


def is_near(item: FeedbackItem, now: dt.datetime) -> bool:
    """Not yet due, and at most MOTCUA_FEEDBACK_NEAR_DAYS working days before the due day."""
    if now > item.due_at:
        return False
    calendar = calendar_for_province(item.commune.province_id)
    today = now.astimezone(LOCAL_TZ).date()
    due_day = item.due_at.astimezone(LOCAL_TZ).date()
    return calendar.working_days_between(today, due_day) <= near_days()


def overdue_recipients(item: FeedbackItem) -> list[User]:
    """The active heads of the item's department; the commune's leaders when there are none."""
    staff = User.objects.filter(commune_id=item.commune_id, is_active=True).order_by("id")
    heads = []
    if item.department_id is not None:
        heads = [
            u for u in staff.filter(department_id=item.department_id) if u.has_role(Role.DEPARTMENT_HEAD)
        ]
    return heads or [u for u in staff if u.has_role(Role.COMMUNE_LEADER)]


def overdue_text(item: FeedbackItem) -> str:
    due = item.due_at.astimezone(LOCAL_TZ)
    return f"Phản ánh {item.code} đã quá hạn xử lý (hạn {due:%d/%m/%Y}). Đề nghị kiểm tra, đôn đốc."


def _tell_staff(item: FeedbackItem, now: dt.datetime) -> int:
    sent = 0
    text = overdue_text(item)
    topic, ref = "feedback.overdue", f"feedback.feedbackitem:{item.pk}"
    for user in overdue_recipients(item):
        key = f"feedback:{item.pk}:overdue:user:{user.pk}"
        if user.phone or user.email:
            messages = notify(
                topic=topic, subject_ref=ref, commune=item.commune, text=text, now=now, dedupe_key=key,
                phone=user.phone, email=user.email, email_subject=f"Phản ánh {item.code} quá hạn", hint=False,
            )  # fmt: skip
            sent += len(messages)
        else:  # no contact on the account: a row in the log, so the notice is not lost silently
            Message.objects.get_or_create(
                dedupe_key=f"{key}:console",
                defaults={"topic": topic, "subject_ref": ref, "commune": item.commune,
                          "channel": NotifyChannel.CONSOLE, "recipient": f"user:{user.username}"[:254],
                          "body": text, "state": MessageState.PENDING, "next_attempt_at": now, "created_at": now},
            )  # fmt: skip
            sent += 1
    return sent


def feedback_tick(now: dt.datetime) -> TickReport:
    """Flag the items near their deadline and escalate the overdue ones (each once)."""
    report = TickReport()
    base = FeedbackItem.objects.select_related("commune").filter(state__in=TIMER_STATES)
    # Near: a generous calendar window first (holidays stretch working days), then the calendar.
    window = now + dt.timedelta(days=3 * near_days() + 12)
    for item in base.filter(near_deadline_at__isnull=True, due_at__gte=now, due_at__lte=window).order_by(
        "due_at"
    ):
        if not is_near(item, now):
            continue
        try:
            feedback_apply(item=item, action=Action.FLAG_NEAR_DEADLINE, actor=None, as_=Actor.SYSTEM, now=now)
        except Conflict:  # flagged, closed or moved meanwhile
            continue
        report.flagged.append(item.code)
    for item in base.filter(overdue_escalated_at__isnull=True, due_at__lt=now).order_by("due_at"):
        try:
            with transaction.atomic():
                feedback_apply(
                    item=item, action=Action.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=now
                )
                report.notices += _tell_staff(item, now)
        except Conflict:
            continue
        report.escalated.append(item.code)
    if report.flagged or report.escalated:
        log.info("feedback tick: %d near deadline, %d overdue", len(report.flagged), len(report.escalated))
    return report
