"""The demo ward's volunteers (issue 11 §7): «Đội thanh niên tình nguyện phường Thanh Khê» of the
ward's youth union («Mùa hè xanh»), twelve members, a morning shift at the center on every working
day of this week (07:30–11:30, four members each, in turn) and the residents they helped this
morning.

The demo's dossiers already carry the volunteer mark with names «<họ tên> (Đội thanh niên tình
nguyện phường Thanh Khê)» (stories.py): the members are those names first (the ones who helped this
week first), so the counts page matches the marked dossiers to the team. Idempotent: the team,
members and shifts are looked up before they are written; today's helps are written once.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from motcua.dossiers.models import Dossier
from motcua.staffing.models import HelpKind, VolunteerHelp, VolunteerMember, VolunteerShift, VolunteerTeam

from . import ward as W
from .residents import VOLUNTEER_TEAM

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MEMBERS = 12
PER_SHIFT = 4
SHIFT = (dt.time(7, 30), dt.time(11, 30))
# Names used when the dossiers do not give twelve.
SPARE_NAMES = (
    "Nguyễn Hoàng Anh", "Trần Thị Bảo Châu", "Lê Minh Đức", "Phạm Ngọc Hân", "Võ Thành Long",
    "Huỳnh Thị Mai", "Đặng Quốc Nam", "Bùi Thị Như", "Phan Văn Phúc", "Ngô Thị Quỳnh",
    "Đỗ Minh Tâm", "Hồ Thị Uyên",
)  # fmt: skip
# Today's helps: (minutes after 07:30, kind, note).
HELPS = (
    (10, HelpKind.GUIDANCE, "Đưa bác lớn tuổi đến quầy hộ tịch"),
    (22, HelpKind.ONLINE, "Nộp trực tuyến đăng ký khai sinh"),
    (35, HelpKind.DOSSIER, "Điền tờ khai chứng thực"),
    (48, HelpKind.ONLINE, "Tạo tài khoản định danh điện tử"),
    (61, HelpKind.GUIDANCE, "Hướng dẫn lấy số thứ tự"),
    (77, HelpKind.DOSSIER, "Kiểm tra thành phần hồ sơ đất đai"),
    (95, HelpKind.ONLINE, "Nộp trực tuyến xác nhận tình trạng hôn nhân"),
    (118, HelpKind.GUIDANCE, "Đưa người khuyết tật lên tầng 2"),
    (140, HelpKind.DOSSIER, "Điền tờ khai trợ cấp"),
    (165, HelpKind.GUIDANCE, "Hướng dẫn tra cứu hồ sơ bằng mã QR"),
)


def _names(commune_id: int, monday: dt.date) -> list[str]:
    """The volunteers named on the demo's marked dossiers, this week's first, then the spares."""
    suffix = f" ({VOLUNTEER_TEAM})"
    week_start = dt.datetime.combine(monday, dt.time(0), tzinfo=LOCAL_TZ)
    marked = Dossier.objects.filter(commune_id=commune_id, assisted_by_volunteer=True).exclude(
        volunteer_name=""
    )
    found: list[str] = []
    for qs in (
        marked.filter(created_at__gte=week_start).order_by("created_at"),
        marked.order_by("-created_at"),
    ):
        for name in qs.values_list("volunteer_name", flat=True)[:500]:
            plain = name[: -len(suffix)] if name.endswith(suffix) else name
            if plain and plain not in found and len(plain) <= 150:
                found.append(plain)
            if len(found) >= MEMBERS:
                return found
    return found + [n for n in SPARE_NAMES if n not in found][: MEMBERS - len(found)]


def volunteers_load(*, now: dt.datetime) -> None:
    local = now.astimezone(LOCAL_TZ)
    today = local.date()
    monday = today - dt.timedelta(days=today.weekday())
    team, _ = VolunteerTeam.objects.get_or_create(
        commune_id=W.COMMUNE_CODE,
        name=VOLUNTEER_TEAM,
        defaults={
            "organisation": "Đoàn Thanh niên phường Thanh Khê",
            "campaign": f"Mùa hè xanh {today.year}",
            "leader_name": "Nguyễn Thị Thu Hà",
            "leader_phone": "0905712001",
        },
    )
    members = list(team.members.order_by("pk"))
    if not members:
        for i, name in enumerate(_names(W.COMMUNE_CODE, monday)):
            members.append(
                VolunteerMember.objects.create(team=team, full_name=name, phone=f"09057120{i + 10:02d}")
            )
    # A morning shift on every weekday of this week (Saturday morning too: the center opens then).
    for offset in range(6):
        day = monday + dt.timedelta(days=offset)
        shift, created = VolunteerShift.objects.get_or_create(
            team=team, day=day, starts=SHIFT[0], defaults={"ends": SHIFT[1], "note": "Hỗ trợ tại sảnh"}
        )
        if created:
            start = (offset * PER_SHIFT) % max(len(members), 1)
            shift.members.set(
                [members[(start + k) % len(members)] for k in range(min(PER_SHIFT, len(members)))]
            )
        if day == today and not shift.helps.exists():
            _helps_today(shift, local)


def _helps_today(shift: VolunteerShift, local: dt.datetime) -> None:
    """This morning's helps up to now (early in the morning: as at 10:15, like the hall's day)."""
    opens = dt.datetime.combine(shift.day, SHIFT[0], tzinfo=LOCAL_TZ)
    closes = dt.datetime.combine(shift.day, SHIFT[1], tzinfo=LOCAL_TZ)
    until = (
        local
        if local.time() >= dt.time(9, 30)
        else dt.datetime.combine(shift.day, dt.time(10, 15), tzinfo=LOCAL_TZ)
    )
    on_shift = list(shift.members.order_by("pk"))
    for i, (minutes, kind, note) in enumerate(HELPS):
        at = opens + dt.timedelta(minutes=minutes)
        if at > min(until, closes):
            break
        member = on_shift[i % len(on_shift)] if on_shift else None
        VolunteerHelp.objects.create(shift=shift, member=member, kind=kind, at=at, note=note)
