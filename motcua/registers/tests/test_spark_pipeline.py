"""The province path on Spark (``spark_pipeline``): normalisation on the executors gives the
driver's rows; ``link_on_spark`` writes, as parquet, the persons ``link(engine="duckdb")`` gives —
the same person_id for every record — and as many pairs and review pairs.

The shared local Spark session (conftest.py: ``local[2]``, two shuffle partitions; Arrow batches of
64 rows so that every partition is normalised in several batches), stopped at the end.
"""

import csv
import random

import pyarrow as pa
import pytest

from motcua.core import clock
from motcua.registers.clustering import number_persons
from motcua.registers.engine_base import string_columns
from motcua.registers.evaluation.generator import generate_registers
from motcua.registers.io import read_registers
from motcua.registers.linkage import link
from motcua.registers.normalize import OUTPUT_SCHEMA, normalize_table
from motcua.registers.spark_pipeline import (
    conform_on_spark,
    link_on_spark,
    normalise_on_spark,
    number_persons_on_spark,
    training_sample,
)

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module", autouse=True)
def _small_batches(spark):
    """Arrow batches of 64 rows: every partition is normalised in several batches."""
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)
    spark.conf.set(key, "64")
    yield
    spark.conf.set(key, before)


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    """~400 rows over three old wards' registers (raw, as read), with the generator's truth."""
    out = tmp_path_factory.mktemp("registers")
    gen = generate_registers(persons=350, wards=3, seed=11, out_dir=out)
    raw = read_registers(list(gen.files))
    with gen.truth.open(encoding="utf-8") as f:
        truth = {r["record_id"]: r["person_id"] for r in csv.DictReader(f)}
    return raw, truth


@pytest.fixture(scope="module")
def now():
    return clock.now()


def _raw_frame(spark, raw: pa.Table):
    # Three partitions in another order than the files': nothing may depend on the batch.
    return spark.createDataFrame(
        raw.take(pa.array(random.Random(2).sample(range(raw.num_rows), raw.num_rows)))
    ).repartition(3)


def _by_id(table: pa.Table) -> pa.Table:
    return table.sort_by("record_id")


def test_normalisation_on_the_executors_gives_the_drivers_rows(spark, registers, now):
    raw, _ = registers
    got = normalise_on_spark(spark, _raw_frame(spark, raw), now=now)
    assert got.rdd.getNumPartitions() == 3  # per partition, no shuffle
    plan = got._jdf.queryExecution().sparkPlan().toString()
    # One Python evaluation per batch (not one per output column), and no shuffle but the test's own.
    assert plan.count("ArrowEvalPython") == 1 and plan.count("Exchange") == 1, plan
    got_table = _by_id(string_columns(got.toArrow()))
    want = _by_id(normalize_table(raw, now=now))
    assert got_table.schema == OUTPUT_SCHEMA == want.schema
    assert got_table.num_rows == raw.num_rows
    assert got_table.equals(want)
    assert got_table.column("old_ward").null_count < got_table.num_rows  # the geographic lookups ran


def _labels(table: pa.Table, truth: dict[str, str]) -> list[tuple[str, str, bool]]:
    """25 true pairs accepted, 5 namesakes (other persons in the truth) rejected, and for 3
    persons of 3+ records their first and third record rejected (still joined through the second:
    the guard must split those clusters)."""
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
    split = [(ids[0], ids[2], False) for ids in by_person.values() if len(ids) > 2][:3]
    assert len(split) == 3, "the fixture should hold persons of three records"
    return accepted + [(a, b, False) for a, b in namesakes[:5]] + split


@pytest.fixture(scope="module")
def linked(spark, registers, now, tmp_path_factory):
    raw, truth = registers
    table = normalize_table(raw, now=now)
    labels = _labels(table, truth)
    duck = link(table, engine="duckdb", labels=labels)
    out = tmp_path_factory.mktemp("province")
    features = normalise_on_spark(spark, _raw_frame(spark, raw), now=now)
    stats = link_on_spark(features, out_dir=str(out), seed=0, labels=labels, spark=spark)
    read = {name: string_columns(spark.read.parquet(str(out / name)).toArrow()) for name in
            ("clusters", "pairs", "review_pairs", "guard")}  # fmt: skip
    return duck, stats, read, labels


def test_parquet_clusters_are_duckdbs_persons(linked):
    duck, stats, read, labels = linked
    clusters = read["clusters"]
    assert clusters.column_names == ["record_id", "person_id"]
    got = dict(
        zip(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist(), strict=True)
    )
    want = dict(
        zip(
            duck.clusters.column("record_id").to_pylist(),
            duck.clusters.column("person_id").to_pylist(),
            strict=True,
        )
    )
    assert len(got) == clusters.num_rows == duck.clusters.num_rows
    assert got == want  # the same person_id for every record, numbering included
    assert stats["n_persons"] == duck.stats["n_persons"] == len(set(want.values()))
    for key in ("n_records_in_multi_record_persons", "largest_cluster", "comparisons"):
        assert stats[key] == duck.stats[key], key
    # The guard ran on the suspect clusters only, as on DuckDB, and the labels acted.
    assert stats["guard"] == duck.stats["guard"] and stats["guard"]["split_clusters"] > 0
    for a, b, is_match in labels:
        assert (got[a] == got[b]) is is_match
    assert stats["training"]["trained_on"] == {
        "engine": "duckdb",
        "records": clusters.num_rows,
        "sample": False,
    }
    assert stats["training"]["parameters"] == duck.stats["training"]["parameters"]


def test_parquet_pairs_review_and_guard(linked):
    duck, stats, read, _ = linked
    pairs = read["pairs"].sort_by([("record_id_l", "ascending"), ("record_id_r", "ascending")])
    assert pairs.num_rows == duck.pairs.num_rows == stats["pairs_scored_above_review_floor"] > 0
    assert pairs.column_names == duck.pairs.column_names
    for col in ("record_id_l", "record_id_r", "blocking_rule", "household_evidence"):
        assert pairs.column(col).to_pylist() == duck.pairs.column(col).to_pylist(), col
    assert pairs.column("match_probability").to_pylist() == pytest.approx(
        duck.pairs.column("match_probability").to_pylist(), rel=1e-9, abs=1e-9
    )
    review = read["review_pairs"]
    assert review.num_rows == duck.review_pairs.num_rows == stats["n_review_pairs"] > 0
    assert review.column_names == duck.review_pairs.column_names
    key = ("record_id_l", "record_id_r", "same_person")
    assert sorted(tuple(r[k] for k in key) for r in review.to_pylist()) == sorted(
        tuple(r[k] for k in key) for r in duck.review_pairs.to_pylist()
    )
    assert read["guard"].sort_by("record_id").equals(duck.guard)


def test_persons_numbered_on_spark_as_on_the_driver(spark, tmp_path):
    """In the order of each person's smallest record_id, over several range partitions."""
    rng = random.Random(7)
    ids = [f"r{rng.randrange(10**9):09d}" for _ in range(3000)]
    ids = sorted(set(ids))
    cluster_of = {rid: f"c{rng.randrange(900)}" for rid in ids}
    groups = spark.createDataFrame(list(cluster_of.items()), "record_id string, grp string").repartition(4)
    got, total = number_persons_on_spark(groups, scratch=str(tmp_path / "persons"))
    got_table = string_columns(got.toArrow()).sort_by("record_id")
    assert got_table.equals(number_persons(cluster_of))
    assert total == len(set(cluster_of.values()))


def test_training_sample_on_spark(spark, monkeypatch):
    """Above the cap: that many records, seeded, the same whatever the partitioning."""
    frame = spark.createDataFrame([(f"r{i:05d}",) for i in range(5000)], "record_id string")
    monkeypatch.setenv("MOTCUA_TRAIN_MAX_RECORDS", "2000")
    one, sampled = training_sample(frame.repartition(1), n_records=5000, seed=3)
    other, _ = training_sample(frame.repartition(3), n_records=5000, seed=3)
    assert sampled and one.num_rows == 2000 and one.equals(other)
    assert len(set(one.column("record_id").to_pylist())) == 2000
    assert not one.equals(training_sample(frame, n_records=5000, seed=4)[0])
    monkeypatch.setenv("MOTCUA_TRAIN_MAX_RECORDS", "5000")
    whole, sampled = training_sample(frame, n_records=5000, seed=3)
    assert not sampled and whole.num_rows == 5000


def test_conform_on_spark_checks_the_input(spark):
    frame = spark.createDataFrame(
        [("a", "an", "an", " 1985 "), ("b", "binh", "binh", "x")],
        "record_id string, name_folded string, given string, birth_year string",
    )
    notes: list[str] = []
    out, n = conform_on_spark(frame, notes)
    assert n == 2 and notes and "phone" in notes[0]
    rows = {r["record_id"]: r["birth_year"] for r in out.collect()}
    assert rows == {"a": 1985, "b": None}  # text that is not an integer is blank
    with pytest.raises(ValueError, match="unique"):
        conform_on_spark(frame.unionByName(frame), [])
    with pytest.raises(ValueError, match="required"):
        conform_on_spark(frame.drop("given"), [])
