"""Volunteers (issue 11 §7): teams, members, shifts at the commune's center, the residents they
helped, and the counts per team and per shift.

Who may:
- the commune's ADMIN and COMMUNE_LEADER manage teams and members (and shifts);
- the head of the commune's SERVICE_CENTER department manages shifts;
- any other staff member of the commune reads the teams and shifts (members' phones masked);
- a volunteer has no account: the shift's recording screen opens with a per-shift URL token
  (`/nhan-su/tinh-nguyen/ca/<pk>/ghi-nhan/<token>/`), shown once as a QR code on the shift page when
  a manager issues it. Only its SHA-256 is stored (a new token replaces the old one); it works only
  on the shift's day (local time) and only for its own shift. A URL token rather than a device
  cookie: the link is opened on the volunteers' own phones from the QR, with no activation step.

Counting rule (`volunteer_counts`): within a period (a day, a week Monday–Sunday, a month),
- helps recorded on the shift's screen count for that shift and its team;
- dossiers of the commune marked «có tình nguyện viên hỗ trợ» count when their time (the
  submission for an online application, else the first receipt) falls within a shift's hours on
  its day; the dossier's `volunteer_name`, folded (no diacritics, lower case), is matched to the
  folded full name of a member of a team on shift at that moment (the name as whole words anywhere
  in it: «Nguyễn Văn An (Đoàn phường)» matches «Nguyen Van An»): matched → that shift and team,
  not matched (or empty) → «không rõ đội». An assisted dossier outside every shift is counted
  apart («ngoài giờ ca»). Online applications (channel ONLINE) are a column of their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from motcua.calendar.selectors import calendar_for_province
from motcua.core.errors import NotAllowed, NotFound, ValidationFailed
from motcua.core.text import fold, form_text
from motcua.dossiers.models import Channel, Dossier
from motcua.org.models import DepartmentKind, Role, User

from .models import HelpKind, VolunteerHelp, VolunteerMember, VolunteerShift, VolunteerTeam
from .setup import parse_pk

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STAFF_ROLES = (Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.COMMUNE_LEADER, Role.ADMIN)
# A Vietnamese mobile number: 10 digits, 03/05/07/08/09 (+84 accepted and turned into 0).
_MOBILE = re.compile(r"^0[35789]\d{8}$")
# A note must not carry personal numbers (a phone, a CCCD): 9 digits or more in a row.
_PERSONAL_NUMBER = re.compile(r"\d[\d .\-]{7,}\d")
UNKNOWN = "Không rõ đội"


# ---------------------------------------------------------------------------------------------
# who may
# ---------------------------------------------------------------------------------------------


def _staff_of_commune(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.commune_id and user.has_role(*STAFF_ROLES))


def can_manage_teams(user: User) -> bool:
    return _staff_of_commune(user) and user.has_role(Role.ADMIN, Role.COMMUNE_LEADER)


def can_manage_shifts(user: User) -> bool:
    if can_manage_teams(user):
        return True
    return (
        _staff_of_commune(user)
        and user.has_role(Role.DEPARTMENT_HEAD)
        and user.department is not None
        and user.department.kind == DepartmentKind.SERVICE_CENTER
    )


def require_reader(user: User) -> int:
    """The acting user's commune (its id), or NotAllowed for anyone not on a commune's staff."""
    if not _staff_of_commune(user) or user.commune_id is None:
        raise NotAllowed("Trang này dành cho cán bộ của xã, phường.")
    return user.commune_id


def require_team_manager(user: User) -> None:
    if not can_manage_teams(user):
        raise NotAllowed("Chỉ quản trị và lãnh đạo UBND quản lý đội tình nguyện.")


def require_shift_manager(user: User) -> None:
    if not can_manage_shifts(user):
        raise NotAllowed("Chỉ lãnh đạo, quản trị và trưởng Trung tâm phục vụ hành chính công xếp ca.")


# ---------------------------------------------------------------------------------------------
# selectors
# ---------------------------------------------------------------------------------------------


def teams_for(*, user: User) -> QuerySet[VolunteerTeam]:
    commune_id = require_reader(user)
    return VolunteerTeam.objects.filter(commune_id=commune_id).annotate(
        active_members=Count("members", filter=Q(members__active=True))
    )


def team_get_for(*, user: User, pk: int) -> VolunteerTeam:
    commune_id = require_reader(user)
    try:
        return VolunteerTeam.objects.get(pk=pk, commune_id=commune_id)
    except (VolunteerTeam.DoesNotExist, ValueError) as exc:
        raise NotFound("Không tìm thấy đội tình nguyện.") from exc


def member_get_for(*, user: User, pk: int) -> VolunteerMember:
    commune_id = require_reader(user)
    try:
        return VolunteerMember.objects.select_related("team").get(pk=pk, team__commune_id=commune_id)
    except (VolunteerMember.DoesNotExist, ValueError) as exc:
        raise NotFound("Không tìm thấy thành viên.") from exc


def shifts_for(*, user: User, start: dt.date, end: dt.date) -> QuerySet[VolunteerShift]:
    commune_id = require_reader(user)
    return (
        VolunteerShift.objects.filter(team__commune_id=commune_id, day__range=(start, end))
        .select_related("team")
        .prefetch_related("members")
        .annotate(help_count=Count("helps", distinct=True))
        .order_by("day", "starts", "team__name")
    )


def shift_get_for(*, user: User, pk: int) -> VolunteerShift:
    commune_id = require_reader(user)
    try:
        return VolunteerShift.objects.select_related("team").get(pk=pk, team__commune_id=commune_id)
    except (VolunteerShift.DoesNotExist, ValueError) as exc:
        raise NotFound("Không tìm thấy ca trực.") from exc


def today_members(*, commune_id: int, day: dt.date) -> list[str]:
    """The names of the members on a shift of the commune on `day` (the intake form's datalist)."""
    names = VolunteerMember.objects.filter(
        shifts__team__commune_id=commune_id, shifts__day=day, active=True
    ).values_list("full_name", flat=True)
    return sorted(set(names))


# ---------------------------------------------------------------------------------------------
# teams and members
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamInput:
    name: str = ""
    organisation: str = ""
    campaign: str = ""
    leader_name: str = ""
    leader_phone: str = ""


def clean_mobile(value: object, *, label: str = "số điện thoại", required: bool = False) -> str:
    """A Vietnamese mobile number, digits only (0xxxxxxxxx); spaces, dots and dashes dropped."""
    raw = form_text(value, label=label, max_length=20, required=required)
    phone = re.sub(r"[\s.\-]", "", raw)
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    if phone and not _MOBILE.match(phone):
        raise ValidationFailed(
            f"{label.capitalize()} phải là số di động Việt Nam: 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09.",
            code="bad_phone",
        )
    return phone


def _team_fields(data: TeamInput) -> dict[str, str]:
    return {
        "name": form_text(data.name, label="tên đội", max_length=200, required=True),
        "organisation": form_text(data.organisation, label="tổ chức", max_length=200),
        "campaign": form_text(data.campaign, label="chiến dịch", max_length=200),
        "leader_name": form_text(data.leader_name, label="tên đội trưởng", max_length=150),
        "leader_phone": clean_mobile(data.leader_phone, label="số điện thoại đội trưởng"),
    }


def team_create(*, actor: User, data: TeamInput) -> VolunteerTeam:
    require_team_manager(actor)
    fields = _team_fields(data)
    assert actor.commune_id is not None
    return VolunteerTeam.objects.create(commune_id=actor.commune_id, **fields)


def team_update(*, actor: User, team: VolunteerTeam, data: TeamInput) -> VolunteerTeam:
    require_team_manager(actor)
    if team.commune_id != actor.commune_id:
        raise NotFound("Không tìm thấy đội tình nguyện.")
    for key, value in _team_fields(data).items():
        setattr(team, key, value)
    team.save()
    return team


def team_set_active(*, actor: User, team: VolunteerTeam, active: bool) -> VolunteerTeam:
    require_team_manager(actor)
    if team.commune_id != actor.commune_id:
        raise NotFound("Không tìm thấy đội tình nguyện.")
    team.active = active
    team.save(update_fields=["active"])
    return team


def member_add(*, actor: User, team: VolunteerTeam, full_name: object, phone: object) -> VolunteerMember:
    require_team_manager(actor)
    if team.commune_id != actor.commune_id:
        raise NotFound("Không tìm thấy đội tình nguyện.")
    if not team.active:
        raise ValidationFailed("Đội đã ngừng hoạt động.", code="team_inactive")
    name = form_text(full_name, label="họ và tên", max_length=150, required=True)
    return VolunteerMember.objects.create(team=team, full_name=name, phone=clean_mobile(phone))


def member_set_active(*, actor: User, member: VolunteerMember, active: bool) -> VolunteerMember:
    require_team_manager(actor)
    if member.team.commune_id != actor.commune_id:
        raise NotFound("Không tìm thấy thành viên.")
    member.active = active
    member.save(update_fields=["active"])
    return member


# ---------------------------------------------------------------------------------------------
# shifts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftInput:
    team_id: object = None
    day: object = ""
    starts: object = ""
    ends: object = ""
    member_ids: tuple[object, ...] = ()
    note: object = ""


SHIFT_DAYS_AROUND = 366  # a shift's day: within a year either side of today


def _parse_day(value: object, *, today: dt.date) -> dt.date:
    raw = form_text(value, label="ngày", max_length=10, required=True)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed("Ngày không hợp lệ (năm-tháng-ngày).", code="bad_date") from exc
    if abs((day - today).days) > SHIFT_DAYS_AROUND:
        raise ValidationFailed(
            "Ngày của ca trực phải trong vòng một năm trước hoặc sau hôm nay.", code="far_date"
        )
    return day


def _parse_time(value: object, label: str) -> dt.time:
    raw = form_text(value, label=label, max_length=5, required=True)
    if not re.fullmatch(r"\d{1,2}:\d{2}", raw):
        raise ValidationFailed(f"{label.capitalize()} phải có dạng giờ:phút (07:30).", code="bad_time")
    hour, minute = (int(x) for x in raw.split(":"))
    if hour > 23 or minute > 59:
        raise ValidationFailed(f"{label.capitalize()} không hợp lệ.", code="bad_time")
    return dt.time(hour, minute)


def center_opening(province_id: int | None) -> tuple[dt.time, dt.time]:
    """The center's opening on a working day: from the first office window's start to the last
    one's end (the calendar's office hours, 07:30–17:00)."""
    windows = calendar_for_province(province_id).office_windows
    return windows[0][0], windows[-1][1]


def shift_save(
    *, actor: User, data: ShiftInput, shift: VolunteerShift | None = None, now: dt.datetime
) -> VolunteerShift:
    """Create a shift or change one: a day within a year of today, hours within the center's
    opening, members of the team (active ones), no member on two overlapping shifts of one day
    (any team). Moving a shift to another day clears its recording link (the link works on the
    shift's day only, and must not start working on the new day) and is refused once helps were
    recorded on it (they happened on the old day)."""
    require_shift_manager(actor)
    commune_id = require_reader(actor)
    if shift is not None and shift.team.commune_id != commune_id:
        raise NotFound("Không tìm thấy ca trực.")
    team_pk = parse_pk(data.team_id) if shift is None else shift.team_id
    team = VolunteerTeam.objects.filter(pk=team_pk or 0, commune_id=commune_id).first()
    if team is None:
        raise ValidationFailed("Chưa chọn đội tình nguyện.", code="team")
    if not team.active:
        raise ValidationFailed("Đội đã ngừng hoạt động.", code="team_inactive")
    day = _parse_day(data.day, today=local_day(now))
    starts = _parse_time(data.starts, "giờ bắt đầu")
    ends = _parse_time(data.ends, "giờ kết thúc")
    if starts >= ends:
        raise ValidationFailed("Giờ kết thúc phải sau giờ bắt đầu.", code="order")
    opens, closes = center_opening(actor.province_id)
    if starts < opens or ends > closes:
        raise ValidationFailed(
            f"Ca phải nằm trong giờ làm việc của Trung tâm ({opens:%H:%M}–{closes:%H:%M}).", code="hours"
        )
    note = form_text(data.note, label="ghi chú", max_length=300)
    wanted: set[int] = set()
    for raw in data.member_ids:
        if not str(raw).strip():
            continue
        pk = parse_pk(raw)  # ASCII digits, bounded: 99999999999999999999 overflows SQLite
        if pk is None:
            raise ValidationFailed("Thành viên không hợp lệ.", code="members")
        wanted.add(pk)
    with transaction.atomic():
        if shift is not None:
            # Re-read under a lock: a help recorded meanwhile, or another save, counts.
            shift = VolunteerShift.objects.select_for_update().get(pk=shift.pk)
            if day != shift.day and shift.helps.exists():
                raise ValidationFailed(
                    f"Ca đã có lượt hỗ trợ được ghi nhận ngày {shift.day:%d/%m/%Y}: không đổi sang ngày "
                    "khác được (hãy tạo ca mới cho ngày đó).",
                    code="has_helps",
                )
        # Lock the members chosen: two managers saving overlapping shifts at once are serialised.
        members = list(
            VolunteerMember.objects.select_for_update()
            .filter(pk__in=wanted, team=team, active=True)
            .order_by("pk")
        )
        if len(members) != len(wanted):
            raise ValidationFailed("Có thành viên không thuộc đội hoặc đã ngừng tham gia.", code="members")
        others = VolunteerShift.objects.filter(members__in=members, day=day, starts__lt=ends, ends__gt=starts)
        if shift is not None:
            others = others.exclude(pk=shift.pk)
        clash = others.select_related("team").first()
        if clash is not None:
            busy = sorted(m.full_name for m in members if clash.members.filter(pk=m.pk).exists())
            raise ValidationFailed(
                f"{', '.join(busy)} đã có ca {clash.starts:%H:%M}–{clash.ends:%H:%M} ngày "
                f"{clash.day:%d/%m/%Y} ({clash.team.name}): các ca của một người không được trùng giờ.",
                code="overlap",
            )
        if shift is None:
            shift = VolunteerShift.objects.create(team=team, day=day, starts=starts, ends=ends, note=note)
        else:
            fields = ["day", "starts", "ends", "note"]
            if day != shift.day:
                # The old link must not open the shift on its new day: a new one is issued.
                shift.token_hash, shift.token_issued_at = "", None
                fields += ["token_hash", "token_issued_at"]
            shift.day, shift.starts, shift.ends, shift.note = day, starts, ends, note
            shift.save(update_fields=fields)
        shift.members.set(members)
    return shift


def shift_delete(*, actor: User, shift: VolunteerShift) -> None:
    require_shift_manager(actor)
    if shift.team.commune_id != actor.commune_id:
        raise NotFound("Không tìm thấy ca trực.")
    if shift.helps.exists():
        raise ValidationFailed("Ca đã có lượt hỗ trợ được ghi nhận: không xóa được.", code="has_helps")
    shift.delete()


# ---------------------------------------------------------------------------------------------
# the recording link
# ---------------------------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def local_day(now: dt.datetime) -> dt.date:
    return now.astimezone(LOCAL_TZ).date()


def shift_issue_token(*, actor: User, shift: VolunteerShift, now: dt.datetime) -> str:
    """A new recording token for the shift (the previous one stops working); returns it raw, once."""
    require_shift_manager(actor)
    if shift.team.commune_id != actor.commune_id:
        raise NotFound("Không tìm thấy ca trực.")
    if shift.day < local_day(now):
        raise ValidationFailed("Ca đã qua: không cấp mã ghi nhận.", code="past")
    raw = secrets.token_urlsafe(24)
    shift.token_hash = _hash(raw)
    shift.token_issued_at = now
    shift.save(update_fields=["token_hash", "token_issued_at"])
    return raw


def shift_by_token(*, pk: object, token: str, now: dt.datetime) -> VolunteerShift:
    """The shift a recording link opens: its own token only, on its own day only. Every refusal
    says the same to the phone (no hint which part was wrong) except an expired day."""
    refused = NotFound("Đường dẫn ghi nhận không đúng hoặc đã được thay bằng mã mới.")
    if not token or len(token) > 100:
        raise refused
    try:
        shift = VolunteerShift.objects.select_related("team", "team__commune").get(pk=int(str(pk)))
    except (ValueError, VolunteerShift.DoesNotExist) as exc:
        raise refused from exc
    if not shift.token_hash or not hmac.compare_digest(shift.token_hash, _hash(token)):
        raise refused
    if shift.day != local_day(now) or not shift.team.active:
        raise NotAllowed(
            f"Đường dẫn này chỉ dùng được trong ngày {shift.day:%d/%m/%Y} của ca trực.", code="expired"
        )
    return shift


def help_record(
    *, shift: VolunteerShift, kind: object, member_id: object, note: object, now: dt.datetime
) -> VolunteerHelp:
    """One resident helped, from the shift's screen (the link's token was checked by the caller)."""
    if str(kind) not in HelpKind.values:
        raise ValidationFailed("Chưa chọn loại hỗ trợ.", code="kind")
    text = form_text(note, label="ghi chú", max_length=300)
    if _PERSONAL_NUMBER.search(text):
        raise ValidationFailed(
            "Ghi chú không ghi số điện thoại, số CCCD hay thông tin cá nhân của người dân.", code="personal"
        )
    member = None
    if str(member_id or "").strip():
        try:
            member = shift.members.get(pk=int(str(member_id)))
        except (ValueError, VolunteerMember.DoesNotExist) as exc:
            raise ValidationFailed("Thành viên không có trong ca này.", code="member") from exc
    return VolunteerHelp.objects.create(shift=shift, member=member, kind=str(kind), at=now, note=text)


# ---------------------------------------------------------------------------------------------
# counts
# ---------------------------------------------------------------------------------------------

PERIODS = {"ngay": "Ngày", "tuan": "Tuần", "thang": "Tháng"}


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "ngay":
            return f"ngày {self.start:%d/%m/%Y}"
        if self.kind == "thang":
            return f"tháng {self.start:%m/%Y}"
        return f"tuần {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"


def period_of(kind: str, anchor: dt.date) -> Period:
    if kind == "ngay":
        return Period(kind, anchor, anchor)
    if kind == "thang":
        first = anchor.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - dt.timedelta(days=1))
    monday = anchor - dt.timedelta(days=anchor.weekday())
    return Period("tuan", monday, monday + dt.timedelta(days=6))


# The anchor days a count may be asked for (as the plan's pages): outside, a Vietnamese 422
# (9999-12-31's week or month would run past the last date Python knows).
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def parse_period(kind: object, day: object, *, today: dt.date) -> Period:
    k = str(kind or "tuan")
    if k not in PERIODS:
        k = "tuan"
    raw = str(day or "")[:10]
    try:
        anchor = dt.date.fromisoformat(raw) if raw else today
    except ValueError:
        anchor = today
    if not FIRST_DAY <= anchor <= LAST_DAY:
        raise ValidationFailed("Ngày xem số liệu phải từ năm 2000 đến năm 2100.", code="bad_date")
    return period_of(k, anchor)


@dataclass
class Tally:
    label: str
    team_id: int | None = None
    shift_id: int | None = None
    helps: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HelpKind.values, 0))
    dossiers: int = 0
    online: int = 0

    @property
    def help_total(self) -> int:
        return sum(self.helps.values())

    @property
    def total(self) -> int:
        return self.help_total + self.dossiers + self.online

    @property
    def help_list(self) -> list[int]:
        return [self.helps[k] for k in HelpKind.values]


@dataclass
class Counts:
    period: Period
    teams: list[Tally]
    shifts: list[Tally]
    unknown: Tally
    outside: int  # assisted dossiers outside every shift

    @property
    def total(self) -> Tally:
        t = Tally("Tổng")
        for row in [*self.teams, self.unknown]:
            for k, v in row.helps.items():
                t.helps[k] += v
            t.dossiers += row.dossiers
            t.online += row.online
        return t


def name_matches(volunteer_name: str, member_name: str) -> bool:
    """The member's folded name as whole words in the folded volunteer name."""
    target, name = fold(volunteer_name), fold(member_name)
    if not target or not name:
        return False
    return re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", target) is not None


def _dossier_time(d: Dossier) -> dt.datetime:
    if d.channel == Channel.ONLINE:
        return d.created_at
    return d.first_received_at or d.created_at


def volunteer_counts(*, user: User, period: Period) -> Counts:
    commune_id = require_reader(user)
    shifts = list(
        VolunteerShift.objects.filter(team__commune_id=commune_id, day__range=(period.start, period.end))
        .select_related("team")
        .prefetch_related("members")
        .order_by("day", "starts", "team__name", "pk")
    )
    teams = {t.pk: t for t in VolunteerTeam.objects.filter(commune_id=commune_id)}
    team_rows = {pk: Tally(t.name, team_id=pk) for pk, t in sorted(teams.items(), key=lambda kv: kv[1].name)}
    shift_rows = {
        s.pk: Tally(
            f"{s.day:%d/%m/%Y} {s.starts:%H:%M}–{s.ends:%H:%M} · {s.team.name}",
            team_id=s.team_id,
            shift_id=s.pk,
        )
        for s in shifts
    }
    for row in (
        VolunteerHelp.objects.filter(shift__in=shifts).values("shift_id", "kind").annotate(n=Count("id"))
    ):
        shift_rows[row["shift_id"]].helps[row["kind"]] += row["n"]
    team_members: dict[int, list[str]] = defaultdict(list)
    for m in VolunteerMember.objects.filter(team__commune_id=commune_id).values("team_id", "full_name"):
        team_members[m["team_id"]].append(m["full_name"])

    unknown, outside = Tally(UNKNOWN), 0
    lo = dt.datetime.combine(period.start, dt.time(0), tzinfo=LOCAL_TZ)
    hi = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ)
    dossiers = Dossier.objects.filter(commune_id=commune_id, assisted_by_volunteer=True).filter(
        Q(channel=Channel.ONLINE, created_at__gte=lo, created_at__lt=hi)
        | (
            ~Q(channel=Channel.ONLINE)
            & (
                Q(first_received_at__gte=lo, first_received_at__lt=hi)
                | Q(first_received_at__isnull=True, created_at__gte=lo, created_at__lt=hi)
            )
        )
    )
    by_day: dict[dt.date, list[VolunteerShift]] = defaultdict(list)
    for s in shifts:
        by_day[s.day].append(s)
    for d in dossiers.only("id", "channel", "created_at", "first_received_at", "volunteer_name"):
        at = _dossier_time(d).astimezone(LOCAL_TZ)
        on = [s for s in by_day.get(at.date(), []) if s.starts <= at.time() < s.ends]
        if not on:
            outside += 1
            continue
        chosen = next(
            (s for s in on for m in s.members.all() if name_matches(d.volunteer_name, m.full_name)), None
        ) or next(
            (s for s in on for name in team_members[s.team_id] if name_matches(d.volunteer_name, name)), None
        )
        tally = shift_rows[chosen.pk] if chosen else unknown
        if d.channel == Channel.ONLINE:
            tally.online += 1
        else:
            tally.dossiers += 1
    for srow in shift_rows.values():
        trow = team_rows[srow.team_id]  # type: ignore[index]
        for k, v in srow.helps.items():
            trow.helps[k] += v
        trow.dossiers += srow.dossiers
        trow.online += srow.online
    return Counts(period, list(team_rows.values()), list(shift_rows.values()), unknown, outside)


HEADER = [
    "Đội / ca",
    *HelpKind.labels,
    "Lượt hỗ trợ ghi nhận",
    "Hồ sơ có TNV hỗ trợ",
    "Hồ sơ trực tuyến",
    "Tổng",
]


def _row(t: Tally) -> list[object]:
    return [t.label, *t.help_list, t.help_total, t.dossiers, t.online, t.total]


def counts_xlsx(counts: Counts, *, commune_name: str) -> bytes:
    """The counts as a workbook: every cell text or a number, never a formula."""
    from openpyxl import Workbook

    from motcua.core.excel import append_text_row

    wb = Workbook(write_only=True)
    for title, rows in (
        ("Theo đội", [*counts.teams, counts.unknown, counts.total]),
        ("Theo ca", counts.shifts),
    ):
        ws = wb.create_sheet(title)
        append_text_row(ws, [f"Tình nguyện viên hỗ trợ người dân — {commune_name}"])
        append_text_row(ws, [f"Kỳ: {counts.period.label}"])
        append_text_row(ws, HEADER)
        for t in rows:
            append_text_row(ws, _row(t))
        if title == "Theo đội":
            append_text_row(ws, ["Hồ sơ có TNV hỗ trợ ngoài giờ ca", counts.outside])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
