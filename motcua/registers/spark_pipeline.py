"""The register merge at province scale on Spark: normalisation and output on the executors
(issue 12 §3; docs/scaling.md "Normalisation and output on Spark").

``link(table, engine="spark")`` takes a pyarrow table on the driver and hands back Arrow tables on
the driver; at 100M rows neither fits. Here the records stay Spark DataFrames from end to end:

- ``normalise_on_spark(spark, raw, now=...)``: ``normalize.normalize_table`` run by the executors
  on each Arrow batch (``mapInArrow``). It is row-local: every column is a pure function of the
  row's own raw value (``_map_distinct`` only memoises per distinct value *within* a batch), the
  CCCD columns are vectorised per row, and the geographic lookups (``geo_cache``) are memoised
  per process from vietnamadminunits' static data — a cache, not a whole-table step; each
  executor fills its own. The frequency counts the model needs (the tên's count, term
  frequencies) are not in ``normalize_table``: they are the model's SQL, run on Spark.
- ``link_on_spark(features_input, out_dir=...)``: the run of ``link(..., engine="spark")`` — the
  same ``linkage.SplinkRun`` and every SQL statement of it — with the input a DataFrame
  (``engine_spark.SparkInput``), training on at most ``training.train_max_records()`` records
  taken on Spark (a seeded hash order, the top ``cap``) and collected to the driver for DuckDB,
  and the outputs written by Spark as parquet under ``out_dir``: ``clusters/`` (record_id,
  person_id), ``pairs/`` (the columns of ``LinkResult.pairs``), ``review_pairs/``, ``guard/``
  (``LinkResult.guard``: with ``pairs/``, what re-clustering under new decisions reads). Only the
  suspect clusters' members and edges go to the driver for ``clustering.guard_split``; its groups
  are joined back on Spark, and the persons numbered there (``number_persons_on_spark``).

The steps of ``SplinkRun`` that answer a query as Arrow (the pairs, the components, the review
list) are diverted: ``_PipelineEngine.divert`` makes the engine write that one query's result
with Spark instead of collecting it (the SQL stays ``linkage``'s, written once).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import pyarrow as pa

from motcua.core.errors import ValidationFailed

from . import training
from .clustering import guard_split
from .engine_base import string_columns
from .engine_spark import SparkEngine, SparkInput, delete_path, spark_session
from .linkage import (
    DEFAULT_MATCH_THRESHOLD,
    DEFAULT_MAX_PAIRS_WARNING,
    DEFAULT_REVIEW_BAND,
    PAIR_COLUMNS,
    PREDICT_FLOOR,
    SplinkRun,
)
from .model import INPUT_COLUMNS, REQUIRED_COLUMNS, blocking_rules, clean_labels
from .normalize import normalize_table

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ normalisation


def _normaliser(now: dt.datetime) -> Callable[[pa.Array], pa.Array]:
    """The function the executors run on each Arrow batch: the raw rows (one struct column)
    normalised by ``normalize_table``, as one struct column."""

    def normalise(rows: pa.Array) -> pa.Array:
        table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(rows)])
        out = normalize_table(table, now=now)
        return pa.StructArray.from_arrays(
            [column.combine_chunks() for column in out.columns], fields=list(out.schema)
        )

    return normalise


def normalised_schema(columns: Sequence[str], *, now: dt.datetime) -> Any:
    """The Spark schema of ``normalize_table``'s output, from normalising an empty table with
    the raw ``columns`` on the driver."""
    from pyspark.sql.pandas.types import from_arrow_schema

    empty = pa.table({c: pa.array([], pa.string()) for c in columns})
    return from_arrow_schema(normalize_table(empty, now=now).schema)


def normalise_on_spark(spark: Any, raw: Any, *, now: dt.datetime) -> Any:
    """``raw`` (a DataFrame of ``io.read_registers``' columns) normalised by the executors, one
    Arrow batch at a time (``spark.sql.execution.arrow.maxRecordsPerBatch`` rows), partition by
    partition, no shuffle; the columns of docs/registers-contract.md (``normalize_table``'s).

    An Arrow UDF over the row as a struct, returning a struct, rather than ``raw.mapInArrow``:
    PySpark 4.1's ``mapInArrow`` refuses to run without pandas on the driver (it is built on
    ``pandas_udf``), which this project does not install; for a row-local function the two are
    the same batches through the same Python workers. ``spark``: the session ``raw`` belongs to
    (the schema is derived on the driver)."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import arrow_udf

    if now.tzinfo is None:
        raise ValueError("now must be aware (motcua.core.clock.now())")
    schema = normalised_schema(raw.columns, now=now)
    udf: Any = arrow_udf  # (its overloads want the function's type hints, which it has)
    normalise = udf(_normaliser(now), schema)
    rows = F.struct(*[F.col(c).cast("string").alias(c) for c in raw.columns])
    return raw.select(normalise(rows).alias("n")).select("n.*")


# ------------------------------------------------------------------------------ input


FORMATS = ("registers", "parquet")
# io.read_registers' bookkeeping columns: accepted in parquet made by it, not read.
_IO_EXTRA = ("line_no", "file_name")


class InputRefused(ValueError):
    """The input cannot be merged; the message says why (the command shows it)."""


def read_on_spark(spark: Any, inputs: Sequence[str], *, fmt: str, staging: str | None = None) -> Any:
    """The raw registers at ``inputs`` as one DataFrame of ``io.COLUMNS`` (text, trimmed, blank
    as null, all-blank rows dropped), its record_id present and unique.

    ``fmt="registers"``: the wards' CSV or .xlsx files (local paths), each read by ``io``'s reader
    exactly as the web upload reads it (header in English or Vietnamese in any order, RFC 4180
    quoting, values over several lines, malformed rows refused with their line, the size caps),
    one file at a time, and appended by Spark as parquet to ``staging`` (required): the driver
    holds one file, never the province. ``fmt="parquet"``: files, directories or URIs in
    ``io.COLUMNS`` (as ``io.read_registers`` writes them: its ``line_no``/``file_name`` are
    ignored); every file must name its columns the same way — a column named twice (e.g.
    «Họ và tên» in one file, full_name in another) is refused, not silently blanked."""
    if fmt not in FORMATS:
        raise InputRefused(f"Unknown input format {fmt!r}: {', '.join(FORMATS)}")
    if not inputs:
        raise InputRefused("No input")
    return _read_on_spark(spark, inputs, fmt=fmt, staging=staging)


def _read_parquet(spark: Any, inputs: Sequence[str], *, merge_schema: bool = False) -> Any:
    """``spark.read.parquet``, a path Spark cannot read (missing, not parquet, no permission) as
    ``InputRefused`` with Spark's first line; any other failure raised as it is."""
    try:
        return spark.read.option("mergeSchema", str(merge_schema).lower()).parquet(*inputs)
    except Exception as exc:
        refused = _unreadable(exc)
        if refused is None:
            raise
        raise refused from exc


def _unreadable(exc: Exception) -> InputRefused | None:
    """Spark's refusal of a file (not parquet, not found, no permission) as ``InputRefused``;
    None for anything else (raised as it is)."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import AnalysisException

    if isinstance(exc, AnalysisException | Py4JJavaError):
        text = str(getattr(exc, "java_exception", None) or exc).strip()
        return InputRefused(
            f"Spark cannot read the input: {text.splitlines()[0][:500] if text else type(exc).__name__}"
        )
    return None


def _read_on_spark(spark: Any, inputs: Sequence[str], *, fmt: str, staging: str | None) -> Any:
    from pyspark.sql import functions as F

    from .io import COLUMNS, canonical_column, read_register

    if fmt == "registers":
        if staging is None:
            raise ValueError("fmt='registers' needs a staging path")
        for number, path in enumerate(inputs):
            if Path(path).is_dir() or str(path).lower().endswith(".parquet"):
                raise InputRefused(
                    f"{path}: --format registers reads the wards' CSV or .xlsx files; for parquet use --format parquet"
                )
            try:
                table = read_register(path).select(list(COLUMNS))
            except ValidationFailed as exc:
                raise InputRefused("\n".join([exc.message, *exc.details])) from exc
            schema = ", ".join(f"`{c}` string" for c in COLUMNS)
            spark.createDataFrame(table, schema).write.mode("overwrite" if number == 0 else "append").parquet(
                staging
            )
        frame = spark.read.parquet(staging)
    else:
        frame = _read_parquet(spark, inputs, merge_schema=True)
        frame = frame.drop(*[c for c in _IO_EXTRA if c in frame.columns])
        names = [canonical_column(c) for c in frame.columns]
        problems = []
        for column in COLUMNS:
            hits = [c for c, n in zip(frame.columns, names, strict=True) if n == column]
            if not hits:
                problems.append(f"missing column {column!r}")
            elif len(hits) > 1:
                problems.append(f"column {column!r} named {len(hits)} ways: {', '.join(map(repr, hits))}")
        extra = [c for c, n in zip(frame.columns, names, strict=True) if n not in COLUMNS]
        if extra:
            problems.append("unexpected columns " + ", ".join(repr(c) for c in extra))
        if problems:
            raise InputRefused(f"The registers' columns are not {', '.join(COLUMNS)}: {'; '.join(problems)}")
        # io's reading: text, surrounding white space (Unicode's, as pyarrow's trim) removed,
        # blank as null.
        frame = frame.select(
            *[
                F.nullif(
                    F.regexp_replace(F.col(f"`{c}`").cast("string"), r"(?U)^\s+|\s+$", ""), F.lit("")
                ).alias(n)
                for c, n in zip(frame.columns, names, strict=True)
            ]
        ).dropna(how="all")
    row = frame.agg(
        F.count(F.lit(1)).alias("n"),
        F.count("record_id").alias("ids"),
        F.countDistinct("record_id").alias("distinct"),
    ).first()
    if int(row["ids"]) != int(row["n"]):
        raise InputRefused(f"{int(row['n']) - int(row['ids'])} rows without a record_id")
    if int(row["distinct"]) != int(row["n"]):
        raise InputRefused("record_id must be unique across the registers")
    return frame


def _inside(path: str, parent: str) -> bool:
    """``path`` is ``parent`` or inside it (local paths resolved; URIs compared as text)."""

    def norm(p: str) -> str:
        if "://" in p or p.startswith("file:"):
            return p.rstrip("/")
        return str(Path(p).resolve())

    a, b = norm(path), norm(parent)
    return a == b or a.startswith(b.rstrip("/") + "/")


def merge_on_spark(
    inputs: Sequence[str],
    *,
    out_dir: str,
    now: dt.datetime,
    fmt: str = "registers",
    normalised: bool = False,
    seed: int = 0,
    spark: Any = None,
    workdir: str | None = None,
) -> dict[str, Any]:
    """``motcua registers merge-spark``: read (``read_on_spark``), normalise on the executors and
    write the normalised records once under ``out_dir``/normalised, then ``link_on_spark`` into
    ``out_dir``. ``normalised``: the inputs are already the contract's columns (parquet), read as
    they are. The session: ``spark``, else the active one (``spark-submit``), else a local one
    (``engine_spark.spark_session``) stopped at the end. Returns ``link_on_spark``'s stats with
    the reading and normalisation's time. ``InputRefused`` for an input that cannot be merged
    (checked before anything is written but the staging of ``fmt="registers"``)."""
    from pyspark.sql import SparkSession

    out = str(out_dir).rstrip("/")
    for path in inputs:
        if _inside(out, path) or _inside(path, out):
            raise InputRefused(f"The output {out} and the input {path} overlap: choose another --out-dir")
        # The wards' files are read on this machine; parquet paths are Spark's (globs, the
        # cluster's default file system): a missing one is Spark's refusal (``_read_parquet``).
        if fmt == "registers" and not normalised and not Path(path).is_file():
            raise InputRefused(f"No such file: {path}")
    session: Any = spark or SparkSession.getActiveSession()
    local = None
    if session is None:
        local = tempfile.mkdtemp(prefix="motcua-merge-spark-", dir=workdir)
    try:
        if local is not None:
            session = spark_session(local)
        started = time.perf_counter()
        if normalised:
            features = _read_parquet(session, inputs)
        else:
            staging = f"{out}/staging"
            try:
                frame = read_on_spark(session, inputs, fmt=fmt, staging=staging)
                normalise_on_spark(session, frame, now=now).write.mode("overwrite").parquet(
                    f"{out}/normalised"
                )
            finally:  # the registers' raw copy: not left behind (personal data, a second place)
                try:
                    delete_path(session, staging)
                except Exception:  # never hides the run's own error
                    logger.warning("Could not remove the staging folder %s", staging, exc_info=True)
            features = session.read.parquet(f"{out}/normalised")
        read_seconds = round(time.perf_counter() - started, 3)
        stats = link_on_spark(features, out_dir=out, seed=seed, spark=session)
        if not normalised:
            stats["outputs"]["normalised"] = f"{out}/normalised"
        stats.setdefault("timings", {})["read_and_normalise"] = read_seconds
        return stats
    finally:
        if local is not None:
            if session is not None:
                session.stop()
            shutil.rmtree(local, ignore_errors=True)


def conform_on_spark(frame: Any, notes: list[str]) -> tuple[Any, int]:
    """``model.conform`` on Spark: the model's input columns with their types (absent ones as
    nulls, text that is not an integer as null), record_id present and unique; and the count."""
    from pyspark.sql import functions as F

    missing_required = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing_required:
        raise ValueError(f"The normalised table lacks required columns: {', '.join(missing_required)}")
    columns = []
    missing = []
    for name, typ in INPUT_COLUMNS.items():
        spark_type = "bigint" if pa.types.is_integer(typ) else "string"
        if name not in frame.columns:
            missing.append(name)
            columns.append(F.lit(None).cast(spark_type).alias(name))
        elif spark_type == "bigint" and dict(frame.dtypes)[name] == "string":
            text = F.trim(F.col(name))
            columns.append(
                F.when(text.rlike("^[0-9]+$"), F.expr(f"try_cast(trim(`{name}`) as bigint)")).alias(name)
            )
        else:
            columns.append(F.col(name).cast(spark_type).alias(name))
    if missing:
        notes.append(f"Columns absent from the input, treated as blank: {', '.join(missing)}")
    out = frame.select(*columns)
    row = out.agg(
        F.count(F.lit(1)).alias("n"),
        F.count("record_id").alias("ids"),
        F.countDistinct("record_id").alias("distinct"),
    ).first()
    n, ids, distinct = int(row["n"]), int(row["ids"]), int(row["distinct"])
    if ids != n:
        raise ValueError("record_id must not be blank")
    if distinct != n:
        raise ValueError("record_id must be unique across the registers")
    return out, n


def training_sample(frame: Any, *, n_records: int, seed: int) -> tuple[pa.Table, bool]:
    """``training.training_table`` on Spark: every record up to ``train_max_records()``, else
    that many in a seeded hash order (the top ``cap`` of ``xxhash64(record_id, seed)``: uniform,
    the same whatever the partitioning); collected to the driver, ordered by record_id."""
    from pyspark.sql import functions as F

    cap = training.train_max_records()
    sampled = n_records > cap
    if sampled:
        key = F.xxhash64(F.col("record_id"), F.lit(int(seed)))
        frame = frame.withColumn("_k", key).orderBy("_k", "record_id").limit(cap).drop("_k")
    table = string_columns(frame.toArrow())
    return table.sort_by("record_id"), sampled


# ------------------------------------------------------------------------------ persons


def person_width(n_persons: int) -> int:
    """Digits of a person number: ``clustering.number_persons``' rule (P000001 …)."""
    return max(6, len(str(n_persons)))


def number_persons_on_spark(groups: Any, *, scratch: str) -> tuple[Any, int]:
    """``clustering.number_persons`` on Spark: ``groups`` (record_id, grp) → (record_id,
    person_id), persons numbered in the order of each one's smallest record_id.

    Not one window over every person (Spark would move them all to one task): the persons are
    range-partitioned on their smallest record_id and written (under ``scratch``) with their
    partition's index; a window numbers them within each partition, and each partition's offset
    is the count of the ones before it (one number per partition on the driver)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = groups.sparkSession
    parts = int(spark.conf.get("spark.sql.shuffle.partitions") or 8)
    persons = groups.groupBy("grp").agg(F.min("record_id").alias("first"))
    (
        persons.repartitionByRange(parts, "first")
        .sortWithinPartitions("first")
        .withColumn("part", F.spark_partition_id())
        .write.mode("overwrite")
        .parquet(scratch)
    )
    persons = spark.read.parquet(scratch)
    counts = sorted((int(r["part"]), int(r["count"])) for r in persons.groupBy("part").count().collect())
    offsets = []
    total = 0
    for part, count in counts:
        offsets.append((part, total))
        total += count
    width = person_width(total)
    offset_frame = spark.createDataFrame(offsets, "part int, offset long")
    numbered = persons.join(F.broadcast(offset_frame), "part").withColumn(
        "n", F.col("offset") + F.row_number().over(Window.partitionBy("part").orderBy("first"))
    )
    person_id = F.concat(F.lit("P"), F.lpad(F.col("n").cast("string"), width, "0"))
    numbered = numbered.select("grp", person_id.alias("person_id"))
    return groups.join(numbered, "grp").select("record_id", "person_id"), total


# ------------------------------------------------------------------------------ the run


class _PipelineEngine(SparkEngine):
    """``SparkEngine`` whose next ``query`` can be diverted: its result handed, as a DataFrame,
    to a function (that writes it) instead of being collected; the query then answers an empty
    table of the same columns."""

    _divert: Callable[[Any], None] | None = None

    def scratch(self, name: str) -> str:
        return f"{self.scratch_root}/pipeline/{name}"

    @contextmanager
    def divert(self, write: Callable[[Any], None]) -> Iterator[None]:
        self._divert = write
        try:
            yield
            if self._divert is not None:
                raise RuntimeError("The diverted step ran no query")
        finally:
            self._divert = None

    def query(self, sql: str) -> pa.Table:
        write, self._divert = self._divert, None
        if write is None:
            return super().query(sql)
        df = self.spark.sql(sql)
        write(df)
        return cast(pa.Table, df.limit(0).toArrow())


class _SparkRun(SplinkRun):
    """``linkage.SplinkRun`` over a ``SparkInput``; training on a sample collected from Spark."""

    engine: _PipelineEngine

    def train_from_spark(
        self, frame: Any, labels: Sequence[tuple[str, str, bool]], timings: dict[str, float]
    ) -> dict[str, Any]:
        sample, sampled = training_sample(frame, n_records=self.n_records, seed=self.seed)
        timings["train_sample"] = self.lap()
        # At most the cap: SplinkRun.train trains a DuckDB run on it and applies the model here.
        stats = self.train(sample, labels, timings)
        stats["trained_on"] = {"engine": "duckdb", "records": sample.num_rows, "sample": sampled}
        return stats


def _write(path: str) -> Callable[[Any], None]:
    def write(df: Any) -> None:
        df.write.mode("overwrite").parquet(path)

    return write


def _write_pairs(path: str) -> Callable[[Any], None]:
    """The scored pairs as ``LinkResult.pairs``: the blocking rule's name, the kept columns."""
    from pyspark.sql import functions as F

    names = [name for name, _ in blocking_rules()] + ["label"]

    def write(df: Any) -> None:
        rule = F.try_element_at(
            F.array(*[F.lit(n) for n in names]), F.col("match_key").cast("int") + F.lit(1)
        )
        df = df.withColumn("blocking_rule", rule)
        keep = [c for c in df.columns if c in PAIR_COLUMNS or c.startswith("gamma_")]
        df.select(*keep).write.mode("overwrite").parquet(path)

    return write


def link_on_spark(
    features_input: Any,
    *,
    out_dir: str,
    seed: int = 0,
    labels: Iterable[tuple[str, str, bool]] | None = None,
    match_threshold: float = DEFAULT_MATCH_THRESHOLD,
    review_band: tuple[float, float] = DEFAULT_REVIEW_BAND,
    spark: Any = None,
    max_pairs_warning: int = DEFAULT_MAX_PAIRS_WARNING,
    blocking_sample: float | None = None,
) -> dict[str, Any]:
    """Link the normalised records of ``features_input`` (a DataFrame: ``normalise_on_spark``'s
    output, or the contract's columns from parquet) into persons, as ``link(..., engine="spark")``
    does, and write ``clusters/``, ``pairs/``, ``review_pairs/`` and ``guard/`` as parquet under
    ``out_dir`` (a local path or a URI the session can write: ``hdfs://``, ``s3a://``…). Returns
    the run's stats (``LinkResult.stats``' keys, plus ``outputs``)."""
    lo, hi = review_band
    if not (0 <= lo <= hi <= 1) or not (0 < match_threshold < 1):
        raise ValueError("Expected 0 <= review_band[0] <= review_band[1] <= 1 and 0 < match_threshold < 1")
    started = time.perf_counter()
    out = str(out_dir).rstrip("/")
    outputs = {name: f"{out}/{name}" for name in ("clusters", "pairs", "review_pairs", "guard")}
    notes: list[str] = []
    label_list = clean_labels(labels)
    frame, n_records = conform_on_spark(features_input, notes)
    engine = _PipelineEngine(spark or features_input.sparkSession)
    timings: dict[str, float] = {}
    if n_records < 2:
        try:
            return _trivial(engine, frame, n_records, outputs, notes)
        finally:
            engine.close()
    run = _SparkRun(engine, cast(pa.Table, SparkInput(frame, n_records)), seed=seed)
    try:
        stats = _run(
            run,
            frame,
            outputs,
            match_threshold,
            lo,
            hi,
            label_list,
            max_pairs_warning,
            blocking_sample,
            notes=notes,
            timings=timings,
        )
    finally:
        run.close()
    timings["total"] = round(time.perf_counter() - started, 3)
    stats["timings"] = timings
    return stats


def _run(
    run: _SparkRun,
    frame: Any,
    outputs: dict[str, str],
    match_threshold: float,
    lo: float,
    hi: float,
    label_list: list[tuple[str, str, bool]],
    max_pairs_warning: int,
    blocking_sample: float | None,
    *,
    notes: list[str],
    timings: dict[str, float],
) -> dict[str, Any]:
    """``linkage._run``'s steps, the per-record results kept on Spark (see the module docstring)."""
    from pyspark.sql import functions as F

    engine = run.engine
    spark = engine.spark
    n_records = run.n_records
    timings["prepare"] = run.lap()
    stats: dict[str, Any] = {
        "engine": "spark",
        "pipeline": "spark_pipeline",
        "seed": run.seed,
        "n_records": n_records,
        "n_sources": run.n_sources,
        "link_type": run.link_type,
        "match_threshold": match_threshold,
        "review_band": [lo, hi],
        "outputs": outputs,
    }
    stats |= run.blocking(blocking_sample, max_pairs_warning, notes=notes, timings=timings)

    stats["training"] = run.train_from_spark(frame, label_list, timings)

    run.predict(min(lo, PREDICT_FLOOR))
    timings["predict"] = run.lap()
    stats["household_evidence"] = run.corroborate(match_threshold)
    with engine.divert(_write_pairs(outputs["pairs"])):
        run.pairs(lo)
    stats["pairs_scored_above_review_floor"] = spark.read.parquet(outputs["pairs"]).count()
    timings["household_evidence"] = run.lap()

    # Connected components written on Spark; the suspect clusters' members and edges (few) to
    # the driver for the guard; its groups joined back; persons numbered on Spark.
    components_path = engine.scratch("components")
    with engine.divert(_write(components_path)):
        run.connected_components(match_threshold, label_list)
    components = spark.read.parquet(components_path)
    members, edges = run.suspect_clusters(cast(pa.Table, SparkInput(components, n_records)))
    suspects = members.select(["record_id", "cluster_id"])
    split, guard = guard_split(suspects, members, edges, label_list)
    stats["guard"] = guard
    split_frame = spark.createDataFrame(
        pa.table(
            {
                "record_id": split.column("record_id"),
                "split": split.column("person_id"),
            }
        ),
        "record_id string, split string",
    )
    groups = components.join(F.broadcast(split_frame), "record_id", "left").select(
        "record_id",
        F.coalesce(F.concat(F.lit("s|"), F.col("split")), F.concat(F.lit("c|"), F.col("cluster_id"))).alias(
            "grp"
        ),
    )
    clusters, n_persons = number_persons_on_spark(groups, scratch=engine.scratch("persons"))
    clusters.orderBy("record_id").write.mode("overwrite").parquet(outputs["clusters"])
    clusters = spark.read.parquet(outputs["clusters"])
    timings["cluster"] = run.lap()

    with engine.divert(_write(outputs["review_pairs"])):
        run.review_pairs(cast(pa.Table, SparkInput(clusters, n_records)), lo, hi, match_threshold)
    timings["review_pairs"] = run.lap()
    with engine.divert(_write(outputs["guard"])):
        run.guard_columns()

    sizes = clusters.groupBy("person_id").count()
    row = sizes.agg(
        F.sum(F.when(F.col("count") > 1, F.col("count")).otherwise(F.lit(0))).alias("multi"),
        F.max("count").alias("largest"),
    ).collect()[0]
    stats["n_persons"] = n_persons
    stats["n_records_in_multi_record_persons"] = int(row["multi"] or 0)
    stats["largest_cluster"] = int(row["largest"] or 0)
    stats["n_review_pairs"] = spark.read.parquet(outputs["review_pairs"]).count()
    stats["n_labels"] = len(label_list)
    stats["warnings"] = notes
    timings["stats"] = run.lap()
    return stats


def _trivial(
    engine: _PipelineEngine, frame: Any, n_records: int, outputs: dict[str, str], notes: list[str]
) -> dict[str, Any]:
    """No pair to compare (0 or 1 record): one person per record, no pairs (as ``link``)."""
    from pyspark.sql import functions as F

    spark = engine.spark
    frame.select("record_id", F.lit("P000001").alias("person_id")).write.mode("overwrite").parquet(
        outputs["clusters"]
    )
    empty = "record_id_l string, record_id_r string, match_probability double"
    for name in ("pairs", "review_pairs"):
        spark.createDataFrame([], empty).write.mode("overwrite").parquet(outputs[name])
    guard = "record_id string, citizen_id_nz string, cmnd string, birth_date string, dob_swapped string"
    spark.createDataFrame([], guard).write.mode("overwrite").parquet(outputs["guard"])
    stats: dict[str, Any] = {"n_records": n_records, "warnings": notes, "outputs": outputs}
    if n_records == 1:
        stats["n_persons"] = 1
    return stats
