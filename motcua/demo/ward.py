"""The demo ward: Phường Thanh Khê, Thành phố Đà Nẵng, as it is set up on the first day.

Everything here is fictitious except the geography: the people are made up, the agency code is
a demo value, the password is printed on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from motcua.org.models import DepartmentKind, Role

COMMUNE_CODE = 20209
PROVINCE_CODE = 48
# Receiving-agency identifiers are issued by each province when a commune is onboarded; this
# one only follows the usual "H<province>.<commune>" shape so that dossier codes look real.
AGENCY_CODE = "H48.20209"

# What the ward shows residents and prints on forms (org.CommuneProfile).
UNIT_NAME = "Trung tâm Phục vụ hành chính công phường Thanh Khê"
ADDRESS = "Số 242 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng"
OPENING_HOURS = "Thứ Hai – Thứ Sáu 7:30–11:30, 13:30–17:00; sáng Thứ Bảy 7:30–11:30"
HOTLINE = "0236 3 714 412"

DATA_OFFICER = "dulieu"
PASSWORD = "thanhkhe2026"  # noqa: S105 - a published demo password, printed by `motcua demo`

OLD_DISTRICT = "Quận Thanh Khê"
OLD_PROVINCE = "Thành phố Đà Nẵng"
# The old wards of Quận Thanh Khê that `vietnamadminunits` converts to ward 20209 (checked
# offline with ward, district and province only). Phường An Khê is not among them: it became
# Phường An Khê (20305). The library reads Tam Thuận, Tân Chính, Vĩnh Trung and Hòa Khê as
# earlier names folded into Xuân Hà, Chính Gián, Thạc Gián and Thanh Khê Đông; they are kept
# because old registers and addresses still carry them. tests/test_demo.py re-checks the list.
LEGACY_WARDS = (
    "Phường Thanh Khê Tây",
    "Phường Thanh Khê Đông",
    "Phường Xuân Hà",
    "Phường Chính Gián",
    "Phường Thạc Gián",
    "Phường Tam Thuận",
    "Phường Tân Chính",
    "Phường Vĩnh Trung",
    "Phường Hòa Khê",
)

DEPARTMENTS = {
    DepartmentKind.SERVICE_CENTER: "Trung tâm Phục vụ hành chính công phường Thanh Khê",
    DepartmentKind.OFFICE: "Văn phòng HĐND và UBND phường",
    DepartmentKind.ECONOMIC: "Phòng Kinh tế, Hạ tầng và Đô thị",
    DepartmentKind.CULTURE_SOCIAL: "Phòng Văn hóa - Xã hội",
}


@dataclass(frozen=True)
class StaffMember:
    username: str
    full_name: str
    role: str
    position: str
    department: str | None = None
    # Procedure fields (catalog.ProcedureField codes) a specialist is given work in.
    fields: tuple[str, ...] = ()
    featured: bool = False  # listed on its own line in the printed logins
    superuser: bool = False  # an installation administrator (edits the shared catalogue)


SC = DepartmentKind.SERVICE_CENTER
OF = DepartmentKind.OFFICE
EC = DepartmentKind.ECONOMIC
CS = DepartmentKind.CULTURE_SOCIAL
_DESK = "Cán bộ tiếp nhận và trả kết quả"

STAFF: tuple[StaffMember, ...] = (
    StaffMember("motcua1", "Nguyễn Thị Thu Hà", Role.COUNTER_OFFICER, _DESK, SC, featured=True),
    StaffMember("motcua2", "Trần Văn Quang", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("motcua3", "Lê Thị Mỹ Linh", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("motcua4", "Phan Thanh Tùng", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("motcua5", "Huỳnh Thị Ngọc Ánh", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("tp.vanphong", "Võ Văn Thành", Role.DEPARTMENT_HEAD, "Chánh Văn phòng HĐND và UBND phường", OF),
    StaffMember("tuphap1", "Đặng Thị Kim Oanh", Role.SPECIALIST, "Công chức Tư pháp - Hộ tịch", OF,
                ("ho-tich", "chung-thuc"), featured=True),
    StaffMember("tuphap2", "Nguyễn Văn Hiếu", Role.SPECIALIST, "Công chức Tư pháp - Hộ tịch", OF,
                ("ho-tich", "chung-thuc")),
    StaffMember("vanphong1", "Lê Thị Thanh Tâm", Role.SPECIALIST, "Công chức Văn phòng - Thống kê", OF,
                ("chung-thuc",)),
    StaffMember("tp.kinhte", "Trương Công Minh", Role.DEPARTMENT_HEAD,
                "Trưởng phòng Kinh tế, Hạ tầng và Đô thị", EC, featured=True),
    StaffMember("diachinh1", "Phạm Văn Dũng", Role.SPECIALIST, "Công chức Địa chính - Xây dựng", EC,
                ("dat-dai", "xay-dung"), featured=True),
    StaffMember("diachinh2", "Hồ Thị Bích Ngọc", Role.SPECIALIST, "Công chức Địa chính - Xây dựng", EC,
                ("dat-dai", "xay-dung")),
    StaffMember("kinhte1", "Ngô Quốc Bảo", Role.SPECIALIST, "Công chức Kinh tế - Tài chính", EC,
                ("ho-kinh-doanh",)),
    StaffMember("tp.vanhoa", "Đoàn Thị Hồng Nhung", Role.DEPARTMENT_HEAD, "Trưởng phòng Văn hóa - Xã hội", CS),
    StaffMember("vhxh1", "Bùi Văn Lợi", Role.SPECIALIST, "Công chức Văn hóa - Xã hội (bảo trợ xã hội)", CS,
                ("bao-tro-xa-hoi", "giam-ngheo")),
    StaffMember("vhxh2", "Châu Thị Diễm Quỳnh", Role.SPECIALIST, "Công chức Văn hóa - Xã hội (giảm nghèo)", CS,
                ("giam-ngheo", "bao-tro-xa-hoi")),
    StaffMember("chutich", "Lê Quang Vinh", Role.COMMUNE_LEADER, "Chủ tịch UBND phường", featured=True),
    StaffMember("phochutich", "Nguyễn Thị Hoài Thương", Role.COMMUNE_LEADER, "Phó Chủ tịch UBND phường"),
    StaffMember("dulieu", "Nguyễn Thị Phương Thảo", Role.DATA_OFFICER,
                "Công chức Văn phòng - Thống kê (quản lý dữ liệu dân cư)", OF, featured=True),
    StaffMember("quantri", "Dương Minh Khoa", Role.ADMIN, "Công chức Văn phòng HĐND và UBND phường, quản trị của phường",
                featured=True),
    StaffMember("sonoivu", "Trần Thị Minh Thư", Role.PROVINCE_OFFICER, "Chuyên viên Sở Nội vụ thành phố Đà Nẵng",
                featured=True),
)  # fmt: skip

# The installation's administrator (is_superuser: the shared catalogue). Kept out of STAFF so
# that a demo loaded before it existed still counts as loaded; `demo_load` adds it on any run.
INSTALLATION_ADMIN = StaffMember(
    "hethong",
    "Hoàng Minh Tuấn",
    Role.ADMIN,
    "Quản trị hệ thống (toàn bộ cài đặt)",
    featured=True,
    superuser=True,
)

# The hall of the Public Administrative Service Center: the service groups a resident chooses
# from when taking a number (/lay-so/20209/), and the counters serving them (quầy 10 opens
# only for the morning peak: QUEUE_HOURS). The counter officers motcua1–motcua10 sit at
# quầy 1–10; today's tickets (a simulated day up to the hour it runs, cut_for) come with `motcua demo` (queue_day.py).
QUEUE_GROUPS = (
    ("A", "Hộ tịch"),
    ("B", "Đất đai - Xây dựng"),
    ("C", "Chứng thực"),
    ("D", "Lao động - Thương binh và Xã hội"),
)
QUEUE_COUNTERS = (
    (1, "AC"), (2, "A"), (3, "B"), (4, "BD"), (5, "C"), (6, "A"), (7, "C"), (8, "B"), (9, "D"), (10, "AC"),
)  # fmt: skip
# (counter, group, starts, ends): the counter serves that group only within these hours.
QUEUE_HOURS = ((10, "A", (8, 0), (11, 30)), (10, "C", (8, 0), (11, 30)))
# The counter officers who sit at quầy 6–10 (motcua1–motcua5 of STAFF sit at 1–5). Kept out of
# STAFF so that a demo loaded before them still counts as loaded; added on any run.
QUEUE_OFFICERS: tuple[StaffMember, ...] = (
    StaffMember("motcua6", "Võ Thị Kim Chi", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("motcua7", "Lâm Văn Hậu", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("motcua8", "Tôn Nữ Bảo Trâm", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("motcua9", "Mai Xuân Phúc", Role.COUNTER_OFFICER, _DESK, SC),
    StaffMember("motcua10", "Đinh Thị Thu Thảo", Role.COUNTER_OFFICER, _DESK, SC),
)
