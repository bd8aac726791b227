import csv
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from openpyxl import load_workbook

from motcua.core.text import fold
from motcua.registers.evaluation.generator import (
    CORRUPTION_KINDS,
    HEADER,
    STRUCTURE_KINDS,
    generate_registers,
    strip_diacritics,
    swap_tone_placement,
)
from motcua.registers.evaluation.vocab import BIRTH_PROVINCES

PROVINCES = {code for code, _, _ in BIRTH_PROVINCES}


def read(files):
    rows = []
    for f in files:
        with f.open(encoding="utf-8", newline="") as h:
            reader = csv.reader(h)
            header = next(reader)
            assert tuple(header) == HEADER, f
            rows.extend(dict(zip(HEADER, r, strict=True), file=f.name) for r in reader)
    return rows


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen5000")
    gen = generate_registers(persons=5000, wards=5, seed=7, out_dir=out)
    rows = read(gen.files)
    with gen.truth.open(encoding="utf-8", newline="") as h:
        reader = csv.reader(h)
        assert next(reader) == ["record_id", "person_id"]
        truth = dict(reader)
    return gen, rows, truth


def test_files_header_sources_and_record_ids(sample):
    gen, rows, truth = sample
    assert [f.name for f in gen.files] == [f"ward_{i}.csv" for i in range(1, 6)]
    assert gen.rows == len(rows)
    ids = [r["record_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert set(truth) == set(ids)
    assert all(re.fullmatch(r"[A-Z0-9]{3}-\d{6}", i) for i in ids)
    for i, f in enumerate(gen.files):
        assert {r["source"] for r in rows if r["file"] == f.name} == {gen.sources[i]}
    assert len(set(truth.values())) == 5000
    assert 1.08 < gen.rows / 5000 < 1.25


def test_every_kind_of_corruption_and_structure_occurs(sample):
    gen, _, _ = sample
    missing = [k for k in (*CORRUPTION_KINDS, *STRUCTURE_KINDS) if gen.kinds.get(k, 0) == 0]
    assert not missing


def test_the_corruptions_are_visible_in_the_files(sample):
    _, rows, _ = sample
    names = [r["full_name"] for r in rows]
    assert any(n != unicodedata.normalize("NFC", n) for n in names)  # NFD
    assert sum(n.isascii() for n in names) > 0.1 * len(names)  # typed without accents
    assert any(n == n.upper() and not n.isascii() for n in names)
    assert any(n == n.lower() and n.strip() for n in names)
    assert any("  " in n or n != n.strip() or "\u00a0" in n for n in names)
    joined = " ".join(names + [r["address"] for r in rows])
    assert re.search(r"(oà|oá|uỷ|uý|uỳ)\b", joined) and re.search(r"(òa|óa|ủy|úy|ùy)\b", joined)

    dates = [r["birth_date"] for r in rows]
    assert any(re.fullmatch(r"\d{2}/\d{2}/\d{4}", d) for d in dates)
    assert any(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", d) and len(d) < 10 for d in dates)
    assert any(re.fullmatch(r"\d{2}-\d{2}-\d{4}", d) for d in dates)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert any(re.fullmatch(r"\d{4}", d) for d in dates)
    assert any(re.fullmatch(r"\d{1,2}/(1[3-9]|2\d|3[01])/\d{4}", d) for d in dates)  # month first

    assert {"Nam", "Nữ", "nam", "nu", "M", "F", "1", "0", ""} <= {r["gender"] for r in rows}

    ids = [r["citizen_id"] for r in rows]
    assert {0, 9, 11, 12} <= {len(i) for i in ids}
    assert all(i.isdigit() for i in ids if i)
    cccd = [i for i in ids if len(i) == 12]
    assert sum(i[:3] in PROVINCES and i[3] in "0123" for i in cccd) / len(cccd) > 0.97

    addresses = [r["address"] for r in rows]
    assert any("phường " in a and "quận " in a.lower() and "thành phố Đà Nẵng" in a for a in addresses)
    assert any("P. " in a and "Q. " in a for a in addresses)
    assert any(re.search(r"P\.\w", a) and re.search(r"Q\.\w", a) for a in addresses)
    assert any(a.isascii() and "Da Nang" in a for a in addresses)
    assert any("phường Thanh Khê, thành phố Đà Nẵng" in a for a in addresses)
    assert any(a == "" for a in addresses)

    phones = [r["phone"] for r in rows]
    assert sum(p == "" for p in phones) > 0.3 * len(phones)
    assert any(re.fullmatch(r"0[35789]\d{8}", p) for p in phones)
    assert sum(r["household_no"] == "" for r in rows) > 0.2 * len(rows)


def test_cccd_structure_matches_birth_year_and_gender(sample):
    _, rows, _ = sample
    checked = agree = 0
    for r in rows:
        cid, date, gender = r["citizen_id"], r["birth_date"], r["gender"]
        if len(cid) == 12 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and gender in ("M", "F"):
            year = int(date[:4])
            digit = (0 if gender == "M" else 1) + (2 if year >= 2000 else 0)
            checked += 1
            agree += cid[3] == str(digit) and cid[4:6] == f"{year % 100:02d}"
    assert checked > 200 and agree / checked > 0.95  # the rest: typos, a relative's ID, date typos


def test_hard_cases_namesakes_households_moves_duplicates(sample):
    _, rows, truth = sample
    by_person = defaultdict(list)
    for r in rows:
        by_person[truth[r["record_id"]]].append(r)
    # Namesakes: one folded name, several persons; sometimes with the same birth year.
    canonical = {}
    for pid, rs in by_person.items():
        clean = [r for r in rs if r["full_name"] == unicodedata.normalize("NFC", r["full_name"].strip())]
        if clean:
            canonical[pid] = (fold(clean[0]["full_name"]), rs[0]["birth_date"][-4:])
    persons_per_name = Counter(name for name, _ in canonical.values())
    assert persons_per_name["nguyen van hung"] >= 5
    assert persons_per_name["nguyen thi lan"] >= 5
    assert sum(1 for c in persons_per_name.values() if c > 1) > 100
    assert any(c > 1 for c in Counter(canonical.values()).values())  # same name and birth year
    # Surnames: Nguyễn is about 38 %.
    surnames = Counter(name.split()[0] for name, _ in canonical.values())
    assert 0.32 < surnames["nguyen"] / len(canonical) < 0.45
    # Households: several persons at one address with one household number.
    homes = defaultdict(set)
    for r in rows:
        if r["household_no"]:
            homes[(r["file"], r["household_no"])].add(truth[r["record_id"]])
    assert sum(len(p) >= 3 for p in homes.values()) > 100
    phones = defaultdict(set)
    for r in rows:
        if r["phone"]:
            phones[r["phone"][-9:]].add(truth[r["record_id"]])
    assert sum(len(p) >= 2 for p in phones.values()) > 50
    # Persons in several wards' registers, and twice in one register.
    files = [Counter(r["file"] for r in rs) for rs in by_person.values()]
    assert sum(len(f) >= 2 for f in files) > 200
    assert sum(len(f) >= 3 for f in files) > 5
    assert sum(max(f.values()) >= 2 for f in files) > 100
    # Regional surname variants and dropped middle names across one person's records.
    variants = sum(
        1 for rs in by_person.values() if {"huynh", "hoang"} <= {fold(r["full_name"]).split()[0] for r in rs}
    )
    assert variants > 0


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = generate_registers(persons=300, seed=3, out_dir=tmp_path / "a")
    b = generate_registers(persons=300, seed=3, out_dir=tmp_path / "b")
    c = generate_registers(persons=300, seed=4, out_dir=tmp_path / "c")
    for fa, fb in zip([*a.files, a.truth], [*b.files, b.truth], strict=True):
        assert fa.read_bytes() == fb.read_bytes()
    assert a.files[0].read_bytes() != c.files[0].read_bytes()
    assert not list(tmp_path.glob("*/.generate-*"))  # temporary buckets removed


def test_xlsx_like_an_officials_workbook(tmp_path):
    gen = generate_registers(persons=200, wards=2, seed=1, out_dir=tmp_path, formats="csv,xlsx")
    assert sorted(f.name for f in gen.files) == ["ward_1.csv", "ward_1.xlsx", "ward_2.csv", "ward_2.xlsx"]
    for f in (f for f in gen.files if f.suffix == ".xlsx"):
        rows = list(load_workbook(f, read_only=True).active.iter_rows(values_only=True))
        assert rows[0] == HEADER
        with f.with_suffix(".csv").open(encoding="utf-8") as h:
            assert len(rows) == sum(1 for _ in h)


def test_rates_are_tunable(tmp_path):
    gen = generate_registers(
        persons=300, wards=2, out_dir=tmp_path, profiles=False, no_accent=1.0, nfd=0.0, duplicate=0.0
    )
    rows = read(gen.files)
    assert all(strip_diacritics(r["full_name"]) == r["full_name"] for r in rows)
    assert all(unicodedata.is_normalized("NFC", r["full_name"] + r["address"]) for r in rows)
    assert gen.kinds["duplicate"] == 0


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate_registers(persons=10, out_dir=tmp_path, formats="pdf")
    with pytest.raises(ValueError):
        generate_registers(persons=10, wards=0, out_dir=tmp_path)
    with pytest.raises(TypeError):
        generate_registers(persons=10, out_dir=tmp_path, no_such_rate=0.5)


def test_text_helpers():
    assert swap_tone_placement("Nguyễn Thị Hòa, Hòa Khê") == "Nguyễn Thị Hoà, Hoà Khê"
    assert swap_tone_placement("Thuỷ THỦY") == "Thủy THUỶ"
    assert swap_tone_placement("Hoàng Quý Quỳnh Toàn") == "Hoàng Quý Quỳnh Toàn"
    assert strip_diacritics("Đặng Thị Ánh Nguyệt, Đà Nẵng") == "Dang Thi Anh Nguyet, Da Nang"


def test_out_dir_is_created(tmp_path):
    out = Path(tmp_path / "deep" / "er")
    gen = generate_registers(persons=5, wards=1, out_dir=out)
    assert gen.truth.exists() and gen.rows >= 5
