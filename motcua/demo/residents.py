"""Fictitious residents of Phường Thanh Khê and the declarations they fill in.

Pure: every value comes from the `random.Random` passed in, so one seed gives one ward.
Names follow the Vietnamese surname frequencies (Nguyễn about a third of the population;
Huỳnh and Võ, the central-coast forms, ahead of Hoàng and Vũ in Đà Nẵng).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

from motcua.catalog.models import FormField
from motcua.core.text import fold
from motcua.dossiers.services import Applicant

SURNAMES = (
    ("Nguyễn", 32), ("Trần", 11), ("Lê", 10), ("Phạm", 6), ("Huỳnh", 5), ("Phan", 5), ("Võ", 5),
    ("Hoàng", 2), ("Vũ", 1), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 1), ("Hồ", 2), ("Ngô", 1), ("Dương", 1),
    ("Trương", 2), ("Đoàn", 1), ("Lương", 1), ("Mai", 1), ("Đinh", 1), ("Châu", 1), ("Thái", 1),
    ("Tô", 1), ("Lý", 1),
)  # fmt: skip


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SURNAME_NAMES = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in SURNAMES)
MIDDLE_MALE = _words("Văn Văn Văn Đức Minh Quốc Hữu Công Thanh Ngọc Anh Xuân Tấn")
MIDDLE_FEMALE = _words("Thị Thị Thị Thị Ngọc Thanh Thu Bảo Hồng Kim Mỹ Phương")
GIVEN_MALE = _words(
    "Hùng Dũng Tuấn Minh Nam Hải Long Phong Quang Sơn Thành Trung Việt Bình Cường Đạt Hiếu Hoàng Huy "
    "Khánh Lâm Lộc Nhân Phúc Tài Thắng Thịnh Toàn Vinh Vũ Bảo Khoa An Tín Trí"
)
GIVEN_FEMALE = _words(
    "Lan Hương Hoa Mai Linh Trang Thảo Hạnh Hằng Nhung Phương Thủy Vân Yến Ngọc Anh Chi Duyên Giang Hà "
    "Hiền Liên Loan My Nga Oanh Quyên Tâm Thư Uyên Vy Trinh Diễm Nhi"
)
CHILD_MIDDLE_MALE = _words("Minh Gia Bảo Đức Hoàng Anh Quốc Nhật")
CHILD_MIDDLE_FEMALE = _words("Ngọc Bảo Khánh Minh Gia Thảo An Tuệ")
CHILD_GIVEN_MALE = _words("An Khang Huy Phúc Nam Khôi Minh Bảo Lâm Quân Đăng")
CHILD_GIVEN_FEMALE = _words("An Vy Ngân Châu Nhi Linh Hân Như Trâm My Anh")

# Streets of the old Thanh Khê wards now in Phường Thanh Khê; Đà Nẵng calls alleys "kiệt".
STREETS = (
    "Điện Biên Phủ", "Hà Huy Tập", "Lê Duẩn", "Trần Cao Vân", "Hàm Nghi", "Nguyễn Tất Thành", "Hải Phòng",
    "Lê Độ", "Dũng Sĩ Thanh Khê", "Huỳnh Ngọc Huệ", "Thái Thị Bôi", "Phan Thanh", "Lê Đình Lý", "Đỗ Quang",
    "Kỳ Đồng", "Xuân Hà", "Trần Xuân Lê", "Nguyễn Phước Nguyên",
)  # fmt: skip
WARD_SUFFIX = "phường Thanh Khê, thành phố Đà Nẵng"
OTHER_WARDS = (
    "phường Hải Châu, thành phố Đà Nẵng",
    "phường An Khê, thành phố Đà Nẵng",
    "phường Hòa Cường, thành phố Đà Nẵng",
    "phường Sơn Trà, thành phố Đà Nẵng",
    "phường Hội An, thành phố Đà Nẵng",
    "phường Tam Kỳ, thành phố Đà Nẵng",
    "xã Hòa Vang, thành phố Đà Nẵng",
)
HOSPITALS = (
    "Bệnh viện Phụ sản - Nhi Đà Nẵng",
    "Bệnh viện Đà Nẵng",
    "Bệnh viện C Đà Nẵng",
    "Bệnh viện Hoàn Mỹ Đà Nẵng",
    "Bệnh viện Gia đình Đà Nẵng",
)
VOLUNTEER_TEAM = "Đội thanh niên tình nguyện phường Thanh Khê"


@dataclass(frozen=True)
class Person:
    name: str
    male: bool
    born_on: dt.date
    citizen_id: str
    phone: str
    address: str
    email: str = ""

    def applicant(self) -> Applicant:
        return Applicant(
            name=self.name,
            phone=self.phone,
            citizen_id=self.citizen_id,
            email=self.email,
            address=self.address,
        )


def full_name(rng: random.Random, *, male: bool, surname: str | None = None, child: bool = False) -> str:
    surname = surname or rng.choices(_SURNAME_NAMES, weights=_SURNAME_WEIGHTS)[0]
    if child:
        middle = rng.choice(CHILD_MIDDLE_MALE if male else CHILD_MIDDLE_FEMALE)
        given = rng.choice(CHILD_GIVEN_MALE if male else CHILD_GIVEN_FEMALE)
    else:
        middle = rng.choice(MIDDLE_MALE if male else MIDDLE_FEMALE)
        given = rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)
    return f"{surname} {middle} {given}"


def citizen_id(rng: random.Random, *, male: bool, born_on: dt.date) -> str:
    """048 (Đà Nẵng), the gender-and-century digit, the year of birth, six random digits."""
    century = 0 if born_on.year < 2000 else 2
    return f"048{century + (0 if male else 1)}{born_on.year % 100:02d}{rng.randrange(10**6):06d}"


def phone(rng: random.Random) -> str:
    return f"09{rng.randrange(10**8):08d}"


def address(rng: random.Random) -> str:
    street = rng.choice(STREETS)
    group = rng.randint(1, 96)
    if rng.random() < 0.4:
        return f"K{rng.randint(2, 480)}/{rng.randint(1, 40)} {street}, tổ dân phố {group}, {WARD_SUFFIX}"
    return f"{rng.randint(1, 620)} {street}, tổ dân phố {group}, {WARD_SUFFIX}"


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def person(
    rng: random.Random,
    *,
    today: dt.date,
    male: bool | None = None,
    min_age: int = 18,
    max_age: int = 80,
    surname: str | None = None,
    address_: str | None = None,
) -> Person:
    male = rng.random() < 0.5 if male is None else male
    born_on = _date_between(
        rng,
        dt.date(today.year - max_age, 1, 1),
        dt.date(today.year - min_age, today.month, min(today.day, 28)),
    )
    name = full_name(rng, male=male, surname=surname)
    email = ""
    if rng.random() < 0.2:
        email = f"{fold(name).replace(' ', '')}{born_on.year}@gmail.com"
    return Person(
        name=name,
        male=male,
        born_on=born_on,
        citizen_id=citizen_id(rng, male=male, born_on=born_on),
        phone=phone(rng),
        address=address_ or address(rng),
        email=email,
    )


def volunteer_name(rng: random.Random) -> str:
    male = rng.random() < 0.4
    return f"{full_name(rng, male=male)} ({VOLUNTEER_TEAM})"


# ---------------------------------------------------------------------------------------------
# Declarations (tờ khai)
# ---------------------------------------------------------------------------------------------

# Keys whose person is the applicant: "ho_ten", "so_dinh_danh", "ngay_sinh" without a suffix
# name the person the procedure is about, who is the applicant except in birth registrations.
_APPLICANT_SUFFIXES = {
    "",
    "chu_ho",
    "chu_dau_tu",
    "nguoi_khai",
    "nguoi_to_chuc",
    "nguoi_nhan",
    "nguoi_giam_ho",
}
_TEXT = {
    "dan_toc": ("Kinh",),
    "quoc_tich": ("Việt Nam",),
    "quan_he": ("Con", "Con", "Vợ", "Chồng", "Cháu"),
    "quan_he_nguoi_khai": ("Con", "Con", "Vợ", "Chồng", "Cháu"),
    "nguyen_nhan_chet": ("Bệnh già", "Tai biến mạch máu não", "Bệnh tim mạch", "Ung thư phổi"),
    "ten_giay_to": (
        "Giấy khai sinh", "Bằng tốt nghiệp trung học phổ thông", "Thẻ Căn cước", "Giấy chứng nhận quyền sử dụng đất",
        "Sổ hộ khẩu", "Bằng tốt nghiệp đại học", "Học bạ trung học phổ thông", "Giấy chứng nhận kết hôn",
    ),
    "muc_dich_de_nghi": ("Đất ở tại đô thị", "Đất thương mại, dịch vụ"),
    "muc_dich_hien_tai": ("Đất trồng cây lâu năm", "Đất trồng cây hằng năm khác", "Đất vườn liền kề đất ở"),
    "noi_da_dang_ky": (
        "UBND phường Thạc Gián, quận Thanh Khê", "UBND phường Xuân Hà, quận Thanh Khê",
        "UBND phường Chính Gián, quận Thanh Khê", "UBND xã Hòa Phong, huyện Hòa Vang",
    ),
}  # fmt: skip
_TEXTAREA = {
    "muc_dich_su_dung": ("Làm thủ tục đăng ký kết hôn", "Bổ sung hồ sơ vay vốn ngân hàng", "Bổ sung hồ sơ xuất khẩu lao động"),
    "nguon_goc": (
        "Nhận chuyển nhượng năm 1998, sử dụng ổn định, không tranh chấp",
        "Đất ông bà để lại, sử dụng ổn định từ năm 1985, không tranh chấp",
        "Được UBND phường giao đất làm nhà ở năm 1994",
    ),
    "nganh_nghe": ("Bán lẻ tạp hóa", "Quán cà phê, giải khát", "Sửa chữa xe máy", "Bán lẻ quần áo", "Quán ăn uống bình dân"),
    "ly_do": ("Gia đình có nhu cầu", "Thay đổi địa điểm kinh doanh", "Sai sót khi đăng ký trước đây"),
    "ly_do_mat": ("Bị mất khi chuyển nhà, đã đăng tin trên Báo Đà Nẵng", "Bị thất lạc trong đợt ngập lụt tháng 10"),
    "hoan_canh": (
        "Chủ hộ là lao động tự do, thu nhập bấp bênh; có con nhỏ và mẹ già ốm đau",
        "Chồng mất, một mình nuôi hai con đi học",
    ),
    "thong_tin_hien_tai": ("Ghi sai ngày sinh là 15/03/1978", "Quê quán ghi Quảng Nam"),
    "thong_tin_de_nghi": ("Ngày sinh 15/08/1978", "Quê quán thành phố Đà Nẵng"),
    "noi_dung_thay_doi": ("Thay đổi địa điểm kinh doanh", "Bổ sung ngành nghề kinh doanh", "Thay đổi vốn kinh doanh"),
}  # fmt: skip


def _suffix(key: str, prefix: str) -> str | None:
    if key == prefix:
        return ""
    if key.startswith(prefix + "_"):
        return key[len(prefix) + 1 :]
    return None


class Declaration:
    """Fills one procedure's declaration for one applicant, with the people it mentions."""

    def __init__(self, rng: random.Random, *, applicant: Person, field_keys: Iterable[str], day: dt.date):
        self.rng = rng
        self.day = day
        self.applicant = applicant
        keys = set(field_keys)
        # In a birth registration the unsuffixed fields are the child's.
        self.subject = "tre" if "ho_ten_tre" in keys or "nguoi_nhan" in keys else ""
        self.people: dict[str, Person] = {}

    def _person(self, suffix: str) -> Person:
        if suffix == "" and self.subject:
            suffix = self.subject
        a = self.applicant
        if suffix in _APPLICANT_SUFFIXES or (suffix == "cha" and a.male) or (suffix == "me" and not a.male):
            return a
        if suffix not in self.people:
            self.people[suffix] = self._new_person(suffix)
        return self.people[suffix]

    def _new_person(self, suffix: str) -> Person:
        rng, a = self.rng, self.applicant
        if suffix == "tre":
            male = rng.random() < 0.51
            born = self.day - dt.timedelta(days=rng.randint(5, 55))
            father = self._person("cha")
            surname = father.name.split()[0]
            return Person(
                full_name(rng, male=male, surname=surname, child=True), male, born, "", "", a.address
            )
        if suffix in ("cha", "me"):
            return person(
                rng, today=self.day, male=suffix == "cha", min_age=22, max_age=40, address_=a.address
            )
        if suffix in ("nam", "nu"):
            if a.male == (suffix == "nam"):
                return a
            other = rng.choice((*OTHER_WARDS, None))
            return person(rng, today=self.day, male=suffix == "nam", min_age=21, max_age=36,
                          address_=address(rng) if other is None else f"Tổ dân phố {rng.randint(1, 60)}, {other}")  # fmt: skip
        if suffix == "nguoi_chet":
            return person(rng, today=self.day, min_age=62, max_age=95, address_=a.address)
        if suffix == "nguoi_duoc_giam_ho":
            return person(rng, today=self.day, min_age=6, max_age=16, address_=a.address)
        return person(rng, today=self.day, address_=a.address)

    def fill(self, fields: Iterable[FormField]) -> dict[str, str]:
        data: dict[str, str] = {}
        for f in fields:
            if not f.required and self.rng.random() < 0.3:
                continue
            value = self._value(f, data)
            if value:
                data[f.key] = value
        return data

    def _value(self, f: FormField, data: dict[str, str]) -> str:
        rng, key, kind = self.rng, f.key, f.kind
        options = [o.strip() for o in f.choices.split("|") if o.strip()]
        if kind == FormField.Kind.CHOICE and options:
            return self._choice(key, options)
        if kind == FormField.Kind.CITIZEN_ID:
            suffix = _suffix(key, "so_dinh_danh")
            who = self._person(suffix if suffix is not None else key)
            return who.citizen_id or citizen_id(rng, male=who.male, born_on=who.born_on)
        if kind == FormField.Kind.DATE:
            return self._date(key, data).strftime("%d/%m/%Y")
        if kind == FormField.Kind.NUMBER:
            return self._number(key, data)
        suffix = _suffix(key, "ho_ten")
        if suffix is not None:
            return self._person(suffix).name
        for prefix in ("noi_cu_tru", "dia_chi", "dia_diem"):
            suffix = _suffix(key, prefix)
            if suffix is None:
                continue
            if prefix == "noi_cu_tru" or (prefix == "dia_chi" and suffix == ""):
                return self._person(suffix).address
            # A plot of land or a shop is often, not always, where the applicant lives.
            return self.applicant.address if rng.random() < 0.6 else address(rng)
        if key in _TEXT:
            return rng.choice(_TEXT[key])
        if key in _TEXTAREA:
            return rng.choice(_TEXTAREA[key])
        return self._other_text(f, data)

    def _choice(self, key: str, options: list[str]) -> str:
        a = self.applicant
        if key == "gioi_tinh":
            wanted = "Nam" if self._person("").male else "Nữ"
            return wanted if wanted in options else options[0]
        if key in ("quan_he_nguoi_di_dang_ky", "nguoi_nhan"):
            wanted = "Cha" if a.male else "Mẹ"
            return wanted if wanted in options else options[0]
        # The first options are the common cases (single, residential land…): weight them.
        return options[0] if self.rng.random() < 0.8 else self.rng.choice(options[:3])

    def _date(self, key: str, data: dict[str, str]) -> dt.date:
        rng, day = self.rng, self.day
        suffix = _suffix(key, "ngay_sinh")
        if suffix is not None:
            return self._person(suffix).born_on
        if key == "ngay_chet":
            return day - dt.timedelta(days=rng.randint(1, 14))
        if key in ("tu_ngay", "ngay_cham_dut"):
            return day + dt.timedelta(days=rng.randint(1, 15))
        if key == "den_ngay":
            start = data.get("tu_ngay")
            base = day
            if start:
                d, m, y = (int(x) for x in start.split("/"))
                base = dt.date(y, m, d)
            return base + dt.timedelta(days=rng.randint(30, 300))
        if key == "thoi_diem_su_dung":
            return _date_between(rng, dt.date(1985, 1, 1), dt.date(2012, 12, 31))
        return day - dt.timedelta(days=rng.randint(1, 30))

    def _number(self, key: str, data: dict[str, str]) -> str:
        rng = self.rng
        if key == "dien_tich":
            return str(rng.randint(55, 260))
        if key == "dien_tich_xay_dung":
            return str(rng.randint(48, 120))
        if key == "so_tang":
            return str(rng.choice((2, 3, 3, 4, 5)))
        if key == "tong_dien_tich_san":
            return str(int(data.get("dien_tich_xay_dung", "80")) * int(data.get("so_tang", "3")))
        if key == "chieu_cao":
            return f"{int(data.get('so_tang', '3')) * 3.6 + 1.2:.1f}"
        if key == "von_kinh_doanh":
            return str(rng.randint(3, 60) * 10_000_000)
        if key == "so_nhan_khau":
            return str(rng.randint(2, 7))
        if key == "so_lao_dong":
            return str(rng.randint(1, 5))
        if key in ("so_ban", "so_ban_sao"):
            return str(rng.choice((1, 2, 2, 3, 5)))
        if key == "so_trang":
            return str(rng.choice((1, 1, 2, 4)))
        return str(rng.randint(1, 9))

    def _other_text(self, f: FormField, data: dict[str, str]) -> str:
        rng, key = self.rng, f.key
        if key == "noi_sinh":
            return rng.choice(HOSPITALS)
        if key == "noi_chet":
            return rng.choice(
                (f"Tại nhà riêng, {self.applicant.address}", "Bệnh viện Đà Nẵng", "Bệnh viện C Đà Nẵng")
            )
        if key == "ten_ho_kinh_doanh":
            return f"Hộ kinh doanh {rng.choice(('Tạp hóa', 'Cà phê', 'Quán ăn'))} {self.applicant.name.split()[-1]}"
        if key == "ma_so_ho_kinh_doanh":
            return f"48A8{rng.randrange(10**6):06d}"
        if key in ("so_to_ban_do", "so_thua"):
            return str(rng.randint(3, 420))
        if key == "so_phat_hanh":
            return f"CS {rng.randrange(10**6):06d}"
        if key == "so_dang_ky":
            return f"Số {rng.randint(1, 400)}, quyển số 01/{rng.randint(1975, 2015)}"
        if key == "so_tai_khoan":
            return f"{rng.randrange(10**12):012d}"
        if key == "dien_thoai":
            return self.applicant.phone
        if not f.required:
            return ""
        if f.kind == FormField.Kind.TEXTAREA:
            return "Đề nghị UBND phường xem xét, giải quyết theo quy định."
        return "Theo giấy tờ kèm theo"
