"""Applying decisions brings the review list up to the new persons (``recluster.review_list``): a
strong pair the conflict guard splits after a decision is added, undecided, with both sides as the
run shows them; a listed pair is never added twice; a listed pair the rule no longer lists stays.
On a real run's folder (``runner._run`` on tests/data's two registers, no database).

The run's strong pairs (p >= 0.95, one person each): CG-001~TT-001 (one CCCD), and CG-007, TT-006,
TT-010 (one CCCD, three records). CG-009 has another CCCD than all of them."""

from __future__ import annotations

import math

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from motcua.registers import model, recluster

from . import test_recluster as base
from .test_recluster import apply, parquet_persons, result

# The finished run and a fresh copy of it for each test: test_recluster's fixtures.
finished_run = base.finished_run
run = base.run

KEYS = ("record_id_l", "record_id_r")


def model_display(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The display columns of ``model.FEATURES_SQL`` over ``motcua_input``, by record_id."""
    columns = ", ".join(model.DISPLAY_COLUMNS)
    features = model.FEATURES_SQL.format(table="motcua_input")
    return con.sql(f"select record_id, {columns} from ({features}) order by record_id").to_arrow_table()  # noqa: S608 - the model's own SQL


def listed(folder) -> list[tuple[str, str]]:
    return [(p["record_id_l"], p["record_id_r"]) for p in result(folder)["review_pairs"]]


def test_accepting_a_pair_that_makes_the_guard_split_a_strong_pair_lists_that_pair(run):
    assert ("CG-001", "TT-001") not in listed(run)
    before = len(listed(run))
    assert parquet_persons(run)["CG-001"] == parquet_persons(run)["TT-001"]

    # CG-009 accepted as TT-001: CG-001 (another CCCD than CG-009's) cannot stay with them.
    out = apply(run, [("CG-009", "TT-001", True)])

    persons = parquet_persons(run)
    assert persons["CG-009"] == persons["TT-001"] != persons["CG-001"]
    assert [tuple(p[k] for k in KEYS) for p in out.added] == [("CG-001", "TT-001")]
    (pair,) = out.added
    assert pair["same_person"] is False and pair["match_probability"] > 0.95
    # Both sides as the run shows them: the record as written, the values the model compared.
    assert pair["left"]["raw"]["full_name"] == "Nguyễn Văn Hùng"
    assert pair["left"]["raw"]["file_name"] == "chinh_gian.csv" and pair["left"]["raw"]["line_no"] == 2
    assert pair["right"]["raw"]["file_name"] == "tam_thuan.csv"
    assert pair["left"]["norm"]["citizen_id"] == pair["right"]["norm"]["citizen_id"] == "048078001234"
    assert pair["left"]["norm"]["birth_date"] == "1978-03-12" and pair["left"]["norm"]["gender"] == "M"
    assert "person_id" not in pair["left"]["raw"]
    # The stored weight (the run kept it beside the probability).
    edges = pq.read_table(run / recluster.EDGES_NAME).to_pylist()
    (edge,) = [e for e in edges if (e["record_id_l"], e["record_id_r"]) == ("CG-001", "TT-001")]
    assert pair["match_weight"] == edge["match_weight"]

    stored = result(run)
    assert len(stored["review_pairs"]) == before + 1 == stored["stats"]["review_pairs"]
    assert stored["stats"]["applied"]["review_pairs_added"] == 1
    assert out.same_person[("CG-001", "TT-001")] is False
    assert out.order == listed(run)
    # The run's order: nearest the threshold's weight first, so the strong pair comes last here.
    target = math.log2(0.7 / 0.3)
    distances = [abs(p["match_weight"] - target) for p in stored["review_pairs"]]
    assert distances == sorted(distances) and listed(run)[-1] == ("CG-001", "TT-001")

    # Applying again (another decision since) adds nothing twice.
    again = apply(run, [("CG-009", "TT-001", True), ("CG-008", "TT-008", True)])
    assert again.added == []
    assert listed(run).count(("CG-001", "TT-001")) == 1 and len(listed(run)) == before + 1


def test_rejecting_a_pair_lists_the_strong_pairs_it_leaves_across_persons(run):
    # TT-006 and TT-010 are two people: TT-010 cannot stay with CG-007 (joined to TT-006 first).
    out = apply(run, [("TT-006", "TT-010", False)])

    persons = parquet_persons(run)
    assert persons["CG-007"] == persons["TT-006"] != persons["TT-010"]
    assert [tuple(p[k] for k in KEYS) for p in out.added] == [("CG-007", "TT-010")]
    # The decided pair itself is not listed: it is decided.
    assert ("TT-006", "TT-010") not in listed(run)


def test_decided_pairs_are_not_added(run):
    out = apply(run, [("TT-006", "TT-010", False), ("CG-007", "TT-010", False)])
    assert parquet_persons(run)["TT-010"] not in {
        parquet_persons(run)["CG-007"],
        parquet_persons(run)["TT-006"],
    }
    assert out.added == []


def test_a_listed_pair_the_rule_no_longer_lists_is_kept_with_its_same_person(run):
    apply(run, [("CG-009", "TT-001", True)])
    assert ("CG-001", "TT-001") in listed(run)

    # The reviewer changes their mind: CG-001 and TT-001 are one person again.
    out = apply(run, [("CG-009", "TT-001", False)])

    assert out.added == []
    pair = next(
        p for p in result(run)["review_pairs"] if (p["record_id_l"], p["record_id_r"]) == ("CG-001", "TT-001")
    )
    assert pair["same_person"] is True and out.same_person[("CG-001", "TT-001")] is True


def test_a_run_stored_without_match_weights_gets_them_from_the_probability(run):
    edges = pq.read_table(run / recluster.EDGES_NAME)
    weights = dict(
        zip(
            zip(*(edges.column(k).to_pylist() for k in KEYS), strict=True),
            edges.column("match_weight").to_pylist(),
            strict=True,
        )
    )
    pq.write_table(edges.select(list(recluster.CUT_COLUMNS)), run / recluster.EDGES_NAME)

    out = apply(run, [("CG-009", "TT-001", True)])

    (pair,) = out.added
    assert pair["match_weight"] == pytest.approx(weights[("CG-001", "TT-001")], abs=1e-6)
    assert (
        recluster._weight(1.0) == recluster.WEIGHT_LIMIT and recluster._weight(0.0) == -recluster.WEIGHT_LIMIT
    )


def test_a_new_pair_shows_both_sides_as_the_run_would(run):
    """``_side`` gives each listed pair exactly what ``runner`` wrote for it, and ``_display`` the
    model's own features (``model.FEATURES_SQL``) for every record of the run: the two stay one."""
    raw = pq.read_table(run / recluster.RECORDS_NAME).drop_columns(["person_id"])
    normalised = pq.read_table(run / recluster.NORMALISED_NAME)
    raw_by_id = {r["record_id"]: r for r in raw.to_pylist()}
    norm_by_id = {r["record_id"]: r for r in normalised.to_pylist()}
    for pair in result(run)["review_pairs"]:
        for side, key in (("left", "record_id_l"), ("right", "record_id_r")):
            rid = pair[key]
            assert recluster._side(raw_by_id[rid], norm_by_id[rid]) == pair[side]

    con = duckdb.connect()
    # The name columns the model requires play no part in what is shown.
    named = normalised.append_column("name_folded", pc.utf8_lower(normalised.column("full_name")))
    con.register("motcua_input", model.conform(named.append_column("given", named.column("name_folded")), []))
    features = model_display(con)
    assert features.num_rows == 20
    for row in features.to_pylist():
        expected = {c: row[c] for c in model.DISPLAY_COLUMNS}
        assert recluster._display(norm_by_id[row["record_id"]]) == expected, row["record_id"]


def test_the_display_takes_the_birth_year_from_the_cccd_as_the_model_does():
    """Rows the test registers lack: no birth date with a CCCD (its year, unless the CCCD's gender
    contradicts the row's), blanks, a year-only date."""
    base = {
        "record_id": "x",
        "name_folded": "nguyen van a",
        "given": "a",
        "full_name": "Nguyễn Văn A",
        "citizen_id": "048095001234",
        "id_century_gender": 0,
        "id_birth_year_2": 95,
        "source": None,
        "phone": "",
        "household_no": "",
    }
    rows = [
        base | {"record_id": "a", "gender": None},
        base | {"record_id": "b", "gender": "F"},  # the CCCD says a man: no year from it
        base | {"record_id": "c", "gender": "M", "id_century_gender": 2, "id_birth_year_2": 5},
        base
        | {
            "record_id": "d",
            "gender": "X",
            "citizen_id": "",
            "birth_year": 1960,
            "dob_precision": "year",
            "birth_date": "1960-01-01",
        },
    ]
    table = model.conform(pa.Table.from_pylist(rows), [])
    con = duckdb.connect()
    con.register("motcua_input", table)
    features = model_display(con)
    by_id = {r["record_id"]: r for r in table.to_pylist()}
    got = {r["record_id"]: recluster._display(by_id[r["record_id"]]) for r in features.to_pylist()}
    assert got == {r["record_id"]: {c: r[c] for c in model.DISPLAY_COLUMNS} for r in features.to_pylist()}
    assert (
        got["a"]["birth_year"] == 1995 and got["b"]["birth_year"] is None and got["c"]["birth_year"] == 2005
    )
    assert got["d"]["birth_date"] is None and got["d"]["gender"] is None and got["d"]["source"] == ""
    assert pc.sum(pc.is_null(features.column("phone"))).as_py() == 4


def test_a_run_stored_without_the_review_columns_shows_every_badge_of_a_new_pair(run):
    """A run from before ``REVIEW_COLUMNS`` were kept: the new pair's records are normalised again
    from their raw rows, so the pair shows what the same pair of a newer run shows."""
    normalised = pq.read_table(run / recluster.NORMALISED_NAME)
    pq.write_table(
        normalised.drop_columns([c for c in recluster.REVIEW_COLUMNS if c in normalised.column_names]),
        run / recluster.NORMALISED_NAME,
    )
    (pair,) = apply(run, [("CG-009", "TT-001", True)]).added
    for side, rid in (("left", "CG-001"), ("right", "TT-001")):
        full = next(r for r in normalised.to_pylist() if r["record_id"] == rid)
        assert pair[side]["norm"] == recluster._display(full), rid
    assert pair["left"]["norm"]["full_name"] and pair["left"]["norm"]["source"]
