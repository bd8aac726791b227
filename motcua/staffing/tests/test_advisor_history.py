"""The demo ward's queue history for the advisor (motcua/demo/staffing_history.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from motcua.demo import ward as W
from motcua.demo.staffing_history import history_load
from motcua.queueing.models import Ticket, TicketState
from motcua.staffing.forecast import forecast_day
from motcua.testing import make_commune, make_counter, make_service_groups

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 13, 18, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def test_history_is_written_once_for_working_days_with_consistent_times() -> None:
    commune = make_commune(W.COMMUNE_CODE)
    make_service_groups(commune)
    for number, letters in W.QUEUE_COUNTERS:
        make_counter(commune, number, "".join(letters))
    written = history_load(now=NOW, weeks=2)
    assert written > 2000  # ten working days of ~500–700 tickets
    days = set(Ticket.objects.values_list("day", flat=True))
    assert len(days) == 10 and all(d.weekday() < 5 for d in days) and max(days) == dt.date(2026, 3, 12)
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == {TicketState.DONE, TicketState.LEFT, TicketState.NO_SHOW}
    assert not Ticket.objects.filter(state=TicketState.DONE, called_at__lt=F("issued_at")).exists()
    assert not Ticket.objects.filter(state=TicketState.DONE, finished_at__lt=F("served_at")).exists()
    assert not Ticket.objects.filter(state=TicketState.LEFT, called_at__isnull=False).exists()
    assert Ticket.objects.values("secret").distinct().count() == written
    # Monday's factor: Mondays are busier than Fridays
    monday = Ticket.objects.filter(day=dt.date(2026, 3, 9)).count()
    friday = Ticket.objects.filter(day=dt.date(2026, 3, 6)).count()
    assert monday > friday
    assert history_load(now=NOW, weeks=2) == 0  # idempotent
    f = forecast_day(commune=commune, day=dt.date(2026, 3, 16), today=NOW.date())
    assert f.total > 300 and all(g.patience_s for g in f.groups)
