"""`motcua registers merge-spark`: the province path as a command — the wards' files read by io's
reader one at a time (or parquet read by Spark), normalised on the executors, linked by
``link_on_spark`` into parquet under ``--out-dir`` — gives the persons the DuckDB merge gives;
what io refuses is refused, with its reason, and leaves nothing behind; an output overlapping
an input is refused; the Spark engine's scratch can live on a shared file system
(``MOTCUA_SPARK_SCRATCH``) and is removed after the run.
"""

import csv
import json
from io import StringIO
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from motcua.core import clock
from motcua.registers import engine_spark
from motcua.registers.engine_base import string_columns
from motcua.registers.evaluation.generator import generate_registers
from motcua.registers.io import COLUMNS, read_registers
from motcua.registers.linkage import link
from motcua.registers.normalize import normalize_table
from motcua.registers.spark_pipeline import InputRefused, read_on_spark

pytestmark = pytest.mark.spark

HEADER = list(COLUMNS)


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    out = tmp_path_factory.mktemp("registers")
    gen = generate_registers(persons=200, wards=3, seed=7, out_dir=out)
    return [str(p) for p in gen.files]


def _partition(ids, persons) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for record_id, person_id in zip(ids, persons, strict=True):
        groups.setdefault(person_id, set()).add(record_id)
    return {frozenset(g) for g in groups.values()}


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> str:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def _rows(frame) -> pa.Table:
    return string_columns(frame.toArrow()).select(HEADER).sort_by("record_id")


def test_merge_spark_gives_the_duckdb_persons(spark, registers, tmp_path, monkeypatch):
    out_dir = tmp_path / "out"
    stdout = StringIO()
    call_command("registers", "merge-spark", *registers, "--out-dir", str(out_dir), stdout=stdout)
    report = json.loads(stdout.getvalue())

    raw = read_registers(registers)
    duck = link(normalize_table(raw, now=clock.now()), engine="duckdb")
    clusters = string_columns(spark.read.parquet(str(out_dir / "clusters")).toArrow())
    assert clusters.num_rows == raw.num_rows == report["n_records"]
    assert report["n_persons"] == duck.stats["n_persons"] < raw.num_rows
    got = _partition(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist())
    want = _partition(
        duck.clusters.column("record_id").to_pylist(), duck.clusters.column("person_id").to_pylist()
    )
    assert got == want
    assert report["n_sources"] == 3
    for name in ("pairs", "review_pairs", "guard", "normalised"):
        assert (out_dir / name).is_dir(), name
    assert not (out_dir / "staging").exists()  # the raw copy is not left behind
    assert report["outputs"]["normalised"].endswith("/normalised")
    assert report["timings"]["read_and_normalise"] > 0

    # The normalised records read as they are (--normalised) into another folder: what the link
    # gets is that table (the link itself is the test above's; not run twice: Spark's fixed cost).
    got_features = {}

    def fake_link(features, **kwargs):
        got_features["rows"] = features.count()
        got_features["columns"] = features.columns
        return {"n_records": features.count(), "outputs": {}, "timings": {}}

    monkeypatch.setattr("motcua.registers.spark_pipeline.link_on_spark", fake_link)
    stdout = StringIO()
    call_command(
        "registers", "merge-spark", str(out_dir / "normalised"), "--normalised", "--out-dir", str(tmp_path / "again"),
        stdout=stdout,
    )  # fmt: skip
    assert got_features["rows"] == raw.num_rows
    assert "name_folded" in got_features["columns"]
    # ...but never into the folder they are read from (it would be overwritten while read).
    with pytest.raises(CommandError, match="overlap"):
        call_command(
            "registers", "merge-spark", str(out_dir / "normalised"), "--normalised", "--out-dir", str(out_dir)
        )
    assert any((out_dir / "normalised").glob("*.parquet"))


def test_registers_are_read_as_the_upload_reads_them(spark, tmp_path):
    """Each file by io's reader: its own column order and Vietnamese header, RFC 4180 quoting
    (a value over two lines, doubled quotes, a comma inside quotes), white space trimmed."""
    a = _write_csv(
        tmp_path / "a.csv",
        HEADER,
        [["a1", "Phường 1", "Nguyễn Văn An", "01/02/1980", "Nam", "", 'Số 5 "Ngõ Chợ", tổ 2', "0902", "H1"]],
    )
    b = _write_csv(
        tmp_path / "b.csv",
        [
            "Mã bản ghi",
            "Ngày sinh",
            "Họ và tên",
            "Giới tính",
            "Phường cũ",
            "Số CCCD",
            "Địa chỉ",
            "SĐT",
            "Số hộ khẩu",
        ],
        [["b1", "1990", "  Trần Thị Bình\u00a0", "Nữ", "Phường 2", "", "Tổ 3,\nkhu phố Mới", "", ""]],
    )
    staging = str(tmp_path / "staging")
    got = _rows(read_on_spark(spark, [a, b], fmt="registers", staging=staging))
    want = read_registers([a, b]).select(HEADER).sort_by("record_id")
    assert got.equals(want)
    assert got.column("address").to_pylist() == ['Số 5 "Ngõ Chợ", tổ 2', "Tổ 3,\nkhu phố Mới"]
    assert got.column("full_name").to_pylist()[1] == "Trần Thị Bình"


def test_what_io_refuses_is_refused_and_nothing_is_left(spark, tmp_path):
    ragged = _write_csv(
        tmp_path / "ragged.csv", HEADER, [["r1", "P", "Nguyễn Văn A", "1980", "Nam", "", "", "", "", "thừa"]]
    )
    out = tmp_path / "o"
    with pytest.raises(CommandError) as caught:
        call_command("registers", "merge-spark", ragged, "--out-dir", str(out))
    assert "ragged.csv" in str(caught.value) and "dòng 2" in str(caught.value)
    wrong = _write_csv(
        tmp_path / "wrong.csv", ["record_id", "full_name", "ghi chú"], [["r1", "Nguyễn Văn A", "x"]]
    )
    with pytest.raises(CommandError, match="thiếu cột"):
        call_command("registers", "merge-spark", wrong, "--out-dir", str(out))
    assert not (out / "staging").exists() and not (out / "normalised").exists()


def test_a_record_id_in_two_files_is_refused_before_normalising(spark, tmp_path):
    row = ["r1", "A", "Nguyễn Văn A", "01/02/1980", "Nam", "", "", "", ""]
    first = _write_csv(tmp_path / "first.csv", HEADER, [row])
    second = _write_csv(tmp_path / "second.csv", HEADER, [row])
    out = tmp_path / "o"
    with pytest.raises(CommandError, match="record_id must be unique"):
        call_command("registers", "merge-spark", first, second, "--out-dir", str(out))
    assert not (out / "normalised").exists() and not (out / "staging").exists()


def test_parquet_registers(spark, registers, tmp_path):
    """Parquet as io.read_registers writes it (its line_no / file_name ignored), text trimmed of
    Unicode white space; two files naming a column two ways are refused, not blanked."""
    raw = read_registers(registers)
    padded = raw.set_column(
        HEADER.index("full_name"),
        "full_name",
        pa.array(["\u00a0" + v + "\t" for v in raw.column("full_name").to_pylist()]),
    )
    pq.write_table(padded, tmp_path / "registers.parquet")
    got = _rows(read_on_spark(spark, [str(tmp_path / "registers.parquet")], fmt="parquet"))
    assert got.equals(raw.select(HEADER).sort_by("record_id"))

    en = pa.table({c: pa.array(["x1" if c == "record_id" else "v"]) for c in HEADER})
    vi = en.rename_columns(["Mã bản ghi", *HEADER[1:2], "Họ và tên", *HEADER[3:]]).set_column(
        0, "Mã bản ghi", pa.array(["x2"])
    )
    folder = tmp_path / "mixed"
    folder.mkdir()
    pq.write_table(en, folder / "en.parquet")
    pq.write_table(vi, folder / "vi.parquet")
    with pytest.raises(InputRefused, match="named 2 ways"):
        read_on_spark(spark, [str(folder)], fmt="parquet")


def test_inputs_that_cannot_be_read_are_refused(spark, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "registers", "merge-spark", str(tmp_path / "nowhere.csv"), "--out-dir", str(tmp_path / "o")
        )
    folder = tmp_path / "in"
    folder.mkdir()
    with pytest.raises(CommandError, match="overlap"):
        call_command(
            "registers", "merge-spark", str(folder), "--format", "parquet", "--out-dir", str(folder / "out")
        )
    (folder / "not-parquet.parquet").write_text("x", encoding="utf-8")
    with pytest.raises(CommandError, match=r"Spark cannot read the input: .*not-parquet\.parquet"):
        call_command(
            "registers", "merge-spark", str(folder), "--format", "parquet", "--out-dir", str(tmp_path / "o")
        )
    # Parquet paths are Spark's to find (a glob here; the cluster's file system there)...
    with pytest.raises(CommandError, match=r"Spark cannot read the input: .*not-parquet\.parquet"):
        call_command(
            "registers",
            "merge-spark",
            str(folder / "*.parquet"),
            "--format",
            "parquet",
            "--out-dir",
            str(tmp_path / "o"),
        )
    # ...and the wards' files are CSV or .xlsx: parquet given to --format registers is pointed elsewhere.
    with pytest.raises(CommandError, match="--format parquet"):
        call_command(
            "registers", "merge-spark", str(folder / "not-parquet.parquet"), "--out-dir", str(tmp_path / "o")
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
        assert list(shared.rglob("*.parquet")), "the table should be written under the shared scratch"
        checkpoint = spark.sparkContext.getCheckpointDir()
        assert checkpoint is not None and f"{shared}/motcua_" in checkpoint
    finally:
        engine.close()
    assert list(shared.iterdir()) == []


def test_local_scratch_is_a_file_uri(spark, monkeypatch):
    """Never resolved against a cluster's default file system (HDFS) by mistake."""
    monkeypatch.delenv("MOTCUA_SPARK_SCRATCH", raising=False)
    engine = engine_spark.SparkEngine(spark)
    try:
        assert engine.scratch_root.startswith("file:///")
        engine.create("t", "select 1 as x")
        local = Path(engine.scratch_root.removeprefix("file://"))
        assert list(local.rglob("*.parquet"))
    finally:
        engine.close()
    assert not local.exists()


def test_a_cluster_session_without_shared_scratch_is_warned(spark, monkeypatch, caplog):
    """On a cluster the driver's temporary directory is not where executors can read the run's
    tables: a session whose master is not local, with MOTCUA_SPARK_SCRATCH unset, is logged."""
    monkeypatch.delenv("MOTCUA_SPARK_SCRATCH", raising=False)
    monkeypatch.setattr(spark.sparkContext, "master", "spark://cluster:7077")
    with caplog.at_level("WARNING", logger="motcua.registers.engine_spark"):
        engine = engine_spark.SparkEngine(spark)
        engine.close()
    assert any("MOTCUA_SPARK_SCRATCH" in r.getMessage() for r in caplog.records)
    monkeypatch.setenv("MOTCUA_SPARK_SCRATCH", "file:///tmp/motcua-shared-scratch-test")
    caplog.clear()
    with caplog.at_level("WARNING", logger="motcua.registers.engine_spark"):
        engine = engine_spark.SparkEngine(spark)
        engine.close()
    assert not any("MOTCUA_SPARK_SCRATCH" in r.getMessage() for r in caplog.records)
