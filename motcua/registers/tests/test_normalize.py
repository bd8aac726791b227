"""Normalisation functions, one by one, on values as real registers hold them."""

import datetime as dt
import unicodedata

import pytest

from motcua.core.text import fold
from motcua.registers.normalize import (
    AddressSplit,
    BirthDate,
    CitizenId,
    NameParts,
    clean_household,
    clean_name,
    fast_fold,
    id_consistent,
    parse_birth_date,
    parse_citizen_id,
    parse_gender,
    parse_phone,
    split_address,
    split_name,
    street_key,
    surname_key,
    unify_tone_placement,
)

TODAY = dt.date(2026, 1, 15)

# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Văn Hùng", "Nguyễn Văn Hùng"),
        ("  NGUYỄN   VĂN  HÙNG ", "Nguyễn Văn Hùng"),
        ("nguyễn văn hùng", "Nguyễn Văn Hùng"),
        (unicodedata.normalize("NFD", "Nguyễn Văn Hùng"), "Nguyễn Văn Hùng"),  # decomposed
        ("Nguyen Van Hung", "Nguyen Van Hung"),
        ("Lê Thị Hoà", "Lê Thị Hòa"),  # tone placement unified
        ("Trần Thuỷ", "Trần Thủy"),
        ("Lê Thị Khoẻ", "Lê Thị Khỏe"),
        ("Đỗ Quý", "Đỗ Quý"),  # "quý": the tone stays on y after q
        ("Huỳnh Hoàng", "Huỳnh Hoàng"),  # "oà" inside a syllable is not moved
        ("Lê Văn Tám (đã chết)", "Lê Văn Tám"),
        ("Nguyễn Văn A1.", "Nguyễn Văn A"),
        ("Lê\u200bVăn\u00a0Tám", "Lê Văn Tám"),  # zero-width and no-break spaces
        ("H'Hen Niê", "H'Hen Niê"),
        ("", None),
        ("   ", None),
        ("123", None),
        (None, None),
    ],
)
def test_clean_name(raw, expected):
    assert clean_name(raw) == expected


def test_split_name_parts():
    assert split_name("Trần  thị BÌNH minh") == NameParts(
        full_name="Trần Thị Bình Minh",
        name_folded="tran thi binh minh",
        surname="tran",
        surname_key="tran",
        middle="thi binh",
        given="minh",
        given2="binh minh",
        name_sorted="binh minh thi tran",
    )


def test_split_name_two_syllables_and_one():
    two = split_name("Nguyễn Minh")
    assert (two.surname, two.middle, two.given, two.given2) == ("nguyen", "", "minh", "minh")
    one = split_name("Tám")
    assert (one.surname, one.middle, one.given, one.given2) == ("tam", "", "tam", "tam")


def test_dropped_middle_name_keeps_given2_comparable():
    full, short = split_name("Trần Văn Bình Minh"), split_name("Trần Bình Minh")
    assert full.given2 == short.given2 == "binh minh"
    assert full.given == short.given


def test_name_sorted_ignores_order():
    assert split_name("Hùng Nguyễn Văn").name_sorted == split_name("Nguyễn Văn Hùng").name_sorted


@pytest.mark.parametrize(
    ("raw", "surname", "key"),
    [
        ("Huỳnh Văn A", "huynh", "hoang"),
        ("Hoàng Văn A", "hoang", "hoang"),
        ("Võ Thị B", "vo", "vu"),
        ("Vũ Thị B", "vu", "vu"),
        ("Đoàn Văn C", "doan", "doan"),
        ("Doãn Văn C", "doan", "doan"),  # different surname, same fold: documented loss
        ("Đặng Văn D", "dang", "dang"),
        ("Nguyễn Văn E", "nguyen", "nguyen"),
    ],
)
def test_surname_and_its_key(raw, surname, key):
    parts = split_name(raw)
    assert (parts.surname, parts.surname_key) == (surname, key)


def test_unfolded_full_name_still_tells_doan_from_doan():
    assert split_name("Đoàn Văn C").full_name != split_name("Doãn Văn C").full_name


def test_surname_key_of_nothing():
    assert surname_key(None) is None
    assert surname_key("") is None


def test_tone_variants_fold_equal():
    assert split_name("Lê Thị Hoà").name_folded == split_name("Lê Thị Hòa").name_folded == "le thi hoa"


def test_unify_tone_placement():
    assert unify_tone_placement("hoà thuỷ khoẻ quý hoàng") == "hòa thủy khỏe quý hoàng"


def test_empty_name():
    assert split_name(None) == split_name("") == split_name(" (?) ") == NameParts(*[None] * 8)


# -- folding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Đoàn Thị Hoà",
        "ĐẶNG VĂN ĐỨC",
        unicodedata.normalize("NFD", "Nguyễn Thị Ánh"),
        "Café – №5 ½",
        "Ω ß ﬁ",
        "",
    ],
)
def test_fast_fold_is_fold(text):
    assert fast_fold(text) == fold(text)


# -- dates ------------------------------------------------------------------------------------


def day(iso, swapped=None):
    date = dt.date.fromisoformat(iso)
    return BirthDate(iso, date.year, date.month, date.day, "day", swapped)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("25/10/1985", day("1985-10-25")),
        ("5/3/1985", day("1985-03-05", "1985-05-03")),
        ("05/03/1985", day("1985-03-05", "1985-05-03")),
        ("05-03-1985", day("1985-03-05", "1985-05-03")),
        ("05.03.1985", day("1985-03-05", "1985-05-03")),
        ("05 03 1985", day("1985-03-05", "1985-05-03")),
        ("1985-03-05", day("1985-03-05", "1985-05-03")),
        ("1985/03/05", day("1985-03-05", "1985-05-03")),
        ("1985-10-25 00:00:00", day("1985-10-25")),
        ("25/10/1985 0:00", day("1985-10-25")),
        ("ngày 25 tháng 10 năm 1985", day("1985-10-25")),
        ("19851025", day("1985-10-25")),
        ("25101985", day("1985-10-25")),
        ("12/12/1985", day("1985-12-12")),  # day = month: nothing to swap
        ("10/25/1985", day("1985-10-25")),  # mm/dd: the only valid reading
        ("31048", day("1985-01-01")),  # Excel serial
        ("31048.0", day("1985-01-01")),
        ("25/10/85", day("1985-10-25")),  # two-digit year, pivot on today's year
        ("25/10/05", day("2005-10-25")),
        ("1985", BirthDate(None, 1985, None, None, "year", None)),
        (" 1985 ", BirthDate(None, 1985, None, None, "year", None)),
        ("10/1985", BirthDate(None, 1985, 10, None, "year", None)),
        ("1985-10", BirthDate(None, 1985, 10, None, "year", None)),
        ("31/02/1985", BirthDate(None, 1985, 2, None, "year", None)),  # impossible day: year kept
        ("13/13/1985", BirthDate(None, 1985, None, None, "year", None)),
    ],
)
def test_parse_birth_date(raw, expected):
    assert parse_birth_date(raw, TODAY) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "abc",
        "0",
        "12345678901",
        "1899",
        "1/1/1899",
        "2027",
        "16/01/2026",
        "1/2/3/4",
        "99999",
        "00/00/0000",
        "1.5",
    ],
)
def test_unreadable_or_impossible_dates_give_nothing(raw):
    assert parse_birth_date(raw, TODAY) == BirthDate(None, None, None, None, None, None)


def test_today_is_the_latest_birth_date():
    assert parse_birth_date("15/01/2026", TODAY).precision == "day"
    assert parse_birth_date("16/01/2026", TODAY).precision is None


# -- gender -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nam", "M"),
        ("nam", "M"),
        ("NAM", "M"),
        ("M", "M"),
        ("Male", "M"),
        ("1", "M"),
        ("1.0", "M"),
        ("Nữ", "F"),
        ("nữ", "F"),
        ("nu", "F"),
        ("NỮ", "F"),
        (unicodedata.normalize("NFD", "Nữ"), "F"),
        ("F", "F"),
        ("female", "F"),
        ("0", "F"),
        ("", None),
        (None, None),
        ("x", None),
        ("khác", None),
        ("2", None),
    ],
)
def test_parse_gender(raw, expected):
    assert parse_gender(raw) == expected


# -- citizen ID -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("048085001234", CitizenId("048085001234", None)),
        ("048 085 001 234", CitizenId("048085001234", None)),
        ("048.085.001.234", CitizenId("048085001234", None)),
        ("'048085001234", CitizenId("048085001234", None)),
        ('="048085001234"', CitizenId("048085001234", None)),
        ("CCCD: 048085001234", CitizenId("048085001234", None)),
        ("48085001234", CitizenId("048085001234", None)),  # 0XX province: one zero eaten
        ("48085001234.0", CitizenId("048085001234", None)),
        ("4.8085001234E+10", CitizenId("048085001234", None)),  # scientific, full precision
        ("1085001234", CitizenId("001085001234", None)),  # Hà Nội 001: two zeros eaten
        ("79185001234", CitizenId("079185001234", None)),
        ("999085001234", CitizenId("999085001234", None)),  # 12 digits: kept, structure is a hint
        ("201234567", CitizenId(None, "201234567")),  # CMND
        ("20123456", CitizenId(None, "020123456")),  # CMND with its leading zero eaten
        ("99085001234", CitizenId(None, None)),  # no province 099
        ("48585001234", CitizenId(None, None)),  # century digit 5: not a CCCD that lost a zero
        ("3085001234", CitizenId(None, None)),  # no province 003
        ("4.80850012E+10", CitizenId(None, None)),  # rounded by the spreadsheet: digits lost
        ("B1234567", CitizenId(None, None)),  # passport
        ("12345", CitizenId(None, None)),
        ("1234567890123", CitizenId(None, None)),
        ("", CitizenId(None, None)),
        (None, CitizenId(None, None)),
    ],
)
def test_parse_citizen_id(raw, expected):
    assert parse_citizen_id(raw) == expected


def test_nine_digits_is_always_a_cmnd():
    # A number-formatted CCCD loses at most two zeros: no province code is "000".
    assert parse_citizen_id("123456789") == CitizenId(None, "123456789")


@pytest.mark.parametrize(
    ("citizen_id", "gender", "birth_year", "expected"),
    [
        ("048085001234", "M", 1985, True),
        ("048185001234", "F", 1985, True),
        ("048205001234", "M", 2005, True),
        ("048305001234", "F", 2005, True),
        ("048085001234", "F", 1985, False),  # even digit: male
        ("048085001234", "M", 1986, False),
        ("048085001234", None, 1985, True),
        ("048085001234", "M", None, True),
        ("048085001234", None, None, None),
        ("999085001234", None, None, False),  # no province 999
        ("048585001234", "M", 1985, False),  # century digit beyond 3
        (None, "M", 1985, None),
    ],
)
def test_id_consistent(citizen_id, gender, birth_year, expected):
    assert id_consistent(citizen_id, gender, birth_year) is expected


# -- phone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0905123456", "0905123456"),
        ("0905 123 456", "0905123456"),
        ("0905.123.456", "0905123456"),
        ("0905-123-456", "0905123456"),
        ("+84 905 123 456", "0905123456"),
        ("(+84) 905-123-456", "0905123456"),
        ("84905123456", "0905123456"),
        ("0084905123456", "0905123456"),
        ("905123456", "0905123456"),  # leading zero eaten by a number cell
        ("905123456.0", "0905123456"),
        ("01681234567", "0381234567"),  # Viettel 0168 → 038
        ("0168 123 4567", "0381234567"),
        ("1681234567", "0381234567"),
        ("01201234567", "0701234567"),  # MobiFone 0120 → 070
        ("01231234567", "0831234567"),  # VinaPhone 0123 → 083
        ("01861234567", "0561234567"),  # Vietnamobile 0186 → 056
        ("01991234567", "0591234567"),  # Gmobile 0199 → 059
        ("+84 168 123 4567", "0381234567"),
        ("02363123456", "02363123456"),  # landline, Đà Nẵng 0236
        ("0236.3123.456", "02363123456"),
        ("2363123456", "02363123456"),
        ("0438251234", "0438251234"),  # pre-2017 Hà Nội landline, 10 digits
        ("SĐT: 0905123456", "0905123456"),
        ("0905123456 / 0914123456", "0905123456"),
        ("0905123456 hoặc 0914123456", "0905123456"),
        ("01001234567", None),  # not an old mobile prefix
        ("09051234567", None),  # 11 digits that are not a landline
        ("12345", None),
        ("không có", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_phone(raw, expected):
    assert parse_phone(raw) == expected


# -- household --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" HK-0123 ", "HK-0123"), ("123.0", "123"), ("-", None), ("", None), (None, None), ("Sổ  12", "Sổ 12")],
)
def test_clean_household(raw, expected):
    assert clean_household(raw) == expected


# -- addresses (text only; the units' codes are in test_normalize_geo.py) ---------------------


@pytest.mark.parametrize(
    ("raw", "street", "ward", "district", "province"),
    [
        (
            "12 Lê Duẩn, tổ 5, phường Xuân Hà, quận Thanh Khê, thành phố Đà Nẵng",
            ("12 le duan", "to 5"),
            "phuong xuan ha",
            "quan thanh khe",
            "thanh pho da nang",
        ),
        (
            "K12/34 Hà Huy Tập, P.Xuân Hà, Q.Thanh Khê, TP.Đà Nẵng",
            ("k12/34 ha huy tap",),
            "phuong xuan ha",
            "quan thanh khe",
            "thanh pho da nang",
        ),
        ("P.Xuân Hà Q.Thanh Khê", (), "phuong xuan ha", "quan thanh khe", None),
        (
            "12 le duan p.xuan ha q.thanh khe tp.da nang",
            ("12 le duan",),
            "phuong xuan ha",
            "quan thanh khe",
            "thanh pho da nang",
        ),
        (
            "to 5 p xuan ha q thanh khe tp da nang",
            ("to 5",),
            "phuong xuan ha",
            "quan thanh khe",
            "thanh pho da nang",
        ),
        ("Tổ 5 P. Xuân Hà, Q. Thanh Khê, Đà Nẵng", ("to 5",), "phuong xuan ha", "quan thanh khe", "da nang"),
        (
            "123/4 Nguyễn Trãi, F.2, Q.5, TP.HCM",
            ("123/4 nguyen trai",),
            "phuong 2",
            "quan 5",
            "thanh pho ho chi minh",
        ),
        (
            "123/4 Nguyen Trai, P2, Q5, TPHCM",
            ("123/4 nguyen trai",),
            "phuong 2",
            "quan 5",
            "thanh pho ho chi minh",
        ),
        (
            "Thôn 3, X. Hòa Phước, H. Hòa Vang, T.P Đà Nẵng",
            ("thon 3",),
            "xa hoa phuoc",
            "huyen hoa vang",
            "thanh pho da nang",
        ),
        (
            "TDP 5, TT. Tây Đằng, H. Ba Vì, Hà Nội",
            ("to dan pho 5",),
            "thi tran tay dang",
            "huyen ba vi",
            "ha noi",
        ),
        (
            "Khu phố 3, P. Linh Trung, TP. Thủ Đức, TP. HCM",
            ("khu pho 3",),
            "phuong linh trung",
            "thanh pho thu duc",
            "thanh pho ho chi minh",
        ),
        ("Thôn 2, xã Cẩm Lĩnh, TX. Sơn Tây, Hà Nội", ("thon 2",), "xa cam linh", "thi xa son tay", "ha noi"),
        ("xuan ha, thanh khe, da nang", (), "xuan ha", "thanh khe", "da nang"),
        (
            "12 Lê Duẩn, phường Thanh Khê, thành phố Đà Nẵng",
            ("12 le duan",),
            "phuong thanh khe",
            None,
            "thanh pho da nang",
        ),
        (
            "Số 5 Quán Thánh, phường Quán Thánh, quận Ba Đình, Hà Nội",
            ("so 5 quan thanh",),
            "phuong quan thanh",
            "quan ba dinh",
            "ha noi",
        ),
        (
            "so 5 quan thanh, phuong quan thanh, quan ba dinh, ha noi",
            ("so 5 quan thanh",),
            "phuong quan thanh",
            "quan ba dinh",
            "ha noi",
        ),
        (
            "12 Xã Đàn, phường Nam Đồng, quận Đống Đa, Hà Nội",
            ("12 xa dan",),
            "phuong nam dong",
            "quan dong da",
            "ha noi",
        ),
        ("phuong phuong mai, quan dong da, ha noi", (), "phuong phuong mai", "quan dong da", "ha noi"),
        (
            "Tỉnh lộ 10, xã Tân Tạo, huyện Bình Chánh, TP HCM",
            ("tinh lo 10",),
            "xa tan tao",
            "huyen binh chanh",
            "thanh pho ho chi minh",
        ),
        (
            "xã Thạch Hạ, thành phố Hà Tĩnh, tỉnh Hà Tĩnh",
            (),
            "xa thach ha",
            "thanh pho ha tinh",
            "tinh ha tinh",
        ),
        (
            "xa thach ha, thanh pho ha tinh, tinh ha tinh",
            (),
            "xa thach ha",
            "thanh pho ha tinh",
            "tinh ha tinh",
        ),
        ("12 Lê Duẩn; P. Xuân Hà - Q. Thanh Khê", ("12 le duan",), "phuong xuan ha", "quan thanh khe", None),
    ],
)
def test_split_address(raw, street, ward, district, province):
    split = split_address(raw)
    assert split is not None
    assert (split.street, split.ward, split.district, split.province) == (street, ward, district, province)


def test_split_address_records_which_units_were_written_with_their_type():
    assert split_address("12 Lê Duẩn, phường Thanh Khê, Đà Nẵng") == AddressSplit(
        street=("12 le duan",),
        ward="phuong thanh khe",
        district=None,
        province="da nang",
        ward_marked=True,
        district_marked=False,
        admin_text="phuong thanh khe, da nang",
    )


@pytest.mark.parametrize("raw", ["12 Lê Duẩn", "Kiệt 12 Hà Huy Tập", "Tổ 5"])
def test_address_without_units(raw):
    split = split_address(raw)
    assert split is not None and split.admin_text is None and split.street


def test_split_address_of_nothing():
    assert split_address(None) is None
    assert split_address("") is None


@pytest.mark.parametrize(
    ("street", "expected"),
    [
        (("12 le duan",), "12 le duan"),
        (("so 12 duong le duan",), "12 le duan"),
        (("so nha 12 pho hue",), "12 hue"),
        (("k12/34 ha huy tap",), "kiet 12/34 ha huy tap"),
        (("kiet 12/34 ha huy tap",), "kiet 12/34 ha huy tap"),
        (("12 le duan", "to 5"), "12 le duan"),
        (("to 05",), "to 5"),
        (("to dan pho 5",), "to 5"),
        (("tdp 5",), "to 5"),
        (("khu pho 3",), "kp 3"),
        (("kp 3",), "kp 3"),
        (("thon 3",), "thon 3"),
        (("so 12", "to 5"), "12 to 5"),
        ((), None),
        (("so",), None),
    ],
)
def test_street_key(street, expected):
    assert street_key(street) == expected
