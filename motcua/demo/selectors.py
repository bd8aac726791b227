"""Reads about the demo ward: is it loaded, what it holds, how to log in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse

from motcua.dossiers.models import Channel, Dossier, State
from motcua.org.models import Role, User

from . import ward as W

# The screen each role works in (where logging in takes it).
_SCREENS = {
    Role.COUNTER_OFFICER: ("Tiếp nhận hồ sơ", "dossiers:counter"),
    Role.SPECIALIST: ("Việc của tôi", "dossiers:inbox"),
    Role.DEPARTMENT_HEAD: ("Việc của phòng, phân công", "dossiers:inbox"),
    Role.COMMUNE_LEADER: ("Hồ sơ chờ phê duyệt", "dossiers:approvals"),
    Role.DATA_OFFICER: ("Hợp nhất danh sách dân cư các phường cũ", "registers:jobs"),
    Role.ADMIN: ("Sổ theo dõi hồ sơ", "dossiers:book"),
    Role.PROVINCE_OFFICER: ("Sổ theo dõi hồ sơ của tỉnh", "dossiers:book"),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: str  # the role's Vietnamese label
    position: str
    screen: str
    path: str
    featured: bool


@dataclass(frozen=True)
class DemoSummary:
    by_state: list[tuple[str, str, int]]  # (state, label, count) in the order of State
    total: int
    overdue: int
    extended: int
    assisted: int
    online: int


def demo_is_loaded() -> bool:
    """The demo is loaded when all its staff accounts exist."""
    return User.objects.filter(username__in=[s.username for s in W.STAFF]).count() == len(W.STAFF)


def demo_logins() -> list[DemoLogin]:
    logins = []
    for s in W.STAFF:
        screen, url_name = _SCREENS[Role(s.role)]
        logins.append(
            DemoLogin(
                username=s.username,
                full_name=s.full_name,
                role=Role(s.role).label,
                position=s.position,
                screen=screen,
                path=reverse(url_name),
                featured=s.featured,
            )
        )
    return logins


def demo_summary(*, now: dt.datetime) -> DemoSummary:
    dossiers = list(Dossier.objects.filter(commune_id=W.COMMUNE_CODE))
    counts = {state: 0 for state in State}
    for d in dossiers:
        counts[State(d.state)] += 1
    return DemoSummary(
        by_state=[(state.value, state.label, counts[state]) for state in State],
        total=len(dossiers),
        overdue=sum(d.is_overdue(now) for d in dossiers),
        extended=sum(d.extended_due_at is not None for d in dossiers),
        assisted=sum(d.assisted_by_volunteer for d in dossiers),
        online=sum(d.channel == Channel.ONLINE for d in dossiers),
    )
