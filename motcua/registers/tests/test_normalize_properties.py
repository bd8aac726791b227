"""Properties of the normalisation functions over arbitrary text and dates."""

import datetime as dt
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.core.text import fold
from motcua.registers.normalize import (
    BirthDate,
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
)

fast = settings(max_examples=200, deadline=None, database=None)
TODAY = dt.date(2026, 1, 15)

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
vietnamese_text = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " ,./-0123456789", max_size=60)
anything = st.one_of(st.none(), st.text(max_size=80), vietnamese_text)
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)


@fast
@given(anything)
def test_nothing_raises_on_arbitrary_text(text):
    split_name(text)
    parse_birth_date(text, TODAY)
    parse_gender(text)
    parse_phone(text)
    clean_household(text)
    split = split_address(text)
    if split is not None:
        street_key(split.street)
    ids = parse_citizen_id(text)
    id_consistent(ids.citizen_id, parse_gender(text), parse_birth_date(text, TODAY).year)


@fast
@given(st.one_of(st.text(max_size=80), vietnamese_text))
def test_fast_fold_equals_fold(text):
    assert fast_fold(text) == fold(text)


@fast
@given(st.one_of(st.text(max_size=80), vietnamese_text))
def test_fold_is_idempotent_and_ascii(text):
    once = fold(text)
    assert fold(once) == once
    assert once.isascii()
    assert once == once.lower()


@fast
@given(vietnamese_text)
def test_fold_ignores_unicode_form_and_case(text):
    assert fold(unicodedata.normalize("NFD", text)) == fold(text.upper()) == fold(text)


@fast
@given(vietnamese_text)
def test_name_cleaning_is_idempotent(text):
    cleaned = clean_name(text)
    assert clean_name(cleaned) == cleaned
    parts = split_name(text)
    if parts.full_name is not None:
        assert split_name(parts.full_name) == parts
        assert parts.name_sorted is not None and parts.surname is not None
        assert sorted(parts.name_sorted.split()) == parts.name_sorted.split()
        assert parts.name_folded is not None and parts.name_folded.isascii()


@fast
@given(
    birth_dates,
    st.sampled_from(
        [
            "{d:02d}/{m:02d}/{y}",
            "{d}/{m}/{y}",
            "{d:02d}-{m:02d}-{y}",
            "{d:02d}.{m:02d}.{y}",
            "{y}-{m:02d}-{d:02d}",
        ]
    ),
)
def test_date_round_trip(date, pattern):
    parsed = parse_birth_date(pattern.format(d=date.day, m=date.month, y=date.year), TODAY)
    assert parsed.precision == "day"
    assert parsed.iso == date.isoformat()
    assert (parsed.year, parsed.month, parsed.day) == (date.year, date.month, date.day)


@fast
@given(birth_dates)
def test_swapped_date_swaps_back(date):
    parsed = parse_birth_date(date.strftime("%d/%m/%Y"), TODAY)
    if date.day <= 12 and date.day != date.month and dt.date(date.year, date.day, date.month) <= TODAY:
        assert parsed.swapped is not None
        again = parse_birth_date(dt.date.fromisoformat(parsed.swapped).strftime("%d/%m/%Y"), TODAY)
        assert again.swapped == date.isoformat()
    else:
        assert parsed.swapped is None


@fast
@given(birth_dates)
def test_excel_serial_round_trip(date):
    serial = (date - dt.date(1899, 12, 30)).days
    if serial >= 10000:
        assert parse_birth_date(str(serial), TODAY).iso == date.isoformat()


@fast
@given(st.integers(min_value=1900, max_value=TODAY.year))
def test_bare_year(year):
    assert parse_birth_date(str(year), TODAY) == BirthDate(None, year, None, None, "year", None)


@fast
@given(
    st.sampled_from(["048", "001", "079", "092", "002"]),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=999_999),
)
def test_cccd_survives_a_number_formatted_cell(province, century_gender, yy, serial):
    cccd = f"{province}{century_gender}{yy:02d}{serial:06d}"
    as_number = str(int(cccd))  # what a spreadsheet keeps
    assert parse_citizen_id(as_number).citizen_id == cccd
    assert parse_citizen_id(cccd).citizen_id == cccd
    assert parse_citizen_id(f"{as_number}.0").citizen_id == cccd
    century = 1900 if century_gender <= 1 else 2000
    gender = "M" if century_gender % 2 == 0 else "F"
    assert id_consistent(cccd, gender, century + yy) is True


@fast
@given(st.sampled_from("35789"), st.integers(min_value=0, max_value=99_999_999))
def test_mobile_number_in_any_dress(second, rest):
    number = f"0{second}{rest:08d}"
    local = number[1:]
    for written in (
        number,
        local,
        f"+84{local}",
        f"84 {local[:2]} {local[2:5]} {local[5:]}",
        f"{number[:4]}.{number[4:7]}.{number[7:]}",
    ):
        assert parse_phone(written) == number
