"""The Spark engine of the register linkage: ``link(table, engine="spark")``.

``SparkEngine`` is ``engine_base.Engine`` on Spark SQL: it keeps the run's tables as temporary
views over parquet and runs the SQL the orchestration (``linkage``) writes once in DuckDB's
dialect, translated with sqlglot (duckdb → spark, as Splink does for ``base_dialect_str`` /
``sql_dialect``; e.g. DuckDB's ``ends_with`` is Spark's ``endswith``). Nothing of the model or
of the steps is here: the same features, blocking rules, comparisons, household evidence,
connected components, conflict guard and review list as on DuckDB.

**Same model.** The parameters are estimated on DuckDB (``training``: on every record up to a
million, on a seeded uniform sample above) and handed to the Spark linker as Splink's model JSON:
Spark only scores — term frequencies, blocking, prediction and clustering run on Spark over
every record. Hence the same clusters as ``engine="duckdb"`` (the tests check it partition for
partition). This is also how a province runs it: train on a sample on one machine, score
everything on the cluster.

**Functions.** Splink's Spark similarity jar provides ``damerau_levenshtein`` (equal to DuckDB's
at the distances the model uses, <= 1); its ``jaro_winkler`` is another variant than DuckDB's,
so the engine replaces it with DuckDB's own function in an Arrow UDF (``_register_jaro_winkler``).

**Session.** The engine uses the active ``SparkSession`` if there is one (``spark-submit`` on a
cluster, a test's session), else starts a local one (``local[2]``, ``MOTCUA_SPARK_MASTER``),
driver memory ``MOTCUA_SPARK_DRIVER_MEMORY`` (4g), ``MOTCUA_SPARK_SHUFFLE_PARTITIONS`` (8) shuffle
partitions, no UI, logs at ERROR, and stops it at ``close``. Tables made from queries are written
as parquet (Splink's ``break_lineage_method="parquet"``, and ours) under the run's scratch
directory, deleted at ``close``: a local temporary directory, or on a cluster a directory of
``MOTCUA_SPARK_SCRATCH`` (``hdfs://…``, ``s3a://…``: a path every executor reaches). A session made outside must have Splink's jar (``spark_session()`` makes
one that has).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

logger = logging.getLogger(__name__)

DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "4g"
DEFAULT_SHUFFLE_PARTITIONS = 8

_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
"""


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def spark_session(workdir: str | Path, **conf: str) -> Any:
    """A local SparkSession for the linkage: Splink's similarity jar, loopback only, no UI, logs
    at ERROR, its scratch space (shuffle spills, warehouse, checkpoints) under ``workdir``.
    ``conf`` overrides or adds Spark settings (e.g. ``spark.driver.memory="8g"``)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    work = Path(workdir)
    (work / "local").mkdir(parents=True, exist_ok=True)
    log4j = work / "log4j2.properties"
    log4j.write_text(_LOG4J2, encoding="utf-8")
    # The driver is on this machine: bind it to loopback (and skip Spark's warning that the
    # hostname resolves to loopback).
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (the Jaro-Winkler UDF) run this interpreter, with this environment's duckdb.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    partitions = str(_env_int("MOTCUA_SPARK_SHUFFLE_PARTITIONS", DEFAULT_SHUFFLE_PARTITIONS))
    options = {
        "spark.master": os.environ.get("MOTCUA_SPARK_MASTER") or DEFAULT_MASTER,
        "spark.app.name": "motcua-registers-linkage",
        "spark.driver.memory": os.environ.get("MOTCUA_SPARK_DRIVER_MEMORY") or DEFAULT_DRIVER_MEMORY,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.jars": similarity_jar_location(),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": partitions,
        "spark.default.parallelism": partitions,
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.pyspark.python": os.environ["PYSPARK_PYTHON"],
        "spark.local.dir": str(work / "local"),
        "spark.sql.warehouse.dir": str(work / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{log4j} -Djava.io.tmpdir={work}",
    } | conf
    builder = SparkSession.builder
    for key, value in options.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(str(work / "checkpoints"))
    return spark


def _duckdb_jaro_winkler(a: pa.Array, b: pa.Array) -> pa.Array:
    """DuckDB's ``jaro_winkler_similarity`` over two Arrow arrays (run in Spark's Python workers)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("motcua_jw", pa.table({"a": a, "b": b}))
        out = con.sql("select jaro_winkler_similarity(a, b) as s from motcua_jw").to_arrow_table()
    finally:
        con.close()
    return out.column("s").combine_chunks().cast(pa.float64())


def _register_jaro_winkler(spark: Any) -> None:
    """``jaro_winkler`` in Spark SQL = DuckDB's. Splink's Spark jar computes another variant (it
    counts half transpositions: "ngoc thanh"/"hong thanh" 0.878 against DuckDB's textbook
    0.896), enough to put a pair on the other side of a 0.88 level; the model was trained with
    DuckDB's. An Arrow UDF running DuckDB itself (vectorised), so the values are DuckDB's to the
    last bit; executors need duckdb and pyarrow in their Python."""
    from pyspark.sql.functions import arrow_udf

    udf: Any = arrow_udf  # (its overloads want the type hints of the function, which it has)
    spark.udf.register("jaro_winkler", udf(_duckdb_jaro_winkler, "double"))


@dataclass(frozen=True)
class SparkInput:
    """Records that stay on Spark as a run's input (``spark_pipeline``): ``frame`` a DataFrame of
    the model's input columns, ``num_rows`` its count (``linkage.SplinkRun`` reads it).
    ``SparkEngine.load`` takes it (or a bare DataFrame) as well as an Arrow table."""

    frame: Any
    num_rows: int


class SparkEngine:
    """``engine_base.Engine`` on Spark: temporary views over parquet, uniquely named per run."""

    name = "spark"
    dialect = "spark"

    def __init__(self, spark: Any = None) -> None:
        from pyspark.sql import SparkSession

        self._tmp = Path(tempfile.mkdtemp(prefix="motcua-spark-"))
        self._prefix = f"motcua_{uuid.uuid4().hex[:8]}_"
        # Where the run's tables are written: the executors must all reach it, so on a cluster a
        # shared file system (MOTCUA_SPARK_SCRATCH=hdfs://…, s3a://…); on one machine the local
        # temporary directory. One directory per run, removed at close.
        shared = os.environ.get("MOTCUA_SPARK_SCRATCH", "").strip().rstrip("/")
        # (Local: a file: URI, never resolved against a cluster's default file system.)
        self.scratch_root = f"{shared}/{self._prefix.strip('_')}" if shared else self._tmp.as_uri()
        self._scratch_is_shared = bool(shared)
        self._names: dict[str, str] = {}
        self._views: list[str] = []
        self._serial = 0
        self._api: Any = None
        active = spark or SparkSession.getActiveSession()
        self._owns_session = active is None
        try:
            self.spark = active if active is not None else spark_session(self._tmp)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)  # no JVM, no run: nothing to keep
            raise
        if not self._owns_session:
            master = str(self.spark.sparkContext.master)
            if not shared and not master.startswith("local"):
                logger.warning(
                    "Spark master %s with the scratch on the driver's disk: set MOTCUA_SPARK_SCRATCH "
                    "to a directory every executor reaches (hdfs://…, s3a://…)",
                    master,
                )
            # A session made elsewhere: this run's checkpoints go to its own directory.
            self.spark.sparkContext.setCheckpointDir(f"{self.scratch_root}/checkpoints")
        elif self._scratch_is_shared:
            self.spark.sparkContext.setCheckpointDir(f"{self.scratch_root}/checkpoints")
        self.partitions = int(
            self.spark.conf.get("spark.sql.shuffle.partitions") or DEFAULT_SHUFFLE_PARTITIONS
        )

    def splink_api(self) -> Any:
        if self._api is None:
            from splink import SparkAPI

            self._api = SparkAPI(
                spark_session=self.spark,
                break_lineage_method="parquet",
                num_partitions_on_repartition=self.partitions,
            )
            _register_jaro_winkler(self.spark)  # after SparkAPI has registered the jar's functions
        return self._api

    def _view(self, df: Any, name: str) -> str:
        self._serial += 1
        physical = f"{self._prefix}{name}_{self._serial}"
        df.createOrReplaceTempView(physical)
        self._views.append(physical)
        self._names[name] = physical
        return physical

    def load(self, name: str, table: pa.Table | SparkInput | Any) -> str:
        """An Arrow table (sent from the driver), or a ``SparkInput`` / DataFrame (viewed as it
        is: the records stay on the executors)."""
        if isinstance(table, pa.Table):
            return self._view(self.spark.createDataFrame(table, schema=_spark_schema(table.schema)), name)
        return self._view(table.frame if isinstance(table, SparkInput) else table, name)

    def create(self, name: str, sql: str) -> str:
        """The query written as parquet under the run's directory and viewed as ``name``:
        computed once, lineage cut (Spark would otherwise recompute it in every query that reads
        it), and safe to make from the table it replaces (a new view over new files)."""
        path = f"{self.scratch_root}/tables/{name}-{uuid.uuid4().hex[:6]}"
        self.spark.sql(sql).write.mode("overwrite").parquet(path)
        return self._view(self.spark.read.parquet(path), name)

    def physical(self, name: str) -> str:
        return self._names[name]

    def query(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()

    def columns(self, name: str) -> list[str]:
        return list(self.spark.table(self._names[name]).columns)

    def close(self) -> None:
        try:
            if self._scratch_is_shared:
                self._delete_shared_scratch()
            if self._owns_session:
                self.spark.stop()
            else:  # Splink's own views (uniquely named per run) only point at files removed below
                for name in self._views:
                    self.spark.catalog.dropTempView(name)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _delete_shared_scratch(self) -> None:
        """The run's directory on the shared file system; a failure is logged, not raised: the
        run's result is written."""
        try:
            delete_path(self.spark, self.scratch_root)
        except Exception:
            logger.warning(
                "Could not remove the Spark scratch directory %s", self.scratch_root, exc_info=True
            )


def delete_path(spark: Any, uri: str) -> None:
    """Remove ``uri`` (a file or a directory, recursively) through Hadoop's FileSystem, whatever
    its scheme (``file:``, ``hdfs://``, ``s3a://``); nothing if it does not exist."""
    jvm: Any = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)


def _spark_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema of strings, integers, floats and booleans (an empty
    Arrow table gives Spark nothing to infer from)."""
    from pyspark.sql import types as T

    def typ(t: pa.DataType) -> Any:
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            return T.StringType()
        if pa.types.is_integer(t):
            return T.LongType()
        if pa.types.is_floating(t):
            return T.DoubleType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        raise TypeError(f"No Spark type for {t}")

    return T.StructType([T.StructField(f.name, typ(f.type), True) for f in schema])
