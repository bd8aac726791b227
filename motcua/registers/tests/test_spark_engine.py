"""The Spark engine (``link(..., engine="spark")``, ``motcua registers merge --engine spark``) gives
what the DuckDB engine gives: on generated registers with known truth and reviewers' labels, the
same record→person partition, the same model, the same scored pairs and review pairs.

One local Spark session for the module (``local[2]``, two shuffle partitions: the data are
small), stopped at the end. Deselect with ``-m "not spark"``.
"""

import csv
import io
import random

import pyarrow as pa
import pytest
from django.core.management import call_command

from motcua.core import clock
from motcua.registers import engine_spark, training
from motcua.registers.evaluation.generator import generate_registers
from motcua.registers.io import read_registers
from motcua.registers.linkage import link
from motcua.registers.normalize import normalize_table

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    """~400 rows over three old wards' registers, with the generator's truth."""
    out = tmp_path_factory.mktemp("registers")
    gen = generate_registers(persons=350, wards=3, seed=11, out_dir=out)
    table = normalize_table(read_registers(list(gen.files)), now=clock.now())
    with gen.truth.open(encoding="utf-8") as f:
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(f)}
    return gen, table, truth


def _labels(table, truth):
    """Reviewers' decisions: 25 true pairs accepted (enough for m from labels), and namesakes
    (same folded name, other persons in the truth) rejected."""
    by_person: dict[str, list[str]] = {}
    for rid in sorted(truth):
        by_person.setdefault(truth[rid], []).append(rid)
    true_pairs = [(ids[0], ids[1]) for ids in by_person.values() if len(ids) > 1]
    accepted = [(a, b, True) for a, b in random.Random(5).sample(true_pairs, 25)]
    by_name: dict[str, list[str]] = {}
    for rid, name in zip(
        table.column("record_id").to_pylist(), table.column("name_folded").to_pylist(), strict=True
    ):
        by_name.setdefault(name, []).append(rid)
    namesakes = sorted(
        (a, b) for ids in by_name.values() for a in ids for b in ids if a < b and truth[a] != truth[b]
    )
    rejected = [(a, b, False) for a, b in namesakes[:5]]
    assert len(rejected) == 5, "the fixture should hold namesakes for the reviewers to reject"
    return accepted + rejected


@pytest.fixture(scope="module")
def both(spark, registers):
    _gen, table, truth = registers
    labels = _labels(table, truth)
    duck = link(table, engine="duckdb", labels=labels)
    sprk = link(table, engine="spark", labels=labels)
    return duck, sprk, labels


def _partition(records, persons):
    groups: dict[str, set[str]] = {}
    for rid, pid in zip(records, persons, strict=True):
        groups.setdefault(pid, set()).add(rid)
    return {frozenset(g) for g in groups.values()}


def _partition_of(clusters: pa.Table):
    return _partition(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist())


def test_same_partition_as_duckdb(both, registers):
    duck, sprk, _ = both
    _gen, table, _ = registers
    assert sprk.clusters.num_rows == table.num_rows
    assert _partition_of(sprk.clusters) == _partition_of(duck.clusters)
    # Not a trivial partition: duplicates found, and split by the guard or the labels.
    assert sprk.stats["n_records_in_multi_record_persons"] > 50
    assert sprk.stats["engine"] == "spark" and duck.stats["engine"] == "duckdb"


def test_same_model_and_the_labels_act(both):
    duck, sprk, labels = both
    assert sprk.stats["training"]["trained_on"] == {"engine": "duckdb", "records": duck.stats["n_records"],
                                                     "sample": False}  # fmt: skip
    assert sprk.stats["training"]["parameters"] == duck.stats["training"]["parameters"]
    assert sprk.stats["training"]["m_from_labels"] is True
    assert (
        sprk.stats["training"]["probability_two_random_records_match"]
        == duck.stats["training"]["probability_two_random_records_match"]
    )
    person = dict(
        zip(
            sprk.clusters.column("record_id").to_pylist(),
            sprk.clusters.column("person_id").to_pylist(),
            strict=True,
        )
    )
    for a, b, is_match in labels:
        assert (person[a] == person[b]) is is_match


def test_same_blocking_pairs_and_household_evidence(both):
    duck, sprk, _ = both
    assert [(r["rule"], r["marginal"]) for r in sprk.stats["blocking"]] == [
        (r["rule"], r["marginal"]) for r in duck.stats["blocking"]
    ]
    assert sprk.stats["comparisons"] == duck.stats["comparisons"] > 0
    for key in ("pairs_with_household_evidence", "corroborated"):
        assert sprk.stats["household_evidence"][key] == duck.stats["household_evidence"][key]
    assert sprk.stats["guard"] == duck.stats["guard"]
    assert sprk.pairs.schema == duck.pairs.schema
    assert sprk.pairs.num_rows == duck.pairs.num_rows > 0
    for col in ("record_id_l", "record_id_r", "blocking_rule", "household_evidence"):
        assert sprk.pairs.column(col).to_pylist() == duck.pairs.column(col).to_pylist(), col
    for col in ("match_weight", "match_probability", "model_match_weight"):
        got, want = sprk.pairs.column(col).to_pylist(), duck.pairs.column(col).to_pylist()
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9), col


def test_same_review_pairs(both):
    duck, sprk, labels = both
    assert sprk.review_pairs.schema == duck.review_pairs.schema
    assert sprk.review_pairs.num_rows == duck.review_pairs.num_rows > 0
    keys = ("record_id_l", "record_id_r")
    got = [
        {k: v for k, v in r.items() if k not in ("match_weight", "match_probability")}
        for r in sprk.review_pairs.to_pylist()
    ]
    want = [
        {k: v for k, v in r.items() if k not in ("match_weight", "match_probability")}
        for r in duck.review_pairs.to_pylist()
    ]
    assert got == want  # same pairs, same order (nearest the threshold first), same values
    assert sprk.review_pairs.column("match_probability").to_pylist() == pytest.approx(
        duck.review_pairs.column("match_probability").to_pylist(), rel=1e-9, abs=1e-9
    )
    decided = {(a, b) for a, b, _ in labels}
    assert not decided & {tuple(r[k] for k in keys) for r in got}


def test_cli_engine_spark_writes_clusters_csv(spark, registers, tmp_path):
    gen, _table, _ = registers
    outs = {}
    for engine in ("duckdb", "spark"):
        out, review = tmp_path / f"clusters-{engine}.csv", tmp_path / f"review-{engine}.csv"
        call_command("registers", "merge", *map(str, gen.files), "--out", str(out), "--review-out", str(review),
                     "--engine", engine, stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
        with out.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        with review.open(encoding="utf-8") as f:
            review_rows = [(r["record_id_l"], r["record_id_r"], r["same_person"]) for r in csv.DictReader(f)]
        outs[engine] = rows, review_rows
    rows, review_rows = outs["spark"]
    assert len(rows) == gen.rows and set(rows[0]) == {"record_id", "person_id"}
    assert len({r["record_id"] for r in rows}) == gen.rows
    assert all(r["person_id"] for r in rows)
    duck_rows, duck_review = outs["duckdb"]
    assert _partition([r["record_id"] for r in rows], [r["person_id"] for r in rows]) == _partition(
        [r["record_id"] for r in duck_rows], [r["person_id"] for r in duck_rows]
    )
    assert review_rows == duck_review


def test_training_sample_above_the_cap(monkeypatch):
    """Above MOTCUA_TRAIN_MAX_RECORDS the model is trained on a seeded uniform sample (any engine;
    the Spark engine's old variable name still counts)."""
    table = pa.table({"record_id": [f"r{i:05d}" for i in range(5000)]})
    monkeypatch.setenv("MOTCUA_TRAIN_MAX_RECORDS", "2500")
    sample, sampled = training.training_table(table, seed=3)
    again, _ = training.training_table(table, seed=3)
    assert sampled and sample.num_rows == 2500 and sample.equals(again)
    assert len(set(sample.column("record_id").to_pylist())) == 2500
    monkeypatch.setenv("MOTCUA_TRAIN_MAX_RECORDS", "10")  # never below 2,000 records
    assert training.training_table(table, seed=3)[0].num_rows == 2000
    monkeypatch.setenv("MOTCUA_TRAIN_MAX_RECORDS", "5000")
    whole, sampled = training.training_table(table, seed=3)
    assert whole is table and not sampled
    monkeypatch.delenv("MOTCUA_TRAIN_MAX_RECORDS")
    monkeypatch.setenv("MOTCUA_SPARK_TRAIN_MAX_RECORDS", "2500")
    assert training.training_table(table, seed=3)[0].num_rows == 2500


def test_a_model_for_other_comparisons_is_refused():
    """The trained model is applied level by level only onto the same comparisons."""

    class Settings:
        comparisons: list = []

    class Linker:
        _settings_obj = Settings()

    model = {"comparisons": [{"output_column_name": "given", "comparison_levels": []}],
             "probability_two_random_records_match": 0.01}  # fmt: skip
    with pytest.raises(ValueError, match="comparisons"):
        training.apply_model(Linker(), model)


def test_a_session_that_does_not_start_leaves_no_scratch(monkeypatch, tmp_path):
    """Spark failing to start (no Java, no memory) leaves no temporary directory behind."""
    from pyspark.sql import SparkSession

    scratch = tmp_path / "motcua-spark-x"
    scratch.mkdir()
    monkeypatch.setattr(engine_spark.tempfile, "mkdtemp", lambda prefix: str(scratch))
    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))

    def no_java(workdir):
        raise RuntimeError("Java gateway process exited")

    monkeypatch.setattr(engine_spark, "spark_session", no_java)
    with pytest.raises(RuntimeError, match="Java"):
        engine_spark.SparkEngine()
    assert not scratch.exists()
