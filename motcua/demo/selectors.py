"""Reads about the demo ward: is it loaded, what it holds, how to log in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motcua.dossiers.models import Channel, Dossier, State
from motcua.org.models import Role, User

from . import ward as W

# The screen each role works in (where logging in takes it: org.account_views.start_page_for_role).
_SCREENS = {
    Role.COUNTER_OFFICER: "Tiếp nhận hồ sơ",
    Role.SPECIALIST: "Việc của tôi",
    Role.DEPARTMENT_HEAD: "Việc của phòng, phân công",
    Role.COMMUNE_LEADER: "Hồ sơ chờ phê duyệt",
    Role.DATA_OFFICER: "Hợp nhất danh sách dân cư các phường cũ",
    Role.ADMIN: "Quản trị phường: phòng ban, cán bộ, thông tin đơn vị",
    Role.PROVINCE_OFFICER: "Tổng quan hồ sơ của tỉnh",
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
    from motcua.org.account_views import start_page_for_role

    logins = []
    for s in (*W.STAFF, W.INSTALLATION_ADMIN):
        screen = _SCREENS[Role(s.role)]
        if s.superuser:
            screen += "; danh mục thủ tục dùng chung"
        logins.append(
            DemoLogin(
                username=s.username,
                full_name=s.full_name,
                role="Quản trị cài đặt" if s.superuser else Role(s.role).label,
                position=s.position,
                screen=screen,
                # As account_views.start_page: the installation admin lands on the catalogue.
                path="/thu-tuc/" if s.superuser else start_page_for_role(s.role),
                featured=s.featured,
            )
        )
    return logins


def demo_foreign_data() -> list[str]:
    """What the database holds that the demo did not create: the communes set up for real
    (a profile not marked as the demo's), their staff and their dossiers. Empty means the
    demo may load; a demo loaded before profiles existed still counts as the demo's."""
    from motcua.org.models import CommuneProfile

    real = list(CommuneProfile.objects.filter(created_by_demo=False).values_list("commune__name", flat=True))
    demo_communes = set(
        CommuneProfile.objects.filter(created_by_demo=True).values_list("commune_id", flat=True)
    )
    if demo_is_loaded() and not CommuneProfile.objects.filter(commune_id=W.COMMUNE_CODE).exists():
        demo_communes.add(W.COMMUNE_CODE)
    found = [f"thông tin đơn vị của {name}" for name in real]
    staff = User.objects.filter(commune__isnull=False).exclude(commune_id__in=demo_communes).count()
    if staff:
        found.append(f"{staff} tài khoản cán bộ của xã, phường khác")
    dossiers = Dossier.objects.exclude(commune_id__in=demo_communes).count()
    if dossiers:
        found.append(f"{dossiers} hồ sơ của xã, phường khác")
    return found


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


def demo_queue_today(*, now: dt.datetime) -> tuple[int, int]:
    """Today's tickets at the demo's center and how many of them wait now."""
    from motcua.queueing.models import Ticket, TicketState
    from motcua.queueing.services import local_day

    today = Ticket.objects.filter(commune_id=W.COMMUNE_CODE, day=local_day(now))
    return today.count(), today.filter(state=TicketState.WAITING).count()
