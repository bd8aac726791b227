"""A second, independently made register generator: the held-out check against overfitting.

`generator.py` is what the linkage was developed on; a model tuned to its quirks (its clerk
profiles, its deliberate namesakes, its rates) could score well there and worse on registers
made by someone else. This module makes registers another way, to see whether a change to the
linkage helps on data it was not developed on:

- other old wards (Hải Châu's), its own name lists and weights, no era effects;
- namesakes only by chance (popular names repeat), no deliberate copies;
- each record's row is decided field by field from one set of per-register rates (no clerk
  profiles); the rates differ from the main generator's (more bare years, more blank IDs, more
  movers, fewer phones), and some corruptions it does not make: a name with only its tone marks
  lost, a date typed with the year's two digits swapped, "số"/"đường"/"hẻm" in addresses, a
  CMND with its province digits, a record carrying only the year of birth *and* no ID;
- a person's rows across registers are independent renderings of one truth (name, date, IDs).

Everything comes from one `random.Random(seed)`; the header is the officials' (``io.COLUMNS``);
`truth.csv` is record_id,person_id, as for the main generator, so the scorer reads both.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from motcua.registers.io import COLUMNS as HEADER

from . import vocab

# Hải Châu's old wards (the main generator starts with Thanh Khê's).
_WARDS = ("Thạch Thang", "Hải Châu I", "Hải Châu II", "Phước Ninh", "Bình Hiên", "Nam Dương")
_DISTRICT = "Hải Châu"

_SURNAMES = (
    ("Nguyễn", 30),
    ("Trần", 12),
    ("Lê", 10),
    ("Phạm", 6),
    ("Hoàng", 4),
    ("Huỳnh", 5),
    ("Phan", 5),
    ("Võ", 5),
    ("Đặng", 2.5),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 1.5),
    ("Dương", 1.2),
    ("Lý", 0.6),
    ("Đoàn", 1),
    ("Đinh", 0.8),
    ("Trương", 1.2),
    ("Lương", 0.6),
    ("Mai", 0.7),
    ("Tôn", 0.3),
    ("Châu", 0.5),
    ("Tạ", 0.3),
    ("Thái", 0.4),
    ("Văn", 0.3),
    ("Cao", 0.6),
    ("Lâm", 0.4),
    ("Hà", 0.5),
)
_MIDDLE_M = (
    ("Văn", 40),
    ("Hữu", 6),
    ("Đức", 6),
    ("Minh", 6),
    ("Quang", 5),
    ("Công", 4),
    ("Xuân", 3),
    ("Thanh", 4),
    ("Ngọc", 3),
    ("Quốc", 4),
    ("Đình", 4),
    ("Tấn", 3),
    ("Bá", 2),
    ("Trọng", 2),
)
_MIDDLE_F = (
    ("Thị", 50),
    ("Ngọc", 6),
    ("Thanh", 5),
    ("Thu", 5),
    ("Kim", 4),
    ("Mỹ", 3),
    ("Bích", 2),
    ("Hồng", 3),
    ("Phương", 2),
    ("Minh", 3),
    ("Diệu", 1),
    ("Như", 2),
    ("Bảo", 2),
)
_GIVEN_M = (
    "Hùng",
    "Dũng",
    "Tuấn",
    "Minh",
    "Nam",
    "Hải",
    "Long",
    "Sơn",
    "Thắng",
    "Cường",
    "Trung",
    "Phúc",
    "Khoa",
    "Bảo",
    "Huy",
    "Đạt",
    "Tài",
    "Lợi",
    "Thành",
    "Vinh",
    "Quân",
    "Tín",
    "Nghĩa",
    "Toàn",
    "Hiếu",
    "Phong",
    "Kiên",
    "Lâm",
    "Tùng",
    "Khánh",
    "Hòa",
    "Thiện",
    "Lực",
    "Sang",
    "Trí",
    "Nhân",
    "Tâm",
    "Hoàng",
    "Duy",
    "An",
    "Vũ",
    "Định",
    "Hưng",
    "Quý",
    "Tiến",
    "Thịnh",
    "Phát",
    "Lộc",
    "Bình",
    "Châu",
    "Đông",
    "Triều",
    "Khải",
    "Luân",
    "Mạnh",
    "Nguyên",
)
_GIVEN_F = (
    "Hoa",
    "Lan",
    "Hương",
    "Hằng",
    "Trang",
    "Linh",
    "Mai",
    "Thảo",
    "Ngọc",
    "Hà",
    "Vân",
    "Nhung",
    "Thủy",
    "Yến",
    "Oanh",
    "Phượng",
    "Dung",
    "Hạnh",
    "Loan",
    "Thư",
    "Trâm",
    "Vy",
    "Ngân",
    "Quyên",
    "Nhi",
    "Hiền",
    "Liên",
    "Tuyết",
    "Diệu",
    "My",
    "Uyên",
    "Giang",
    "Huyền",
    "Xuân",
    "Thúy",
    "Nga",
    "Chi",
    "Khuê",
    "Tâm",
    "Ly",
    "Sương",
    "Hồng",
    "Lệ",
    "Cúc",
    "Đào",
    "Thơ",
    "Kiều",
    "Ánh",
    "Duyên",
    "Nguyệt",
    "Thắm",
    "Bích",
    "Hậu",
    "Tiên",
    "Gấm",
)
# Province of birth (CCCD digits 1-3) with the CMND prefix of the province that issued the CMND.
_PROVINCES = (
    ("048", "201", 55),
    ("049", "205", 20),
    ("046", "191", 8),
    ("051", "212", 6),
    ("045", "197", 3),
    ("001", "012", 2),
    ("079", "025", 2),
    ("040", "186", 2),
    ("052", "215", 2),
)
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


@dataclass(frozen=True)
class HeldoutRates:
    move: float = 0.14  # listed in a second register too (moved, not removed)
    move_household: float = 0.04  # the whole household is listed in a second register
    duplicate: float = 0.05  # a second row in the same register
    name_plain: float = 0.15  # typed without diacritics
    name_tones_lost: float = 0.04  # tone marks lost, other diacritics kept ("Nguyên Văn Hung")
    name_upper: float = 0.12
    name_typo: float = 0.05
    name_drop_middle: float = 0.05
    name_spaces: float = 0.08
    name_nfd: float = 0.05
    date_year_only: float = 0.08  # (doubled for those born before 1965)
    date_blank: float = 0.01
    date_swap: float = 0.03
    date_typo: float = 0.015
    gender_blank: float = 0.08
    id_blank: float = 0.22
    id_cmnd: float = 0.18  # of those who had a CMND
    id_zeros: float = 0.05
    id_typo: float = 0.01
    address_blank: float = 0.03
    address_new: float = 0.08
    phone_blank: float = 0.6
    household_blank: float = 0.45


class _Person:
    __slots__ = ("cccd", "cmnd", "d", "given", "m", "male", "middle", "phone", "pid", "surname", "y")
    cccd: str
    cmnd: str
    d: int
    given: str
    m: int
    male: bool
    middle: str
    phone: str
    pid: str
    surname: str
    y: int


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


def _power(rng: random.Random, items: tuple[str, ...], s: float = 0.9) -> str:
    # Index skewed to the head: popular names repeat (namesakes by chance).
    i = int(len(items) * rng.random() ** (1 + s))
    return items[min(i, len(items) - 1)]


def _days(y: int, m: int) -> int:
    if m == 2:
        return 29 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 28
    return 30 if m in (4, 6, 9, 11) else 31


class _Maker:
    def __init__(self, seed: int, rates: HeldoutRates, wards: int) -> None:
        self.rng = random.Random(f"heldout:{seed}")  # noqa: S311 - synthetic data, reproducible
        self.r = rates
        self.wards = wards
        self.n = 0
        self.serials: set[str] = set()
        self.book = [self.rng.randrange(1, 500) for _ in range(wards)]

    def person(self, male: bool, year: int) -> _Person:
        rng = self.rng
        self.n += 1
        p = _Person()
        p.pid = f"H{self.n:07d}"
        p.male = male
        p.y = max(1920, min(2024, year))
        p.m = rng.randint(1, 12)
        p.d = rng.randint(1, _days(p.y, p.m))
        p.surname = _weighted(rng, _SURNAMES)
        p.middle = _weighted(rng, _MIDDLE_M if male else _MIDDLE_F) if rng.random() > 0.04 else ""
        p.given = _power(rng, _GIVEN_M if male else _GIVEN_F)
        prov, cmnd_prefix = rng.choices([(a, b) for a, b, _ in _PROVINCES], [w for *_, w in _PROVINCES])[0]
        century = (0 if p.y < 2000 else 2) + (0 if male else 1)
        while True:
            cccd = f"{prov}{century}{p.y % 100:02d}{rng.randrange(10**6):06d}"
            if cccd not in self.serials:
                self.serials.add(cccd)
                break
        p.cccd = cccd
        p.cmnd = ""
        if p.y <= 2000 and rng.random() < 0.8:
            prefix = "201" if rng.random() < 0.6 else cmnd_prefix
            p.cmnd = prefix + f"{rng.randrange(10 ** (9 - len(prefix))):0{9 - len(prefix)}d}"
        p.phone = ""
        if p.y <= 2006 and rng.random() < 0.7:
            p.phone = rng.choice(("090", "091", "093", "097", "098", "035", "077", "083", "070")) + (
                f"{rng.randrange(10**7):07d}"
            )
        return p

    def household(self) -> list[_Person]:
        rng = self.rng
        size = rng.choices((1, 2, 3, 4, 5, 6), (18, 20, 24, 22, 11, 5))[0]
        head_year = int(rng.triangular(1935, 2004, 1972))
        head_male = rng.random() < 0.7
        members = [self.person(head_male, head_year)]
        if size >= 2:
            spouse = self.person(not head_male, head_year + rng.randint(-6, 6))
            members.append(spouse)
        for _ in range(size - len(members)):
            kid = self.person(rng.random() < 0.5, head_year + rng.randint(20, 38))
            kid.surname = members[0].surname if head_male else kid.surname
            members.append(kid)
        return members

    # -- rendering
    def name(self, p: _Person) -> str:
        rng, r = self.rng, self.r
        parts = [p.surname, p.middle, p.given]
        if p.middle and rng.random() < r.name_drop_middle:
            parts[1] = ""
        words = [w for w in parts if w]
        if rng.random() < r.name_typo:
            i = rng.randrange(len(words))
            w = words[i]
            k = rng.randrange(len(w))
            op = rng.random()
            if op < 0.4 and len(w) > 2:
                w = w[:k] + w[k + 1 :]
            elif op < 0.8:
                w = w[:k] + rng.choice("aeiouynhtg") + w[k + 1 :]
            elif k < len(w) - 1:
                w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
            words[i] = w
        text = " ".join(words)
        if rng.random() < r.name_plain:
            text = _plain(text)
        elif rng.random() < r.name_tones_lost:
            text = _tones_lost(text)
        if rng.random() < r.name_upper:
            text = text.upper()
        elif rng.random() < 0.03:
            text = text.lower()
        if rng.random() < r.name_spaces:
            text = rng.choice(("  ", " ", "")) + text.replace(" ", rng.choice(("  ", " \u00a0", " "))) + " "
        if rng.random() < r.name_nfd:
            text = unicodedata.normalize("NFD", text)
        return text

    def date(self, p: _Person) -> str:
        rng, r = self.rng, self.r
        if rng.random() < r.date_blank:
            return ""
        if rng.random() < r.date_year_only * (2 if p.y < 1965 else 1):
            return str(p.y)
        y, m, d = p.y, p.m, p.d
        if rng.random() < r.date_typo:
            which = rng.random()
            if which < 0.5:
                d = max(1, min(_days(y, m), d + rng.choice((-1, 1))))
            elif which < 0.8:
                y = y // 100 * 100 + (y % 10) * 10 + (y // 10) % 10 if y % 10 != (y // 10) % 10 else y + 1
                d = min(d, _days(y, m))
            else:
                m = m % 12 + 1
                d = min(d, _days(y, m))
        if d <= 12 and d != m and rng.random() < r.date_swap:
            d, m = m, d
        fmt = rng.choices(("dd/mm/yyyy", "d/m/yyyy", "dd-mm-yyyy", "iso"), (50, 15, 12, 23))[0]
        if fmt == "dd/mm/yyyy":
            return f"{d:02d}/{m:02d}/{y}"
        if fmt == "d/m/yyyy":
            return f"{d}/{m}/{y}"
        if fmt == "dd-mm-yyyy":
            return f"{d:02d}-{m:02d}-{y}"
        return f"{y}-{m:02d}-{d:02d}"

    def gender(self, p: _Person) -> str:
        rng = self.rng
        if rng.random() < self.r.gender_blank:
            return ""
        style = rng.choices((0, 1, 2, 3), (55, 15, 15, 15))[0]
        return (("Nam", "Nữ"), ("nam", "nu"), ("M", "F"), ("1", "0"))[style][0 if p.male else 1]

    def citizen_id(self, p: _Person) -> str:
        rng, r = self.rng, self.r
        if rng.random() < r.id_blank * (2.5 if p.y >= 2010 else 1):
            return ""
        value = p.cmnd if p.cmnd and rng.random() < r.id_cmnd else p.cccd
        if rng.random() < r.id_typo:
            k = rng.randrange(4, len(value))
            value = value[:k] + str((int(value[k]) + rng.randint(1, 9)) % 10) + value[k + 1 :]
        if value.startswith("0") and rng.random() < r.id_zeros:
            value = value.lstrip("0")
        return value

    def address(self, ward: int, home: tuple[str, int]) -> str:
        rng, r = self.rng, self.r
        if rng.random() < r.address_blank:
            return ""
        street, to = home
        ward_name = _WARDS[ward]
        head = street if street else f"Tổ {to}"
        if street and rng.random() < 0.3:
            head = rng.choice(("số ", "Số ")) + street
        if rng.random() < r.address_new:
            return f"{head}, phường Hải Châu, thành phố Đà Nẵng"
        form = rng.random()
        if form < 0.4:
            text = f"{head}, phường {ward_name}, quận {_DISTRICT}, thành phố Đà Nẵng"
        elif form < 0.75:
            text = f"{head}, P.{ward_name}, Q.{_DISTRICT}, TP.Đà Nẵng"
        else:
            text = f"{head} - {ward_name} - {_DISTRICT} - Đà Nẵng"
        return _plain(text) if rng.random() < 0.07 else text

    def phone(self, number: str) -> str:
        rng = self.rng
        if not number or rng.random() < self.r.phone_blank:
            return ""
        style = rng.random()
        if style < 0.75:
            return number
        if style < 0.85:
            return f"{number[:4]}.{number[4:7]}.{number[7:]}"
        if style < 0.95:
            return "+84 " + number[1:]
        return number[1:]  # the leading zero eaten by a number cell

    def home(self, ward: int) -> tuple[str, int]:
        rng = self.rng
        streets = vocab.STREETS[_DISTRICT]
        if rng.random() < 0.65:
            n = rng.randint(1, 300)
            lane = rng.random()
            if lane < 0.5:
                return (f"{n} {rng.choice(streets)}", 0)
            word = rng.choice(("K", "Kiệt ", "Hẻm ", "kiệt "))
            return (f"{word}{n}/{rng.randint(1, 50)} {rng.choice(streets)}", 0)
        return ("", rng.randint(1, 60))

    def book_no(self, ward: int) -> str:
        self.book[ward] += 1
        return str(self.book[ward])


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _tones_lost(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))


def generate_heldout(
    *, persons: int, out_dir: Path, wards: int = 4, seed: int = 0, rates: HeldoutRates | None = None
) -> list[Path]:
    """Write ward_1.csv … ward_<wards>.csv and truth.csv into out_dir; returns the register files."""
    if not 2 <= wards <= len(_WARDS):
        raise ValueError(f"wards must be between 2 and {len(_WARDS)}")
    if persons < 1:
        raise ValueError("persons must be at least 1")
    maker = _Maker(seed, rates or HeldoutRates(), wards)
    rng, r = maker.rng, maker.r
    rows: list[list[tuple[str, list[str]]]] = [[] for _ in range(wards)]

    def emit(p: _Person, ward: int, home: tuple[str, int], book: str, phone: str) -> None:
        hh = "" if rng.random() < r.household_blank else book
        own = p.phone if p.phone and rng.random() < 0.7 else phone
        row = [
            p.pid,
            maker.name(p),
            maker.date(p),
            maker.gender(p),
            maker.citizen_id(p),
            maker.address(ward, home),
            maker.phone(own),
            hh,
        ]
        rows[ward].append((p.pid, row))

    while maker.n < persons:
        members = maker.household()
        ward = rng.randrange(wards)
        home = maker.home(ward)
        book = maker.book_no(ward)
        phone = members[0].phone
        for p in members:
            emit(p, ward, home, book, phone)
            if rng.random() < r.duplicate:
                emit(p, ward, home if rng.random() < 0.7 else maker.home(ward), book, phone)
        if rng.random() < r.move_household:
            other = rng.choice([w for w in range(wards) if w != ward])
            home2, book2 = maker.home(other), maker.book_no(other)
            for p in members:
                emit(p, other, home2, book2, phone)
        else:
            for p in members:
                if rng.random() < r.move * (1.0 if p.y < 2005 else 0.3):
                    other = rng.choice([w for w in range(wards) if w != ward])
                    emit(p, other, maker.home(other), maker.book_no(other), "")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    with (out_dir / "truth.csv").open("w", encoding="utf-8", newline="") as tf:
        truth = csv.writer(tf)
        truth.writerow(("record_id", "person_id"))
        for w in range(wards):
            rng.shuffle(rows[w])
            path = out_dir / f"ward_{w + 1}.csv"
            with path.open("w", encoding="utf-8", newline="") as f:
                out = csv.writer(f)
                out.writerow(HEADER)
                for i, (pid, row) in enumerate(rows[w], 1):
                    rid = f"HC{w + 1}-{i:06d}"
                    out.writerow([rid, f"Phường {_WARDS[w]}", *row[1:]])
                    truth.writerow((rid, pid))
            files.append(path)
    return files
