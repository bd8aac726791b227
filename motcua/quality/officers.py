"""An officer's own numbers over a period (issue 10 §4), and who may read them.

What each number means (the officer's page, the list, the workbooks and
`motcua quality officers` all read them from here):

- **received** (`tiếp nhận`): dossiers whose `received_by` is the officer, first received in the
  period.
- **handled** (`được giao xử lý`): dossiers whose `assignee` is the officer, first received in
  the period — the same dossiers as the officer's slice of the 766 index (`index_compute(
  officer_id=…)`), so «đúng hạn» here and the TD1 indicator agree. Who acted on a dossier at
  other steps (the desk's receipt, the head's transfer, the leader's approval) is counted apart
  as **control_steps**: the officer's rows on the control sheets (`ControlEntry.actor`) dated in
  the period.
- **on_time / late**: the handled dossiers judged by `index766.dossier_on_time` at the period's
  end (finished, stopped or refused by the deadline, or still within it; supplemented twice or
  more counts as late).
- **finished** and **average processing time**: the handled dossiers finished (`finished_at`)
  before the period's end; the time from the first receipt to the finish in *working hours* of
  the commune's calendar (office windows 07:30–11:30 and 13:30–17:00 on working days, 7.5 h a
  day), less the time the dossier was in the resident's hands (waiting for supplementation or for
  a fee). Also shown in working days (hours / 7.5).
- **backlog / overdue**: now (not at the period's end): the officer's assigned dossiers still in
  processing (`dossiers.selectors.BACKLOG_STATES`), and of those, the ones past their deadline.
- **tickets served / average service time**: queue tickets finished in the period by the officer
  (`TicketEvent` FINISHED with `officer`), the service from the (last) call to the finish, as
  the queue's statistics measure it.
- **ratings**: `quality.Rating` about the officer made in the period: count, share satisfied
  (overall «hài lòng» or «rất hài lòng»), the average score of each question (0–2) over the
  ratings that answered it, the latest comments — the text (phone numbers, e-mail addresses and
  the applicant's name masked), its date and level, never who wrote it or about which dossier.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from openpyxl import Workbook
from unidecode import unidecode

from motcua.calendar.selectors import calendar_for_province
from motcua.calendar.workdays import WorkCalendar
from motcua.core.dates import parse_date
from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.core.text import clean_text, mask_digits
from motcua.dossiers.models import ControlEntry, Dossier, State
from motcua.dossiers.selectors import BACKLOG_STATES
from motcua.geo.models import Commune
from motcua.org.models import Role, User
from motcua.queueing.models import EventKind, TicketEvent

from .definitions import tt01_2018_v1
from .index766 import IndexResult, index_compute, period
from .models import Rating

MAX_PERIOD_DAYS = 400
HOURS_PER_WORKING_DAY = 7.5
LATEST_COMMENTS = 10
# The 766 indicators that say something about one officer's work (their assigned dossiers and
# feedback items); the others (disclosure, the channel a resident chose, payment) are the
# commune's: «không áp dụng cho từng cán bộ».
OFFICER_INDICATORS = frozenset({"TD1", "SH1", "SH2", "HL1", "HL2", "HL3"})
NOT_APPLICABLE = "không áp dụng cho từng cán bộ"
# The states in which the dossier is in the resident's hands: not the officer's time.
RESIDENT_STATES = (State.SUPPLEMENT_REQUESTED, State.PENDING_FEE)
# Who has an officer's page: any staff role of a commune (not residents, not province officers).
STAFF_ROLES = (
    Role.COUNTER_OFFICER,
    Role.SPECIALIST,
    Role.DEPARTMENT_HEAD,
    Role.COMMUNE_LEADER,
    Role.ADMIN,
    Role.DATA_OFFICER,
)


# ---- the period -------------------------------------------------------------------------------


def parse_period(raw_from: str | None, raw_to: str | None, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """`?tu=` / `?den=` (dd/mm/yyyy or yyyy-mm-dd; empty: from the first of this month to
    today); else a Vietnamese ValidationFailed. At most MAX_PERIOD_DAYS days."""
    values = []
    for raw, label, default in (
        (raw_from, "từ ngày", today.replace(day=1)),
        (raw_to, "đến ngày", today),
    ):
        text = (raw or "").strip()
        if not text:
            values.append(default)
            continue
        day = parse_date(clean_text(text)) if len(text) <= 20 and clean_text(text) == text else None
        if day is None:
            raise ValidationFailed(
                f"Ô «{label}» phải là một ngày dạng ngày/tháng/năm, ví dụ 01/03/2026.", code="bad_period"
            )
        if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
            raise ValidationFailed(f"Ô «{label}» nằm ngoài khoảng có số liệu.", code="bad_period")
        values.append(day)
    start, end = values
    if end < start:
        raise ValidationFailed("Ngày kết thúc phải từ ngày bắt đầu trở đi.", code="bad_period")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed(
            f"Khoảng thời gian dài nhất là {MAX_PERIOD_DAYS} ngày; hãy chọn khoảng ngắn hơn.",
            code="bad_period",
        )
    return start, end


# ---- who may read whose numbers ---------------------------------------------------------------


def _is_staff(user: Any) -> bool:
    return (
        isinstance(user, User)
        and user.is_authenticated
        and user.is_active
        and user.commune_id is not None
        and user.has_role(*STAFF_ROLES)
    )


def officer_self(user: Any) -> User:
    """The acting officer, for their own page: any staff role with a commune."""
    if not _is_staff(user):
        raise NotAllowed("Trang này dành cho cán bộ của một xã/phường.")
    assert isinstance(user, User)
    return user


def _leads(user: User, target: User) -> bool:
    if target.commune_id is None or target.commune_id != user.commune_id:
        return False
    if user.has_role(Role.COMMUNE_LEADER):
        return True
    return (
        user.has_role(Role.DEPARTMENT_HEAD)
        and user.department_id is not None
        and target.department_id == user.department_id
    )


def officer_get_for(*, user: Any, pk: int) -> User:
    """One officer's numbers page: the officer themself, the head of their department, the leader
    of their commune. Anybody else gets NotFound (the id's existence is not confirmed)."""
    if not _is_staff(user):
        raise NotFound("Không tìm thấy cán bộ.")
    assert isinstance(user, User)
    target = (
        User.objects.select_related("department", "commune")
        .filter(pk=pk, commune__isnull=False)
        .exclude(role=Role.RESIDENT)
        .first()
    )
    if target is None or not (target.pk == user.pk or _leads(user, target)):
        raise NotFound("Không tìm thấy cán bộ.")
    return target


def commune_staff(commune: Commune) -> QuerySet[User]:
    """A commune's active staff (every role but residents and province officers), by name."""
    return (
        User.objects.select_related("department")
        .filter(commune=commune, is_active=True)
        .exclude(role__in=[Role.RESIDENT, Role.PROVINCE_OFFICER])
        .order_by("full_name", "username")
    )


def officers_led_by(user: Any) -> QuerySet[User]:
    """The officers the user leads (active staff): a commune leader, the commune's; a department
    head, their department's. Anybody else: NotAllowed."""
    if not _is_staff(user):
        raise NotAllowed("Trang này dành cho lãnh đạo xã/phường và trưởng phòng.")
    assert isinstance(user, User) and user.commune is not None
    staff = commune_staff(user.commune)
    if user.has_role(Role.COMMUNE_LEADER):
        return staff
    if user.has_role(Role.DEPARTMENT_HEAD) and user.department_id is not None:
        return staff.filter(department_id=user.department_id)
    raise NotAllowed("Danh sách cán bộ dành cho lãnh đạo xã/phường và trưởng phòng.")


# ---- the numbers ------------------------------------------------------------------------------


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class QuestionAverage:
    code: str
    text: str
    answered: int
    average: float | None


@dataclass
class Comment:
    at: dt.datetime
    overall: int
    overall_label: str
    text: str


@dataclass
class OfficerNumbers:
    officer: User
    received: int = 0
    handled: int = 0
    on_time: int = 0
    late: int = 0
    late_ids: list[int] = field(default_factory=list)
    finished: int = 0
    processing_hours: list[float] = field(default_factory=list, repr=False)
    backlog: int = 0
    overdue: int = 0
    control_steps: int = 0
    tickets_served: int = 0
    # The served tickets with a call before the finish, and their service time summed (seconds).
    service_count: int = 0
    service_seconds_total: float = 0.0
    ratings: int = 0
    satisfied: int = 0

    @property
    def on_time_ratio(self) -> float | None:
        return _ratio(self.on_time, self.handled)

    @property
    def on_time_percent(self) -> float | None:
        ratio = self.on_time_ratio
        return None if ratio is None else 100 * ratio

    @property
    def satisfied_percent(self) -> float | None:
        ratio = self.satisfied_ratio
        return None if ratio is None else 100 * ratio

    @property
    def avg_processing_hours(self) -> float | None:
        return _mean(self.processing_hours)

    @property
    def avg_processing_days(self) -> float | None:
        hours = self.avg_processing_hours
        return None if hours is None else hours / HOURS_PER_WORKING_DAY

    @property
    def avg_service_minutes(self) -> float | None:
        if not self.service_count:
            return None
        return self.service_seconds_total / self.service_count / 60

    @property
    def satisfied_ratio(self) -> float | None:
        return _ratio(self.satisfied, self.ratings)

    def as_dict(self) -> dict[str, Any]:
        """The `motcua quality officers --json` contract (one officer)."""

        def r(value: float | None, digits: int) -> float | None:
            return None if value is None else round(value, digits)

        o = self.officer
        return {
            "id": o.pk,
            "username": o.username,
            "full_name": o.full_name,
            "role": o.role,
            "department": o.department.name if o.department_id and o.department else None,
            "received": self.received,
            "handled": self.handled,
            "on_time": self.on_time,
            "late": self.late,
            "on_time_ratio": r(self.on_time_ratio, 4),
            "finished": self.finished,
            "avg_processing_hours": r(self.avg_processing_hours, 2),
            "avg_processing_days": r(self.avg_processing_days, 2),
            "backlog": self.backlog,
            "overdue": self.overdue,
            "control_steps": self.control_steps,
            "tickets_served": self.tickets_served,
            "avg_service_minutes": r(self.avg_service_minutes, 2),
            "ratings": self.ratings,
            "satisfied": self.satisfied,
            "satisfied_ratio": r(self.satisfied_ratio, 4),
        }


def working_hours(calendar: WorkCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Working hours between two moments: their overlap with the calendar's office windows on
    working days."""
    if end <= start:
        return 0.0
    tz = calendar.tz
    start, end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            for opens, closes in calendar.office_windows:
                w_start = max(start, dt.datetime.combine(day, opens, tzinfo=tz))
                w_end = min(end, dt.datetime.combine(day, closes, tzinfo=tz))
                if w_end > w_start:
                    total += (w_end - w_start).total_seconds() / 3600
        day += dt.timedelta(days=1)
    return total


_MICROSECOND = dt.timedelta(microseconds=1)


def _wall_us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


class WorkingClock:
    """`working_hours` on one calendar, memoised for many spans: the office windows as
    microseconds of the wall clock, and for each local day met the working microseconds from a
    fixed day up to that day's midnight. A span then costs two look-ups, not a walk over its
    days; the result is `working_hours`'s (the same overlap with the same windows, counted in
    whole microseconds)."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.tz = calendar.tz
        self.windows = tuple(
            (_wall_us(opens), _wall_us(closes)) for opens, closes in calendar.office_windows if closes > opens
        )
        self._day_total = sum(b - a for a, b in self.windows)
        self._anchor: dt.date | None = None
        self._before: dict[dt.date, int] = {}  # working µs from the anchor's midnight to the day's
        self._working: dict[dt.date, bool] = {}

    def _is_working(self, day: dt.date) -> bool:
        working = self._working.get(day)
        if working is None:
            working = self._working[day] = self.calendar.is_working_day(day)
        return working

    def _worked(self, day: dt.date) -> int:
        return self._day_total if self._is_working(day) else 0

    def _prefix(self, day: dt.date) -> int:
        before = self._before
        value = before.get(day)
        if value is not None:
            return value
        if self._anchor is None:
            self._anchor = day
            before[day] = 0
            return 0
        one = dt.timedelta(days=1)
        if day > self._anchor:
            d = day - one
            while d not in before:
                d -= one
            while d < day:
                before[d + one] = before[d] + self._worked(d)
                d += one
        else:
            d = day + one
            while d not in before:
                d += one
            while d > day:
                before[d - one] = before[d] - self._worked(d - one)
                d -= one
        return before[day]

    def _at(self, moment: dt.datetime) -> int:
        """Working µs from the anchor's midnight to `moment`."""
        local = moment.astimezone(self.tz)
        day = local.date()
        total = self._prefix(day)
        if self._day_total and self._is_working(day):
            wall = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
            for opens, closes in self.windows:
                if wall > opens:
                    total += (closes if wall > closes else wall) - opens
        return total

    def hours(self, start: dt.datetime, end: dt.datetime) -> float:
        if end <= start:
            return 0.0
        return (self._at(end) - self._at(start)) / 3_600_000_000


def _resident_waits(dossiers: QuerySet[Dossier]) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """Each dossier's spells in the resident's hands, from the control sheet (the dossiers given
    as a queryset: read as a subquery, never as a list of ids)."""
    entries = (
        ControlEntry.objects.filter(dossier_id__in=dossiers.order_by().values("id"))
        .filter(Q(to_state__in=RESIDENT_STATES) | Q(from_state__in=RESIDENT_STATES))
        .order_by("dossier_id", "at", "id")
        .values_list("dossier_id", "from_state", "to_state", "at")
    )
    waits: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    began: dict[int, dt.datetime] = {}
    for dossier_id, from_state, to_state, at in entries:
        if from_state in RESIDENT_STATES and dossier_id in began:
            waits.setdefault(dossier_id, []).append((began.pop(dossier_id), at))
        if to_state in RESIDENT_STATES and from_state != to_state:
            began[dossier_id] = at
    return waits


def _on_time_q(until: dt.datetime) -> Q:
    """`index766.dossier_on_time` as a condition (on dossiers annotated with `eff_due`)."""
    from .dashboard import _dossier_on_time_q  # the dashboard imports this module

    return _dossier_on_time_q(until)


def officers_numbers(
    *, commune: Commune, officers: Sequence[User], start: dt.date, end: dt.date, now: dt.datetime
) -> list[OfficerNumbers]:
    """The numbers of each officer (in the order given) for the days [start, end] of `commune`.
    A fixed number of queries, whatever the number of officers; counts and sums are made by the
    database (GROUP BY officer), only the finished dossiers' processing times are computed here."""
    since, until = period(start, end)
    rows = {o.pk: OfficerNumbers(officer=o) for o in officers}
    ids = list(rows)
    dossiers = Dossier.objects.filter(commune=commune).order_by()
    in_period = Q(first_received_at__gte=since, first_received_at__lt=until)

    for officer_id, n in (
        dossiers.filter(in_period, received_by_id__in=ids)
        .values("received_by_id")
        .annotate(n=Count("id"))
        .values_list("received_by_id", "n")
    ):
        rows[officer_id].received = n

    handled = dossiers.filter(in_period, assignee_id__in=ids).annotate(
        eff_due=Coalesce(F("extended_due_at"), F("due_at")),
        judged_on_time=Case(
            When(_on_time_q(until), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    )
    for officer_id, n, on_time in (
        handled.values("assignee_id")
        .annotate(n=Count("id"), on_time=Count("id", filter=Q(judged_on_time=True)))
        .values_list("assignee_id", "n", "on_time")
    ):
        row = rows[officer_id]
        row.handled, row.on_time, row.late = n, on_time, n - on_time
    for officer_id, dossier_id in handled.filter(judged_on_time=False).values_list("assignee_id", "id"):
        rows[officer_id].late_ids.append(dossier_id)

    finished = dossiers.filter(in_period, assignee_id__in=ids, finished_at__lt=until)
    waits = _resident_waits(finished)
    clock = WorkingClock(calendar_for_province(commune.province_id))
    for dossier_id, officer_id, received_at, finished_at in finished.values_list(
        "id", "assignee_id", "first_received_at", "finished_at"
    ):
        assert received_at is not None and finished_at is not None  # filtered on both
        row = rows[officer_id]
        row.finished += 1
        hours = clock.hours(received_at, finished_at)
        spells = waits.get(dossier_id)
        if spells:
            hours -= sum(clock.hours(a, b) for a, b in spells)
        row.processing_hours.append(max(0.0, hours))

    backlog = (
        dossiers.filter(assignee_id__in=ids, state__in=BACKLOG_STATES, finished_at__isnull=True)
        .annotate(eff_due=Coalesce(F("extended_due_at"), F("due_at")))
        .values_list("assignee_id", "eff_due", "state", "paused_at")
    )
    for officer_id, due, state, paused_at in backlog:
        rows[officer_id].backlog += 1
        # Waiting for the resident's fee since before the deadline: the clock stopped (as in
        # dashboard.overdue_now_q and the 766 on-time rule).
        fee_wait = (
            state == State.PENDING_FEE and paused_at is not None and due is not None and paused_at <= due
        )
        rows[officer_id].overdue += due is not None and due < now and not fee_wait

    for officer_id, n in (
        ControlEntry.objects.filter(dossier__commune=commune, actor_id__in=ids, at__gte=since, at__lt=until)
        .order_by()
        .values("actor_id")
        .annotate(n=Count("id"))
        .values_list("actor_id", "n")
    ):
        rows[officer_id].control_steps = n

    called_before = Q(ticket__called_at__isnull=False, ticket__called_at__lte=F("at"))
    service = ExpressionWrapper(F("at") - F("ticket__called_at"), output_field=DurationField())
    for officer_id, n, timed, total in (
        TicketEvent.objects.filter(
            ticket__commune=commune, kind=EventKind.FINISHED, officer_id__in=ids, at__gte=since, at__lt=until
        )
        .order_by()
        .values("officer_id")
        .annotate(
            n=Count("id"), timed=Count("id", filter=called_before), total=Sum(service, filter=called_before)
        )
        .values_list("officer_id", "n", "timed", "total")
    ):
        row = rows[officer_id]
        row.tickets_served, row.service_count = n, timed
        row.service_seconds_total = total.total_seconds() if total is not None else 0.0

    for officer_id, n, satisfied in (
        _ratings(commune, ids, since, until)
        .order_by()
        .values("officer_id")
        .annotate(n=Count("id"), satisfied=Count("id", filter=Q(overall__gte=1)))
        .values_list("officer_id", "n", "satisfied")
    ):
        rows[officer_id].ratings, rows[officer_id].satisfied = n, satisfied
    for row in rows.values():
        row.late_ids.sort()
    return [rows[o.pk] for o in officers]


def _ratings(commune: Commune, ids: list[int], since: dt.datetime, until: dt.datetime) -> QuerySet[Rating]:
    return Rating.objects.filter(
        commune=commune, officer_id__in=ids, created_at__gte=since, created_at__lt=until
    )


_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?84|0)[\s.\-()]*\d(?:[\s.\-()]*\d){7,10}(?!\d)")
_EMAIL_LIKE = re.compile(r"[^\s@＠]+[@＠][^\s@＠]+\.[^\s@＠]+")
_LONG_NUMBER = re.compile(r"\d{9,}")


def _fold_char(char: str) -> str:
    for folded in (unidecode(char).casefold(), char.casefold()):
        if len(folded) == 1:
            return folded
    return char


def _folded(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def comment_public(text: str, *, applicant_name: str = "") -> str:
    """A resident's comment as shown to staff evaluating an officer: without phone numbers, e-mail
    addresses, long numbers (a CCCD) or the applicant's name (in any case, with or without
    diacritics)."""
    text = unicodedata.normalize("NFC", clean_text(text))
    words = _folded(unicodedata.normalize("NFC", applicant_name or "")).split()
    if len("".join(words)) >= 3:
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)")
        for m in reversed(list(pattern.finditer(_folded(text)))):
            text = text[: m.start()] + "***" + text[m.end() :]
    text = _EMAIL_LIKE.sub("***", text)
    text = _PHONE_LIKE.sub(lambda m: mask_digits(re.sub(r"\D", "", m.group(0))), text)
    return _LONG_NUMBER.sub(lambda m: mask_digits(m.group(0)), text)


@dataclass
class OfficerPage:
    numbers: OfficerNumbers
    start: dt.date
    end: dt.date
    questions: list[QuestionAverage]
    comments: list[Comment]
    index: IndexResult
    late: list[Dossier]

    def index_rows(self) -> list[dict[str, Any]]:
        """The 766 slice: every indicator, with «không áp dụng» for the commune's own ones."""
        out = []
        for i in self.index.indicators:
            applicable = i.code in OFFICER_INDICATORS
            out.append({"i": i, "applicable": applicable, "measurable": applicable and i.measurable})
        return out

    @property
    def index_total(self) -> float:
        return sum(i.points or 0.0 for i in self.index.indicators if i.code in OFFICER_INDICATORS)

    @property
    def index_maximum(self) -> float:
        return sum(i.maximum for i in self.index.indicators if i.code in OFFICER_INDICATORS and i.measurable)


def officer_page(*, officer: User, start: dt.date, end: dt.date, now: dt.datetime) -> OfficerPage:
    """Everything the officer's page shows: the numbers, each question's average, the latest
    comments, the 766 slice and the late dossiers."""
    commune = officer.commune
    assert commune is not None
    numbers = officers_numbers(commune=commune, officers=[officer], start=start, end=end, now=now)[0]
    since, until = period(start, end)
    ratings = list(
        _ratings(commune, [officer.pk], since, until)
        .order_by("-created_at", "-id")
        .values("answers", "overall", "comment", "created_at", "dossier__applicant_name")
    )
    questions = []
    for q in tt01_2018_v1.QUESTIONS:
        scores = [
            r["answers"][q["code"]]
            for r in ratings
            if isinstance(r["answers"], dict) and isinstance(r["answers"].get(q["code"]), int)
        ]
        questions.append(QuestionAverage(q["code"], q["text"], len(scores), _mean(scores)))
    labels = dict(tt01_2018_v1.OVERALL)
    comments = [
        Comment(
            at=r["created_at"],
            overall=r["overall"],
            overall_label=labels.get(r["overall"], ""),
            text=comment_public(r["comment"], applicant_name=r["dossier__applicant_name"] or ""),
        )
        for r in ratings
        if r["comment"].strip()
    ][:LATEST_COMMENTS]
    index = index_compute(commune=commune, start=start, end=end, officer_id=officer.pk)
    late = list(
        Dossier.objects.filter(pk__in=numbers.late_ids[:200]).select_related("procedure").order_by("id")
    )
    return OfficerPage(numbers, start, end, questions, comments, index, late)


# ---- presentation helpers (pages and workbooks) -----------------------------------------------


SORT_KEYS: dict[str, Any] = {
    "ten": lambda n: (n.officer.full_name or n.officer.username).casefold(),
    "tiep-nhan": lambda n: n.received,
    "xu-ly": lambda n: n.handled,
    "dung-han": lambda n: n.on_time_ratio,
    "thoi-gian": lambda n: n.avg_processing_hours,
    "ton": lambda n: n.backlog,
    "qua-han": lambda n: n.overdue,
    "luot": lambda n: n.tickets_served,
    "phuc-vu": lambda n: n.avg_service_minutes,
    "danh-gia": lambda n: n.ratings,
    "hai-long": lambda n: n.satisfied_ratio,
}


# The list's columns: its sort key and heading.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("ten", "Cán bộ"), ("tiep-nhan", "Tiếp nhận"), ("xu-ly", "Được giao xử lý"), ("dung-han", "Đúng hạn"),
    ("thoi-gian", "Xử lý trung bình (ngày làm việc)"), ("ton", "Đang giải quyết"), ("qua-han", "Quá hạn"),
    ("luot", "Lượt tại quầy"), ("phuc-vu", "Phục vụ trung bình (phút)"), ("danh-gia", "Lượt đánh giá"),
    ("hai-long", "Hài lòng"),
)  # fmt: skip


def sort_numbers(rows: list[OfficerNumbers], raw: str) -> tuple[list[OfficerNumbers], str]:
    """Rows sorted by `?sx=<key>` or `?sx=-<key>` (descending); an unknown key sorts by name.
    Empty values (no rating, nothing handled) always go last."""
    raw = raw if len(raw) <= 20 else ""
    desc = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in SORT_KEYS:
        key, desc = "ten", False
    get = SORT_KEYS[key]
    present = [r for r in rows if get(r) is not None]
    empty = [r for r in rows if get(r) is None]
    present.sort(key=get, reverse=desc)
    return present + empty, ("-" if desc else "") + key


LIST_HEADER = [
    "Cán bộ", "Tên đăng nhập", "Vai trò", "Phòng", "Tiếp nhận", "Được giao xử lý", "Đúng hạn",
    "Trễ hạn", "Tỷ lệ đúng hạn (%)", "Đã giải quyết xong", "Thời gian xử lý trung bình (giờ làm việc)",
    "Đang giải quyết", "Quá hạn", "Bước trên phiếu kiểm soát", "Lượt phục vụ tại quầy",
    "Phục vụ trung bình (phút)", "Lượt đánh giá", "Hài lòng (%)",
]  # fmt: skip


def _list_row(n: OfficerNumbers) -> list[Any]:
    def num(value: float | None, digits: int) -> float | str:
        return "" if value is None else round(value, digits)

    o = n.officer
    return [
        o.display_name, o.username, o.get_role_display(), o.department.name if o.department else "",
        n.received, n.handled, n.on_time, n.late,
        num(n.on_time_percent, 1), n.finished,
        num(n.avg_processing_hours, 1), n.backlog, n.overdue, n.control_steps, n.tickets_served,
        num(n.avg_service_minutes, 1), n.ratings,
        num(n.satisfied_percent, 1),
    ]  # fmt: skip


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def list_xlsx(*, commune: Commune, rows: list[OfficerNumbers], start: dt.date, end: dt.date) -> bytes:
    """The list's workbook: one row per officer, text and number cells only (never a formula)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Cán bộ"
    append_text_row(ws, [f"Kết quả của cán bộ — {commune.name} — {start:%d/%m/%Y}–{end:%d/%m/%Y}"])
    append_text_row(ws, LIST_HEADER)
    for n in rows:
        append_text_row(ws, _list_row(n))
    return _save(wb)


def officer_xlsx(page: OfficerPage) -> bytes:
    """One officer's workbook: the numbers, the 766 slice, the questions and the comments."""
    n = page.numbers
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    append_text_row(ws, [f"Kết quả của {n.officer.display_name} — {page.start:%d/%m/%Y}–{page.end:%d/%m/%Y}"])
    for label, value in zip(LIST_HEADER, _list_row(n), strict=True):
        append_text_row(ws, [label, value])
    append_text_row(ws, ["Hồ sơ trễ hạn", ", ".join(d.code or f"#{d.pk}" for d in page.late)])
    wi = wb.create_sheet("Bộ chỉ số 766")
    append_text_row(wi, ["Mã", "Chỉ số", "Tối đa", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm", "Ghi chú"])
    for row in page.index_rows():
        i = row["i"]
        if not row["applicable"]:
            append_text_row(wi, [i.code, i.name, i.maximum, "", "", "", "", NOT_APPLICABLE])
        elif not row["measurable"]:
            append_text_row(wi, [i.code, i.name, i.maximum, "", "", "", "", i.formula])
        else:
            ratio = "" if i.ratio is None else round(i.ratio * 100, 2)
            points = "" if i.points is None else round(i.points, 2)
            append_text_row(
                wi, [i.code, i.name, i.maximum, i.numerator, i.denominator, ratio, points, i.formula]
            )
    wq = wb.create_sheet("Đánh giá")
    append_text_row(wq, ["Câu", "Nội dung", "Số lượt trả lời", "Điểm trung bình (0–2)"])
    for q in page.questions:
        append_text_row(wq, [q.code, q.text, q.answered, "" if q.average is None else round(q.average, 2)])
    append_text_row(wq, [])
    append_text_row(wq, ["Ngày", "Mức độ hài lòng", "Ý kiến"])
    for c in page.comments:
        append_text_row(wq, [timezone.localtime(c.at), c.overall_label, c.text])
    return _save(wb)
