"""The demo ward's live alerts (issue 11 §5): one alert acted on earlier this morning — the land
line (B) had built up while quầy 2 (civil status) was quiet, and the chairman moved its officer,
motcua2 (a land officer of the old ward), to help it for an hour — and a detection run at `now`,
which raises an open alert when the demo queue's state calls for one.

Idempotent: the earlier alert is written once a day (looked up by its group and day); the
detection keeps one open alert per group. The earlier move is a record only: its hour is over, so
no counter window is added; the day's plan gets the move through S3's plan_move.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from motcua.geo.models import Commune
from motcua.org.models import User
from motcua.queueing.models import Counter, ServiceGroup
from motcua.staffing.alerts import alerts_detect
from motcua.staffing.models import Alert, AlertKind, AlertState
from motcua.staffing.plan import plan_move

from . import ward as W

RAISED = dt.time(9, 10)
HELPER = "motcua2"
LEADER = "chutich"


def _earlier(commune: Commune, now: dt.datetime) -> Alert | None:
    local = timezone.localtime(now)
    raised = local.replace(hour=RAISED.hour, minute=RAISED.minute, second=0, microsecond=0)
    acted = raised + dt.timedelta(minutes=3)
    until = acted + dt.timedelta(hours=1)
    if local.weekday() >= 6 or local < until:
        return None  # a Sunday, or too early in the morning for this story
    group = ServiceGroup.objects.filter(commune=commune, letter="B").first()
    counter = Counter.objects.filter(commune=commune, number=2).first()
    people = {u.username: u for u in User.objects.filter(commune=commune, username__in=[HELPER, LEADER])}
    helper, leader = people.get(HELPER), people.get(LEADER)
    if group is None or counter is None or helper is None or leader is None:
        return None
    existing = Alert.objects.filter(
        commune=commune, group=group, state=AlertState.ACTED, raised_at__date=local.date(),
        facts__demo=True,
    ).first()  # fmt: skip
    if existing is not None:
        return existing
    name = helper.full_name or helper.username
    what = f"{name} hỗ trợ nhóm B — {group.name} tại quầy 2 đến {until:%H:%M}"
    alert = Alert.objects.create(
        commune=commune, kind=AlertKind.QUEUE, group=group, state=AlertState.ACTED,
        message=f"Quầy 2 đang trống; 13 người chờ {group.name.lower()} — {name} có thể hỗ trợ",
        facts={
            "demo": True, "group": "B", "group_name": group.name, "waiting": 13, "oldest_minutes": 24,
            "target_waiting": 10, "target_oldest_minutes": 20,
            "helpers": [{"officer": helper.pk, "name": name, "kind": "counter", "counter": counter.pk,
                         "counter_number": 2, "why": "idle", "idle_minutes": 12, "lines": {"A": 1}}],
            "moved": {"officer": helper.pk, "name": name, "until": until.isoformat(), "counter": counter.pk,
                      "counter_number": 2, "window": {"expired": until.isoformat()}},
        },
        raised_at=raised, closed_at=acted, closed_by=leader, action_note=what,
    )  # fmt: skip
    plan_move(
        actor=leader, officer=helper, day=local.date(), starts=acted.time().replace(second=0),
        ends=until.time().replace(second=0), counter=counter, reason=f"Cảnh báo hàng chờ: {what}",
        now=acted, alert=alert,
    )  # fmt: skip
    return alert


def alerts_load(*, now: dt.datetime) -> None:
    commune = Commune.objects.filter(code=W.COMMUNE_CODE).first()
    if commune is None:
        return
    _earlier(commune, now)
    alerts_detect(commune=commune, now=now)
