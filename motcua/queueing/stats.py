"""The queue's statistics of one day at one center (issue 8 §8): what the leader reads.

One query reads the day's tickets; everything else is arithmetic here. Waits are from taking
the number to the call (the last call after a transfer), service from the call to the finish
(the walk to the counter counted, as the estimator counts it). Groups are the lines the tickets
ended in (after a transfer, the new group).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from openpyxl import Workbook

from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .models import ServiceGroup, Ticket, TicketState

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
STAFF_ROLES = (Role.COMMUNE_LEADER, Role.COUNTER_OFFICER, Role.ADMIN)


def stats_communes_for(user: User) -> QuerySet[Commune]:
    """The centers whose statistics this user may read: their own commune (leader, counter
    officer, administrator), or their province's communes (province officer)."""
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed("Trang này dành cho cán bộ.")
    if user.has_role(*STAFF_ROLES) and user.commune_id:
        return Commune.objects.filter(pk=user.commune_id)
    if user.has_role(Role.PROVINCE_OFFICER) and user.province_id:
        return Commune.objects.filter(province_id=user.province_id).order_by("name", "code")
    raise NotAllowed(
        "Thống kê xếp hàng dành cho lãnh đạo, cán bộ một cửa, quản trị xã/phường và cán bộ tỉnh."
    )


def stats_commune(*, user: User, code: str) -> Commune:
    """The commune asked for (`?xa=`), one the user may read; else their first (own) one."""
    communes = stats_communes_for(user)
    raw = code.strip() if len(code) <= 20 else "x"
    if not raw:
        commune = communes.first()
    elif raw.isascii() and raw.isdigit() and len(raw) <= 9:
        commune = communes.filter(pk=int(raw)).first()
    else:
        commune = None
    if commune is None:
        raise NotFound("Không tìm thấy xã/phường.")
    return commune


def parse_day(raw: str, *, today: dt.date) -> dt.date:
    """`?ngay=YYYY-MM-DD` (empty: today), else a Vietnamese 422."""
    value = raw.strip() if len(raw) <= 20 else "x"
    if not value:
        return today
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            "Ngày phải có dạng năm-tháng-ngày, ví dụ 2026-03-18.", code="bad_day"
        ) from None
    if not dt.date(2020, 1, 1) <= day <= today + dt.timedelta(days=366):
        raise ValidationFailed("Ngày nằm ngoài khoảng có số liệu.", code="bad_day")
    return day


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _p90(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)] if ordered else None


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.1f}".replace(".", ",")


@dataclass
class GroupRow:
    letter: str
    name: str
    issued: int = 0
    served: int = 0
    no_show: int = 0
    left: int = 0
    waiting: int = 0
    waits: list[float] = field(default_factory=list, repr=False)
    services: list[float] = field(default_factory=list, repr=False)

    @property
    def wait_mean(self) -> float | None:
        return _mean(self.waits)

    @property
    def wait_p90(self) -> float | None:
        return _p90(self.waits)

    @property
    def service_mean(self) -> float | None:
        return _mean(self.services)

    # Minutes with a decimal comma, "" when there is nothing to average (the page and the workbook).
    @property
    def wait_mean_min(self) -> str:
        return _minutes(self.wait_mean)

    @property
    def wait_p90_min(self) -> str:
        return _minutes(self.wait_p90)

    @property
    def service_mean_min(self) -> str:
        return _minutes(self.service_mean)


@dataclass
class CounterRow:
    number: int
    served: int = 0
    services: list[float] = field(default_factory=list, repr=False)

    @property
    def service_mean(self) -> float | None:
        return _mean(self.services)

    @property
    def service_mean_min(self) -> str:
        return _minutes(self.service_mean)


@dataclass(frozen=True)
class Bar:
    hour: int
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass
class DayStats:
    commune: Commune
    day: dt.date
    groups: list[GroupRow]
    counters: list[CounterRow]
    per_hour: dict[int, int]
    total: GroupRow

    def bars(self, *, width: float = 640, height: float = 200, top: float = 20) -> list[Bar]:
        """The tickets-per-hour chart's bars (07:00 to 17:00 at least, every hour with a ticket)."""
        hours = sorted(set(range(7, 17)) | set(self.per_hour))
        peak = max([*self.per_hour.values(), 1])
        step = width / len(hours)
        out = []
        for i, h in enumerate(hours):
            n = self.per_hour.get(h, 0)
            bar = (height - top) * n / peak
            out.append(Bar(hour=h, count=n, x=round(i * step + step * 0.15, 1), y=round(height - bar, 1),
                           width=round(step * 0.7, 1), height=round(bar, 1)))  # fmt: skip
        return out


def day_stats(*, commune: Commune, day: dt.date) -> DayStats:
    """The day's statistics per group, per counter and per hour of issue."""
    names = {g.letter: g.name for g in ServiceGroup.objects.filter(commune=commune)}
    groups: dict[str, GroupRow] = {x: GroupRow(x, n) for x, n in sorted(names.items())}
    counters: dict[int, CounterRow] = {}
    per_hour: dict[int, int] = {}
    total = GroupRow("", "Cả trung tâm")
    rows = Ticket.objects.filter(commune=commune, day=day).values_list(
        "queue_group__letter", "state", "issued_at", "called_at", "finished_at", "counter__number"
    )
    for letter, state, issued, called, finished, counter in rows:
        g = groups.setdefault(letter, GroupRow(letter, names.get(letter, letter)))
        hour = issued.astimezone(LOCAL_TZ).hour
        per_hour[hour] = per_hour.get(hour, 0) + 1
        for row in (g, total):
            row.issued += 1
            row.served += state == TicketState.DONE
            row.no_show += state == TicketState.NO_SHOW
            row.left += state == TicketState.LEFT
            row.waiting += state == TicketState.WAITING
            if called is not None:
                row.waits.append((called - issued).total_seconds())
            if state == TicketState.DONE and called is not None and finished is not None:
                row.services.append((finished - called).total_seconds())
        if state == TicketState.DONE and counter is not None:
            c = counters.setdefault(counter, CounterRow(counter))
            c.served += 1
            if called is not None and finished is not None:
                c.services.append((finished - called).total_seconds())
    return DayStats(
        commune=commune,
        day=day,
        groups=list(groups.values()),
        counters=[counters[n] for n in sorted(counters)],
        per_hour=per_hour,
        total=total,
    )


def day_stats_xlsx(stats: DayStats) -> bytes:
    """The day's statistics as a workbook of text and number cells (never a formula)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Theo nhóm"
    append_text_row(ws, [f"Thống kê xếp hàng — {stats.commune.name} — ngày {stats.day:%d/%m/%Y}"])
    append_text_row(ws, [
        "Nhóm", "Tên nhóm", "Đã lấy số", "Đã phục vụ", "Vắng mặt", "Rời đi", "Đang chờ",
        "Chờ trung bình (phút)", "Chờ P90 (phút)", "Phục vụ trung bình (phút)",
    ])  # fmt: skip
    for g in [*stats.groups, stats.total]:
        append_text_row(ws, [
            g.letter, g.name, g.issued, g.served, g.no_show, g.left, g.waiting,
            g.wait_mean_min, g.wait_p90_min, g.service_mean_min,
        ])  # fmt: skip
    wc = wb.create_sheet("Theo quầy")
    append_text_row(wc, ["Quầy", "Đã phục vụ", "Phục vụ trung bình (phút)"])
    for c in stats.counters:
        append_text_row(wc, [c.number, c.served, c.service_mean_min])
    wh = wb.create_sheet("Theo giờ")
    append_text_row(wh, ["Giờ", "Số đã lấy"])
    for h in sorted(stats.per_hour):
        append_text_row(wh, [f"{h:02d}:00–{h + 1:02d}:00", stats.per_hour[h]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
