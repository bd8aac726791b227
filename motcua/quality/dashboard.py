"""The commune leader's quality dashboard (issue 10 §3) and the indicator drill-down: the reads.

Who reads what (decided here, see `dashboard_scope_for`):
- a commune leader reads their own commune, whole;
- a department head (not also a leader) reads their own commune restricted to their department
  (dossiers, feedback items, ratings and the 766 index of that department; the queue card is not
  shown: tickets belong to the center, not to a department);
- a province officer reads any commune of their province, read-only, through `/chat-luong/tinh/…`;
- anybody else (counter officer, specialist, the commune's administrator, residents) → 403.
  The administrator runs the system; the figures are the leadership's.

Numbers are about the period [start, end] (local days, inclusive): dossiers and feedback items
received in it (the 766 engine's rule), tickets issued in it, ratings made in it. Backlog and
overdue are "now". The 766 figures come from `aggregate_index` — the engine's indicators computed
with a few grouped queries for many communes and months at once (`index766.index_compute` reads a
row per dossier; the drill-down uses it because it needs the ids that pulled an indicator down).
`test_dashboard.py` checks the two give the same numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from openpyxl import Workbook

from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.dossiers.models import Channel, DocumentKind, Dossier, DossierDocument, State
from motcua.dossiers.selectors import BACKLOG_STATES, overdue_now_q
from motcua.feedback.models import FeedbackItem
from motcua.feedback.models import State as FState
from motcua.geo.models import Commune
from motcua.org.models import Department, Role, User
from motcua.queueing.models import ServiceGroup, Ticket, TicketState

from . import index766
from .definitions import qd766_v1, tt01_2018_v1
from .index766 import NOT_MEASURABLE, IndexResult, IndicatorResult, Scope, score
from .models import Rating
from .officers import comment_public

MAX_PERIOD_DAYS = 400
FIRST_DAY = dt.date(2020, 1, 1)
TREND_MONTHS = 12
LATEST_COMMENTS = 5
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

PRESETS = {
    "thang-nay": "Tháng này",
    "thang-truoc": "Tháng trước",
    "quy-nay": "Quý này",
    "nam-nay": "Năm nay",
}


# ------------------------------------------------------------------------------------------
# who reads which commune
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """What the acting user reads: one commune, maybe one department of it; `province` when a
    province officer reads it from the province's page."""

    commune: Commune
    department: Department | None = None
    province: bool = False

    @property
    def department_id(self) -> int | None:
        return self.department.pk if self.department else None


def dashboard_scope_for(*, user: User, commune_code: int | None = None) -> Access:
    """The commune the user may read. Without `commune_code`: their own (leader: whole;
    department head: their department). With it (the province's pages): a commune of the
    province officer's province; another province's commune, or a commune the user does not
    lead, is 404; a commune's own staff on the province's pages is 403."""
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed("Trang này dành cho lãnh đạo.")
    if commune_code is not None:
        if user.has_role(Role.PROVINCE_OFFICER) and user.province_id:
            commune = Commune.objects.filter(pk=commune_code, province_id=user.province_id).first()
            if commune is None:
                raise NotFound("Không tìm thấy xã/phường.")
            return Access(commune=commune, province=True)
        if user.commune_id != commune_code:
            raise NotFound("Không tìm thấy xã/phường.")
        raise NotAllowed("Trang của tỉnh dành cho cán bộ cấp tỉnh.")
    if user.commune_id and user.has_role(Role.COMMUNE_LEADER):
        return Access(commune=Commune.objects.get(pk=user.commune_id))
    if user.commune_id and user.department_id and user.has_role(Role.DEPARTMENT_HEAD):
        department = Department.objects.select_related("commune").get(pk=user.department_id)
        return Access(commune=department.commune, department=department)
    raise NotAllowed("Bảng chất lượng phục vụ dành cho lãnh đạo xã/phường và trưởng phòng.")


# ------------------------------------------------------------------------------------------
# the period
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    preset: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> str:
        return f"tu={self.start.isoformat()}&den={self.end.isoformat()}"


def _quarter_start(day: dt.date) -> dt.date:
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def preset_period(name: str, *, today: dt.date) -> Period:
    if name == "thang-truoc":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return Period(last.replace(day=1), last, name)
    if name == "quy-nay":
        return Period(_quarter_start(today), today, name)
    if name == "nam-nay":
        return Period(today.replace(month=1, day=1), today, name)
    return Period(today.replace(day=1), today, "thang-nay")


def _date(raw: str, label: str) -> dt.date | None:
    value = raw.strip() if len(raw) <= 20 else "x"
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{label} phải là một ngày có dạng năm-tháng-ngày, ví dụ 2026-03-18.", code="bad_period"
        ) from None


def parse_period(*, start: str = "", end: str = "", preset: str = "", today: dt.date) -> Period:
    """`?ky=` (a preset: thang-nay, thang-truoc, quy-nay, nam-nay) or `?tu=`/`?den=` (local dates,
    inclusive); nothing given: this month up to today. At most 400 days; a bad date, an end
    before the start or a longer period is a Vietnamese ValidationFailed."""
    if preset.strip():
        if preset.strip() not in PRESETS:
            raise ValidationFailed("Không có khoảng thời gian chọn sẵn này.", code="bad_period")
        return preset_period(preset.strip(), today=today)
    first, last = _date(start, "Ngày bắt đầu"), _date(end, "Ngày kết thúc")
    if first is None and last is None:
        return preset_period("thang-nay", today=today)
    last = last or today
    first = first or last.replace(day=1)
    if first > last:
        raise ValidationFailed("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.", code="bad_period")
    if first < FIRST_DAY or last > today + dt.timedelta(days=366):
        raise ValidationFailed("Khoảng thời gian nằm ngoài khoảng có số liệu.", code="bad_period")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed(f"Khoảng thời gian dài tối đa {MAX_PERIOD_DAYS} ngày.", code="bad_period")
    return Period(first, last)


# ------------------------------------------------------------------------------------------
# the 766 index, aggregated: a few grouped queries for many communes and windows
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    key: str
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive


def _dossier_on_time_q(end: dt.datetime) -> Q:
    """`index766.dossier_on_time` as a condition (on a queryset annotated with `eff_due`)."""
    finished = Q(finished_at__isnull=False, finished_at__lt=end)
    rest = Q(finished_at__isnull=True) | Q(finished_at__gte=end)
    waiting = Q(state=State.SUPPLEMENT_REQUESTED) | Q(eff_due__isnull=True)
    paused = Q(state=State.PENDING_FEE, paused_at__isnull=False)
    clock = ~Q(state=State.SUPPLEMENT_REQUESTED) & Q(eff_due__isnull=False)
    return Q(supplement_count__lt=2) & (
        (finished & (Q(eff_due__isnull=True) | Q(finished_at__lte=F("eff_due"))))
        | (rest & waiting)
        | (rest & clock & paused & Q(paused_at__lte=F("eff_due")))
        | (rest & clock & (~Q(state=State.PENDING_FEE) | Q(paused_at__isnull=True)) & Q(eff_due__gte=end))
    )


def _feedback_on_time_q(end: dt.datetime) -> Q:
    finished = Q(resolved_at__isnull=False, resolved_at__lt=end)
    rest = Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)
    return (finished & Q(resolved_at__lte=F("due_at"))) | (rest & Q(due_at__gte=end))


SQL_MEASURES = frozenset(
    {
        "on_time",
        "online",
        "dossier_digitised",
        "result_digitised",
        "feedback_on_time",
        "feedback_satisfied",
        "dossier_satisfied",
    }
)
WITH_RESULT = (State.RESULT_READY, State.RETURNED)

Counts = dict[str, tuple[int, int]]  # measure → (numerator, denominator)


def aggregate_measures(
    *,
    communes: Sequence[Commune],
    windows: Sequence[Window],
    department_id: int | None = None,
    definitions: Any = qd766_v1,
) -> dict[tuple[int, str], Counts]:
    """Every measure the definitions use, for each commune and window: one grouped query on
    dossiers, one on their documents and one on feedback items for all of them together (a
    measure this module does not know — added to the engine later — is read through the
    engine, commune by commune). Only the rows received within the windows are read."""
    ids = [c.pk for c in communes]
    out: dict[tuple[int, str], Counts] = {(c, w.key): {} for c in ids for w in windows}
    used = {spec["measure"] for spec in definitions.INDICATORS if spec["kind"] != "not_measurable"}
    if not ids or not windows:
        return out
    first, last = min(w.start for w in windows), max(w.end for w in windows)

    dossiers = Dossier.objects.filter(
        commune_id__in=ids, first_received_at__gte=first, first_received_at__lt=last
    )
    feedback = FeedbackItem.objects.filter(
        commune_id__in=ids, received_at__gte=first, received_at__lt=last
    ).exclude(state__in=[FState.DUPLICATE, FState.REJECTED])
    if department_id is not None:
        dossiers = dossiers.filter(department_id=department_id)
        feedback = feedback.filter(department_id=department_id)
    documents = DossierDocument.objects.filter(
        dossier__in=dossiers.values("id"), kind__in=[DocumentKind.INPUT, DocumentKind.RESULT]
    )
    dossiers = dossiers.annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
    d_aggs: dict[str, Any] = {}
    doc_aggs: dict[str, Any] = {}
    f_aggs: dict[str, Any] = {}
    for i, w in enumerate(windows):
        inside = Q(first_received_at__gte=w.start, first_received_at__lt=w.end)
        d_aggs[f"n{i}"] = Count("id", filter=inside)
        d_aggs[f"ontime{i}"] = Count("id", filter=inside & _dossier_on_time_q(w.end))
        d_aggs[f"online{i}"] = Count("id", filter=inside & Q(channel=Channel.ONLINE))
        d_aggs[f"res{i}"] = Count("id", filter=inside & Q(state__in=WITH_RESULT))
        d_aggs[f"rated{i}"] = Count("id", filter=inside & Q(rating__isnull=False))
        d_aggs[f"sat{i}"] = Count("id", filter=inside & Q(rating__overall__gte=index766.SATISFIED_OVERALL))
        doc_in = Q(dossier__first_received_at__gte=w.start, dossier__first_received_at__lt=w.end)
        doc_aggs[f"input{i}"] = Count("dossier_id", distinct=True, filter=doc_in & Q(kind=DocumentKind.INPUT))
        doc_aggs[f"resdoc{i}"] = Count(
            "dossier_id",
            distinct=True,
            filter=doc_in & Q(kind=DocumentKind.RESULT, dossier__state__in=WITH_RESULT),
        )
        f_in = Q(received_at__gte=w.start, received_at__lt=w.end)
        f_aggs[f"n{i}"] = Count("id", filter=f_in)
        f_aggs[f"ontime{i}"] = Count("id", filter=f_in & _feedback_on_time_q(w.end))
        f_aggs[f"rated{i}"] = Count("id", filter=f_in & Q(rating__isnull=False))
        f_aggs[f"sat{i}"] = Count("id", filter=f_in & Q(rating__gte=index766.SATISFIED_RATING))
    d_rows = {r["commune_id"]: r for r in dossiers.order_by().values("commune_id").annotate(**d_aggs)}
    for r in documents.order_by().values("dossier__commune_id").annotate(**doc_aggs):
        d_rows.setdefault(r["dossier__commune_id"], {}).update(r)
    f_rows = {r["commune_id"]: r for r in feedback.order_by().values("commune_id").annotate(**f_aggs)}
    for c in communes:
        d, f = d_rows.get(c.pk, {}), f_rows.get(c.pk, {})
        for i, w in enumerate(windows):
            counts = out[(c.pk, w.key)]
            counts["on_time"] = (d.get(f"ontime{i}", 0), d.get(f"n{i}", 0))
            counts["online"] = (d.get(f"online{i}", 0), d.get(f"n{i}", 0))
            counts["dossier_digitised"] = (d.get(f"input{i}", 0), d.get(f"n{i}", 0))
            counts["result_digitised"] = (d.get(f"resdoc{i}", 0), d.get(f"res{i}", 0))
            counts["feedback_on_time"] = (f.get(f"ontime{i}", 0), f.get(f"n{i}", 0))
            counts["feedback_satisfied"] = (f.get(f"sat{i}", 0), f.get(f"rated{i}", 0))
            counts["dossier_satisfied"] = (d.get(f"sat{i}", 0), d.get(f"rated{i}", 0))
            for measure in used - SQL_MEASURES:  # a measure added to the engine after this module
                m = index766.MEASURES[measure](Scope(c, w.start, w.end, department_id, None))
                counts[measure] = (m.numerator, m.denominator)
    return out


def indicator_from_counts(spec: dict[str, Any], counts: Counts) -> IndicatorResult:
    """One indicator from its measure's counts, scored as `index766.compute_indicator` does."""
    res = IndicatorResult(
        code=spec["code"],
        name=spec["name"],
        group=spec["group"],
        maximum=spec["maximum"],
        measurable=spec["kind"] != "not_measurable",
        note=spec.get("note", ""),
    )
    if not res.measurable:
        res.formula = NOT_MEASURABLE
        return res
    res.numerator, res.denominator = counts[spec["measure"]]
    res.formula = index766._formula(spec)
    if res.denominator == 0:
        res.points = float(spec["maximum"]) if spec.get("when_empty") == "full" else 0.0
        return res
    res.ratio = res.numerator / res.denominator
    res.points = score(
        kind=spec["kind"], maximum=spec["maximum"], ratio=res.ratio, threshold=spec.get("threshold")
    )
    return res


def index_from_counts(counts: Counts, definitions: Any = qd766_v1) -> IndexResult:
    return IndexResult(
        version=definitions.VERSION,
        indicators=[indicator_from_counts(spec, counts) for spec in definitions.INDICATORS],
    )


def aggregate_index(
    *,
    communes: Sequence[Commune],
    start: dt.date,
    end: dt.date,
    department_id: int | None = None,
    definitions: Any = qd766_v1,
) -> dict[int, IndexResult]:
    """The 766 index of each commune over [start, end], as `index_compute` gives it (without the
    pulled-down ids)."""
    since, until = index766.period(start, end)
    counts = aggregate_measures(
        communes=communes, windows=[Window("p", since, until)], department_id=department_id,
        definitions=definitions,
    )  # fmt: skip
    return {c.pk: index_from_counts(counts[(c.pk, "p")], definitions) for c in communes}


def trend_months(today: dt.date, months: int = TREND_MONTHS) -> list[tuple[dt.date, dt.date]]:
    """The last `months` calendar months up to today's, oldest first: (first day, last day or today)."""
    out = []
    first = today.replace(day=1)
    for _ in range(months):
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        out.append((first, min(today, nxt - dt.timedelta(days=1))))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out[::-1]


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    total: float
    maximum: float

    @property
    def label(self) -> str:
        return f"{self.month:%m/%Y}"


def trend_for(*, commune: Commune, today: dt.date, department_id: int | None = None) -> list[TrendPoint]:
    windows = []
    for first, last in trend_months(today):
        since, until = index766.period(first, last)
        windows.append(Window(first.isoformat(), since, until))
    counts = aggregate_measures(communes=[commune], windows=windows, department_id=department_id)
    out = []
    for w in windows:
        idx = index_from_counts(counts[(commune.pk, w.key)])
        out.append(TrendPoint(dt.date.fromisoformat(w.key), round(idx.total, 2), idx.measurable_maximum))
    return out


# ------------------------------------------------------------------------------------------
# the cards
# ------------------------------------------------------------------------------------------


def percent(num: int | None, den: int | None) -> float | None:
    return None if not den or num is None else 100.0 * num / den


@dataclass(frozen=True)
class Share:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        return percent(self.numerator, self.denominator)


@dataclass(frozen=True)
class BacklogRow:
    name: str
    total: int
    overdue: int


def _p80(values: Sequence[float]) -> float | None:
    """The 80th percentile by nearest rank (the value 80 % of waits do not exceed)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.8 * len(ordered)) - 1)] if ordered else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def minutes(seconds: float | None) -> str:
    """Minutes with one decimal and a decimal comma; "" when there is nothing to show."""
    return "" if seconds is None else f"{seconds / 60:.1f}".replace(".", ",")


@dataclass
class QueueRow:
    letter: str
    name: str
    issued: int = 0
    served: int = 0
    wait_mean: float | None = None  # seconds
    wait_p80: float | None = None
    service_mean: float | None = None

    @property
    def wait_mean_min(self) -> str:
        return minutes(self.wait_mean)

    @property
    def wait_p80_min(self) -> str:
        return minutes(self.wait_p80)

    @property
    def service_mean_min(self) -> str:
        return minutes(self.service_mean)


class Percentile80(Aggregate):
    """PostgreSQL's nearest-rank 80th percentile (the value 80 % of the rows do not exceed)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(0.8) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


class AnswerValue(Func):
    """One question's answer in `answers` as 0, 1 or 2 — NULL when missing or anything else
    (PostgreSQL; a key such as "1" is an object key, not an array index). A JSON number equal to
    0, 1 or 2 counts, a string "2" or true does not: as the SQLite path reads them."""

    template = (
        "CASE jsonb_extract_path(%(expressions)s)"
        " WHEN '0'::jsonb THEN 0 WHEN '1'::jsonb THEN 1 WHEN '2'::jsonb THEN 2 END"
    )
    output_field = IntegerField()

    def __init__(self, code: str) -> None:
        super().__init__(F("answers"), Value(code))


def _seconds(value: dt.timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


@dataclass(frozen=True)
class QuestionRow:
    code: str
    text: str
    answered: int
    average: float | None  # on the 0–2 scale


@dataclass
class RatingStats:
    count: int
    satisfied: int  # hài lòng or rất hài lòng
    distribution: list[tuple[int, str, int]]  # (overall, label, count), best first
    questions: list[QuestionRow]
    latest: list[Rating]

    @property
    def satisfied_percent(self) -> float | None:
        return percent(self.satisfied, self.count)


@dataclass
class Dashboard:
    access: Access
    period: Period
    now: dt.datetime
    on_time: Share
    backlog: list[BacklogRow]
    backlog_total: int
    overdue_total: int
    queue: list[QueueRow] | None
    queue_total: QueueRow | None
    feedback_on_time: Share
    ratings: RatingStats
    index: IndexResult
    trend: list[TrendPoint]

    @property
    def commune(self) -> Commune:
        return self.access.commune


def backlog_for(*, commune: Commune, now: dt.datetime, department_id: int | None = None) -> list[BacklogRow]:
    """Open dossiers per department now, and how many are past their deadline (one query)."""
    qs = Dossier.objects.filter(commune=commune, state__in=BACKLOG_STATES, finished_at__isnull=True)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    late = overdue_now_q(now)
    rows = (
        qs.annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
        .values("department__name")
        .annotate(total=Count("id"), late=Count("id", filter=late))
        .order_by("-late", "-total", "department__name")
    )
    return [
        BacklogRow(r["department__name"] or "Bộ phận Một cửa (chưa chuyển phòng)", r["total"], r["late"])
        for r in rows
    ]


def _local_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    return index766.period(period.start, period.end)


def queue_for(*, commune: Commune, period: Period) -> tuple[list[QueueRow], QueueRow]:
    """Per service group (the line the ticket ended in): numbers issued in the period, served,
    average and 80th-percentile wait (taking the number → the call), average service (the call →
    the finish, served tickets). On PostgreSQL two aggregate queries (per group, and the whole
    center); SQLite has no percentile aggregate: there the durations are read and computed here
    (the tests run both and expect the same numbers)."""
    names = dict(ServiceGroup.objects.filter(commune=commune).values_list("letter", "name"))
    groups = {x: QueueRow(x, n) for x, n in sorted(names.items())}
    total = QueueRow("", "Cả trung tâm")
    tickets = Ticket.objects.filter(commune=commune, day__gte=period.start, day__lte=period.end).order_by()
    wait = ExpressionWrapper(F("called_at") - F("issued_at"), output_field=DurationField())
    service = ExpressionWrapper(F("finished_at") - F("called_at"), output_field=DurationField())
    counts = {"issued": Count("id"), "served": Count("id", filter=Q(state=TicketState.DONE))}
    if connection.vendor == "postgresql":
        measures = {
            "wait_mean": Avg(wait),
            "wait_p80": Percentile80(wait),
            "service_mean": Avg(service, filter=Q(state=TicketState.DONE)),
        }
        rows = [
            (r.pop("queue_group__letter"), r)
            for r in tickets.values("queue_group__letter").annotate(**counts, **measures)
        ]
        rows.append(("", tickets.aggregate(**counts, **measures)))
        for letter, r in rows:
            row = total if letter == "" else groups.setdefault(letter, QueueRow(letter, letter))
            row.issued, row.served = r["issued"], r["served"]
            row.wait_mean, row.wait_p80 = _seconds(r["wait_mean"]), _seconds(r["wait_p80"])
            row.service_mean = _seconds(r["service_mean"])
        return list(groups.values()), total
    for r in tickets.values("queue_group__letter").annotate(**counts):
        g = groups.setdefault(
            r["queue_group__letter"], QueueRow(r["queue_group__letter"], r["queue_group__letter"])
        )
        g.issued, g.served = r["issued"], r["served"]
        total.issued += r["issued"]
        total.served += r["served"]
    waits: dict[str, list[float]] = {}
    services: dict[str, list[float]] = {}
    measured = (
        tickets.filter(called_at__isnull=False)
        .annotate(wait=wait, service=service)
        .values_list("queue_group__letter", "state", "wait", "service")
    )
    for letter, state, w, sv in measured:
        for key in (letter, ""):
            waits.setdefault(key, []).append(w.total_seconds())
            if state == TicketState.DONE and sv is not None:
                services.setdefault(key, []).append(sv.total_seconds())
    for key, row in [*groups.items(), ("", total)]:
        row.wait_mean, row.wait_p80 = _mean(waits.get(key, [])), _p80(waits.get(key, []))
        row.service_mean = _mean(services.get(key, []))
    return list(groups.values()), total


def ratings_for(*, commune: Commune, period: Period, department_id: int | None = None) -> RatingStats:
    """Residents' ratings made in the period: how many, the share satisfied (hài lòng or rất hài
    lòng), the distribution of the overall level, the average of each question of the current
    questionnaire (0–2), the latest comments."""
    since, until = _local_bounds(period)
    qs = Rating.objects.filter(commune=commune, created_at__gte=since, created_at__lt=until)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    by_level = dict(qs.order_by().values_list("overall").annotate(n=Count("id")))
    count = sum(by_level.values())
    distribution = [(level, label, by_level.get(level, 0)) for level, label in tt01_2018_v1.OVERALL]
    current = qs.filter(questionnaire=tt01_2018_v1.VERSION).order_by()
    if connection.vendor == "postgresql":  # one aggregate query
        aggs: dict[str, Any] = {}
        for q in tt01_2018_v1.QUESTIONS:
            aggs[f"n{q['code']}"] = Count(AnswerValue(q["code"]))
            aggs[f"a{q['code']}"] = Avg(AnswerValue(q["code"]))
        got = current.aggregate(**aggs)
        questions = [
            QuestionRow(q["code"], q["text"], got[f"n{q['code']}"],
                        None if got[f"a{q['code']}"] is None else float(got[f"a{q['code']}"]))
            for q in tt01_2018_v1.QUESTIONS
        ]  # fmt: skip
    else:  # SQLite: the answers are read and averaged here (the tests run both)
        sums: dict[str, list[int]] = {q["code"]: [] for q in tt01_2018_v1.QUESTIONS}
        for answers in current.values_list("answers", flat=True):
            if not isinstance(answers, dict):
                continue
            for code, values in sums.items():
                v = answers.get(code)
                if isinstance(v, int | float) and not isinstance(v, bool) and v in (0, 1, 2):
                    values.append(int(v))
        questions = [
            QuestionRow(q["code"], q["text"], len(sums[q["code"]]), _mean(sums[q["code"]]))
            for q in tt01_2018_v1.QUESTIONS
        ]
    # Residents write phone numbers, e-mails, ID numbers and names into comments: the dashboard
    # (read by the province too) shows them masked, as the officer's page does.
    latest: list[Rating] = list(
        qs.exclude(comment="")
        .annotate(applicant=F("dossier__applicant_name"))
        .order_by("-created_at", "-id")[:LATEST_COMMENTS]
    )
    for r in latest:
        r.public_comment = comment_public(r.comment, applicant_name=r.applicant or "")  # type: ignore[attr-defined]
    return RatingStats(
        count=count,
        satisfied=sum(n for level, n in by_level.items() if level >= 1),
        distribution=distribution,
        questions=questions,
        latest=latest,
    )


def dashboard_for(
    *, user: User, period: Period, now: dt.datetime, commune_code: int | None = None
) -> Dashboard:
    """The leader's dashboard of the commune the user may read (see the module's docstring)."""
    access = dashboard_scope_for(user=user, commune_code=commune_code)
    commune, dept = access.commune, access.department_id
    index = aggregate_index(communes=[commune], start=period.start, end=period.end, department_id=dept)[
        commune.pk
    ]
    by = {i.code: i for i in index.indicators}
    backlog = backlog_for(commune=commune, now=now, department_id=dept)
    queue, queue_total = (None, None) if dept is not None else queue_for(commune=commune, period=period)
    td1, hl1 = by.get("TD1"), by.get("HL1")
    return Dashboard(
        access=access,
        period=period,
        now=now,
        on_time=Share(td1.numerator or 0, td1.denominator or 0) if td1 else Share(0, 0),
        backlog=backlog,
        backlog_total=sum(r.total for r in backlog),
        overdue_total=sum(r.overdue for r in backlog),
        queue=queue,
        queue_total=queue_total,
        feedback_on_time=Share(hl1.numerator or 0, hl1.denominator or 0) if hl1 else Share(0, 0),
        ratings=ratings_for(commune=commune, period=period, department_id=dept),
        index=index,
        trend=trend_for(commune=commune, today=timezone.localtime(now).date(), department_id=dept),
    )


# ------------------------------------------------------------------------------------------
# the drill-down: which dossiers or feedback items pulled an indicator down
# ------------------------------------------------------------------------------------------

FEEDBACK_MEASURES = frozenset({"feedback_on_time", "feedback_satisfied"})
DRILL_PAGE = 50


@dataclass(frozen=True)
class PulledRow:
    kind: str  # "dossier" or "feedback"
    pk: int
    code: str
    what: str  # the procedure, or the feedback item's title
    department: str
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    reason: str


@dataclass
class Drill:
    access: Access
    period: Period
    indicator: IndicatorResult
    spec: dict[str, Any]
    ids: list[int]

    @property
    def kind(self) -> str:
        return "feedback" if self.spec.get("measure") in FEEDBACK_MEASURES else "dossier"


def _spec(code: str) -> dict[str, Any]:
    for spec in qd766_v1.INDICATORS:
        if spec["code"] == code:
            return spec
    raise NotFound("Không có chỉ số này.")


def indicator_for(*, user: User, code: str, period: Period, commune_code: int | None = None) -> Drill:
    """One indicator of the commune the user may read: inputs, formula, points and the ids that
    pulled it down (the engine's own list)."""
    if len(code) > 10:
        raise NotFound("Không có chỉ số này.")
    spec = _spec(code)
    access = dashboard_scope_for(user=user, commune_code=commune_code)
    since, until = index766.period(period.start, period.end)
    scope = Scope(access.commune, since, until, access.department_id, None)
    result = index766.compute_indicator(spec, scope)  # this indicator only, as index_compute does
    return Drill(access=access, period=period, indicator=result, spec=spec, ids=list(result.pulled_down))


def _dossier_reason(measure: str, d: Dossier, period_end: dt.datetime) -> str:
    if measure == "on_time":
        if d.supplement_count >= 2:
            return f"Yêu cầu bổ sung {d.supplement_count} lần (từ 2 lần trở lên tính là trễ hạn)"
        due = d.effective_due_at
        if d.finished_at is not None and d.finished_at < period_end:
            return "Giải quyết xong sau hạn"
        if d.state == State.PENDING_FEE and d.paused_at is not None:
            return "Chờ nghĩa vụ tài chính từ sau hạn"
        if due is not None and due < period_end:
            return "Chưa giải quyết xong, đã quá hạn"
        return "Trễ hạn"
    if measure == "online":
        return f"Không nộp trực tuyến ({d.get_channel_display().lower()})"
    if measure == "dossier_digitised":
        return "Thành phần hồ sơ chưa được số hóa"
    if measure == "result_digitised":
        return "Kết quả chưa được số hóa"
    if measure == "dossier_satisfied":
        return "Người dân đánh giá «Không hài lòng»"
    return "Làm giảm điểm chỉ số"


def drill_rows(drill: Drill, ids: Iterable[int]) -> list[PulledRow]:
    """The rows of one page of the drill-down (one query for the page's ids)."""
    wanted = list(ids)
    measure = drill.spec.get("measure", "")
    _, period_end = _local_bounds(drill.period)
    if drill.kind == "feedback":
        items = {
            f.pk: f
            for f in FeedbackItem.objects.filter(commune=drill.access.commune, pk__in=wanted).select_related(
                "department"
            )
        }
        out = []
        for pk in wanted:
            f = items.get(pk)
            if f is None:
                continue
            if measure == "feedback_satisfied":
                reason = f"Người phản ánh đánh giá {f.rating}/5"
            elif f.resolved_at is not None and f.resolved_at < period_end:
                reason = "Xử lý xong sau hạn"
            else:
                reason = "Chưa xử lý xong, đã quá hạn"
            out.append(PulledRow("feedback", f.pk, f.code, f.title, f.department.name if f.department else "",
                                 f.due_at, f.resolved_at, reason))  # fmt: skip
        return out
    dossiers = {
        d.pk: d
        for d in Dossier.objects.filter(commune=drill.access.commune, pk__in=wanted).select_related(
            "procedure", "department"
        )
    }
    rows = []
    for pk in wanted:
        d = dossiers.get(pk)
        if d is None:
            continue
        rows.append(PulledRow("dossier", d.pk, d.code or "", d.procedure.name,
                              d.department.name if d.department else "Bộ phận Một cửa",
                              d.effective_due_at, d.finished_at, _dossier_reason(measure, d, period_end)))  # fmt: skip
    return rows


# ------------------------------------------------------------------------------------------
# the workbook
# ------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 2) -> float | str:
    return "" if value is None else round(value, digits)


def index_sheet_rows(index: IndexResult) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for i in index.indicators:
        rows.append([
            i.code, i.name, i.group, i.maximum,
            "" if i.numerator is None else i.numerator, "" if i.denominator is None else i.denominator,
            "" if i.ratio is None else round(100 * i.ratio, 2), i.formula,
            NOT_MEASURABLE if not i.measurable else _num(i.points), i.note,
        ])  # fmt: skip
    rows.append(["", "Tổng điểm", "", index.measurable_maximum, "", "", "", "", round(index.total, 2), ""])
    return rows


INDEX_HEADER = [
    "Mã",
    "Chỉ số",
    "Nhóm",
    "Điểm tối đa",
    "Tử số",
    "Mẫu số",
    "Tỷ lệ (%)",
    "Công thức",
    "Điểm",
    "Ghi chú",
]


def dashboard_xlsx(d: Dashboard) -> bytes:
    """The dashboard's tables as sheets of text and number cells (never a formula)."""
    wb = Workbook()
    title = f"{d.commune.name} — từ {d.period.start:%d/%m/%Y} đến {d.period.end:%d/%m/%Y}"
    if d.access.department:
        title += f" — {d.access.department.name}"
    ws = wb.active
    assert ws is not None
    ws.title = "Chỉ số 766"
    append_text_row(ws, [f"Chỉ số Quyết định 766 — {title}"])
    append_text_row(ws, INDEX_HEADER)
    for row in index_sheet_rows(d.index):
        append_text_row(ws, row)
    wp = wb.create_sheet("Theo phòng")
    append_text_row(wp, [f"Hồ sơ đang giải quyết lúc {timezone.localtime(d.now):%H:%M %d/%m/%Y}"])
    append_text_row(wp, ["Phòng", "Đang giải quyết", "Trong đó quá hạn"])
    for r in d.backlog:
        append_text_row(wp, [r.name, r.total, r.overdue])
    if d.queue is not None and d.queue_total is not None:
        wq = wb.create_sheet("Xếp hàng")
        append_text_row(wq, ["Nhóm", "Tên nhóm", "Đã lấy số", "Đã phục vụ", "Chờ trung bình (phút)",
                             "Chờ P80 (phút)", "Phục vụ trung bình (phút)"])  # fmt: skip
        for g in [*d.queue, d.queue_total]:
            append_text_row(wq, [g.letter, g.name, g.issued, g.served, g.wait_mean_min, g.wait_p80_min,
                                 g.service_mean_min])  # fmt: skip
    wt = wb.create_sheet("Theo tháng")
    append_text_row(wt, ["Tháng", "Tổng điểm 766", "Điểm tối đa đo được"])
    for t in d.trend:
        append_text_row(wt, [t.label, t.total, t.maximum])
    wr = wb.create_sheet("Đánh giá")
    append_text_row(wr, ["Số lượt đánh giá", d.ratings.count])
    append_text_row(wr, ["Hài lòng trở lên (%)", _num(d.ratings.satisfied_percent, 1)])
    for _, label, n in d.ratings.distribution:
        append_text_row(wr, [label, n])
    append_text_row(wr, [])
    append_text_row(wr, ["Câu hỏi", "Nội dung", "Số lượt trả lời", "Điểm trung bình (0–2)"])
    for q in d.ratings.questions:
        append_text_row(wr, [q.code, q.text, q.answered, _num(q.average)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
