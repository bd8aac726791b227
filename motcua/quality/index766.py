"""The Decision 766 index engine: each indicator's inputs, formula and points for a commune
(optionally one department or one officer) over the days [start, end].

Definitions are data (`definitions/qd766_v1.py`). The on-time rule (the national portal's, as
publicly described): a dossier received in the period counts as on time when it was finished,
returned, stopped or refused by its deadline (the extended one if an apology moved it), or is
still open and within its deadline at the end of the period. Time waiting for the resident's
supplementation does not count: the workflow restarts `due_at` on resubmission, and a dossier
waiting for supplementation at the period's end has no running clock. A dossier waiting for a
fee is judged at the moment it paused. A dossier sent back for supplementation twice or more
counts as late. A few queries per indicator; no per-dossier query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from motcua.dossiers.models import Channel, DocumentKind, Dossier, DossierDocument, State
from motcua.feedback.models import FeedbackItem
from motcua.feedback.models import State as FState
from motcua.geo.models import Commune

from .definitions import qd766_v1
from .models import Rating

NOT_MEASURABLE = "chưa đo được"
SATISFIED_RATING = 4  # feedback ratings are 1–5; 4 and 5 count as satisfied
SATISFIED_OVERALL = 1  # residents' ratings: 1 hài lòng and 2 rất hài lòng count as satisfied


@dataclass(frozen=True)
class Scope:
    commune: Commune
    start: dt.datetime  # inclusive
    end: dt.datetime  # exclusive: the period's end
    department_id: int | None = None
    officer_id: int | None = None


@dataclass
class Measure:
    numerator: int
    denominator: int
    pulled_down: list[int] = field(default_factory=list)


@dataclass
class IndicatorResult:
    code: str
    name: str
    group: str
    maximum: float
    measurable: bool
    numerator: int | None = None
    denominator: int | None = None
    ratio: float | None = None
    points: float | None = None
    formula: str = ""
    note: str = ""
    pulled_down: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "maximum": self.maximum,
            "points": None if self.points is None else round(self.points, 2),
            "numerator": self.numerator,
            "denominator": self.denominator,
            "ratio": None if self.ratio is None else round(self.ratio, 4),
        }


@dataclass
class IndexResult:
    version: str
    indicators: list[IndicatorResult]

    @property
    def total(self) -> float:
        return sum(i.points or 0.0 for i in self.indicators)

    @property
    def measurable_maximum(self) -> float:
        return sum(i.maximum for i in self.indicators if i.measurable)


def score(*, kind: str, maximum: float, ratio: float, threshold: float | None = None) -> float:
    """Points of one indicator: `ratio` (max × ratio) or `threshold` (full marks at the
    threshold, max × ratio / threshold below it); capped at the maximum."""
    if kind == "ratio":
        return min(maximum, maximum * ratio)
    if kind == "threshold":
        assert threshold
        return min(maximum, maximum * ratio / threshold)
    raise ValueError(kind)


def period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The days [start, end] in local time: from start's midnight to the midnight after end."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time(0), tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )


def _dossiers(scope: Scope) -> Any:
    qs = Dossier.objects.filter(
        commune=scope.commune, first_received_at__gte=scope.start, first_received_at__lt=scope.end
    )
    if scope.department_id is not None:
        qs = qs.filter(department_id=scope.department_id)
    if scope.officer_id is not None:
        qs = qs.filter(assignee_id=scope.officer_id)
    return qs


def dossier_on_time(d: dict[str, Any], period_end: dt.datetime) -> bool:
    if d["supplement_count"] >= 2:
        return False
    due = d["extended_due_at"] or d["due_at"]
    finished = d["finished_at"]
    if finished is not None and finished < period_end:
        return due is None or finished <= due
    if d["state"] == State.SUPPLEMENT_REQUESTED or due is None:
        return True  # waiting for the resident: the clock does not run
    if d["state"] == State.PENDING_FEE and d["paused_at"] is not None:
        return d["paused_at"] <= due
    return period_end <= due


def _on_time(scope: Scope) -> Measure:
    rows = list(
        _dossiers(scope).values(
            "id", "state", "supplement_count", "due_at", "extended_due_at", "finished_at", "paused_at"
        )
    )
    late = [r["id"] for r in rows if not dossier_on_time(r, scope.end)]
    return Measure(len(rows) - len(late), len(rows), sorted(late))


def _online(scope: Scope) -> Measure:
    rows = list(_dossiers(scope).values_list("id", "channel"))
    offline = sorted(i for i, c in rows if c != Channel.ONLINE)
    return Measure(len(rows) - len(offline), len(rows), offline)


def _without_document(dossiers: Any, kind: str) -> tuple[int, list[int]]:
    """How many `dossiers` there are, and (sorted) the ids of those without a document of `kind`:
    one COUNT and one NOT EXISTS read, never the period's ids sent back as a list."""
    dossiers = dossiers.order_by()
    has = Exists(DossierDocument.objects.filter(dossier=OuterRef("pk"), kind=kind))
    missing = sorted(dossiers.filter(~has).values_list("id", flat=True))
    return dossiers.count(), missing


def _dossier_digitised(scope: Scope) -> Measure:
    total, missing = _without_document(_dossiers(scope), DocumentKind.INPUT)
    return Measure(total - len(missing), total, missing)


def _result_digitised(scope: Scope) -> Measure:
    with_result = _dossiers(scope).filter(state__in=[State.RESULT_READY, State.RETURNED])
    total, missing = _without_document(with_result, DocumentKind.RESULT)
    return Measure(total - len(missing), total, missing)


def _feedback(scope: Scope) -> Any:
    qs = FeedbackItem.objects.filter(
        commune=scope.commune, received_at__gte=scope.start, received_at__lt=scope.end
    ).exclude(state__in=[FState.DUPLICATE, FState.REJECTED])
    if scope.department_id is not None:
        qs = qs.filter(department_id=scope.department_id)
    if scope.officer_id is not None:
        qs = qs.filter(assignee_id=scope.officer_id)
    return qs


def _feedback_on_time(scope: Scope) -> Measure:
    late = []
    rows = list(_feedback(scope).values_list("id", "due_at", "resolved_at"))
    for pk, due, resolved in rows:
        finished_in_period = resolved is not None and resolved < scope.end
        if not (resolved <= due if finished_in_period else scope.end <= due):
            late.append(pk)
    return Measure(len(rows) - len(late), len(rows), sorted(late))


def _feedback_satisfied(scope: Scope) -> Measure:
    rows = list(_feedback(scope).filter(rating__isnull=False).values_list("id", "rating"))
    low = sorted(pk for pk, r in rows if r < SATISFIED_RATING)
    return Measure(len(rows) - len(low), len(rows), low)


def _dossier_satisfied(scope: Scope) -> Measure:
    """Residents' ratings of the scope's dossiers (one each): satisfied = overall «hài lòng» or
    «rất hài lòng»; pulled down by the dossiers rated «không hài lòng»."""
    rows = list(
        Rating.objects.filter(dossier__in=_dossiers(scope).values("id")).values_list("dossier_id", "overall")
    )
    low = sorted(pk for pk, overall in rows if overall < SATISFIED_OVERALL)
    return Measure(len(rows) - len(low), len(rows), low)


MEASURES: dict[str, Callable[[Scope], Measure]] = {
    "on_time": _on_time,
    "online": _online,
    "dossier_digitised": _dossier_digitised,
    "result_digitised": _result_digitised,
    "feedback_on_time": _feedback_on_time,
    "feedback_satisfied": _feedback_satisfied,
    "dossier_satisfied": _dossier_satisfied,
}


def _formula(spec: dict[str, Any]) -> str:
    m = spec["maximum"]
    if spec["kind"] == "threshold":
        pct = round(spec["threshold"] * 100)
        base = f"{m} × min(1; tỷ lệ / {pct} %)"
    else:
        base = f"{m} × tỷ lệ"
    return base + ("; không phát sinh: đạt tối đa" if spec.get("when_empty") == "full" else "")


def compute_indicator(spec: dict[str, Any], scope: Scope) -> IndicatorResult:
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
    m = MEASURES[spec["measure"]](scope)
    res.numerator, res.denominator, res.pulled_down = m.numerator, m.denominator, m.pulled_down
    res.formula = _formula(spec)
    if m.denominator == 0:
        res.points = float(spec["maximum"]) if spec.get("when_empty") == "full" else 0.0
        return res
    res.ratio = m.numerator / m.denominator
    res.points = score(
        kind=spec["kind"], maximum=spec["maximum"], ratio=res.ratio, threshold=spec.get("threshold")
    )
    return res


def index_compute(
    *,
    commune: Commune,
    start: dt.date,
    end: dt.date,
    department_id: int | None = None,
    officer_id: int | None = None,
    definitions: Any = qd766_v1,
) -> IndexResult:
    since, until = period(start, end)
    scope = Scope(commune, since, until, department_id, officer_id)
    return IndexResult(
        version=definitions.VERSION,
        indicators=[compute_indicator(spec, scope) for spec in definitions.INDICATORS],
    )
