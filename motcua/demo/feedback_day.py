"""Residents' feedback in the demo ward (issue 9): Thanh Khê's 20 neighbourhoods, the usual
categories handled by the demo's departments, a schedule of dialogue sessions and about 150
feedback items over the last 90 days.

- Sessions: each neighbourhood had one «cà phê sáng» in the last 90 days (REPORTED, with its
  attendance, minutes and the issues raised there) and has one in the next four weeks (published).
- Items are born through `feedback_create` and moved only through `feedback_apply`, at times
  spread after their receipt and before `now`, so states, dates and events agree: some new, some
  assigned or in progress (a few past their deadline, the overdue ones reported to the head by the
  system), resolved — some on the spot —, closed, rated by the reporter, rejected, duplicates,
  escalated to the province, some with the province's answer. A few places keep coming back
  (the same neighbourhood and category, the same address).
- One fixed seed; idempotent: a commune that already has feedback items gets nothing more.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from motcua.feedback.defaults import FEEDBACK_CATEGORIES
from motcua.feedback.models import (
    Category,
    Channel,
    DialogueSession,
    FeedbackItem,
    Neighbourhood,
    SessionState,
)
from motcua.feedback.services import Reporter, feedback_create
from motcua.feedback.workflow import Action, Actor, feedback_apply
from motcua.geo.models import Commune
from motcua.org.models import Department, DepartmentKind, User

from . import ward as W

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FEEDBACK_SEED = 9
ITEMS = 150
DAYS = 90
NEIGHBOURHOODS = tuple(f"Tổ dân phố {i}" for i in range(1, 21))
STREETS = (
    "Hà Huy Tập", "Điện Biên Phủ", "Trần Cao Vân", "Lê Duẩn", "Hải Phòng", "Nguyễn Tất Thành",
    "Đặng Thai Mai", "Lý Thái Tổ", "Huỳnh Ngọc Huệ", "Phan Thanh", "Thái Thị Bôi", "Dũng Sĩ Thanh Khê",
)  # fmt: skip
PLACES = ("Nhà văn hoá tổ dân phố", "Sân nhà văn hoá khu phố", "Quán cà phê đầu kiệt", "Công viên 29/3")
TITLES = {
    "duong-sa": ("Mặt đường kiệt {n} {s} bong tróc, nhiều ổ gà", "Nắp hố ga giữa đường {s} bị lún",
                 "Vỉa hè {s} bị lấn chiếm để xe", "Biển báo giao thông đầu đường {s} bị che khuất"),
    "chieu-sang": ("Đèn đường kiệt {n} {s} không sáng", "Đèn chiếu sáng trước nhà số {n} {s} chập chờn",
                   "Cột đèn kiệt {n} {s} nghiêng, có nguy cơ đổ"),
    "thoat-nuoc": ("Cống thoát nước kiệt {n} {s} bị nghẹt", "Mưa lớn ngập sâu đoạn {s}",
                   "Nắp cống trước nhà số {n} {s} bị vỡ"),
    "rac-thai": ("Rác tồn đọng ở đầu kiệt {n} {s}", "Xe thu gom rác không đến đúng giờ ở {s}",
                 "Đổ trộm xà bần trên đất trống đường {s}"),
    "an-ninh": ("Nhóm thanh niên tụ tập gây ồn ào khuya ở kiệt {n} {s}", "Karaoke tự phát gây ồn ở {s}",
                "Xe máy chạy tốc độ cao trong kiệt {n} {s}"),
    "dat-dai": ("Tranh chấp ranh giới đất tại kiệt {n} {s}", "Xây dựng lấn ra hành lang kiệt {n} {s}"),
    "moi-truong": ("Cơ sở sản xuất gây mùi hôi ở {s}", "Khói bụi từ công trình xây dựng trên đường {s}",
                   "Cây xanh gãy cành trên vỉa hè {s}"),
    "thu-tuc": ("Đề nghị hướng dẫn thủ tục đăng ký thường trú", "Chờ lâu khi chứng thực bản sao tại phường",
                "Đề nghị bố trí thêm quầy tiếp nhận buổi sáng"),
    "khac": ("Đề nghị lắp thêm ghế đá ở công viên {s}", "Loa phát thanh tổ dân phố quá to buổi sáng"),
}  # fmt: skip
# Weights of the categories among the items (the lamps and drains most often).
WEIGHTS = {"duong-sa": 14, "chieu-sang": 18, "thoat-nuoc": 16, "rac-thai": 14, "an-ninh": 10, "dat-dai": 5,
           "moi-truong": 10, "thu-tuc": 8, "khac": 5}  # fmt: skip
REPORTERS = (
    ("Nguyễn Văn Lộc", "0905331201"), ("Trần Thị Hoa", "0935331202"), ("Lê Văn Sáu", "0914331203"),
    ("Phạm Thị Thanh", "0905331204"), ("Hoàng Văn Nam", "0982331205"), ("Võ Thị Bích", "0905331206"),
    ("Đỗ Văn Toàn", "0935331207"), ("Huỳnh Thị Mai", "0914331208"), ("Ngô Văn Phước", "0905331209"),
    ("Bùi Thị Xuân", "0935331210"),
)  # fmt: skip
# Places that keep coming back: (neighbourhood index, category, address) repeated.
HOTSPOTS = (
    (4, "thoat-nuoc", "Kiệt 42 Hà Huy Tập"),
    (11, "chieu-sang", "Kiệt 17 Trần Cao Vân"),
    (7, "rac-thai", ""),
)
CHANNELS = (Channel.HOTLINE, Channel.WALK_IN, Channel.ONLINE, Channel.IMPORT)
# What becomes of an item, with weights (a recent one is more often still open).
FATES = {"new": 6, "assigned": 10, "in_progress": 12, "resolved": 18, "closed": 22, "on_spot": 8,
         "rejected": 4, "duplicate": 4, "escalated": 3, "province_resolved": 3, "province_returned": 3}  # fmt: skip
MINUTES = (
    "Buổi đối thoại do {leader} chủ trì, {n} người dân dự. Bà con phản ánh {k} ý kiến; lãnh đạo phường "
    "trả lời trực tiếp các ý kiến thuộc thẩm quyền, giao Phòng Kinh tế, Hạ tầng và Đô thị và Văn phòng "
    "xử lý các ý kiến còn lại trong thời hạn quy định."
)


@dataclass(frozen=True)
class Staff:
    leader: User
    province: User
    specialists: dict[int, User]  # by department id
    departments: dict[str, Department]  # by kind


def _staff(commune: Commune) -> Staff:
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in W.STAFF])}
    departments = {d.kind: d for d in Department.objects.filter(commune=commune)}
    specialists = {
        departments[DepartmentKind.ECONOMIC].pk: users["diachinh1"],
        departments[DepartmentKind.OFFICE].pk: users["vanphong1"],
    }
    return Staff(leader=users["chutich"], province=users["sonoivu"], specialists=specialists,
                 departments=departments)  # fmt: skip


def feedback_setup(commune: Commune) -> tuple[dict[str, Category], list[Neighbourhood]]:
    """The 9 categories (linked to the demo's departments) and the 20 neighbourhoods (idempotent)."""
    departments = {d.kind: d for d in Department.objects.filter(commune=commune)}
    categories = {
        code: Category.objects.get_or_create(
            commune=commune, code=code,
            defaults={"name": name, "deadline_days": days, "position": i,
                      "department": departments.get(kind) if kind else None},
        )[0]
        for i, (code, name, days, kind) in enumerate(FEEDBACK_CATEGORIES)
    }  # fmt: skip
    places = []
    for i, name in enumerate(NEIGHBOURHOODS):
        x, y = Decimal(10 + (i % 5) * 20), Decimal(12 + (i // 5) * 25)
        places.append(
            Neighbourhood.objects.get_or_create(
                commune=commune, name=name, defaults={"sketch_x": x, "sketch_y": y}
            )[0]
        )
    return categories, places


def _working_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment in office hours of `day` (moved to Monday from a weekend)."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    minute = rng.choice([rng.randint(7 * 60 + 30, 11 * 60 + 15), rng.randint(13 * 60 + 30, 16 * 60 + 45)])
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=LOCAL_TZ)


def feedback_load(*, now: dt.datetime) -> bool:
    """Load the demo ward's feedback (see the module's doc); False when it already has some."""
    commune = Commune.objects.get(code=W.COMMUNE_CODE)
    categories, places = feedback_setup(commune)
    if FeedbackItem.objects.filter(commune=commune).exists():
        return False
    rng = random.Random(FEEDBACK_SEED)
    staff = _staff(commune)
    today = now.astimezone(LOCAL_TZ).date()
    sessions = _sessions(rng, commune, places, staff, now=now, today=today)
    teller = _Teller(rng=rng, staff=staff, now=now)
    born: list[FeedbackItem] = []
    past = [s for s in sessions if s.state == SessionState.REPORTED]
    # Two or three issues raised at each past session.
    for session in past:
        for _ in range(rng.choice((2, 2, 3))):
            code = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            at = session.starts_at + dt.timedelta(minutes=rng.randint(5, 80))
            born.append(
                teller.item(categories[code], session.neighbourhood, at, Channel.SESSION, session=session)
            )
    # The hotspots: five items each, spread over the 90 days.
    for place_index, code, address in HOTSPOTS:
        for k in range(5):
            at = _working_moment(rng, today - dt.timedelta(days=5 + k * 16 + rng.randint(0, 6)))
            born.append(
                teller.item(categories[code], places[place_index], at, rng.choice(CHANNELS), address=address)
            )
    while len(born) < ITEMS:
        code = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        at = _working_moment(rng, today - dt.timedelta(days=rng.randint(0, DAYS - 1)))
        if at >= now:
            at = now - dt.timedelta(hours=rng.randint(1, 6))
        born.append(teller.item(categories[code], rng.choice(places), at, rng.choice(CHANNELS)))
    return True


def _sessions(
    rng: random.Random,
    commune: Commune,
    places: list[Neighbourhood],
    staff: Staff,
    *,
    now: dt.datetime,
    today: dt.date,
) -> list[DialogueSession]:
    """One held (REPORTED) and one coming (published) session per neighbourhood."""
    out = []
    vice = User.objects.filter(username="phochutich").first()
    for i, place in enumerate(places):
        held_day = today - dt.timedelta(days=7 + i * 4)
        held_day -= dt.timedelta(days=(held_day.weekday() - 5) % 7)  # the Saturday before
        coming_day = today + dt.timedelta(days=2 + (i % 4) * 7)
        coming_day += dt.timedelta(days=(5 - coming_day.weekday()) % 7)  # the Saturday after
        leader = staff.leader if i % 2 == 0 or vice is None else vice
        for day, held in ((held_day, True), (coming_day, False)):
            starts = dt.datetime.combine(day, dt.time(6, 30), tzinfo=LOCAL_TZ)
            session = DialogueSession.objects.create(
                commune=commune, neighbourhood=place, title=f"Cà phê sáng với lãnh đạo phường — {place.name}",
                starts_at=starts, place=f"{PLACES[i % len(PLACES)]} {place.name.lower()}",
                notice=("Mời bà con tổ dân phố đến trao đổi với lãnh đạo phường về đường sá, chiếu sáng, "
                        "thoát nước, vệ sinh môi trường và các thủ tục hành chính."),
                published_at=starts - dt.timedelta(days=7) if starts - dt.timedelta(days=7) < now else now,
                created_by=staff.leader, created_at=min(starts - dt.timedelta(days=10), now),
            )  # fmt: skip
            session.leaders.set([leader])
            if held:
                attendance = rng.randint(18, 45)
                session.state = SessionState.REPORTED
                session.attendance = attendance
                session.held_at = starts
                session.reported_at = starts + dt.timedelta(hours=2)
                session.minutes = MINUTES.format(leader=leader.display_name, n=attendance, k="các")
                session.save()
            out.append(session)
    return out


class _Teller:
    """Writes one item and walks it to its fate through feedback_apply."""

    def __init__(self, *, rng: random.Random, staff: Staff, now: dt.datetime) -> None:
        self.rng, self.staff, self.now = rng, staff, now
        self.imported = 0

    def item(
        self,
        category: Category,
        place: Neighbourhood,
        at: dt.datetime,
        channel: str,
        *,
        session: DialogueSession | None = None,
        address: str = "",
    ) -> FeedbackItem:
        rng = self.rng
        street = rng.choice(STREETS)
        title = rng.choice(TITLES[category.code]).format(n=rng.randint(2, 180), s=street)
        reporter = Reporter()
        if rng.random() < 0.75:
            name, phone = rng.choice(REPORTERS)
            reporter = Reporter(name=name, phone=phone)
        item = feedback_create(
            commune=category.commune, channel=channel, category=category, title=title, now=at,
            neighbourhood=place, address=address or f"{rng.randint(2, 420)} {street}", reporter=reporter,
            session=session, actor=self.staff.leader if channel in (Channel.SESSION, Channel.WALK_IN) else None,
            actor_label="" if channel in (Channel.SESSION, Channel.WALK_IN) else Channel(channel).label,
            import_ref=self._import_ref() if channel == Channel.IMPORT else "",
        )  # fmt: skip
        self._fate(item, at, reporter)
        return item

    def _import_ref(self) -> str:
        self.imported += 1
        return f"demo-zalo-{self.imported:04d}"

    def _at(self, after: dt.datetime, hours: float) -> dt.datetime | None:
        """A moment `hours` after `after`, or None if it would be in the future."""
        moment = after + dt.timedelta(hours=hours)
        return moment if moment < self.now else None

    def _fate(self, item: FeedbackItem, at: dt.datetime, reporter: Reporter) -> None:
        rng, s = self.rng, self.staff
        age_days = (self.now - at).total_seconds() / 86400
        fates = dict(FATES)
        if age_days > 4:
            fates["new"] = 0
        if age_days > 12:  # most old items are done: only a few stay open past their deadline
            fates.update(assigned=1, in_progress=1, escalated=1)
        if age_days < 3:
            fates.update(closed=0, province_resolved=0, province_returned=0)
        fate = rng.choices(list(fates), weights=list(fates.values()))[0]
        leader = s.leader
        if fate == "new":
            return
        if fate == "on_spot":
            self._apply(item, Action.RESOLVE_ON_SPOT, leader, at + dt.timedelta(minutes=5),
                        note="Đã giải thích, hướng dẫn và xử lý ngay tại chỗ.")  # fmt: skip
            self._after_resolved(item, at + dt.timedelta(minutes=5), reporter)
            return
        if fate == "rejected":
            t = self._at(at, 20)
            if t:
                self._apply(item, Action.REJECT, leader, t, note="Nội dung không thuộc thẩm quyền giải quyết của phường; "
                            "đã hướng dẫn người phản ánh gửi Tòa án nhân dân khu vực.")  # fmt: skip
            return
        if fate == "duplicate":
            original = (
                FeedbackItem.objects.filter(commune=item.commune, category=item.category, received_at__lt=at)
                .exclude(state="DUPLICATE")
                .exclude(pk=item.pk)
                .order_by("-received_at")
                .first()
            )
            t = self._at(at, 3)
            if original is not None and t:
                self._apply(item, Action.DUPLICATE, leader, t, original=original)
            return
        if fate in ("escalated", "province_resolved", "province_returned"):
            t = self._at(at, 26)
            if t is None:
                return
            self._apply(item, Action.ESCALATE, leader, t, note="Vượt thẩm quyền của phường: công trình do thành "
                        "phố quản lý; đề nghị Sở Xây dựng xem xét.")  # fmt: skip
            answer_at = self._at(t, 24 * rng.randint(2, 6))
            if fate == "escalated" or answer_at is None:
                return
            if fate == "province_resolved":
                feedback_apply(item=item, action=Action.PROVINCE_RESOLVE, actor=s.province, as_=Actor.PROVINCE,
                               now=answer_at, data={"note": "Sở Xây dựng đã cho nạo vét, sửa chữa tuyến cống "
                                                    "chính; đề nghị phường theo dõi."})  # fmt: skip
                self._after_resolved(item, answer_at, reporter)
                return
            feedback_apply(item=item, action=Action.PROVINCE_RETURN, actor=s.province, as_=Actor.PROVINCE,
                           now=answer_at, data={"note": "Nội dung thuộc thẩm quyền của phường theo phân cấp; "
                                                "đề nghị phường tiếp tục xử lý."})  # fmt: skip
            at = answer_at
            fate = rng.choice(("assigned", "resolved"))
        department = item.department or s.departments[DepartmentKind.OFFICE]
        t = self._at(at, rng.uniform(1, 6))
        if t is None:
            return
        if item.state != "ASSIGNED" or item.department_id is None:
            self._apply(item, Action.ASSIGN, leader, t, department=department)
        if fate == "assigned":
            self._overdue(item)
            return
        specialist = s.specialists[department.pk]
        t = self._at(t, rng.uniform(4, 30))
        if t is None:
            return
        self._apply(item, Action.START, specialist, t)
        if fate == "in_progress":
            self._overdue(item)
            return
        deadline_hours = (item.due_at - t).total_seconds() / 3600
        t2 = self._at(t, rng.uniform(4, max(8.0, deadline_hours * 1.3)))
        if t2 is None:
            self._overdue(item)
            return
        self._apply(item, Action.RESOLVE, specialist, t2, note="Đã kiểm tra hiện trường và khắc phục xong.")
        self._after_resolved(item, t2, reporter, close=fate != "resolved")

    def _after_resolved(
        self, item: FeedbackItem, at: dt.datetime, reporter: Reporter, close: bool = True
    ) -> None:
        rng = self.rng
        if reporter.phone and rng.random() < 0.6:
            t = self._at(at, rng.uniform(2, 48))
            if t:
                rating = rng.choices((5, 4, 3, 2, 1), weights=(45, 30, 12, 8, 5))[0]
                feedback_apply(item=item, action=Action.RATE, actor=None, as_=Actor.REPORTER, now=t,
                               data={"rating": rating, "note": "Cảm ơn phường." if rating >= 4 else ""})  # fmt: skip
        t = self._at(at, 24 * 8)
        if close and t:
            self._apply(item, Action.CLOSE, self.staff.leader, t)

    def _overdue(self, item: FeedbackItem) -> None:
        """The background task's mark on an open item past its deadline."""
        item.refresh_from_db()
        t = self._at(item.due_at, 1)
        if t is not None:
            feedback_apply(item=item, action=Action.ESCALATE_OVERDUE, actor=None, as_=Actor.SYSTEM, now=t)

    def _apply(
        self, item: FeedbackItem, action: Action, actor: User, at: dt.datetime, **data: object
    ) -> None:
        feedback_apply(item=item, action=action, actor=actor, now=at, data=dict(data))
        item.refresh_from_db()


def feedback_summary(*, now: dt.datetime) -> tuple[int, int, int, int]:
    """(items, open, overdue, sessions coming) of the demo ward, for the demo command."""
    items = FeedbackItem.objects.filter(commune_id=W.COMMUNE_CODE)
    open_items = items.filter(state__in=("NEW", "ASSIGNED", "IN_PROGRESS", "ESCALATED"))
    coming = DialogueSession.objects.filter(
        commune_id=W.COMMUNE_CODE, state=SessionState.PLANNED, starts_at__gte=now
    ).count()
    return items.count(), open_items.count(), open_items.filter(due_at__lt=now).count(), coming
