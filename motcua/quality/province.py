"""The province's ranking of its communes (issue 10 §3): which communes need help.

One row per commune of the province officer's province for the period: on-time rate (TD1's
inputs), overdue now, average wait at the counter (tickets issued in the period and called),
feedback resolved on time (HL1's inputs), the share of residents' ratings at «hài lòng» or
better, and the 766 total. Six grouped queries for the whole province, whatever its size.

The difficulty score (documented for the province's officers on the page too):
for each of the five measures — on-time rate (lower is worse), overdue now (higher is worse),
average wait (higher is worse), feedback on time (lower is worse), satisfaction (lower is
worse) — the communes whose value is in the province's worst quartile are flagged for it: the
value is at least as bad as the ⌈n/4⌉-th worst value among the n communes that have one, and is
not the province's best value (so that when most communes have 0 overdue none of them is
flagged). A commune without a value for a measure (nothing received, no tickets…) is not
flagged for it. The score is the number of measures flagged; communes are ranked by the
score (highest first), then by the lowest 766 total, then by name. Each row names its flags.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce
from openpyxl import Workbook

from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import BACKLOG_STATES
from motcua.geo.models import Commune, Province
from motcua.org.models import Role, User
from motcua.queueing.models import Ticket

from . import index766
from .dashboard import Period, aggregate_index, minutes, overdue_now_q, percent
from .models import Rating


def province_for(user: User) -> Province:
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed("Trang này dành cho cán bộ cấp tỉnh.")
    if user.has_role(Role.PROVINCE_OFFICER) and user.province_id:
        return Province.objects.get(pk=user.province_id)
    raise NotAllowed("Trang của tỉnh dành cho cán bộ cấp tỉnh.")


@dataclass
class CommuneRow:
    commune: Commune
    received: int = 0
    on_time: int = 0
    overdue: int = 0
    wait_seconds: float | None = None
    feedback: int = 0
    feedback_on_time: int = 0
    ratings: int = 0
    satisfied: int = 0
    total: float = 0.0
    maximum: float = 0.0
    flags: list[str] = field(default_factory=list)
    rank: int = 0

    @property
    def on_time_percent(self) -> float | None:
        return percent(self.on_time, self.received)

    @property
    def feedback_percent(self) -> float | None:
        return percent(self.feedback_on_time, self.feedback)

    @property
    def satisfied_percent(self) -> float | None:
        return percent(self.satisfied, self.ratings)

    @property
    def wait_min(self) -> str:
        return minutes(self.wait_seconds)

    @property
    def difficulty(self) -> int:
        return len(self.flags)

    @property
    def active(self) -> bool:
        """Anything recorded in the period (or overdue now): a commune with nothing is not
        compared (its zero overdue would push every working commune into the worst quarter) and
        is listed after the others, «chưa có dữ liệu trong kỳ»."""
        return bool(
            self.received or self.overdue or self.wait_seconds is not None or self.feedback or self.ratings
        )


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # as the flag reads
    value: Callable[[CommuneRow], float | None]
    worse_high: bool  # a higher value is worse


MEASURES = (
    Measure("dung-han", "tỷ lệ đúng hạn thấp", lambda r: r.on_time_percent, False),
    Measure("qua-han", "nhiều hồ sơ quá hạn", lambda r: float(r.overdue), True),
    Measure("cho", "chờ lâu tại quầy", lambda r: r.wait_seconds, True),
    Measure("phan-anh", "phản ánh xử lý đúng hạn thấp", lambda r: r.feedback_percent, False),
    Measure("hai-long", "mức hài lòng thấp", lambda r: r.satisfied_percent, False),
)

# ?sap= : a column, "-" in front for descending. Default: the difficulty ranking.
SORTS: dict[str, Callable[[CommuneRow], Any]] = {
    "kho-khan": lambda r: r.rank,
    "ten": lambda r: r.commune.name,
    "dung-han": lambda r: r.on_time_percent,
    "qua-han": lambda r: r.overdue,
    "cho": lambda r: r.wait_seconds,
    "phan-anh": lambda r: r.feedback_percent,
    "hai-long": lambda r: r.satisfied_percent,
    "diem": lambda r: r.total,
}


def parse_sort(raw: str) -> str:
    value = raw.strip() if len(raw) <= 20 else "x"
    if not value:
        return "kho-khan"
    if value.removeprefix("-") not in SORTS:
        raise ValidationFailed("Không sắp xếp được theo cột này.", code="bad_sort")
    return value


def flag_worst_quartile(rows: list[CommuneRow]) -> None:
    """Mark each row with the measures it is in the province's worst quartile of (see above)."""
    for m in MEASURES:
        values: list[tuple[float, CommuneRow]] = []
        for r in rows:
            v = m.value(r) if r.active else None
            if v is not None:
                values.append((v, r))
        if not values:
            continue
        ordered = sorted((v for v, _ in values), reverse=m.worse_high)  # worst first
        cutoff = ordered[math.ceil(len(ordered) / 4) - 1]
        best = ordered[-1]
        for v, r in values:
            as_bad = v >= cutoff if m.worse_high else v <= cutoff
            if as_bad and v != best:
                r.flags.append(m.label)


def rank(rows: list[CommuneRow]) -> None:
    ordered = sorted(rows, key=lambda r: (not r.active, -r.difficulty, r.total, r.commune.name, r.commune.pk))
    for i, r in enumerate(ordered, start=1):
        r.rank = i


def sort_rows(rows: list[CommuneRow], sort: str) -> list[CommuneRow]:
    key, desc = sort.removeprefix("-"), sort.startswith("-")
    get = SORTS[key]
    present = [r for r in rows if get(r) is not None]
    missing = [r for r in rows if get(r) is None]  # no value: always last
    present.sort(key=lambda r: (get(r), r.rank), reverse=desc)
    return present + sorted(missing, key=lambda r: r.rank)


@dataclass
class ProvinceView:
    province: Province
    period: Period
    now: dt.datetime
    rows: list[CommuneRow]
    sort: str


def communes_of(province: Province) -> QuerySet[Commune]:
    return Commune.objects.filter(province=province).order_by("name", "code")


def province_rows(*, communes: list[Commune], period: Period, now: dt.datetime) -> list[CommuneRow]:
    """Each commune's row, flagged and ranked."""
    rows = {c.pk: CommuneRow(commune=c) for c in communes}
    ids = list(rows)
    since, until = index766.period(period.start, period.end)
    for pk, idx in aggregate_index(communes=communes, start=period.start, end=period.end).items():
        r = rows[pk]
        r.total, r.maximum = round(idx.total, 2), idx.measurable_maximum
        by = {i.code: i for i in idx.indicators}
        if "TD1" in by:
            r.on_time, r.received = by["TD1"].numerator or 0, by["TD1"].denominator or 0
        if "HL1" in by:
            r.feedback_on_time, r.feedback = by["HL1"].numerator or 0, by["HL1"].denominator or 0
    overdue = (
        Dossier.objects.filter(commune_id__in=ids, state__in=BACKLOG_STATES, finished_at__isnull=True)
        .annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
        .filter(overdue_now_q(now))
        .order_by()
        .values("commune_id")
        .annotate(n=Count("id"))
    )
    for o in overdue:
        rows[o["commune_id"]].overdue = o["n"]
    wait = ExpressionWrapper(F("called_at") - F("issued_at"), output_field=DurationField())
    waits = (
        Ticket.objects.filter(
            commune_id__in=ids, day__gte=period.start, day__lte=period.end, called_at__isnull=False
        )
        .order_by()
        .values("commune_id")
        .annotate(w=Avg(wait))
    )
    for w in waits:
        if w["w"] is not None:
            rows[w["commune_id"]].wait_seconds = w["w"].total_seconds()
    ratings = (
        Rating.objects.filter(commune_id__in=ids, created_at__gte=since, created_at__lt=until)
        .order_by()
        .values("commune_id")
        .annotate(n=Count("id"), sat=Count("id", filter=Q(overall__gte=1)))
    )
    for g in ratings:
        rows[g["commune_id"]].ratings, rows[g["commune_id"]].satisfied = g["n"], g["sat"]
    out = list(rows.values())
    flag_worst_quartile(out)
    rank(out)
    return out


def province_view_for(
    *, user: User, period: Period, now: dt.datetime, sort: str = "kho-khan"
) -> ProvinceView:
    province = province_for(user)
    rows = province_rows(communes=list(communes_of(province)), period=period, now=now)
    return ProvinceView(province=province, period=period, now=now, rows=sort_rows(rows, sort), sort=sort)


def _pct(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def province_xlsx(view: ProvinceView) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Xếp hạng xã phường"
    append_text_row(
        ws, [f"{view.province.name} — từ {view.period.start:%d/%m/%Y} đến {view.period.end:%d/%m/%Y}"]
    )
    append_text_row(ws, [
        "Hạng", "Mã xã/phường", "Xã/phường", "Hồ sơ tiếp nhận", "Đúng hạn (%)", "Quá hạn hiện nay",
        "Chờ trung bình (phút)", "Phản ánh đúng hạn (%)", "Hài lòng (%)", "Điểm 766", "Điểm tối đa đo được",
        "Số tiêu chí khó khăn", "Lý do",
    ])  # fmt: skip
    for r in view.rows:
        append_text_row(ws, [
            r.rank, str(r.commune.code), r.commune.name, r.received, _pct(r.on_time_percent), r.overdue,
            r.wait_min, _pct(r.feedback_percent), _pct(r.satisfied_percent), r.total, r.maximum,
            r.difficulty, "; ".join(r.flags),
        ])  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
