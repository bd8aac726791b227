"""Normalisation of register rows: Vietnamese names, dates, IDs, phones and addresses.

Every function here is pure and never raises on bad input: a value it cannot read becomes None.
`normalize_table` applies them to a whole `pyarrow.Table` (the output of `io.read_registers`)
and returns the columns listed in docs/registers-contract.md. It runs each function once per
*distinct* raw value (names, dates and addresses repeat a lot) and spreads the results back with
`pyarrow.compute.take`, so a million rows cost a few hundred thousand Python calls at most.
Nothing here reads the clock: `normalize_table(table, now=…)` takes the moment as a required
argument and `parse_birth_date(raw, today)` the day (the interface passes `clock.now()`).

Decisions (and why):

Names
    NFC, control and zero-width characters removed, text in brackets dropped ("Lê Văn Tám
    (đã chết)"), digits and punctuation other than ' and - removed, single spaces, title case.
    Tone placement is unified to the "hòa / thủy" style (oà→òa, oé→óe, uỷ→ủy at the end of a
    syllable, not after q) so the unfolded `full_name` does not differ on typing habit; folded
    forms lose tone marks anyway. `surname` is the folded first syllable, `middle` the syllables
    between, `given` the last; `given2` is the last two syllables *after the surname* ("binh minh"
    for Trần Bình Minh, just "minh" for Nguyễn Minh) so a two-syllable given name read as middle +
    given still compares equal. Compound surnames (Tôn Nữ, Nguyễn Phúc…) are not special-cased.
    `surname_key` maps the two documented regional variants: huynh→hoang, vo→vu. Folding also
    merges different surnames: Đoàn and Doãn both fold to "doan", Đặng and Đăng to "dang"; the
    linker can still tell them apart on the unfolded `full_name`.

Dates
    Read: d/m/yyyy with "/", "-", "." or spaces as separators (dd first, the Vietnamese order),
    yyyy-mm-dd (and yyyy/mm/dd), a time part after the date is ignored, "ngày 5 tháng 3 năm 1985",
    yyyymmdd and ddmmyyyy as 8 bare digits, a bare year, m/yyyy (year precision, `birth_month`
    kept), an Excel serial day number (5 digits, or "31048.0") when it falls between 1900 and
    today. Two-digit years are read with a pivot on today's year (≤ today's yy → 20yy, else 19yy):
    a register holds children as well as elders, and a 100-year-old written with two digits is
    rarer than a child. A month field above 12 with a day field ≤ 12 is read as mm/dd (the only
    valid reading). An impossible day (31/02/1985) keeps the year with precision "year"; a year
    outside 1900…today gives nothing. `dob_swapped` is the date with day and month exchanged when
    both are ≤ 12 and differ (and the swapped date is not in the future), for the linker to accept
    swaps.

Gender
    Nam/Nữ, nam/nu, M/F, Male/Female, trai/gái, ông/bà, and 1 = male, 0 = female (the usual
    convention in Vietnamese spreadsheets). Anything else is None.

Citizen ID
    Spaces, dots, dashes, quotes, Excel's ="…" and "CCCD:"-style labels are removed; "12345.0" and
    full-precision scientific notation (4.8095001234E+10) are read back, rounded scientific
    notation is not (digits were lost). 12 digits → CCCD (also the 12-digit CMND of 2012–2016,
    same structure). 9 digits → CMND. 8 digits → CMND whose leading 0 was eaten (CMNDs of Hà Nội,
    Hồ Chí Minh City… start with 0). 10 or 11 digits → a CCCD whose leading zeros were eaten by a
    number-formatted cell, restored when the padded value starts with one of the 63 pre-2025
    province codes and its century/gender digit is 0–3. A 9-digit value is never read as a CCCD
    that lost three zeros: no province code starts with "00" followed by 0, so a number-formatted
    CCCD loses at most two zeros (001… Hà Nội → 10 digits, 0XX → 11 digits). The birth year does
    not gate the restoration (a wrong restore only ever matches the same digits); it goes into
    `id_consistent`, a hint, never a reason to reject.

Phone
    +84/84/0084 prefixes and separators removed; a lost leading 0 restored; 11-digit mobile
    numbers (01xx…) converted with the 2018 table (0168→038…); 10-digit numbers kept (mobile,
    or a landline with a pre-2017 area code); 11-digit landlines kept when they start with 02 (the
    area codes since 2017); anything else None.
    Only the first number of "0905… / 0914…" is kept.

Address
    `split_address` (text only) cuts the street part from the units at the first unit marker —
    phường/xã/thị trấn, quận/huyện/thị xã, thành phố, tỉnh, written out or as P./F./X./TT./Q./H./
    TX./TP./T.P, with or without diacritics, dots, spaces or commas — or, with no marker at all,
    takes the last (up to three) comma-separated parts that do not look like a street. Markers
    are recognised on the text as written, so with diacritics "Quán Thánh", "Phương Mai" and "Hà
    Tĩnh" stay names; without them a few guards do the same ("12 Xã Đàn", "đường Quán Thánh").
    `motcua.registers.geo_cache` then asks vietnamadminunits, once per distinct units text and
    never with the street, for the old units and the 2025 codes: `old_ward/old_district/
    old_province` are the library's names folded ("phuong xuan ha", "quan thanh khe", "thanh pho
    da nang"), or for an address already in the 2025 form the new ward and province (district
    None); `new_ward_code` is None for an old ward that 2025 divided between several new wards
    (the library would need the street, i.e. geocoding, to choose). `street_key` is the folded
    house number and street, "số"/"đường"/"phố" dropped and K12/34 read as "kiet 12/34"; with no
    street, the group ("to 5", "kp 3", "thon 2").
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from motcua.core.text import clean_text, fold

from . import geo_cache

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# ----------------------------------------------------------------------------------------------
# Folding
# ----------------------------------------------------------------------------------------------

_VN_LETTERS = {
    "a": "àáảãạăằắẳẵặâầấẩẫậ",
    "e": "èéẻẽẹêềếểễệ",
    "i": "ìíỉĩị",
    "o": "òóỏõọôồốổỗộơờớởỡợ",
    "u": "ùúủũụưừứửữự",
    "y": "ỳýỷỹỵ",
    "d": "đ",
}
_FOLD_TABLE = str.maketrans({ch: base for base, chars in _VN_LETTERS.items() for ch in chars})
_INVISIBLE = re.compile(r"[\u200c-\u200f\u00ad]")  # joiners, direction marks, soft hyphen: removed
_INVISIBLE_SPACE = re.compile(r"[\u200b\u2060\ufeff]")  # zero-width spaces: a word break


def ascii_fold(lower: str) -> str | None:
    """Fold lower-case NFC text one character for one ("đà nẵng" → "da nang"), else None.

    Strips the marks of NFD and maps đ to d, which is what unidecode does to Vietnamese letters,
    three times faster. None when some character has no ASCII base letter (unidecode's job).
    """
    if lower.isascii():
        return lower
    out = unicodedata.normalize("NFD", lower.replace("đ", "d")).encode("ascii", "ignore").decode("ascii")
    return out if len(out) == len(lower) else None


def _invisible(text: str) -> str:
    if text.isascii():
        return text
    return _INVISIBLE_SPACE.sub(" ", _INVISIBLE.sub("", text))


def _clean(text: str) -> str:
    """`clean_text` (NFC, no control characters), skipping the work for printable ASCII."""
    if text.isascii() and text.isprintable():
        return text
    return clean_text(text)


def _fold_clean(cleaned: str) -> str:
    """`fold` of text already through `clean_text`."""
    folded = ascii_fold(cleaned.lower())
    if folded is not None:
        return " ".join(folded.split())
    return fold(cleaned)


def fast_fold(text: str | None) -> str:
    """Same result as `motcua.core.text.fold`, without unidecode for plain Vietnamese text."""
    if not text:
        return ""
    return _fold_clean(_clean(text))


# ----------------------------------------------------------------------------------------------
# Names
# ----------------------------------------------------------------------------------------------

SURNAME_VARIANTS = {"huynh": "hoang", "vo": "vu"}
"""Regional variants of one surname (Huỳnh/Hoàng, Võ/Vũ) mapped to one blocking key."""

_BRACKETS = re.compile(r"\([^)]*\)?|\[[^\]]*\]?|\{[^}]*\}?")
_NOT_NAME = re.compile(r"[^\w\s'\-]|[\d_]")
_OLD_TONE = re.compile(r"(?<!q)(o[àáảãạèéẻẽẹ]|u[ỳýỷỹỵ])(?!\w)")
_TONE_MOVE = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip


class NameParts(NamedTuple):
    full_name: str | None
    name_folded: str | None
    surname: str | None
    surname_key: str | None
    middle: str | None
    given: str | None
    given2: str | None
    name_sorted: str | None


_NO_NAME = NameParts(None, None, None, None, None, None, None, None)


def unify_tone_placement(text: str) -> str:
    """Unify tone placement: "hoà" → "hòa", "thuỷ" → "thủy" (lower-case NFC input)."""
    return _OLD_TONE.sub(lambda m: _TONE_MOVE[m.group(0)], text)


def clean_name(raw: str | None) -> str | None:
    """Cleaned original: "  NGUYỄN  văn hoà (con) " → "Nguyễn Văn Hòa"."""
    if not raw:
        return None
    text = _invisible(_clean(raw))
    if "(" in text or "[" in text or "{" in text:
        text = _BRACKETS.sub(" ", text)
    words = text.split()
    if not all(w.isalpha() for w in words):
        words = [w.strip("'-") for w in _NOT_NAME.sub(" ", text).split()]
    text = " ".join(w for w in words if w)
    if not text:
        return None
    return unify_tone_placement(text.lower()).title()


def surname_key(surname: str | None) -> str | None:
    """Canonical folded surname for blocking and comparison: "huynh" → "hoang", "vo" → "vu"."""
    if not surname:
        return None
    return SURNAME_VARIANTS.get(surname, surname)


def split_name(raw: str | None) -> NameParts:
    """Name parts of "Trần  thị BÌNH minh" → surname "tran", middle "thi", given "minh"…"""
    full = clean_name(raw)
    if not full:
        return _NO_NAME
    folded = _fold_clean(full)
    syllables = folded.replace("-", " ").replace("'", "").split()
    if not syllables:
        return _NO_NAME
    surname = syllables[0]
    given = syllables[-1]
    middle = " ".join(syllables[1:-1])
    given2 = " ".join(syllables[-2:]) if len(syllables) >= 3 else given
    return NameParts(
        full_name=full,
        name_folded=folded,
        surname=surname,
        surname_key=surname_key(surname),
        middle=middle,
        given=given,
        given2=given2,
        name_sorted=" ".join(sorted(syllables)),
    )


# ----------------------------------------------------------------------------------------------
# Dates
# ----------------------------------------------------------------------------------------------


class BirthDate(NamedTuple):
    iso: str | None
    year: int | None
    month: int | None
    day: int | None
    precision: str | None
    swapped: str | None


_NO_DATE = BirthDate(None, None, None, None, None, None)
_TIME_PART = re.compile(r"(?:[t\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:am|pm|sa|ch)?)\s*$")
_DIGITS = re.compile(r"\d+")
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_FLOAT_ZERO = re.compile(r"\d+\.0+")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
MIN_BIRTH_YEAR = 1900


def today_in_vietnam(now: dt.datetime) -> dt.date:
    """The calendar day in Vietnam at ``now`` (an aware datetime, passed in by the interface:
    the dates are read against it — the two-digit year pivot, no birth date after it)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("normalize: `now` must be an aware datetime (motcua.core.clock.now())")
    return now.astimezone(VN).date()


def _full_year(text: str, today: dt.date) -> int | None:
    if len(text) == 4:
        return int(text)
    if len(text) == 2:
        yy = int(text)
        return 2000 + yy if yy <= today.year % 100 else 1900 + yy
    return None


def _day_date(year: int, month: int, day: int, today: dt.date) -> BirthDate:
    if not MIN_BIRTH_YEAR <= year <= today.year:
        return _NO_DATE
    if month > 12 and 1 <= day <= 12:  # mm/dd written: the only valid reading
        day, month = month, day
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return BirthDate(None, year, month if 1 <= month <= 12 else None, None, "year", None)
    if date > today:
        return _NO_DATE
    swapped = None
    if day <= 12 and month <= 12 and day != month and dt.date(year, day, month) <= today:
        swapped = dt.date(year, day, month).isoformat()
    return BirthDate(date.isoformat(), year, month, day, "day", swapped)


def _year_only(year: int | None, today: dt.date, month: int | None = None) -> BirthDate:
    if year is None or not MIN_BIRTH_YEAR <= year <= today.year:
        return _NO_DATE
    if month is not None and not 1 <= month <= 12:
        month = None
    return BirthDate(None, year, month, None, "year", None)


def parse_birth_date(raw: str | None, today: dt.date) -> BirthDate:
    """Read a birth date as registers write it, ``today`` being the day it is read on (see
    ``today_in_vietnam``); see the module docstring for the formats."""
    if not raw:
        return _NO_DATE
    text = _clean(raw).strip().lower()
    now = today
    common = _DMY.fullmatch(text)
    if common:  # dd/mm/yyyy and friends: most values
        return _day_date(int(common.group(3)), int(common.group(2)), int(common.group(1)), now)
    if ":" in text:
        text = _TIME_PART.sub("", text)
    if text.endswith(".0") and _FLOAT_ZERO.fullmatch(text):
        text = text.split(".")[0]
    groups = _DIGITS.findall(text)
    if not groups or len(groups) > 3 or any(len(g) > 8 for g in groups):
        return _NO_DATE
    if len(groups) == 3:
        first, second, third = groups
        if len(first) == 4:
            return _day_date(int(first), int(second), int(third), now)
        year = _full_year(third, now)
        if year is None or len(first) > 2 or len(second) > 2:
            return _NO_DATE
        return _day_date(year, int(second), int(first), now)
    if len(groups) == 2:
        first, second = groups
        if len(second) == 4 and len(first) <= 2:
            return _year_only(int(second), now, int(first))
        if len(first) == 4 and len(second) <= 2:
            return _year_only(int(first), now, int(second))
        return _NO_DATE
    digits = groups[0]
    if len(digits) == 4:
        return _year_only(int(digits), now)
    if len(digits) == 8:
        if digits[:2] in ("19", "20"):
            parsed = _day_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]), now)
            if parsed.precision == "day":
                return parsed
        return _day_date(int(digits[4:]), int(digits[2:4]), int(digits[:2]), now)
    if len(digits) == 5 and text.isdigit():
        date = _EXCEL_EPOCH + dt.timedelta(days=int(digits))
        if date.year >= MIN_BIRTH_YEAR:
            return _day_date(date.year, date.month, date.day, now)
    return _NO_DATE


# ----------------------------------------------------------------------------------------------
# Gender
# ----------------------------------------------------------------------------------------------

_GENDER = {
    **dict.fromkeys(["nam", "m", "male", "1", "trai", "nam gioi", "ong", "man", "boy"], "M"),
    **dict.fromkeys(["nu", "f", "female", "0", "gai", "nu gioi", "ba", "woman", "girl", "w"], "F"),
}


def parse_gender(raw: str | None) -> str | None:
    """Gender "M"/"F" from "Nam"/"nữ"/"M"/"F"/"1"/"0"…: 1 = male, 0 = female; else None."""
    if not raw:
        return None
    key = fast_fold(raw).strip(" .")
    if key.endswith(".0"):
        key = key[:-2]
    return _GENDER.get(key)


# ----------------------------------------------------------------------------------------------
# Citizen ID
# ----------------------------------------------------------------------------------------------

_CCCD_PROVINCES = """
    001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034
    035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068
    070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096
"""
CCCD_PROVINCE_CODES = frozenset(_CCCD_PROVINCES.split())
"""The 63 pre-2025 province codes that open a CCCD (the numbers did not change in 2025)."""


class CitizenId(NamedTuple):
    citizen_id: str | None
    cmnd: str | None


_NO_ID = CitizenId(None, None)
_ID_LABEL = re.compile(r"^(?:so\s*)?(?:cccd|cmnd|cmt|cc|can cuoc(?: cong dan)?|so)\s*[:.\-#]?\s*")
_ID_JUNK = re.compile(r"[\s.\-'\"`’‘“”=,_/]")
_SCIENTIFIC = re.compile(r"^(\d)(?:[.,](\d+))?e\+?(\d+)$")


def _plausible_cccd(value: str) -> bool:
    return value[:3] in CCCD_PROVINCE_CODES and value[3] in "0123"


def parse_citizen_id(raw: str | None) -> CitizenId:
    """12-digit CCCD or 9-digit CMND from what a cell holds; see the module docstring."""
    if not raw:
        return _NO_ID
    if raw.isdigit() and raw.isascii():  # the common case, no cleaning needed
        return _id_from_digits(raw)
    text = fast_fold(raw)
    text = _ID_LABEL.sub("", text)
    compact = text.replace(" ", "")
    if re.fullmatch(r"\d+\.0+", compact):
        compact = compact.split(".")[0]
    sci = _SCIENTIFIC.match(compact)
    if sci:
        mantissa_decimals = len(sci.group(2) or "")
        if mantissa_decimals != int(sci.group(3)):
            return _NO_ID  # rounded by the spreadsheet: digits are lost
        compact = sci.group(1) + (sci.group(2) or "")
    digits = _ID_JUNK.sub("", compact)
    if not digits.isdigit() or not digits.isascii():
        return _NO_ID
    return _id_from_digits(digits)


def _id_from_digits(digits: str) -> CitizenId:
    n = len(digits)
    if n == 12:
        return CitizenId(digits, None)
    if n == 9:
        return CitizenId(None, digits)
    if n == 8:
        return CitizenId(None, "0" + digits)
    if n in (10, 11):
        padded = digits.zfill(12)
        if _plausible_cccd(padded):
            return CitizenId(padded, None)
    return _NO_ID


class CccdParts(NamedTuple):
    province: str
    century_gender: int
    birth_year_2: int


def cccd_parts(citizen_id: str | None) -> CccdParts | None:
    """Province code, gender/century digit and two-digit birth year of a 12-digit CCCD."""
    if not citizen_id or len(citizen_id) != 12 or not citizen_id.isdigit():
        return None
    return CccdParts(citizen_id[:3], int(citizen_id[3]), int(citizen_id[4:6]))


def id_consistent(citizen_id: str | None, gender: str | None, birth_year: int | None) -> bool | None:
    """Whether the CCCD's structure agrees with the gender and birth year (a hint only).

    None when there is no CCCD, or nothing to compare it with and its structure is plausible;
    False when the province code or the century digit is impossible, or a known gender or birth
    year disagrees (even digit = male, odd = female; 0/1 = 1900s, 2/3 = 2000s).
    """
    parts = cccd_parts(citizen_id)
    if parts is None:
        return None
    if parts.province not in CCCD_PROVINCE_CODES or parts.century_gender > 3:
        return False
    checks = []
    if gender in ("M", "F"):
        checks.append(gender == ("M" if parts.century_gender % 2 == 0 else "F"))
    if birth_year is not None:
        century = 1900 if parts.century_gender <= 1 else 2000
        checks.append(birth_year == century + parts.birth_year_2)
    return all(checks) if checks else None


# ----------------------------------------------------------------------------------------------
# Phone
# ----------------------------------------------------------------------------------------------

OLD_MOBILE_PREFIXES = {
    # Viettel
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039",
    # MobiFone
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    # VinaPhone
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    # Vietnamobile, Gmobile
    "0186": "056", "0188": "058", "0199": "059",
}  # fmt: skip
"""11-digit mobile prefixes and their 10-digit replacements (Ministry of Information, 2018)."""

_PHONE_SPLIT = re.compile(r"[/;,|&]|\s-\s|\bhoac\b|\bva\b")
_PHONE_JUNK = re.compile(r"[\s.\-()'\"`’‘“”=_]")


def parse_phone(raw: str | None) -> str | None:
    """Phone: "+84 905.123.456" → "0905123456"; "0168 123 4567" → "0381234567"; junk → None."""
    if not raw:
        return None
    if raw.isdigit() and raw.isascii():
        return _phone_number(raw)
    for part in _PHONE_SPLIT.split(fast_fold(raw)):
        number = _phone_digits(part)
        if number:
            return number
    return None


def _phone_digits(text: str) -> str | None:
    text = text.strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    compact = _PHONE_JUNK.sub("", text)
    compact = re.sub(r"^(?:dt|sdt|tel|phone|dd|mobile)[:.]?", "", compact)
    if compact.startswith("+"):
        compact = compact[1:]
        if not compact.startswith("84"):
            return None
        compact = "0" + compact[2:]
    if not compact.isdigit() or not compact.isascii():
        return None
    return _phone_number(compact)


def _phone_number(compact: str) -> str | None:
    """The number for a string of ASCII digits."""
    n = len(compact)
    if compact.startswith("0084") and n in (13, 14):
        compact = "0" + compact[4:]
    elif compact.startswith("84") and n in (11, 12):
        compact = "0" + compact[2:]
    elif (n == 9 and compact[0] in "235789") or (n == 10 and compact[0] in "12"):
        compact = "0" + compact  # the leading 0 eaten by a number-formatted cell
    n = len(compact)
    if not compact.startswith("0") or compact.startswith("00"):
        return None
    if n == 11 and compact.startswith("01"):
        new_prefix = OLD_MOBILE_PREFIXES.get(compact[:4])
        return new_prefix + compact[4:] if new_prefix else None
    if n == 10 and compact[1] != "1":
        return compact  # mobile (03, 05, 07, 08, 09) or a landline with an old area code (04…)
    if n == 11 and compact[1] == "2":
        return compact  # landline, 02x area codes since 2017
    return None


# ----------------------------------------------------------------------------------------------
# Household number
# ----------------------------------------------------------------------------------------------


def clean_household(raw: str | None) -> str | None:
    """Household book number, stripped; None if blank or only punctuation."""
    if not raw:
        return None
    text = " ".join(_invisible(_clean(raw)).split())
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text if any(ch.isalnum() for ch in text) else None


# ----------------------------------------------------------------------------------------------
# Addresses
# ----------------------------------------------------------------------------------------------


class AddressSplit(NamedTuple):
    """An address cut into its street part and its administrative units (all folded)."""

    street: tuple[str, ...]
    ward: str | None
    district: str | None
    province: str | None
    ward_marked: bool
    district_marked: bool
    admin_text: str | None


class AddressParts(NamedTuple):
    address_folded: str | None
    street_key: str | None
    old_ward: str | None
    old_district: str | None
    old_province: str | None
    new_ward_code: int | None
    new_province_code: int | None


_NO_ADDRESS = AddressParts(None, None, None, None, None, None, None)

_HCM = re.compile(r"(?<!\w)(?:tp\.?\s*|thành phố\s+|thanh pho\s+)?(?:hcm|hồ chí minh|ho chi minh)(?!\w)")
_ABBREV = re.compile(
    r"(?<!\w)(?P<a>t\.p|tp|t\.x|tx|t\.t|tt|tdp|kp|p|f|q|h|x)"
    r"(?:\.\s*|(?:(?<=[pfq])|(?<=tdp)|(?<=kp))\s*(?=\d)|\s+(?=[^\W\d_]))"
)
_ABBREV_WORDS = {
    "t.p": "thành phố ", "tp": "thành phố ", "t.x": "thị xã ", "tx": "thị xã ",
    "t.t": "thị trấn ", "tt": "thị trấn ", "tdp": "tổ dân phố ", "kp": "khu phố ",
    "p": "phường ", "f": "phường ", "q": "quận ", "h": "huyện ", "x": "xã ",
}  # fmt: skip
_MARKER = re.compile(
    r"(?<!\w)(thành phố|thanh pho|thị xã|thi xa|thị trấn|thi tran|phường|phuong|quận|quan"
    r"|huyện|huyen|tỉnh|tinh|xã|xa)(?!\w)"
)
_MARKER_KIND = {
    "thanh pho": "city", "thi xa": "district", "thi tran": "ward", "phuong": "ward",
    "quan": "district", "huyen": "district", "tinh": "province", "xa": "ward",
}  # fmt: skip
_STREET_WORDS = {
    "duong", "pho", "ngo", "hem", "kiet", "ngach", "so", "d", "sn", "lo", "km", "kiot", "cho",
}  # fmt: skip
_GROUP_WORDS = {"to", "tdp", "thon", "xom", "ap", "ban", "khoi", "khu", "kp", "cum", "doi", "dan", "pho"}
_STREET_START = re.compile(
    r"^(?:\d|(?:so|to|tdp|thon|xom|ap|ban|khoi|khu|kp|cum|doi|duong|pho|ngo|hem|kiet|ngach|lo|km"
    r"|can ho|chung cu|nha|sn|k)\b)"
)
# Cheap test for a segment that may hold a unit marker or an abbreviation (a superset of the
# three patterns above, which then do the real work).
_MAYBE_UNIT = re.compile(
    r"(?<!\w)(?:[pfqhx]\b|[pfq]\d|t\.|tp|tx|tt|tdp|kp|hcm|h[oồ] ch[ií] minh|th[aà]nh ph[oố]|th[iị] "
    r"|ph[uư][oờ]ng|qu[aậ]n|huy[eệ]n|t[iỉ]nh|x[aã]\b)"
)
_SEPARATORS = re.compile(r"[;|\n\t]+|\s[-–—]\s")
_WORD = re.compile(r"\w+(?:/\w+)*")


def _accepted_marker(folded: str, start: int, end: int, context: tuple[str, ...]) -> bool:
    before = [*context, *_WORD.findall(folded[max(0, start - 30) : start])]
    after = _WORD.findall(folded[end : end + 12])
    if not after or after[0] in ("lo",):  # "tỉnh lộ 10" is a road
        return False
    if not before:
        return True
    prev = before[-1]
    if prev in _STREET_WORDS:
        return False  # "phố Xã Đàn", "đường Quán Thánh"
    if prev[0].isdigit():
        # "12 Xã Đàn" is a street; "tổ 5 xã Hòa Phước" is a group then a commune.
        return len(before) >= 2 and before[-2] in _GROUP_WORDS
    return True


def _context_word(word: str) -> str:
    """What `_accepted_marker` needs to know of a word before the cut (keeps the cache small)."""
    if word in _STREET_WORDS or word in _GROUP_WORDS:
        return word
    return "0" if word[0].isdigit() else "a"


def _fold_segment(text: str) -> str:
    """Folded words of a lower-case NFC piece of address ("123/4 nguyễn trãi" → "123/4 nguyen trai")."""
    folded = ascii_fold(text)
    if folded is None:
        folded = fold(text)
    return " ".join(_WORD.findall(folded.replace("_", " ")))


Piece = tuple[str | None, str, str]  # (unit kind or None, marker word, folded name)


@lru_cache(maxsize=1 << 18)
def _segment_pieces(segment: str) -> tuple[Piece, ...]:
    """One comma-separated segment (lower-case NFC) cut at its unit markers.

    The part before the first possible marker (house number and street, which make most
    segments distinct) is folded on its own; the rest is cut by `_cut_units`, cached with just
    enough of the words before it to decide the first marker.
    """
    found = _MAYBE_UNIT.search(segment)
    if found is None:  # most street segments: nothing to cut
        return _plain(segment)
    cut = found.start()
    head = _fold_segment(segment[:cut]) if cut else ""
    if not head:
        return _cut_units(segment[cut:], (), True)
    context = tuple(_context_word(w) for w in head.split()[-2:])
    pieces = _cut_units(segment[cut:], context, False)
    if pieces and pieces[0][0] is None:
        return ((None, "", f"{head} {pieces[0][2]}"), *pieces[1:])
    return ((None, "", head), *pieces)


@lru_cache(maxsize=1 << 16)
def _plain(segment: str) -> tuple[Piece, ...]:
    name = _fold_segment(segment)
    return ((None, "", name),) if name else ()


@lru_cache(maxsize=1 << 16)
def _cut_units(segment: str, context: tuple[str, ...], at_start: bool) -> tuple[Piece, ...]:
    text = _HCM.sub(" thành phố hồ chí minh", segment)
    text = _ABBREV.sub(lambda m: " " + _ABBREV_WORDS[m.group("a")], text)
    text = " ".join(text.split())
    if not text:
        return ()
    folded = ascii_fold(text) or text.translate(_FOLD_TABLE)
    cuts: dict[int, tuple[str, str]] = {}
    last_end = -1
    for match in _MARKER.finditer(text):
        start, end = match.start(), match.end()
        if last_end >= 0 and not text[last_end:start].strip():
            continue  # "phường Phương Mai", "xã Quan Thành": the name starts with a marker word
        if match.group(0) == "tinh" and (start or not at_start):
            continue  # unaccented "tinh" inside "ha tinh", "son tinh"… only after a comma
        if _accepted_marker(folded, start, end, context):
            word = match.group(0).translate(_FOLD_TABLE)
            cuts[start] = (_MARKER_KIND[word], word)
            last_end = end
    pieces: list[Piece] = []
    boundaries = sorted({0, *cuts})
    for i, start in enumerate(boundaries):
        end = boundaries[i + 1] if i + 1 < len(boundaries) else len(text)
        kind, word = cuts.get(start, (None, ""))
        name = _fold_segment(text[start + len(word) : end])
        if kind or name:
            pieces.append((kind, word, name))
    return tuple(pieces)


def split_address(raw: str | None) -> AddressSplit | None:
    """Cut an address into street part and units: no library call, folded output.

    Handles "12 Lê Duẩn, tổ 5, phường Xuân Hà, quận Thanh Khê, thành phố Đà Nẵng", the
    abbreviations P./F./Q./H./X./TX./TT./TP./T.P (with or without dot or space), addresses without
    commas ("P.Xuân Hà Q.Thanh Khê") or diacritics, and the new two-level form ("…, phường Thanh
    Khê, thành phố Đà Nẵng"). Markers are matched on the written text, so "Quán Thánh", "Phương
    Mai" or "Hà Tĩnh" are names, not units, when typed with diacritics.
    """
    if not raw:
        return None
    return _split_prepared(_invisible(_clean(raw)).lower())


def _split_prepared(text: str) -> AddressSplit:
    segments: list[Piece] = []
    for segment in _SEPARATORS.sub(",", text).split(","):
        segments.extend(_segment_pieces(segment))
    first_admin = next((i for i, seg in enumerate(segments) if seg[0]), None)
    if first_admin is None:
        # No marker: the trailing segments (up to three) that do not look like a street.
        first_admin = len(segments)
        while first_admin > 0 and len(segments) - first_admin < 3:
            if _STREET_START.match(segments[first_admin - 1][2]):
                break
            first_admin -= 1
    street = tuple(name for _, _, name in segments[:first_admin] if name)
    units = _units_of(tuple(seg for seg in segments[first_admin:] if seg[2]))
    return AddressSplit(street, *units[1:])


@lru_cache(maxsize=1 << 16)
def _units_of(admin: tuple[Piece, ...]) -> AddressSplit:
    """Ward, district and province slots of the units part (marked or by position); cached."""
    units: dict[str, str] = {}
    marked: set[str] = set()
    parts: list[str] = []
    for i, (kind, word, name) in enumerate(admin):
        last = i == len(admin) - 1
        written = f"{word} {name}" if word else name
        parts.append(written)
        if kind == "city":
            slot = "province" if last and "province" not in units else "district"
        elif kind:
            slot = kind
        elif last and "province" not in units:
            slot = "province"
        elif "ward" not in units and "district" not in units and len(admin) - i >= 3:
            slot = "ward"
        elif "district" not in units:
            slot = "district"
        else:
            slot = "ward"
        if slot not in units:
            units[slot] = written
            if kind:
                marked.add(slot)
    return AddressSplit(
        street=(),
        ward=units.get("ward"),
        district=units.get("district"),
        province=units.get("province"),
        ward_marked="ward" in marked,
        district_marked="district" in marked,
        admin_text=", ".join(parts) or None,
    )


def street_key(street: Sequence[str]) -> str | None:
    """Folded house number and street ("12 le duan"), else the group ("to 5"), best effort."""
    streets: list[str] = []
    groups: list[str] = []
    for segment in street:
        piece = _street_piece(segment)
        if piece is not None:
            kind, text = piece
            if kind == "named":
                return text
            (groups if kind == "group" else streets).append(text)
    pieces = streets + groups
    return " ".join(pieces) if pieces else None


_GROUP_HEADS = frozenset({"to", "tdp", "thon", "xom", "ap", "ban", "khoi", "khu", "kp", "cum", "doi"})
_HOUSE_WORDS = frozenset({"so", "nha", "sn", "dia", "chi"})
_KIET = re.compile(r"k\d\S*")


@lru_cache(maxsize=1 << 18)
def _street_piece(segment: str) -> tuple[str, str] | None:
    """("group", "to 5"), ("named", "12 le duan") or ("street", "12") for one folded segment."""
    words = segment.split()
    while words and words[0] in _HOUSE_WORDS:
        words = words[1:]
    if not words:
        return None
    if words[0] in _GROUP_HEADS:
        return "group", _group_key(words)
    words = [w for i, w in enumerate(words) if not (i <= 1 and w in ("duong", "pho", "d"))]
    if words and _KIET.fullmatch(words[0]):
        words = ["kiet", words[0][1:], *words[1:]]
    words = [(w.lstrip("0") or "0") if w.isdigit() else w for w in words]
    if not words:
        return None
    text = " ".join(words)
    return ("named" if any(ch.isalpha() for ch in text) else "street"), text


def _group_key(words: list[str]) -> str:
    head, rest = words[0], words[1:]
    if head == "to" and rest[:2] == ["dan", "pho"]:
        rest = rest[2:]
    elif head == "khu" and rest[:1] == ["pho"]:
        head, rest = "kp", rest[1:]
    elif head == "tdp":
        head = "to"
    rest = [w.lstrip("0") or "0" if w.isdigit() else w for w in rest]
    return " ".join([head, *rest])


def normalize_address(raw: str | None) -> AddressParts:
    """Folded address, street key and the old and new administrative units."""
    if not raw:
        return _NO_ADDRESS
    cleaned = _invisible(_clean(raw))
    folded = _fold_clean(cleaned)
    if not folded:
        return _NO_ADDRESS
    split = _split_prepared(cleaned.lower())
    units = geo_cache.resolve(
        admin_text=split.admin_text,
        ward=split.ward,
        district=split.district,
        province=split.province,
        ward_marked=split.ward_marked,
        district_marked=split.district_marked,
    )
    return AddressParts(
        address_folded=folded,
        street_key=street_key(split.street),
        old_ward=units.old_ward,
        old_district=units.old_district,
        old_province=units.old_province,
        new_ward_code=units.new_ward_code,
        new_province_code=units.new_province_code,
    )


# ----------------------------------------------------------------------------------------------
# Whole table
# ----------------------------------------------------------------------------------------------

OUTPUT_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("source", pa.string()),
        ("full_name", pa.string()),
        ("name_folded", pa.string()),
        ("surname", pa.string()),
        ("surname_key", pa.string()),
        ("middle", pa.string()),
        ("given", pa.string()),
        ("given2", pa.string()),
        ("name_sorted", pa.string()),
        ("birth_date", pa.string()),
        ("birth_year", pa.int32()),
        ("birth_month", pa.int32()),
        ("birth_day", pa.int32()),
        ("dob_precision", pa.string()),
        ("dob_swapped", pa.string()),
        ("gender", pa.string()),
        ("citizen_id", pa.string()),
        ("cmnd", pa.string()),
        ("id_province", pa.string()),
        ("id_century_gender", pa.int32()),
        ("id_birth_year_2", pa.int32()),
        ("id_consistent", pa.bool_()),
        ("phone", pa.string()),
        ("household_no", pa.string()),
        ("address_folded", pa.string()),
        ("street_key", pa.string()),
        ("old_ward", pa.string()),
        ("old_district", pa.string()),
        ("old_province", pa.string()),
        ("new_ward_code", pa.int32()),
        ("new_province_code", pa.int32()),
    ]
)


def _column(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    column = table.column(name)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = pc.cast(column, pa.string())
    if column.nbytes > 1 << 30:  # 32-bit offsets of one combined string array would overflow
        column = pc.cast(column, pa.large_string())
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _map_distinct(
    array: pa.Array, func: Callable[[str], Sequence[Any]], fields: Sequence[tuple[str, pa.DataType]]
) -> dict[str, pa.Array]:
    """Apply `func` once per distinct value and spread the results back onto the rows."""
    encoded = pc.dictionary_encode(array)
    distinct = encoded.dictionary.to_pylist()
    results = [func(value) for value in distinct]
    out = {}
    for i, (name, type_) in enumerate(fields):
        values = pa.array([r[i] for r in results], type=type_)
        out[name] = pc.take(values, encoded.indices)
    return out


def normalize_table(table: pa.Table, *, now: dt.datetime) -> pa.Table:
    """Normalised columns of docs/registers-contract.md for a table of raw register rows, read
    at ``now`` (required, aware: the interface passes ``motcua.core.clock.now()``)."""
    today = today_in_vietnam(now)
    cols: dict[str, pa.Array] = {
        "record_id": _column(table, "record_id"),
        "source": _column(table, "source"),
    }
    s = pa.string()
    cols |= _map_distinct(_column(table, "full_name"), split_name, [(f, s) for f in NameParts._fields])
    dates = _map_distinct(
        _column(table, "birth_date"),
        lambda raw: parse_birth_date(raw, today),
        [
            ("birth_date", s),
            ("birth_year", pa.int32()),
            ("birth_month", pa.int32()),
            ("birth_day", pa.int32()),
            ("dob_precision", s),
            ("dob_swapped", s),
        ],
    )
    cols |= dates
    gender = _map_distinct(_column(table, "gender"), lambda raw: (parse_gender(raw),), [("gender", s)])
    cols |= gender
    ids = _map_distinct(_column(table, "citizen_id"), parse_citizen_id, [("citizen_id", s), ("cmnd", s)])
    cols |= ids
    cols |= _cccd_columns(ids["citizen_id"], gender["gender"], dates["birth_year"])
    cols |= _map_distinct(_column(table, "phone"), lambda raw: (parse_phone(raw),), [("phone", s)])
    cols |= _map_distinct(
        _column(table, "household_no"), lambda raw: (clean_household(raw),), [("household_no", s)]
    )
    cols |= _map_distinct(
        _column(table, "address"),
        normalize_address,
        [
            ("address_folded", s),
            ("street_key", s),
            ("old_ward", s),
            ("old_district", s),
            ("old_province", s),
            ("new_ward_code", pa.int32()),
            ("new_province_code", pa.int32()),
        ],
    )
    # Rows whose raw value was null come back null from `take`.
    return pa.table({f.name: cols[f.name] for f in OUTPUT_SCHEMA}, schema=OUTPUT_SCHEMA)


def _cccd_columns(citizen_id: pa.Array, gender: pa.Array, birth_year: pa.Array) -> dict[str, pa.Array]:
    """id_province, id_century_gender, id_birth_year_2 and id_consistent, vectorised."""
    province = pc.utf8_slice_codeunits(citizen_id, 0, 3)
    digit = pc.cast(pc.utf8_slice_codeunits(citizen_id, 3, 4), pa.int32())
    yy = pc.cast(pc.utf8_slice_codeunits(citizen_id, 4, 6), pa.int32())
    structure_ok = pc.and_(
        pc.is_in(province, value_set=pa.array(sorted(CCCD_PROVINCE_CODES))), pc.less_equal(digit, 3)
    )
    id_gender = pc.if_else(pc.equal(pc.bit_wise_and(digit, 1), 0), "M", "F")
    id_year = pc.add(pc.if_else(pc.less_equal(digit, 1), 1900, 2000), yy)
    gender_check = pc.equal(gender, id_gender)
    year_check = pc.equal(pc.cast(birth_year, pa.int32()), id_year)
    known = pc.or_(pc.is_valid(gender_check), pc.is_valid(year_check))
    agree = pc.and_(pc.fill_null(gender_check, True), pc.fill_null(year_check, True))
    consistent = pc.if_else(
        structure_ok, pc.if_else(known, agree, pa.scalar(None, pa.bool_())), pa.scalar(False)
    )
    consistent = pc.if_else(pc.is_valid(citizen_id), consistent, pa.scalar(None, pa.bool_()))
    return {
        "id_province": province,
        "id_century_gender": digit,
        "id_birth_year_2": yy,
        "id_consistent": consistent,
    }
