"""`motcua registers merge-spark`: the province path as a command — registers read by Spark,
normalised on the executors, linked by ``link_on_spark`` into parquet under ``--out-dir`` — gives
the persons the DuckDB merge gives; a wrong header is refused with its reason; the Spark engine's
scratch can live on a shared file system (``MOTCUA_SPARK_SCRATCH``) and is removed after the run.
"""

import csv
import json
from io import StringIO
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from django.core.management import CommandError, call_command

from motcua.core import clock
from motcua.registers import engine_spark
from motcua.registers.engine_base import string_columns
from motcua.registers.evaluation.generator import generate_registers
from motcua.registers.io import COLUMNS, read_registers
from motcua.registers.linkage import link
from motcua.registers.normalize import normalize_table
from motcua.registers.spark_pipeline import read_on_spark

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    session = engine_spark.spark_session(
        tmp_path_factory.mktemp("spark"),
        **{"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"},
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    out = tmp_path_factory.mktemp("registers")
    gen = generate_registers(persons=200, wards=3, seed=7, out_dir=out)
    return list(gen.files)


def _partition(pairs) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for record_id, person_id in pairs:
        groups.setdefault(person_id, set()).add(record_id)
    return {frozenset(g) for g in groups.values()}


def _vietnamese_headers(files: list[Path], out: Path) -> list[str]:
    """The registers as read, written back as UTF-8 CSV under a clerk's Vietnamese header."""
    vi = {
        "record_id": "Mã bản ghi",
        "source": "Phường cũ",
        "full_name": "Họ và tên",
        "birth_date": "Ngày sinh",
        "gender": "Giới tính",
        "citizen_id": "Số CCCD",
        "address": "Địa chỉ",
        "phone": "Số điện thoại",
        "household_no": "Số hộ khẩu",
    }
    paths = []
    for i, path in enumerate(files):
        table = read_registers([path]).select(list(COLUMNS))
        table = table.rename_columns([vi.get(c, c) for c in table.column_names])
        target = out / f"so-{i}.csv"
        pacsv.write_csv(table, target)
        paths.append(str(target))
    return paths


def test_merge_spark_gives_the_duckdb_persons(spark, registers, tmp_path):
    inputs = _vietnamese_headers(registers, tmp_path)
    out_dir = tmp_path / "out"
    stdout = StringIO()
    call_command(
        "registers", "merge-spark", *inputs, "--format", "csv", "--out-dir", str(out_dir), stdout=stdout
    )
    report = json.loads(stdout.getvalue())

    raw = read_registers(registers)
    duck = link(normalize_table(raw, now=clock.now()), engine="duckdb")
    clusters = string_columns(spark.read.parquet(str(out_dir / "clusters")).toArrow())
    assert clusters.num_rows == raw.num_rows == report["n_records"]
    assert report["n_persons"] == duck.stats["n_persons"] < raw.num_rows
    got = _partition(
        zip(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist(), strict=True)
    )
    want = _partition(
        zip(
            duck.clusters.column("record_id").to_pylist(),
            duck.clusters.column("person_id").to_pylist(),
            strict=True,
        )
    )
    assert got == want
    assert report["n_sources"] == 3
    for name in ("pairs", "review_pairs", "guard", "normalised"):
        assert (out_dir / name).is_dir(), name
    assert report["outputs"]["normalised"].endswith("/normalised")
    assert report["timings"]["read_and_normalise"] > 0


def test_read_on_spark_reads_parquet_and_csv_alike(spark, registers, tmp_path):
    """Parquet in io's English column names and CSV under a Vietnamese header: the same rows,
    text trimmed, blanks as nulls (as ``io.read_registers`` reads them)."""
    import pyarrow.parquet as pq

    raw = read_registers(registers).select(list(COLUMNS))
    pq.write_table(raw, tmp_path / "registers.parquet")
    from_parquet = read_on_spark(spark, [str(tmp_path / "registers.parquet")], fmt="parquet")
    from_csv = read_on_spark(spark, _vietnamese_headers(registers, tmp_path), fmt="csv")
    want = raw.sort_by("record_id")
    for frame in (from_parquet, from_csv):
        got = string_columns(frame.toArrow()).select(list(COLUMNS)).sort_by("record_id")
        assert got.equals(want)


def test_merge_spark_refuses_a_wrong_header(spark, tmp_path):
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["record_id", "full_name", "ghi chú"])
        writer.writerow(["r1", "Nguyễn Văn A", "x"])
    with pytest.raises(CommandError) as caught:
        call_command(
            "registers", "merge-spark", str(path), "--format", "csv", "--out-dir", str(tmp_path / "o")
        )
    message = str(caught.value)
    assert "missing column 'birth_date'" in message
    assert "unexpected columns 'ghi chú'" in message
    assert not (tmp_path / "o").exists()


def test_merge_spark_refuses_repeated_record_ids(spark, tmp_path):
    path = tmp_path / "dup.csv"
    header = [
        "record_id",
        "source",
        "full_name",
        "birth_date",
        "gender",
        "citizen_id",
        "address",
        "phone",
        "household_no",
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerow(["r1", "A", "Nguyễn Văn A", "01/02/1980", "Nam", "", "", "", ""])
        writer.writerow(["r1", "B", "Nguyễn Văn A", "01/02/1980", "Nam", "", "", "", ""])
    with pytest.raises(CommandError, match="record_id must be unique"):
        call_command(
            "registers", "merge-spark", str(path), "--format", "csv", "--out-dir", str(tmp_path / "o")
        )


def test_scratch_on_a_shared_file_system_is_used_and_removed(spark, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("MOTCUA_SPARK_SCRATCH", shared.as_uri() + "/")
    engine = engine_spark.SparkEngine(spark)
    try:
        assert engine.scratch_root.startswith(shared.as_uri() + "/motcua_")
        engine.create("t", "select 1 as x")
        got = engine.query(f"select x from {engine.physical('t')}")  # noqa: S608 - our table's name
        assert got.column("x").to_pylist() == [1]
        written = [p for p in shared.rglob("*.parquet")]
        assert written, "the table should be written under the shared scratch"
        checkpoint = spark.sparkContext.getCheckpointDir()
        assert checkpoint is not None and f"{shared}/motcua_" in checkpoint
    finally:
        engine.close()
    assert list(shared.iterdir()) == []
