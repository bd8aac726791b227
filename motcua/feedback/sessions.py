"""Dialogue sessions (đối thoại, tiếp xúc) and the neighbourhoods where they are held (issue 9 §3).

Writes are keyword-only with `now` from the interface; reads take the acting user. An issue raised
at a session is born through `services.feedback_create` (channel SESSION) and changes state only
through `workflow.feedback_apply`. A session goes PLANNED → HELD when the first thing is recorded
(attendance, minutes, an issue) → REPORTED when the leader ends it («Kết thúc, lập biên bản»).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.geo.models import Commune
from motcua.org.models import Department, Role, User

from .desk import notify_reporter
from .models import (
    Category,
    Channel,
    DialogueSession,
    FeedbackItem,
    Neighbourhood,
    SessionState,
)
from .services import LOCAL_TZ, Reporter, clean_field, feedback_create
from .workflow import Action, feedback_apply

# Who plans sessions and manages the neighbourhoods; who may attend as a leader.
PLANNER_ROLES = (Role.COMMUNE_LEADER, Role.ADMIN)
ATTENDING_ROLES = (Role.COMMUNE_LEADER, Role.DEPARTMENT_HEAD)
MAX_REPEAT = 12
MAX_ATTENDANCE = 100_000
REPEATS = {"": "Một buổi", "weekly": "Hằng tuần", "monthly": "Hằng tháng"}
# The steps the tablet offers on an issue raised at the session.
ISSUE_ACTIONS = {"resolve": Action.RESOLVE_ON_SPOT, "assign": Action.ASSIGN}


# --------------------------------------------------------------------------------------------
# who may
# --------------------------------------------------------------------------------------------


def _staff_of_commune(user: User) -> Commune:
    if not user.is_active or user.commune_id is None or user.role == Role.RESIDENT:
        raise NotAllowed("Trang này dành cho cán bộ xã, phường.")
    commune = user.commune
    assert commune is not None
    return commune


def check_planner(user: User) -> Commune:
    """The commune's leader or administrator: neighbourhoods and the sessions' planning."""
    commune = _staff_of_commune(user)
    if not user.has_role(*PLANNER_ROLES):
        raise NotAllowed("Chỉ lãnh đạo UBND hoặc quản trị xã, phường được lên lịch đối thoại.")
    return commune


def can_record(user: User, session: DialogueSession) -> bool:
    """The commune's leaders, and the heads attending the session, record on the day."""
    if not user.is_active or user.commune_id != session.commune_id:
        return False
    if user.has_role(Role.COMMUNE_LEADER):
        return True
    return user.has_role(Role.DEPARTMENT_HEAD) and session.leaders.filter(pk=user.pk).exists()


def _check_recorder(user: User, session: DialogueSession) -> None:
    if not can_record(user, session):
        raise NotAllowed("Chỉ lãnh đạo dự buổi đối thoại được ghi nhận.", code="not_allowed")


# --------------------------------------------------------------------------------------------
# reads
# --------------------------------------------------------------------------------------------


def neighbourhoods_for(user: User) -> QuerySet[Neighbourhood]:
    commune = check_planner(user)
    return Neighbourhood.objects.filter(commune=commune).order_by("-active", "name")


def neighbourhood_get_for(*, user: User, pk: int) -> Neighbourhood:
    commune = check_planner(user)
    try:
        return Neighbourhood.objects.get(pk=pk, commune=commune)
    except Neighbourhood.DoesNotExist:
        raise NotFound("Không tìm thấy tổ dân phố.") from None


def sessions_for(user: User) -> QuerySet[DialogueSession]:
    """The commune's sessions, for its leaders, heads and administrator."""
    commune = _staff_of_commune(user)
    if not user.has_role(*PLANNER_ROLES, Role.DEPARTMENT_HEAD):
        raise NotAllowed("Trang này dành cho lãnh đạo xã, phường.")
    return (
        DialogueSession.objects.filter(commune=commune)
        .select_related("neighbourhood")
        .prefetch_related("leaders")
    )


def session_get_for(*, user: User, pk: int) -> DialogueSession:
    """One of the user's commune's sessions; another commune's is not found (404)."""
    if not user.is_active or user.commune_id is None:
        raise NotFound("Không tìm thấy buổi đối thoại.")
    try:
        session = DialogueSession.objects.select_related("neighbourhood", "commune").get(
            pk=pk, commune_id=user.commune_id
        )
    except DialogueSession.DoesNotExist:
        raise NotFound("Không tìm thấy buổi đối thoại.") from None
    if not user.has_role(*PLANNER_ROLES, Role.DEPARTMENT_HEAD):
        raise NotAllowed("Trang này dành cho lãnh đạo xã, phường.")
    return session


def attending_candidates(commune: Commune) -> QuerySet[User]:
    """Staff who may attend as leaders: the commune's leaders and department heads."""
    users = User.objects.filter(commune=commune, is_active=True).order_by("full_name", "username")
    return users.filter(pk__in=[u.pk for u in users if u.has_role(*ATTENDING_ROLES)])


def session_issues(session: DialogueSession) -> QuerySet[FeedbackItem]:
    return (
        FeedbackItem.objects.filter(session=session)
        .select_related("category", "department")
        .order_by("received_at", "id")
    )


def previous_session(session: DialogueSession) -> DialogueSession | None:
    """The last session held before this one in the same neighbourhood."""
    return (
        DialogueSession.objects.filter(
            commune_id=session.commune_id,
            neighbourhood_id=session.neighbourhood_id,
            starts_at__lt=session.starts_at,
            state__in=(SessionState.HELD, SessionState.REPORTED),
        )
        .exclude(pk=session.pk)
        .order_by("-starts_at", "-id")
        .first()
    )


def public_upcoming(*, commune: Commune, now: dt.datetime) -> QuerySet[DialogueSession]:
    """Published sessions from today on (local day), for the public notice page."""
    today = dt.datetime.combine(now.astimezone(LOCAL_TZ).date(), dt.time(0), tzinfo=LOCAL_TZ)
    return (
        DialogueSession.objects.filter(commune=commune, published_at__isnull=False, starts_at__gte=today)
        .exclude(state=SessionState.CANCELLED)
        .select_related("neighbourhood")
        .prefetch_related("leaders")
        .order_by("starts_at", "id")
    )


# --------------------------------------------------------------------------------------------
# neighbourhoods
# --------------------------------------------------------------------------------------------


def _neighbourhood_name(raw: object) -> str:
    name = clean_field(raw, label="Tên tổ dân phố", limit=100, required=True)
    return " ".join(name.split())


def _save_unique(neighbourhood: Neighbourhood) -> Neighbourhood:
    clash = (
        Neighbourhood.objects.filter(commune_id=neighbourhood.commune_id, name__iexact=neighbourhood.name)
        .exclude(pk=neighbourhood.pk)
        .exists()
    )
    if clash:
        raise Conflict(f"Đã có tổ dân phố «{neighbourhood.name}».", code="duplicate_name")
    try:
        with transaction.atomic():
            neighbourhood.save()
    except IntegrityError:
        raise Conflict(f"Đã có tổ dân phố «{neighbourhood.name}».", code="duplicate_name") from None
    return neighbourhood


def neighbourhood_create(*, actor: User, name: object) -> Neighbourhood:
    commune = check_planner(actor)
    return _save_unique(Neighbourhood(commune=commune, name=_neighbourhood_name(name)))


def neighbourhood_rename(*, actor: User, neighbourhood: Neighbourhood, name: object) -> Neighbourhood:
    if check_planner(actor).pk != neighbourhood.commune_id:
        raise NotFound("Không tìm thấy tổ dân phố.")
    neighbourhood.name = _neighbourhood_name(name)
    return _save_unique(neighbourhood)


def neighbourhood_set_active(*, actor: User, neighbourhood: Neighbourhood, active: bool) -> Neighbourhood:
    """Deactivated, never deleted: its items and sessions keep it."""
    if check_planner(actor).pk != neighbourhood.commune_id:
        raise NotFound("Không tìm thấy tổ dân phố.")
    neighbourhood.active = active
    neighbourhood.save(update_fields=["active"])
    return neighbourhood


# --------------------------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------------------------


def parse_local_datetime(raw: object) -> dt.datetime:
    """`2026-02-12T07:30` (a datetime-local field) or `12/02/2026 07:30`, local time."""
    value = clean_field(raw, label="Thời gian", limit=30, required=True)
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=LOCAL_TZ)
        except ValueError:
            continue
    raise ValidationFailed("Thời gian không hợp lệ (ngày/tháng/năm giờ:phút).", code="bad_datetime")


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def series_starts(first: dt.datetime, *, repeat: str, times: int) -> list[dt.datetime]:
    """The start of each session of a series: weekly (same weekday and hour) or monthly (same day,
    the month's last day when it has fewer)."""
    if repeat not in REPEATS:
        raise ValidationFailed("Cách lặp lại không hợp lệ.", code="bad_repeat")
    if not repeat:
        return [first]
    if not 1 <= times <= MAX_REPEAT:
        raise ValidationFailed(f"Số buổi lặp lại từ 1 đến {MAX_REPEAT}.", code="bad_times")
    if repeat == "weekly":
        return [first + dt.timedelta(weeks=i) for i in range(times)]
    return [_add_months(first, i) for i in range(times)]


@dataclass(frozen=True)
class Plan:
    neighbourhood_id: object
    title: object
    starts_at: object
    place: object
    notice: object = ""
    leader_ids: tuple[object, ...] = ()
    repeat: object = ""
    times: object = 1


def _int(raw: object, *, label: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) <= 9:
        return int(raw.strip())
    raise ValidationFailed(f"{label} không hợp lệ.", code="bad_number")


def _leaders(commune: Commune, ids: tuple[object, ...]) -> list[User]:
    wanted = {_int(i, label="Lãnh đạo dự") for i in ids}
    found = list(attending_candidates(commune).filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationFailed(
            "Lãnh đạo dự phải là lãnh đạo UBND hoặc trưởng phòng của xã, phường.", code="bad_leader"
        )
    return found


def session_plan(*, actor: User, plan: Plan, now: dt.datetime) -> list[DialogueSession]:
    """A session (or a weekly/monthly series of them) in one of the commune's neighbourhoods."""
    commune = check_planner(actor)
    try:
        neighbourhood = Neighbourhood.objects.get(
            pk=_int(plan.neighbourhood_id, label="Tổ dân phố"), commune=commune, active=True
        )
    except Neighbourhood.DoesNotExist:
        raise ValidationFailed("Hãy chọn tổ dân phố của xã, phường.", code="bad_neighbourhood") from None
    title = clean_field(plan.title, label="Tiêu đề", limit=200, required=True)
    place = clean_field(plan.place, label="Địa điểm", limit=200, required=True)
    notice = clean_field(plan.notice, label="Nội dung thông báo", limit=4000)
    first = parse_local_datetime(plan.starts_at)
    repeat = clean_field(plan.repeat, label="Lặp lại", limit=10)
    times = _int(plan.times or 1, label="Số buổi")
    starts = series_starts(first, repeat=repeat, times=times)
    if first < now - dt.timedelta(days=1):
        raise ValidationFailed("Không lên lịch buổi đối thoại đã qua.", code="in_the_past")
    leaders = _leaders(commune, plan.leader_ids)
    with transaction.atomic():
        created = []
        for start in starts:
            session = DialogueSession.objects.create(
                commune=commune, neighbourhood=neighbourhood, title=title, starts_at=start, place=place,
                notice=notice, created_by=actor, created_at=now,
            )  # fmt: skip
            session.leaders.set(leaders)
            created.append(session)
    return created


def session_publish(*, actor: User, session: DialogueSession, now: dt.datetime) -> DialogueSession:
    """«Công bố»: the session appears on the commune's public notice page."""
    if check_planner(actor).pk != session.commune_id:
        raise NotFound("Không tìm thấy buổi đối thoại.")
    if session.state == SessionState.CANCELLED:
        raise Conflict("Buổi đối thoại đã huỷ.", code="cancelled")
    if session.published_at is None:
        session.published_at = now
        session.save(update_fields=["published_at"])
    return session


def session_cancel(*, actor: User, session: DialogueSession, now: dt.datetime) -> DialogueSession:
    if check_planner(actor).pk != session.commune_id:
        raise NotFound("Không tìm thấy buổi đối thoại.")
    if session.state != SessionState.PLANNED:
        raise Conflict("Chỉ huỷ được buổi chưa diễn ra.", code="not_planned")
    session.state = SessionState.CANCELLED
    session.save(update_fields=["state"])
    return session


# --------------------------------------------------------------------------------------------
# on the day
# --------------------------------------------------------------------------------------------


def _locked_open(actor: User, session: DialogueSession, now: dt.datetime) -> DialogueSession:
    """Lock the session (inside the caller's transaction), check it can be recorded, and move it
    PLANNED → HELD on the first thing recorded."""
    _check_recorder(actor, session)
    locked = DialogueSession.objects.select_for_update().get(pk=session.pk)
    if locked.state == SessionState.CANCELLED:
        raise Conflict("Buổi đối thoại đã huỷ.", code="cancelled")
    if locked.state == SessionState.REPORTED:
        raise Conflict("Buổi đối thoại đã kết thúc, đã lập biên bản.", code="reported")
    if locked.state == SessionState.PLANNED:
        locked.state = SessionState.HELD
        locked.held_at = now
        locked.save(update_fields=["state", "held_at"])
    return locked


def session_set_attendance(
    *, actor: User, session: DialogueSession, count: object = None, delta: object = None, now: dt.datetime
) -> DialogueSession:
    """The number of residents present: a typed number, or one more / one less."""
    with transaction.atomic():
        locked = _locked_open(actor, session, now)
        if delta not in (None, ""):
            step = {"+1": 1, "1": 1, "-1": -1}.get(str(delta))
            if step is None:
                raise ValidationFailed("Thao tác không hợp lệ.", code="bad_delta")
            value = max(0, (locked.attendance or 0) + step)
        else:
            value = _int(count, label="Số người dự")
        if value > MAX_ATTENDANCE:
            raise ValidationFailed("Số người dự quá lớn.", code="bad_number")
        locked.attendance = value
        locked.save(update_fields=["attendance"])
    return locked


def session_save_minutes(
    *, actor: User, session: DialogueSession, minutes: object, now: dt.datetime
) -> DialogueSession:
    text = clean_field(minutes, label="Biên bản", limit=20000)
    with transaction.atomic():
        locked = _locked_open(actor, session, now)
        locked.minutes = text
        locked.save(update_fields=["minutes"])
    return locked


@dataclass(frozen=True)
class RaisedIssue:
    category_id: object
    title: str
    description: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""


def session_raise_issue(
    *, actor: User, session: DialogueSession, issue: RaisedIssue, now: dt.datetime
) -> FeedbackItem:
    """«Ghi nhận»: an issue a resident raised, born with the session and its neighbourhood."""
    try:
        category = Category.objects.get(
            pk=_int(issue.category_id, label="Lĩnh vực"), commune_id=session.commune_id, active=True
        )
    except Category.DoesNotExist:
        raise ValidationFailed("Hãy chọn lĩnh vực.", code="bad_category") from None
    with transaction.atomic():
        locked = _locked_open(actor, session, now)
        item = feedback_create(
            commune=locked.commune, channel=Channel.SESSION, category=category, title=issue.title,
            description=issue.description, neighbourhood=locked.neighbourhood, session=locked, now=now,
            reporter=Reporter(name=issue.reporter_name, phone=issue.reporter_phone),
            actor=actor,
        )  # fmt: skip
        # The resident who left a phone is told the code to follow it by.
        notify_reporter(item=item, event=item.events.get(), now=now)
        return item


def session_issue_act(
    *,
    actor: User,
    session: DialogueSession,
    item_id: object,
    action: str,
    now: dt.datetime,
    note: object = "",
    department_id: object = None,
) -> FeedbackItem:
    """«Giải quyết ngay» (with a note) or «Giao» (to a department) on an issue of the session."""
    if action not in ISSUE_ACTIONS:
        raise NotFound("Thao tác không tồn tại.")
    _check_recorder(actor, session)
    try:
        item = FeedbackItem.objects.get(pk=_int(item_id, label="Ý kiến"), session=session)
    except FeedbackItem.DoesNotExist:
        raise NotFound("Không tìm thấy ý kiến của buổi đối thoại.") from None
    data: dict[str, object] = {"note": clean_field(note, label="Nội dung", limit=2000)}
    if action == "assign":
        try:
            data["department"] = Department.objects.get(
                pk=_int(department_id, label="Phòng ban"),
                commune_id=session.commune_id,
                closed_at__isnull=True,
            )
        except Department.DoesNotExist:
            raise ValidationFailed("Hãy chọn phòng ban xử lý.", code="bad_department") from None
    with transaction.atomic():
        _locked_open(actor, session, now)
        event = feedback_apply(item=item, action=ISSUE_ACTIONS[action], actor=actor, now=now, data=data)
        item.refresh_from_db()
        notify_reporter(item=item, event=event, now=now)
    return item


def session_finish(
    *,
    actor: User,
    session: DialogueSession,
    now: dt.datetime,
    attendance: object = None,
    minutes: object = None,
) -> DialogueSession:
    """«Kết thúc, lập biên bản»: HELD (or PLANNED with nothing recorded) → REPORTED. The count
    and the minutes the screen shows come with it (checked as when saved on their own), so an
    autosave still on its way is never overtaken by the report; None keeps what is saved."""
    with transaction.atomic():
        if attendance is not None:
            session_set_attendance(actor=actor, session=session, count=attendance, now=now)
        if minutes is not None:
            session_save_minutes(actor=actor, session=session, minutes=minutes, now=now)
        locked = _locked_open(actor, session, now)
        locked.state = SessionState.REPORTED
        locked.reported_at = now
        locked.save(update_fields=["state", "reported_at"])
    return locked
