"""normalize_table: the contract's columns, row for row, and fast enough to matter."""

import datetime as dt
import random
import time

import pyarrow as pa
import pytest

from motcua.registers import geo_cache
from motcua.registers.io import HEADER, read_register
from motcua.registers.normalize import OUTPUT_SCHEMA, id_consistent, normalize_table

NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))  # 15/01/2026 in Vietnam

CONTRACT_COLUMNS = [
    "record_id", "source", "full_name", "name_folded", "surname", "surname_key", "middle", "given",
    "given2", "name_sorted", "birth_date", "birth_year", "birth_month", "birth_day", "dob_precision",
    "dob_swapped", "gender", "citizen_id", "cmnd", "id_province", "id_century_gender",
    "id_birth_year_2", "id_consistent", "phone", "household_no", "address_folded", "street_key",
    "old_ward", "old_district", "old_province", "new_ward_code", "new_province_code",
]  # fmt: skip

ROWS = f"""{HEADER}
R1,ward_1,  NGUYỄN  văn hùng ,5/3/1985,Nam,48085001234,"12 Lê Duẩn, P.Xuân Hà, Q.Thanh Khê, TP.Đà Nẵng",0168 123 4567,HK-01
R2,ward_2,Nguyen Van Hung,1985-03-05,nam,048085001234,"12 le duan, phuong thanh khe, da nang",+84 381 234 567,
R3,ward_2,Huỳnh Thị Thuý,1990,F,201234567,,,
R4,ward_3,,,,,,,
R5,ward_3,Võ Văn Kiệt,31/02/1960,1,079185001234,tổ 5 p xuan ha q thanh khe,905123456,12.0
"""


def normalized(tmp_path, text=ROWS):
    path = tmp_path / "ward.csv"
    path.write_text(text, encoding="utf-8")
    return normalize_table(read_register(path), now=NOW)


def test_columns_are_the_contract(tmp_path):
    table = normalized(tmp_path)
    assert table.column_names == CONTRACT_COLUMNS
    assert table.schema == OUTPUT_SCHEMA
    assert table.num_rows == 5


def test_rows(tmp_path):
    r1, r2, r3, r4, r5 = normalized(tmp_path).to_pylist()
    assert r1 == {
        "record_id": "R1",
        "source": "ward_1",
        "full_name": "Nguyễn Văn Hùng",
        "name_folded": "nguyen van hung",
        "surname": "nguyen",
        "surname_key": "nguyen",
        "middle": "van",
        "given": "hung",
        "given2": "van hung",
        "name_sorted": "hung nguyen van",
        "birth_date": "1985-03-05",
        "birth_year": 1985,
        "birth_month": 3,
        "birth_day": 5,
        "dob_precision": "day",
        "dob_swapped": "1985-05-03",
        "gender": "M",
        "citizen_id": "048085001234",
        "cmnd": None,
        "id_province": "048",
        "id_century_gender": 0,
        "id_birth_year_2": 85,
        "id_consistent": True,
        "phone": "0381234567",
        "household_no": "HK-01",
        "address_folded": "12 le duan, p.xuan ha, q.thanh khe, tp.da nang",
        "street_key": "12 le duan",
        "old_ward": "phuong xuan ha",
        "old_district": "quan thanh khe",
        "old_province": "thanh pho da nang",
        "new_ward_code": 20209,
        "new_province_code": 48,
    }
    # The same person written the other way agrees on every key a linker compares.
    for column in (
        "name_folded",
        "birth_date",
        "gender",
        "citizen_id",
        "phone",
        "street_key",
        "new_ward_code",
    ):
        assert r1[column] == r2[column], column
    assert (r3["surname_key"], r3["birth_date"], r3["dob_precision"], r3["cmnd"]) == (
        "hoang",
        None,
        "year",
        "201234567",
    )
    assert r3["citizen_id"] is None and r3["id_consistent"] is None
    assert all(value is None for key, value in r4.items() if key not in ("record_id", "source"))
    assert (r5["surname_key"], r5["birth_year"], r5["dob_precision"]) == ("vu", 1960, "year")
    assert r5["id_consistent"] is False  # CCCD says a woman born 1985
    assert (r5["phone"], r5["household_no"], r5["street_key"]) == ("0905123456", "12", "to 5")


def test_vectorised_id_consistency_matches_the_function(tmp_path):
    lines = [HEADER]
    rng = random.Random(3)
    for i in range(300):
        cid = rng.choice(["", "048085001234", "048185001234", "001205001234", "999085001234", "048585001234"])
        gender = rng.choice(["", "Nam", "Nữ"])
        year = rng.choice(["", "1985", "2005", "1986"])
        lines.append(f"R{i},w,A,{year},{gender},{cid},,,")
    table = normalized(tmp_path, "\n".join(lines) + "\n")
    for row in table.to_pylist():
        assert row["id_consistent"] is id_consistent(row["citizen_id"], row["gender"], row["birth_year"])


def test_missing_columns_and_empty_table():
    table = pa.table({"record_id": ["a"], "full_name": ["Lê Văn Tám"]})
    (row,) = normalize_table(table, now=NOW).to_pylist()
    assert row["given"] == "tam" and row["source"] is None and row["new_province_code"] is None
    empty = normalize_table(pa.table({"record_id": pa.array([], pa.string())}), now=NOW)
    assert empty.num_rows == 0 and empty.schema == OUTPUT_SCHEMA


def test_now_is_required_and_read_as_the_day_in_vietnam():
    """The dates are read against ``now`` (passed in, never the machine's clock): a birth date
    is not after Vietnam's day at ``now``, and two-digit years pivot on its year."""
    table = pa.table({"record_id": ["a", "b", "c"], "birth_date": ["16/01/2026", "15/01/2026", "5/3/26"]})
    with pytest.raises(TypeError):
        normalize_table(table)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="aware"):
        normalize_table(table, now=dt.datetime(2026, 1, 15, 9, 0))
    rows = normalize_table(table, now=NOW).to_pylist()
    assert [r["birth_date"] for r in rows] == [None, "2026-01-15", None]  # 05/03/2026 is after NOW
    # 20:00 UTC on the 15th is already the 16th in Vietnam.
    late = dt.datetime(2026, 1, 15, 20, 0, tzinfo=dt.UTC)
    assert [r["birth_date"] for r in normalize_table(table, now=late).to_pylist()][:2] == [
        "2026-01-16",
        "2026-01-15",
    ]
    # A year later, "26" is 2026 and the date of the 5th of March is past.
    rows = normalize_table(table, now=NOW.replace(year=2027)).to_pylist()
    assert rows[2]["birth_date"] == "2026-03-05"
    # Before 2026, "26" is 1926.
    assert normalize_table(table, now=NOW.replace(year=2025)).to_pylist()[2]["birth_date"] == "1926-03-05"


def test_twenty_thousand_rows_in_a_few_seconds(tmp_path):
    rng = random.Random(7)
    surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi"]
    given_names = ["Hùng", "Lan", "Hoà", "Minh", "Bình Minh", "Thuỷ", "An", "Dũng"]
    wards = ["Xuân Hà", "Chính Gián", "Thạc Gián", "Tam Thuận", "An Khê", "Hòa Khê"]
    lines = [HEADER]
    for i in range(20_000):
        name = f"{rng.choice(surnames)} {rng.choice(['Văn', 'Thị', ''])} {rng.choice(given_names)}"
        date = f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1930, 2020)}"
        address = f"{rng.randint(1, 300)} Lê Duẩn, P. {rng.choice(wards)}, Q. Thanh Khê, TP. Đà Nẵng"
        cid = f"048{rng.randint(0, 3)}{rng.randint(0, 99):02d}{rng.randint(0, 999_999):06d}"
        lines.append(
            f'R{i},w,{name},{date},{rng.choice(["Nam", "Nữ"])},{cid},"{address}",09{rng.randint(0, 10**8 - 1):08d},'
        )
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    geo_cache.clear()
    started = time.perf_counter()
    table = normalize_table(read_register(path), now=NOW)
    elapsed = time.perf_counter() - started
    assert table.num_rows == 20_000
    assert table.column("new_ward_code").null_count == 0
    assert geo_cache.calls["convert"] <= len(wards)
    assert elapsed < 5, f"{elapsed:.1f}s"  # about 0.5 s on one core; generous for a busy CI
