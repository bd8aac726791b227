"""Skill gaps and training needs (issue 11 §6): per commune and procedure field, the demand, who
can handle it, and how many people to train; the province's communes ranked by their gaps.

Per field (catalog.ProcedureField), over the period [start, end] (local days; default the last
90 days):
- demand: dossiers received in the period whose procedure is of the field, and queue tickets
  issued in the period of the service groups linked to the field (GroupField; a group serving two
  fields counts its tickets for both);
- skilled people: the commune's active staff with a Skill in the field at CAN or TRAINER;
  LEARNING is counted apart; trainers are the TRAINER ones;
- dossiers per skilled officer per month: the field's dossiers ÷ 30-day months of the period ÷
  skilled people (none when nobody is skilled);
- overdue share: of the field's dossiers received in the period, those late by the 766 on-time
  rule (`motcua.quality.index766.dossier_on_time`) at the period's end or now, whichever is
  earlier — finished after the deadline, or still open past it (a dossier waiting for the
  resident's supplementation or for a fee since before its deadline is not late; sent back for
  supplementation twice or more is late), written as one SQL condition (`late_q`);
- a gap: demand (any dossier or ticket) and nobody skilled.

The training-needs rule (shown on the page too): a field with demand should have
- at least MIN_SKILLED (2) skilled people, so that one absence does not stop the field;
- enough skilled people to keep each at or below TARGET_PER_MONTH (60) dossiers a month:
  ⌈dossiers a month ÷ 60⌉;
- one more when more than OVERDUE_LIMIT (20 %) of its dossiers are late.
The need is that number minus the skilled people (never below 0). Who could train: the
commune's TRAINER people of the field; none → a province-level course.

The province's ranking (`province_rows`): per commune the fields with demand and nobody skilled
(gaps), the highest dossiers per skilled officer per month among its fields, the overdue share of
all its dossiers, the people to train and the job positions' shortfall; the communes in
difficulty first: most gaps, then the highest dossiers per skilled officer, then the highest
overdue share, then name. Every number comes from a handful of grouped queries for the whole
province, whatever the number of communes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from openpyxl import Workbook

from motcua.catalog.models import ProcedureField
from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.dossiers.models import Dossier, State
from motcua.geo.models import Commune, Province
from motcua.org.models import Role, User
from motcua.quality import index766
from motcua.quality.dashboard import Period, parse_period
from motcua.queueing.models import Ticket

from .models import JobPosition, Skill, SkillLevel

DEFAULT_DAYS = 90
DEFAULT_PRESET = "90-ngay"
TARGET_PER_MONTH = 60
MIN_SKILLED = 2
OVERDUE_LIMIT = 20.0  # percent
MONTH_DAYS = 30


# ------------------------------------------------------------------------------------------
# who reads what, the period
# ------------------------------------------------------------------------------------------


def commune_for(user: User) -> Commune:
    """The commune whose gaps the user reads: their own, as its leader, a department head or
    its administrator; anybody else → 403."""
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed("Trang này dành cho lãnh đạo xã/phường.")
    if user.commune_id and user.has_role(Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD, Role.ADMIN):
        return Commune.objects.get(pk=user.commune_id)
    raise NotAllowed("Kỹ năng và nhu cầu đào tạo dành cho lãnh đạo, trưởng phòng và quản trị xã/phường.")


def default_period(today: dt.date) -> Period:
    return Period(today - dt.timedelta(days=DEFAULT_DAYS - 1), today, DEFAULT_PRESET)


def gaps_period(*, start: str = "", end: str = "", preset: str = "", today: dt.date) -> Period:
    """Nothing given, or `?ky=90-ngay`: the last 90 days up to today; otherwise the quality
    dashboards' periods (presets, `tu`/`den`, at most 400 days; bad input → ValidationFailed)."""
    if preset.strip() == DEFAULT_PRESET or not (start.strip() or end.strip() or preset.strip()):
        return default_period(today)
    return parse_period(start=start, end=end, preset=preset, today=today)


# ------------------------------------------------------------------------------------------
# the numbers
# ------------------------------------------------------------------------------------------


def late_q(asof: dt.datetime) -> Q:
    """A dossier late at `asof` by `index766.dossier_on_time`, as a condition on a queryset
    annotated with `eff_due` (the extended deadline, else the deadline)."""
    finished = Q(finished_at__isnull=False, finished_at__lt=asof)
    still_open = Q(finished_at__isnull=True) | Q(finished_at__gte=asof)
    fee_wait = Q(state=State.PENDING_FEE, paused_at__isnull=False)
    open_late = (
        still_open
        & ~Q(state=State.SUPPLEMENT_REQUESTED)
        & Q(eff_due__isnull=False)
        & ((fee_wait & Q(paused_at__gt=F("eff_due"))) | (~fee_wait & Q(eff_due__lt=asof)))
    )
    finished_late = finished & Q(eff_due__isnull=False, finished_at__gt=F("eff_due"))
    return Q(supplement_count__gte=2) | finished_late | open_late


@dataclass
class FieldRow:
    field_id: int
    name: str
    months: float
    dossiers: int = 0
    late: int = 0
    tickets: int = 0
    skilled: int = 0
    trainers: int = 0
    learning: int = 0
    trainer_names: list[str] = field(default_factory=list)

    @property
    def demand(self) -> bool:
        return self.dossiers + self.tickets > 0

    @property
    def gap(self) -> bool:
        return self.demand and self.skilled == 0

    @property
    def per_month(self) -> float:
        return self.dossiers / self.months

    @property
    def per_skilled(self) -> float | None:
        """Dossiers per skilled officer per month; None when nobody is skilled."""
        return None if self.skilled == 0 else self.per_month / self.skilled

    @property
    def overdue_percent(self) -> float | None:
        return None if self.dossiers == 0 else 100 * self.late / self.dossiers

    @property
    def per_skilled_text(self) -> str:
        return _text(self.per_skilled)

    @property
    def overdue_text(self) -> str:
        return _text(self.overdue_percent, " %")

    @property
    def wanted(self) -> int:
        """Skilled people the field should have (the training-needs rule, see the module)."""
        if not self.demand:
            return 0
        by_load = math.ceil(round(self.per_month / TARGET_PER_MONTH, 9))
        extra = 1 if (self.overdue_percent or 0.0) > OVERDUE_LIMIT else 0
        return max(MIN_SKILLED, by_load + extra)

    @property
    def need(self) -> int:
        return max(0, self.wanted - self.skilled)

    @property
    def trainer_text(self) -> str:
        if self.trainer_names:
            return "Người hướng dẫn trong xã: " + ", ".join(self.trainer_names)
        return "Không có người hướng dẫn trong xã: đề nghị tỉnh mở lớp bồi dưỡng"

    @property
    def need_text(self) -> str:
        """«Lĩnh vực X: cần đào tạo N người (hiện có M người làm được, K đang học; P hồ sơ/người;
        Q % quá hạn)»."""
        load = (
            "chưa có ai làm được"
            if self.per_skilled is None
            else f"{_num(self.per_skilled)} hồ sơ/người/tháng"
        )
        late = "chưa có hồ sơ" if self.overdue_percent is None else f"{_num(self.overdue_percent)} % quá hạn"
        return (
            f"Lĩnh vực {self.name}: cần đào tạo {self.need} người (hiện có {self.skilled} người làm được, "
            f"{self.learning} đang học; {load}; {late})"
        )


def _num(x: float) -> str:
    return f"{x:.1f}".replace(".", ",").removesuffix(",0")


def _text(x: float | None, unit: str = "") -> str:
    return "—" if x is None else _num(x) + unit


def _months(period: Period) -> float:
    return period.days / MONTH_DAYS


def field_rows(
    *, commune_ids: list[int], period: Period, now: dt.datetime, trainer_names: bool = False
) -> dict[int, dict[int, FieldRow]]:
    """Per commune, per field with demand or anybody skilled or learning: its row. Four grouped
    queries (five with the trainers' names) whatever the number of communes."""
    since, until = index766.period(period.start, period.end)
    asof = min(until, now)
    months = _months(period)
    out: dict[int, dict[int, FieldRow]] = defaultdict(dict)

    def row(commune_id: int, field_id: int) -> FieldRow:
        rows = out[commune_id]
        if field_id not in rows:
            rows[field_id] = FieldRow(field_id=field_id, name="", months=months)
        return rows[field_id]

    dossiers = (
        Dossier.objects.filter(
            commune_id__in=commune_ids, first_received_at__gte=since, first_received_at__lt=until
        )
        .annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
        .order_by()
        .values("commune_id", "procedure__field_id")
        .annotate(n=Count("id"), late=Count("id", filter=late_q(asof)))
    )
    for d in dossiers:
        r = row(d["commune_id"], d["procedure__field_id"])
        r.dossiers, r.late = d["n"], d["late"]
    tickets = (
        Ticket.objects.filter(
            commune_id__in=commune_ids,
            day__gte=period.start,
            day__lte=period.end,
        )
        .order_by()
        .values("commune_id", "group__field_links__field_id")
        .annotate(n=Count("id"))
    )
    for t in tickets:
        if t["group__field_links__field_id"] is None:
            continue  # a group linked to no field
        row(t["commune_id"], t["group__field_links__field_id"]).tickets = t["n"]
    skills = (
        Skill.objects.filter(user__commune_id__in=commune_ids, user__is_active=True)
        .order_by()
        .values("user__commune_id", "field_id", "level")
        .annotate(n=Count("user_id"))
    )
    for s in skills:
        r = row(s["user__commune_id"], s["field_id"])
        if s["level"] == SkillLevel.LEARNING:
            r.learning += s["n"]
        else:
            r.skilled += s["n"]
            if s["level"] == SkillLevel.TRAINER:
                r.trainers += s["n"]
    if trainer_names:
        trainers = (
            Skill.objects.filter(
                user__commune_id__in=commune_ids, user__is_active=True, level=SkillLevel.TRAINER
            )
            .order_by("user__full_name", "user__username")
            .values_list("user__commune_id", "field_id", "user__full_name", "user__username")
        )
        for commune_id, field_id, full_name, username in trainers:
            row(commune_id, field_id).trainer_names.append(full_name or username)
    ids = {f for rows in out.values() for f in rows}
    names = dict(ProcedureField.objects.filter(pk__in=ids).values_list("pk", "name"))
    for rows in out.values():
        for r in rows.values():
            r.name = names.get(r.field_id, "")
    return out


def _field_order(r: FieldRow) -> tuple[Any, ...]:
    """Gaps first, then the most people to train, the heaviest load, the most overdue."""
    return (not r.gap, -r.need, -(r.per_skilled or 0.0), -(r.overdue_percent or 0.0), r.name)


@dataclass
class PositionRow:
    position: JobPosition
    holders: int
    fields: list[FieldRow]

    @property
    def shortfall(self) -> int:
        return max(0, self.position.headcount - self.holders)

    @property
    def gaps(self) -> list[FieldRow]:
        return [f for f in self.fields if f.need > 0]


def _positions(commune_ids: Iterable[int]) -> dict[int, list[tuple[JobPosition, int]]]:
    """Open job positions with the active people holding them (one query)."""
    holders = Count("profiles", filter=Q(profiles__user__is_active=True))
    out: dict[int, list[tuple[JobPosition, int]]] = defaultdict(list)
    for p in (
        JobPosition.objects.filter(commune_id__in=list(commune_ids), closed_at__isnull=True)
        .annotate(holders=holders)
        .order_by("commune_id", "name")
    ):
        out[p.commune_id].append((p, p.holders))
    return out


@dataclass
class CommuneGaps:
    commune: Commune
    period: Period
    now: dt.datetime
    fields: list[FieldRow]
    positions: list[PositionRow]
    from_province: bool = False

    @property
    def needs(self) -> list[FieldRow]:
        return [f for f in self.fields if f.need > 0]

    @property
    def gaps(self) -> list[FieldRow]:
        return [f for f in self.fields if f.gap]

    @property
    def total_need(self) -> int:
        return sum(f.need for f in self.fields)


def commune_gaps(
    *, commune: Commune, period: Period, now: dt.datetime, from_province: bool = False
) -> CommuneGaps:
    rows = field_rows(commune_ids=[commune.pk], period=period, now=now, trainer_names=True).get(
        commune.pk, {}
    )
    fields = sorted(rows.values(), key=_field_order)
    links: dict[int, set[int]] = defaultdict(set)
    for position_id, field_id in JobPosition.fields.through.objects.filter(
        jobposition__commune=commune
    ).values_list("jobposition_id", "procedurefield_id"):
        links[position_id].add(field_id)
    positions = [
        PositionRow(p, holders, [f for f in fields if f.field_id in links[p.pk]])
        for p, holders in _positions([commune.pk]).get(commune.pk, [])
    ]
    return CommuneGaps(commune, period, now, fields, positions, from_province)


def commune_gaps_for(*, user: User, period: Period, now: dt.datetime) -> CommuneGaps:
    return commune_gaps(commune=commune_for(user), period=period, now=now)


# ------------------------------------------------------------------------------------------
# the province
# ------------------------------------------------------------------------------------------


@dataclass
class CommuneRow:
    commune: Commune
    fields_with_demand: int = 0
    gap_names: list[str] = field(default_factory=list)
    top_load: float | None = None  # the highest dossiers per skilled officer per month
    top_load_field: str = ""
    dossiers: int = 0
    late: int = 0
    need: int = 0
    shortfall: int = 0
    rank: int = 0

    @property
    def gaps(self) -> int:
        return len(self.gap_names)

    @property
    def overdue_percent(self) -> float | None:
        return None if self.dossiers == 0 else 100 * self.late / self.dossiers

    @property
    def top_load_text(self) -> str:
        return _text(self.top_load)

    @property
    def overdue_text(self) -> str:
        return _text(self.overdue_percent, " %")

    @property
    def reasons(self) -> list[str]:
        out = []
        if self.gap_names:
            out.append(f"{self.gaps} lĩnh vực có việc mà không ai làm được: " + ", ".join(self.gap_names))
        if self.top_load is not None and self.top_load > TARGET_PER_MONTH:
            out.append(
                f"{self.top_load_field}: {_num(self.top_load)} hồ sơ/người/tháng (vượt mức {TARGET_PER_MONTH})"
            )
        if self.overdue_percent is not None and self.overdue_percent > OVERDUE_LIMIT:
            out.append(f"{_num(self.overdue_percent)} % hồ sơ quá hạn")
        if self.shortfall:
            out.append(f"thiếu {self.shortfall} người so với vị trí việc làm")
        if self.need:
            out.append(f"cần đào tạo {self.need} người")
        return out


def _rank_key(r: CommuneRow) -> tuple[Any, ...]:
    return (-r.gaps, -(r.top_load or 0.0), -(r.overdue_percent or 0.0), r.commune.name, r.commune.pk)


# ?sap= : a column, "-" in front for descending. Default: the difficulty ranking.
SORTS: dict[str, Callable[[CommuneRow], Any]] = {
    "kho-khan": lambda r: r.rank,
    "ten": lambda r: r.commune.name,
    "thieu": lambda r: r.gaps,
    "tai": lambda r: r.top_load,
    "qua-han": lambda r: r.overdue_percent,
    "dao-tao": lambda r: r.need,
    "dinh-bien": lambda r: r.shortfall,
}
_SORT = re.compile(r"-?[a-z-]{1,20}")


def parse_sort(raw: str) -> str:
    value = raw.strip()
    if not value:
        return "kho-khan"
    if not _SORT.fullmatch(value) or value.removeprefix("-") not in SORTS:
        raise ValidationFailed("Không sắp xếp được theo cột này.", code="bad_sort")
    return value


def sort_rows(rows: list[CommuneRow], sort: str) -> list[CommuneRow]:
    key, desc = sort.removeprefix("-"), sort.startswith("-")
    get = SORTS[key]
    present = [r for r in rows if get(r) is not None]
    missing = [r for r in rows if get(r) is None]  # no value: always last
    present.sort(key=lambda r: (get(r), r.rank), reverse=desc)
    return present + sorted(missing, key=lambda r: r.rank)


def province_for(user: User) -> Province:
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed("Trang này dành cho cán bộ cấp tỉnh.")
    if user.has_role(Role.PROVINCE_OFFICER) and user.province_id:
        return Province.objects.get(pk=user.province_id)
    raise NotAllowed("Trang của tỉnh dành cho cán bộ cấp tỉnh.")


def province_commune_for(*, user: User, commune_code: int) -> Commune:
    """A commune of the province officer's province; another province's → 404."""
    province = province_for(user)
    commune = Commune.objects.filter(pk=commune_code, province=province).first()
    if commune is None:
        raise NotFound("Không tìm thấy xã/phường.")
    return commune


def province_rows(*, communes: list[Commune], period: Period, now: dt.datetime) -> list[CommuneRow]:
    """Each commune's row, ranked (rank 1: the most in difficulty)."""
    ids = [c.pk for c in communes]
    rows = {c.pk: CommuneRow(commune=c) for c in communes}
    for commune_id, fields in field_rows(commune_ids=ids, period=period, now=now).items():
        r = rows[commune_id]
        for f in sorted(fields.values(), key=lambda f: f.name):
            r.fields_with_demand += f.demand
            if f.gap:
                r.gap_names.append(f.name)
            if f.per_skilled is not None and (r.top_load is None or f.per_skilled > r.top_load):
                r.top_load, r.top_load_field = f.per_skilled, f.name
            r.dossiers += f.dossiers
            r.late += f.late
            r.need += f.need
    for commune_id, positions in _positions(ids).items():
        rows[commune_id].shortfall = sum(max(0, p.headcount - n) for p, n in positions)
    out = list(rows.values())
    for i, r in enumerate(sorted(out, key=_rank_key), start=1):
        r.rank = i
    return out


@dataclass
class ProvinceGaps:
    province: Province
    period: Period
    now: dt.datetime
    rows: list[CommuneRow]
    sort: str


def province_gaps_for(
    *, user: User, period: Period, now: dt.datetime, sort: str = "kho-khan"
) -> ProvinceGaps:
    province = province_for(user)
    communes = list(Commune.objects.filter(province=province).order_by("name", "code"))
    rows = province_rows(communes=communes, period=period, now=now)
    return ProvinceGaps(province, period, now, sort_rows(rows, sort), sort)


def province_commune_gaps_for(
    *, user: User, commune_code: int, period: Period, now: dt.datetime
) -> CommuneGaps:
    commune = province_commune_for(user=user, commune_code=commune_code)
    return commune_gaps(commune=commune, period=period, now=now, from_province=True)


# ------------------------------------------------------------------------------------------
# workbooks (every cell text or a number, never a formula)
# ------------------------------------------------------------------------------------------


def _pct(value: float | None) -> float | str:
    return "" if value is None else round(value, 1)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def commune_xlsx(g: CommuneGaps) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Lĩnh vực"
    append_text_row(ws, [f"{g.commune.name} — từ {g.period.start:%d/%m/%Y} đến {g.period.end:%d/%m/%Y}"])
    append_text_row(ws, [
        "Lĩnh vực", "Hồ sơ tiếp nhận", "Số thứ tự xếp hàng", "Người làm được", "Trong đó hướng dẫn được",
        "Đang học", "Hồ sơ/người/tháng", "Quá hạn (%)", "Thiếu người", "Cần đào tạo", "Người hướng dẫn",
    ])  # fmt: skip
    for f in g.fields:
        append_text_row(ws, [
            f.name, f.dossiers, f.tickets, f.skilled, f.trainers, f.learning,
            "" if f.per_skilled is None else round(f.per_skilled, 1), _pct(f.overdue_percent),
            "Có" if f.gap else "", f.need, f.trainer_text,
        ])  # fmt: skip
    needs = wb.create_sheet("Nhu cầu đào tạo")
    append_text_row(needs, ["Nhu cầu", "Người hướng dẫn"])
    for f in g.needs:
        append_text_row(needs, [f.need_text, f.trainer_text])
    positions = wb.create_sheet("Vị trí việc làm")
    append_text_row(
        positions,
        ["Vị trí việc làm", "Số người cần có", "Số người đang giữ", "Thiếu", "Lĩnh vực cần đào tạo"],
    )
    for p in g.positions:
        append_text_row(positions, [
            p.position.name, p.position.headcount, p.holders, p.shortfall,
            "; ".join(f"{f.name}: {f.need} người" for f in p.gaps),
        ])  # fmt: skip
    return _save(wb)


def province_xlsx(v: ProvinceGaps) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Kỹ năng các xã phường"
    append_text_row(ws, [f"{v.province.name} — từ {v.period.start:%d/%m/%Y} đến {v.period.end:%d/%m/%Y}"])
    append_text_row(ws, [
        "Hạng", "Mã xã/phường", "Xã/phường", "Lĩnh vực có việc", "Lĩnh vực không ai làm được",
        "Hồ sơ/người/tháng cao nhất", "Lĩnh vực đó", "Quá hạn (%)", "Cần đào tạo (người)",
        "Thiếu so với vị trí việc làm", "Lý do",
    ])  # fmt: skip
    for r in v.rows:
        append_text_row(ws, [
            r.rank, str(r.commune.code), r.commune.name, r.fields_with_demand, r.gaps,
            "" if r.top_load is None else round(r.top_load, 1), r.top_load_field, _pct(r.overdue_percent),
            r.need, r.shortfall, "; ".join(r.reasons),
        ])  # fmt: skip
    return _save(wb)
