"""The demo ward's feedback (issue 9): 20 neighbourhoods, the 9 categories with the demo's
departments, sessions held and coming, ~150 items in every state with events that agree with
their states — made through feedback_create/feedback_apply, fast, and loaded once."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from motcua.demo import ward as W
from motcua.demo.feedback_day import ITEMS, feedback_load, feedback_summary
from motcua.feedback.models import (
    Category,
    Channel,
    DialogueSession,
    FeedbackEvent,
    FeedbackItem,
    Neighbourhood,
    SessionState,
    State,
)
from motcua.feedback.stats import feedback_stats
from motcua.org.models import DepartmentKind, Role
from motcua.testing import make_commune, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 3, 18, 10, 30, tzinfo=VN)


@pytest.fixture
def ward(db):
    commune = make_commune(W.COMMUNE_CODE)
    make_user(commune, Role.COMMUNE_LEADER, "chutich")
    make_user(commune, Role.COMMUNE_LEADER, "phochutich")
    make_user(commune, Role.SPECIALIST, "diachinh1", DepartmentKind.ECONOMIC)
    make_user(commune, Role.SPECIALIST, "vanphong1", DepartmentKind.OFFICE)
    officer = make_user(None, Role.PROVINCE_OFFICER, "sonoivu")
    officer.province = commune.province
    officer.save()
    return commune


@pytest.fixture
def loaded(ward):
    started = time.perf_counter()
    assert feedback_load(now=NOW) is True
    return time.perf_counter() - started


def test_setup_neighbourhoods_categories_sessions(ward, loaded):
    assert Neighbourhood.objects.filter(commune=ward).count() == 20
    categories = {c.code: c for c in Category.objects.filter(commune=ward)}
    assert len(categories) == 9
    assert categories["thoat-nuoc"].department.kind == DepartmentKind.ECONOMIC
    assert categories["an-ninh"].department.kind == DepartmentKind.OFFICE
    assert categories["khac"].department is None
    sessions = DialogueSession.objects.filter(commune=ward)
    held = sessions.filter(state=SessionState.REPORTED)
    coming = sessions.filter(state=SessionState.PLANNED)
    assert held.count() == 20 and coming.count() == 20
    assert all(
        s.starts_at < NOW - dt.timedelta(days=6) and s.starts_at > NOW - dt.timedelta(days=91) for s in held
    )
    assert all(s.minutes and s.attendance and s.reported_at and s.items.exists() for s in held)
    assert all(s.starts_at > NOW and s.published_at is not None and s.published_at <= NOW for s in coming)
    assert all(s.starts_at.astimezone(VN).weekday() == 5 for s in sessions)


def test_items_in_every_state_over_90_days(ward, loaded):
    items = FeedbackItem.objects.filter(commune=ward)
    assert items.count() == ITEMS
    assert all(NOW - dt.timedelta(days=91) < i.received_at < NOW for i in items)
    states = Counter(items.values_list("state", flat=True))
    assert set(states) == set(State.values), states
    assert items.filter(resolved_on_spot=True).count() >= 5
    assert items.filter(rating__isnull=False).count() >= 10
    assert items.filter(province_answered_at__isnull=False).count() >= 2
    assert items.filter(state__in=("ASSIGNED", "IN_PROGRESS"), due_at__lt=NOW).count() >= 3
    assert items.filter(channel=Channel.SESSION, session__isnull=False).count() >= 40
    s = feedback_stats(commune=ward, first=(NOW - dt.timedelta(days=89)).date(), last=NOW.date(), now=NOW)
    assert s.total.received == ITEMS and s.total.overdue >= 3 and len(s.recurring) >= 3
    assert s.median_days is not None and s.rating_mean is not None
    assert feedback_summary(now=NOW) == (ITEMS, s.total.open, s.total.overdue, 20)


def test_events_agree_with_states(ward, loaded):
    for item in FeedbackItem.objects.filter(commune=ward).prefetch_related("events"):
        events = list(item.events.all())
        assert events[0].action == "create" and events[0].to_state == State.NEW
        assert events[-1].to_state == item.state
        changes = [e for e in events if e.action not in ("rate", "escalate_overdue", "flag_near_deadline")]
        assert changes[-1].to_state == item.state, item.code
        for before, after in itertools.pairwise(changes):
            assert after.from_state == before.to_state and after.at >= before.at, item.code
        assert all(e.at < NOW for e in events)
        if item.state in (State.RESOLVED, State.CLOSED):
            assert item.resolved_at is not None and item.resolved_at >= item.received_at
        if item.rating is not None:
            assert [e.action for e in events].count("rate") == 1
        if item.state == State.ESCALATED:
            assert item.escalation_reason and item.province_answered_at is None
        if item.overdue_escalated_at is not None:
            assert item.overdue_escalated_at > item.due_at


def test_fast_and_idempotent(ward, loaded):
    assert loaded < 20
    counts = (FeedbackItem.objects.count(), FeedbackEvent.objects.count(), DialogueSession.objects.count())
    assert feedback_load(now=NOW + dt.timedelta(days=1)) is False
    assert (
        FeedbackItem.objects.count(),
        FeedbackEvent.objects.count(),
        DialogueSession.objects.count(),
    ) == counts
    assert Neighbourhood.objects.count() == 20 and Category.objects.count() == 9
