"""The demo ward's staffing (issue 11): each part's demo data, in order. Every loader is
idempotent (a second `motcua demo` adds nothing but what a new day needs)."""

from __future__ import annotations

import datetime as dt

from motcua.geo.models import Commune

from . import ward as W
from .staffing_alerts import alerts_load
from .staffing_history import history_load
from .staffing_plan import plan_load
from .staffing_setup import setup_load
from .staffing_volunteers import volunteers_load


def staffing_load(*, now: dt.datetime) -> None:
    commune = Commune.objects.filter(code=W.COMMUNE_CODE).first()
    if commune is None:
        return
    # Each part adds its call here (positions and skills first: the others use them).
    # S2 positions, skills, moves
    setup_load(now=now)
    # S4 queue history
    history_load(now=now)
    # S3 day plan
    plan_load(now=now)
    # S7 volunteers
    volunteers_load(now=now)
    # S5 alerts
    alerts_load(now=now)
