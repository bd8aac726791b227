"""The demo's alerts (issue 11 §5): the alert the chairman acted on this morning (motcua2 moved to
help the land line, the day's plan changed and linked to it) and a detection run at `now`, which
raises an open alert when the queue calls for one; a second load adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.demo.staffing_alerts import alerts_load
from motcua.org.models import User
from motcua.staffing.models import Alert, AlertState, PlanChange, PlanSlot, SlotKind

from .test_alerts import NOW, hall

pytestmark = pytest.mark.django_db

LATER = NOW.replace(hour=10, minute=40)


def test_the_demo_alerts_once():
    w = hall(now=LATER)
    User.objects.filter(pk=w["minh"].pk).update(username="motcua2")
    assert w["staff"]["leader"].username == "chutich"
    alerts_load(now=LATER)
    alerts_load(now=LATER)
    acted = Alert.objects.get(state=AlertState.ACTED)
    assert acted.raised_at == NOW.replace(minute=10) and acted.closed_by.username == "chutich"
    assert acted.action_note == "Nguyễn Văn Minh hỗ trợ nhóm B — Đất đai - Xây dựng tại quầy 2 đến 10:13"
    change = PlanChange.objects.get()
    assert change.alert == acted and change.officer.username == "motcua2"
    slot = PlanSlot.objects.get(officer__username="motcua2")
    assert (slot.kind, slot.counter, slot.starts, slot.ends) == (
        SlotKind.COUNTER, w["a_counter"], dt.time(9, 13), dt.time(10, 13),
    )  # fmt: skip
    # The queue at 10:40 (14 waiting for land, quầy 2 idle): one open alert naming him.
    opened = Alert.objects.get(state=AlertState.OPEN)
    assert "Nguyễn Văn Minh có thể hỗ trợ" in opened.message
    assert Alert.objects.count() == 2


def test_too_early_in_the_morning_there_is_no_earlier_alert():
    hall(now=NOW.replace(hour=8))
    alerts_load(now=NOW.replace(hour=8))
    assert not Alert.objects.filter(state=AlertState.ACTED).exists()
