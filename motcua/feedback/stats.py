"""The leader's view of feedback (issue 9 §7) and the province's inbox (§2): the reads.

Who reads what (the queue statistics' rules): a commune leader or administrator reads their own
commune; a province officer picks a commune of their province (`?xa=`). Numbers are about the
items received in the period (`?tu=`/`?den=`, local dates, inclusive; by default the 90 days up
to today): how many, how many still open and overdue now, the median time from receipt to
resolution, the share resolved on the spot, the residents' ratings, and the places that keep
coming back — a neighbourhood and category, or the same address, with at least 3 items in the
90 days up to the period's end (duplicates not counted: they are the same issue).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from openpyxl import Workbook

from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.core.excel import append_text_row
from motcua.core.text import fold
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .models import OPEN_STATES, Category, FeedbackItem, Neighbourhood, State

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LEADER_ROLES = (Role.COMMUNE_LEADER, Role.ADMIN)
DEFAULT_DAYS = 90
RECURRING_DAYS = 90
RECURRING_MIN = 3
MAX_PERIOD_DAYS = 3 * 366
BAR_X = 230  # the charts' bars start after the labels


# ------------------------------------------------------------------------------------------
# who reads which commune
# ------------------------------------------------------------------------------------------


def leader_communes_for(user: User) -> QuerySet[Commune]:
    """The communes whose feedback this user may read: their own (leader, administrator), or
    their province's (province officer)."""
    if not user.is_authenticated or not user.is_active:
        raise NotAllowed("Trang này dành cho cán bộ.")
    if user.has_role(*LEADER_ROLES) and user.commune_id:
        return Commune.objects.filter(pk=user.commune_id)
    if user.has_role(Role.PROVINCE_OFFICER) and user.province_id:
        return Commune.objects.filter(province_id=user.province_id).order_by("name", "code")
    raise NotAllowed("Tổng hợp phản ánh dành cho lãnh đạo, quản trị xã/phường và cán bộ tỉnh.")


def leader_commune(*, user: User, code: str) -> Commune:
    """The commune asked for (`?xa=`), one the user may read; else their first (own) one."""
    communes = leader_communes_for(user)
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


# ------------------------------------------------------------------------------------------
# the period
# ------------------------------------------------------------------------------------------


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
            f"{label} phải có dạng năm-tháng-ngày, ví dụ 2026-03-18.", code="bad_day"
        ) from None


def parse_period(start: str, end: str, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """`?tu=`/`?den=` (empty: the 90 days up to today), else a Vietnamese 422."""
    last = _date(end, "Ngày kết thúc") or today
    first = _date(start, "Ngày bắt đầu") or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.", code="bad_period")
    if first < dt.date(2020, 1, 1) or last > today + dt.timedelta(days=366):
        raise ValidationFailed("Khoảng thời gian nằm ngoài khoảng có số liệu.", code="bad_period")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed("Khoảng thời gian tối đa 3 năm.", code="bad_period")
    return first, last


def _local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL_TZ)


# ------------------------------------------------------------------------------------------
# the numbers
# ------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One category or neighbourhood: items received in the period, of them open and overdue now,
    resolved (at some point, still resolved or closed)."""

    key: str
    name: str
    received: int = 0
    open: int = 0
    overdue: int = 0
    resolved: int = 0


@dataclass(frozen=True)
class Bar:
    label: str
    open: int
    overdue: int
    y: float
    open_width: float
    overdue_width: float

    @property
    def text_y(self) -> float:
        return round(self.y + 13, 1)

    @property
    def count_x(self) -> float:
        return round(BAR_X + self.open_width + 6, 1)


@dataclass(frozen=True)
class Recurring:
    """A place that keeps coming back."""

    place: str
    category: str
    count: int
    last_at: dt.datetime


@dataclass
class FeedbackStats:
    commune: Commune
    first: dt.date
    last: dt.date
    now: dt.datetime
    total: Row
    by_category: list[Row]
    by_neighbourhood: list[Row]
    resolve_hours: list[float] = field(repr=False)
    on_spot: int
    ratings: list[int] = field(repr=False)
    recurring: list[Recurring]
    by_state: list[tuple[str, str, int]]

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.resolve_hours) / 24 if self.resolve_hours else None

    @property
    def median_days_text(self) -> str:
        value = self.median_days
        return "" if value is None else f"{value:.1f}".replace(".", ",")

    @property
    def on_spot_share(self) -> float | None:
        return self.on_spot / self.total.resolved if self.total.resolved else None

    @property
    def on_spot_text(self) -> str:
        share = self.on_spot_share
        return "" if share is None else f"{share * 100:.0f} %"

    @property
    def rating_mean(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    @property
    def rating_text(self) -> str:
        mean = self.rating_mean
        return "" if mean is None else f"{mean:.1f}".replace(".", ",")


def bars(rows: Iterable[Row], *, width: float = 520, row_height: float = 22) -> list[Bar]:
    """A horizontal bar per row: open items, the overdue ones drawn over them in red."""
    rows = list(rows)
    peak = max([r.open for r in rows] + [1])
    return [
        Bar(label=r.name, open=r.open, overdue=r.overdue, y=round(i * row_height, 1),
            open_width=round(width * r.open / peak, 1), overdue_width=round(width * r.overdue / peak, 1))
        for i, r in enumerate(rows)
    ]  # fmt: skip


def _natural(name: str) -> list[tuple[int, str]]:
    """Tổ dân phố 2 before Tổ dân phố 10."""
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", fold(name))]


def _place_key(address: str) -> str:
    return " ".join(fold(address).replace(",", " ").split())


def feedback_stats(*, commune: Commune, first: dt.date, last: dt.date, now: dt.datetime) -> FeedbackStats:
    """The period's numbers for one commune (two queries: the period's items, the 90 days'
    places)."""
    start, end = _local_start(first), _local_start(last + dt.timedelta(days=1))
    categories = {c.pk: c for c in Category.objects.filter(commune=commune)}
    places = {n.pk: n for n in Neighbourhood.objects.filter(commune=commune)}
    by_category = {pk: Row(c.code, c.name) for pk, c in categories.items()}
    by_place = {pk: Row(str(pk), n.name) for pk, n in places.items()}
    none_place = Row("", "Không rõ tổ dân phố")
    total = Row("", "Tổng cộng")
    hours: list[float] = []
    ratings: list[int] = []
    states: dict[str, int] = {}
    on_spot = 0
    items = FeedbackItem.objects.filter(commune=commune, received_at__gte=start, received_at__lt=end).values_list(
        "category_id", "neighbourhood_id", "state", "received_at", "due_at", "resolved_at", "resolved_on_spot",
        "rating",
    )  # fmt: skip
    for category_id, place_id, state, received, due, resolved, spot, rating in items:
        states[state] = states.get(state, 0) + 1
        is_open = state in OPEN_STATES
        is_resolved = resolved is not None and state in (State.RESOLVED, State.CLOSED)
        place_row = by_place.get(place_id, none_place) if place_id else none_place
        for row in (by_category[category_id], place_row, total):
            row.received += 1
            row.open += is_open
            row.overdue += is_open and due < now
            row.resolved += is_resolved
        if is_resolved and resolved is not None:
            hours.append((resolved - received).total_seconds() / 3600)
            on_spot += bool(spot)
        if rating is not None:
            ratings.append(rating)
    place_rows = sorted((r for r in by_place.values() if r.received), key=lambda r: _natural(r.name))
    if none_place.received:
        place_rows.append(none_place)
    return FeedbackStats(
        commune=commune, first=first, last=last, now=now, total=total,
        by_category=list(by_category.values()), by_neighbourhood=place_rows, resolve_hours=hours,
        on_spot=on_spot, ratings=ratings,
        recurring=recurring_places(commune=commune, until=end, categories=categories, places=places),
        by_state=[(s.value, s.label, states.get(s.value, 0)) for s in State],
    )  # fmt: skip


def recurring_places(
    *, commune: Commune, until: dt.datetime, categories: dict[int, Category], places: dict[int, Neighbourhood]
) -> list[Recurring]:
    """Neighbourhood + category pairs, and addresses, with ≥ 3 items in the 90 days before
    `until` (duplicates not counted), most frequent first."""
    since = until - dt.timedelta(days=RECURRING_DAYS)
    rows = (
        FeedbackItem.objects.filter(commune=commune, received_at__gte=since, received_at__lt=until)
        .exclude(state=State.DUPLICATE)
        .values_list("category_id", "neighbourhood_id", "address", "received_at")
    )
    pairs: dict[tuple[int, int], list[dt.datetime]] = {}
    addresses: dict[str, tuple[str, dict[int, int], list[dt.datetime]]] = {}
    for category_id, place_id, address, received in rows:
        if place_id:
            pairs.setdefault((place_id, category_id), []).append(received)
        key = _place_key(address)
        if key:
            shown, cats, times = addresses.setdefault(key, (address, {}, []))
            cats[category_id] = cats.get(category_id, 0) + 1
            times.append(received)
    out = [
        Recurring(place=str(places[p]), category=str(categories[c]), count=len(t), last_at=max(t))
        for (p, c), t in pairs.items()
        if len(t) >= RECURRING_MIN
    ]
    for shown, cats, times in addresses.values():
        if len(times) >= RECURRING_MIN:
            names = ", ".join(str(categories[c]) for c, _ in sorted(cats.items(), key=lambda x: -x[1]))
            out.append(Recurring(place=shown, category=names, count=len(times), last_at=max(times)))
    out.sort(key=lambda r: (-r.count, r.place))
    return out


def feedback_stats_xlsx(s: FeedbackStats) -> bytes:
    """The numbers as a workbook of text and number cells (never a formula)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    append_text_row(
        ws, [f"Tổng hợp phản ánh — {s.commune.name} — từ {s.first:%d/%m/%Y} đến {s.last:%d/%m/%Y}"]
    )
    append_text_row(ws, ["Đã tiếp nhận", s.total.received])
    append_text_row(ws, ["Đang mở", s.total.open])
    append_text_row(ws, ["Quá hạn", s.total.overdue])
    append_text_row(ws, ["Đã giải quyết", s.total.resolved])
    append_text_row(ws, ["Thời gian giải quyết (trung vị, ngày)", s.median_days_text])
    append_text_row(ws, ["Giải quyết ngay tại chỗ", s.on_spot_text])
    append_text_row(ws, ["Đánh giá trung bình (1–5)", s.rating_text])
    append_text_row(ws, ["Số lượt đánh giá", len(s.ratings)])
    header = ["Tên", "Đã tiếp nhận", "Đang mở", "Quá hạn", "Đã giải quyết"]
    for title, rows in (("Theo lĩnh vực", s.by_category), ("Theo tổ dân phố", s.by_neighbourhood)):
        sheet = wb.create_sheet(title)
        append_text_row(sheet, header)
        for r in rows:
            append_text_row(sheet, [r.name, r.received, r.open, r.overdue, r.resolved])
    wr = wb.create_sheet("Nơi lặp lại")
    append_text_row(wr, ["Nơi", "Lĩnh vực", "Số phản ánh trong 90 ngày", "Lần gần nhất"])
    for x in s.recurring:
        append_text_row(wr, [x.place, x.category, x.count, x.last_at.astimezone(LOCAL_TZ)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------
# the province's inbox
# ------------------------------------------------------------------------------------------


def _province_officer(user: User) -> int:
    if not user.is_authenticated or not user.is_active or not user.has_role(Role.PROVINCE_OFFICER):
        raise NotAllowed("Trang này dành cho cán bộ cấp tỉnh.")
    if not user.province_id:
        raise NotAllowed("Tài khoản chưa gắn với tỉnh, thành phố nào.")
    return int(user.province_id)


def province_inbox(*, user: User) -> tuple[list[FeedbackItem], list[FeedbackItem]]:
    """The escalated items of the province's communes waiting for an answer (oldest first), and
    the last 50 answered."""
    province = _province_officer(user)
    base = FeedbackItem.objects.filter(
        commune__province_id=province, escalated_at__isnull=False
    ).select_related("commune", "category", "neighbourhood")
    waiting = list(base.filter(state=State.ESCALATED).order_by("escalated_at", "pk"))
    answered = list(
        base.filter(province_answered_at__isnull=False)
        .exclude(state=State.ESCALATED)
        .order_by("-province_answered_at", "-pk")[:50]
    )
    return waiting, answered


def province_item(*, user: User, pk: int) -> FeedbackItem:
    """An item escalated to the officer's province (at some point); others' are not found."""
    province = _province_officer(user)
    item = (
        FeedbackItem.objects.filter(pk=pk, commune__province_id=province, escalated_at__isnull=False)
        .select_related("commune", "category", "neighbourhood", "department", "province_answered_by")
        .first()
    )
    if item is None:
        raise NotFound("Không tìm thấy phản ánh.")
    return item
