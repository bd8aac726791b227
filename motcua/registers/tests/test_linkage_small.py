"""Tiny registers: the data officer's first try is often one short list."""

from pathlib import Path

from motcua.registers.io import read_registers
from motcua.registers.linkage import link
from motcua.registers.normalize import normalize_table

DATA = Path(__file__).parent / "data"


def test_one_short_register_without_duplicates_links_to_one_person_per_record():
    # No pair here passes the deterministic rules that estimate the prior (0 would make every
    # match weight -infinity and Splink refuse to predict).
    table = normalize_table(read_registers([DATA / "chinh_gian.csv"]))
    result = link(table)
    persons = result.clusters.column("person_id").to_pylist()
    assert len(persons) == 10
    assert len(set(persons)) == 10
    assert 0 < result.stats["training"]["probability_two_random_records_match"] < 1


def test_progress_reports_each_stage_in_order():
    table = normalize_table(read_registers([DATA / "chinh_gian.csv", DATA / "tam_thuan.csv"]))
    seen: list[tuple[str, float]] = []
    link(table, progress=lambda stage, fraction: seen.append((stage, fraction)))
    assert [s for s, _ in seen] == ["blocking", "training", "scoring", "clustering"]
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] < 1
