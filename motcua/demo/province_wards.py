"""Four neighbouring wards of Đà Nẵng with a smaller month of dossiers and ratings, so that the
province officer's ranking (`/chat-luong/tinh/`, demo login `sonoivu`) compares real communes and
finds the one in difficulty. Their staff are made like Thanh Khê's (same roles, invented names,
logins `<ward>.<role>` with the demo password, not printed); their dossiers go through the same
services as Thanh Khê's (`stories.tell`), on a share of the same plans; one ward is made to
struggle (more dossiers late, unhappier residents). Loaded once, with the demo; a ward that already
has dossiers is left as it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from django.contrib.auth.hashers import make_password

from motcua.calendar.selectors import calendar_for_province
from motcua.catalog.models import Procedure
from motcua.dossiers.models import Dossier
from motcua.geo.models import Commune
from motcua.org.models import CommuneProfile, Department, Role, User

from . import residents
from . import ward as W
from .ratings_day import ratings_load
from .stories import DRAFT_MIX, FATES, PROCEDURE_MIX, Teller, Ward, plan_dossiers, tell
from .timeline import Timeline


@dataclasses.dataclass(frozen=True)
class Neighbour:
    code: int
    prefix: str  # login prefix: «haichau.chutich»
    share: float  # of Thanh Khê's dossier plans
    slow: float  # share of plain «done» dossiers turned slow (finished late)
    unhappy: float  # extra weight of «không hài lòng» in its ratings
    skills_kept: float  # share of Thanh Khê's skills its people have (the staffing gaps)


NEIGHBOURS = (
    Neighbour(20242, "haichau", share=0.40, slow=0.0, unhappy=0.0, skills_kept=1.0),
    Neighbour(20224, "ankhe", share=0.35, slow=0.45, unhappy=0.35, skills_kept=0.5),  # in difficulty
    Neighbour(20263, "sontra", share=0.30, slow=0.10, unhappy=0.05, skills_kept=0.9),
    Neighbour(20260, "camle", share=0.30, slow=0.20, unhappy=0.15, skills_kept=0.75),
)
ROLES = {Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.COMMUNE_LEADER}


def neighbours_load(*, now: dt.datetime) -> int:
    """Load the neighbouring wards that have no dossier yet; returns how many were loaded."""
    loaded = 0
    password = make_password(W.PASSWORD)
    for n in NEIGHBOURS:
        commune = Commune.objects.select_related("province").filter(code=n.code).first()
        if commune is None or Dossier.objects.filter(commune=commune).exists():
            continue
        if not commune.agency_code:
            commune.agency_code = f"H48.{n.code}"
            commune.save(update_fields=["agency_code"])
        ward = _ward(commune, n, password)
        _skills(commune, n, now=now)
        _dossiers(ward, n, now=now)
        ratings_load(now=now, commune_code=n.code, unhappy=n.unhappy)
        loaded += 1
    return loaded


def _ward(commune: Commune, n: Neighbour, password: str) -> Ward:
    """Departments and staff like Thanh Khê's, with names of their own."""
    short = commune.name.removeprefix("Phường ").strip()
    # Marked as the demo's: `motcua demo` refuses to run beside a real commune's data, not its own.
    CommuneProfile.objects.update_or_create(
        commune=commune,
        defaults={"unit_name": f"Trung tâm Phục vụ hành chính công phường {short}",
                  "opening_hours": W.OPENING_HOURS, "created_by_demo": True},
    )  # fmt: skip
    departments: dict[str, Department] = {}
    for kind, name in W.DEPARTMENTS.items():
        departments[kind] = Department.objects.update_or_create(
            commune=commune, kind=kind, defaults={"name": name.replace("Thanh Khê", short)}
        )[0]
    rng = random.Random(f"staff:{n.code}")
    people: list[tuple[W.StaffMember, User]] = []
    for s in W.STAFF:
        if s.role not in ROLES:
            continue
        username = f"{n.prefix}.{s.username}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, full_name=residents.full_name(rng, male=rng.random() < 0.5), role=s.role, commune=commune,
                province_id=W.PROVINCE_CODE, department=departments[s.department] if s.department else None,
                position=s.position.replace("Thanh Khê", short), password=password,
            )  # fmt: skip
            user.save()
        people.append((s, user))
    specialists: dict[str, list[tuple[User, tuple[str, ...]]]] = {}
    for s, u in people:
        if s.role == Role.SPECIALIST and s.department:
            specialists.setdefault(s.department, []).append((u, s.fields))
    by_name = {s.username: u for s, u in people}
    return Ward(
        commune=commune,
        calendar=calendar_for_province(W.PROVINCE_CODE),
        counters=[u for s, u in people if s.role == Role.COUNTER_OFFICER],
        heads={s.department: u for s, u in people if s.role == Role.DEPARTMENT_HEAD and s.department},
        specialists=specialists,
        chair=by_name["chutich"],
        vice_chair=by_name["phochutich"],
    )


def _skills(commune: Commune, n: Neighbour, *, now: dt.datetime) -> None:
    """Thanh Khê's skills (staffing_setup.SKILLS) for the same roles here, a share of them kept:
    the province's view of staffing gaps compares wards that have people who know things."""
    from motcua.catalog.models import ProcedureField
    from motcua.staffing.models import Skill

    from .staffing_setup import SKILLS

    rng = random.Random(f"skills:{n.code}")
    fields = {f.code: f for f in ProcedureField.objects.all()}
    users = {u.username.removeprefix(f"{n.prefix}."): u for u in User.objects.filter(commune=commune)}
    for username, skills in SKILLS.items():
        user = users.get(username)
        for code, level in skills:
            if user is not None and code in fields and rng.random() < n.skills_kept:
                Skill.objects.get_or_create(
                    user=user, field=fields[code], defaults={"level": level, "updated_at": now}
                )


def _dossiers(ward: Ward, n: Neighbour, *, now: dt.datetime) -> None:
    rng = random.Random(f"dossiers:{n.code}")
    today = now.astimezone(ward.calendar.tz).date()
    timeline = Timeline(rng=rng, calendar=ward.calendar, today=today)
    procedures = list(
        Procedure.objects.filter(is_active=True, code__in=set(PROCEDURE_MIX) | set(DRAFT_MIX))
        .select_related("field")
        .prefetch_related("form_fields", "checklist")
        .order_by("code")
    )
    plans = [p for p in plan_dossiers(rng, procedures, timeline) if rng.random() < n.share]
    plans = [
        dataclasses.replace(p, fate=FATES["slow"]) if p.fate.name == "done" and rng.random() < n.slow else p
        for p in plans
    ]
    teller = Teller(rng=rng, ward=ward, timeline=timeline)
    tell([teller.story(plan) for plan in plans], cutoff=timeline.at(today, 0))
