"""The demo ward's ratings (issue 10 §1): about 30 % of the dossiers with their end and 20 % of
the finished tickets rated, mostly satisfied, a few not, some comments; a tablet at quầy 1;
a rerun adds nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from motcua.demo import ward as W
from motcua.demo.ratings_day import ratings_load, ratings_summary
from motcua.demo.services import demo_load
from motcua.dossiers.models import Dossier
from motcua.geo.models import Commune
from motcua.quality.models import Rating, RatingTablet
from motcua.quality.ratings import RATEABLE_STATES
from motcua.queueing.models import Ticket, TicketState

NOW = dt.datetime(2026, 3, 18, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        assert demo_load(now=NOW) is True
        yield
        transaction.set_rollback(True)


def test_a_realistic_share_is_rated(loaded):
    ward = Commune.objects.get(code=W.COMMUNE_CODE)
    ended = Dossier.objects.filter(commune=ward, state__in=list(RATEABLE_STATES)).count()
    done = Ticket.objects.filter(commune=ward, state=TicketState.DONE, day=NOW.date()).count()
    s = ratings_summary(ward)
    assert ended > 50 and done > 50
    assert 0.2 <= s["dossiers"] / ended <= 0.4
    assert 0.1 <= s["tickets"] / done <= 0.3
    ratings = Rating.objects.filter(commune=ward)
    assert 0 < s["not_satisfied"] < 0.2 * ratings.count()
    assert ratings.exclude(comment="").exists()
    assert not ratings.filter(created_at__gt=NOW).exists()
    assert ratings.filter(source="TABLET", tablet__counter__number=1).exists()
    assert RatingTablet.objects.filter(commune=ward, counter__number=1).count() == 1
    # Who the rating is about was copied (an online dossier refused before anybody received it
    # has nobody).
    assert ratings.filter(officer__isnull=True).count() <= 0.05 * ratings.count()


def test_the_queue_history_is_not_rated(loaded):
    """The weeks of tickets behind the staffing advisor are history, not today's hall."""
    assert Ticket.objects.filter(commune_id=W.COMMUNE_CODE, day__lt=NOW.date()).exists()
    assert not Rating.objects.filter(ticket__day__lt=NOW.date()).exists()


def test_rerun_adds_nothing(loaded):
    before = Rating.objects.count()
    assert ratings_load(now=NOW) == 0
    assert Rating.objects.count() == before
    assert RatingTablet.objects.count() == 1
