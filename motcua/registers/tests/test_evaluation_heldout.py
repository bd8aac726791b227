import csv
import hashlib
from collections import Counter, defaultdict

import pytest

from motcua.core import clock
from motcua.registers.evaluation.heldout import generate_heldout
from motcua.registers.io import COLUMNS, read_registers
from motcua.registers.normalize import normalize_table


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("heldout")
    files = generate_heldout(persons=3000, out_dir=out, wards=4, seed=3)
    rows = []
    for f in files:
        with f.open(encoding="utf-8", newline="") as h:
            reader = csv.reader(h)
            assert tuple(next(reader)) == COLUMNS
            rows.extend(dict(zip(COLUMNS, r, strict=True)) for r in reader)
    with (out / "truth.csv").open(encoding="utf-8", newline="") as h:
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(h)}
    return out, files, rows, truth


def test_every_record_has_a_person_and_persons_repeat_across_registers(sample):
    _, files, rows, truth = sample
    assert len(files) == 4
    assert set(truth) == {r["record_id"] for r in rows}
    assert len(set(truth.values())) >= 3000
    sources = defaultdict(set)
    for r in rows:
        sources[truth[r["record_id"]]].add(r["source"])
    moved = sum(1 for s in sources.values() if len(s) > 1)
    assert 0.05 < moved / len(sources) < 0.3
    assert max(Counter(truth.values()).values()) >= 2


def test_rows_hold_what_registers_hold(sample):
    _, _, rows, _ = sample
    dates = [r["birth_date"] for r in rows]
    assert any(len(d) == 4 for d in dates)  # a bare year
    assert any(d[4:5] == "-" for d in dates) and any("/" in d for d in dates)
    ids = Counter(len(r["citizen_id"]) for r in rows)
    assert ids[12] and ids[9] and ids[0] and ids[11]  # CCCD, CMND, blank, zeros eaten
    assert {r["gender"] for r in rows} >= {"Nam", "Nữ", "M", "F", "1", "0", ""}
    assert any(r["full_name"].isupper() for r in rows)


def test_normalised_without_refusal(sample):
    _, files, rows, _ = sample
    table = normalize_table(read_registers(files), now=clock.now())
    assert table.num_rows == len(rows)
    assert table.column("birth_year").null_count < 0.05 * len(rows)
    assert table.column("old_ward").null_count < 0.15 * len(rows)


def test_same_seed_same_bytes(tmp_path, sample):
    out, _, _, _ = sample
    generate_heldout(persons=3000, out_dir=tmp_path, wards=4, seed=3)
    for name in ("ward_1.csv", "truth.csv"):
        assert (
            hashlib.sha256((tmp_path / name).read_bytes()).digest()
            == hashlib.sha256((out / name).read_bytes()).digest()
        )
