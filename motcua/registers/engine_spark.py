"""The Spark engine of the register linkage: ``link(table, engine="spark")``.

``_SparkRun`` has the interface of ``linkage._DuckDBRun`` (``engine_base.Runner``), so
``linkage._run`` drives it unchanged: the same features (``linkage._FEATURES_SQL``), the same
Splink settings (``linkage.settings``: comparisons, blocking rules, priors), the same blocking
counted per rule, prediction, household evidence, connected components, conflict guard and
review pairs — on Splink's ``SparkAPI`` and Spark SQL. ``linkage`` hands the run its model
(``engine_base.Model``: the feature SQL, the settings, the blocking rules, a DuckDB trainer);
this module never imports ``linkage`` (no import cycle).

**Same model.** The parameters are estimated once, on DuckDB, by ``linkage._DuckDBRun.train``
itself (same seeded u sampling, same EM sessions, priors, m floor and reviewers' labels), and
handed to the Spark linker as Splink's model JSON (``save_model_to_json``: the prior and every
level's m and u, matched level by level, labels checked). Spark only scores: term frequencies,
blocking, prediction and clustering run on Spark over every record. Training on Spark instead
would not give the same model: Splink samples the u pairs with each backend's own random
sampling (DuckDB's ``repeatable`` sample is not Spark's ``rand(seed)``), so the same seed gives
other pairs and other u. This is also how a province runs it: train on a sample on one machine,
score everything on the cluster.

- Up to ``TRAIN_MAX_RECORDS`` records (``MOTCUA_SPARK_TRAIN_MAX_RECORDS``, 1,000,000 by
  default; DuckDB trains that many in under 30 s on two cores) the model is trained on every
  record: exactly the model ``engine="duckdb"`` trains, hence the same clusters (the tests check
  it partition for partition).
- Above, on a uniform random sample of that many records (seeded). A uniform record sample is
  an unbiased sample of the pairs: u (random pairs), the prior (deterministic-rule pairs over all
  pairs: both scale by the square of the sampling rate) and m (EM on the true pairs that
  survive) keep their expectation; what changes is ``given_n`` (a spelling looks rarer in a
  sample, so the "one edit apart, nearly unique" level is seen more often among random pairs:
  its weight is a little lower than on all records — conservative).

**SQL translation.** ``_FEATURES_SQL``, the comparisons' ``CustomLevel`` conditions and the
string blocking rules are written for DuckDB. They are translated here with sqlglot (duckdb →
spark, as Splink does for ``base_dialect_str``/``sql_dialect``): e.g. DuckDB's ``ends_with`` is
Spark's ``endswith``. Splink's Spark similarity jar provides ``damerau_levenshtein`` (equal to
DuckDB's at the distances the model uses, <= 1); its ``jaro_winkler`` is another variant than
DuckDB's, so the run replaces it with DuckDB's own function in an Arrow UDF
(``_register_jaro_winkler``). Nothing in ``linkage.py`` is edited for Spark.

**Session.** The run uses the active ``SparkSession`` if there is one (``spark-submit`` on a
cluster, a test's session), else starts a local one (``local[2]``, ``MOTCUA_SPARK_MASTER``),
driver memory ``MOTCUA_SPARK_DRIVER_MEMORY`` (4g), ``MOTCUA_SPARK_SHUFFLE_PARTITIONS`` (8) shuffle
partitions, no UI, logs at ERROR, and stops it at ``close``. Intermediate tables are written as
parquet (Splink's ``break_lineage_method="parquet"``, and ours) under a temporary directory
deleted at ``close``. A session made outside must have Splink's jar (``spark_session()`` makes
one that has).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from .engine_base import Model

logger = logging.getLogger(__name__)

TRAIN_MAX_RECORDS = 1_000_000
# Below this the "nearly unique spelling" level is off (see ``linkage.comparisons``): a sample
# never goes below it, so the trained model has the same levels as the scoring one.
_MIN_TRAIN_RECORDS = 2_000
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


def _to_spark(sql: str) -> str:
    """DuckDB SQL (as linkage.py writes it) in Spark SQL."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def _spark_settings(model: Model, link_type: str, n_records: int) -> Any:
    """``linkage.settings`` (``model.settings``) with its DuckDB SQL marked as such, so Splink translates it to Spark
    SQL (comparison levels and string blocking rules); levels, labels and priors unchanged."""
    import splink.comparison_level_library as cll
    from splink.blocking_rule_library import CustomRule

    creator = model.settings(link_type, n_records)

    def mark(level: Any) -> None:
        if isinstance(level, cll.CustomLevel) and level.base_dialect_str is None:
            level.base_dialect_str = "duckdb"
        for inner in getattr(level, "comparison_levels", ()):  # Or / And
            mark(inner)
        if hasattr(level, "comparison_level"):  # Not
            mark(level.comparison_level)

    for comparison in creator.comparisons:
        for level in getattr(comparison, "_comparison_levels", ()):
            mark(level)
    creator.blocking_rules_to_generate_predictions = [
        CustomRule(rule, sql_dialect="duckdb") if isinstance(rule, str) else rule
        for rule in creator.blocking_rules_to_generate_predictions
    ]
    return creator


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


def _apply_model(linker: Any, model: dict[str, Any]) -> None:
    """Put the prior and every level's m and u of a Splink model (``save_model_to_json``) on
    ``linker``, level by level; the comparisons and their levels' labels must be the same."""
    obj = linker._settings_obj
    ours = {cc.output_column_name: cc for cc in obj.comparisons}
    theirs = {c["output_column_name"]: c for c in model["comparisons"]}
    if set(ours) != set(theirs):
        raise ValueError(f"The trained model's comparisons {sorted(theirs)} are not {sorted(ours)}")
    for name, cc in ours.items():
        levels = theirs[name]["comparison_levels"]
        if len(levels) != len(cc.comparison_levels):
            raise ValueError(
                f"Comparison {name!r}: {len(levels)} trained levels, {len(cc.comparison_levels)} here"
            )
        for lvl, trained in zip(cc.comparison_levels, levels, strict=True):
            label = trained.get("label_for_charts")
            if label is not None and label != lvl.label_for_charts:
                raise ValueError(f"Comparison {name!r}: level {label!r} is {lvl.label_for_charts!r} here")
            if lvl.is_null_level:
                continue
            lvl.m_probability = trained.get("m_probability")
            lvl.u_probability = trained.get("u_probability")
    obj._probability_two_random_records_match = model["probability_two_random_records_match"]


class _SparkRun:
    """One linkage run on Spark (tables live as temporary views until ``close``)."""

    def __init__(self, table: pa.Table, *, seed: int, model: Model, spark: Any = None) -> None:
        from pyspark.sql import SparkSession
        from splink import Linker, SparkAPI

        self._t = time.perf_counter()
        self.seed = seed
        self.model = model
        self.n_records = table.num_rows
        self._input = table  # kept for training (on DuckDB, see the module docstring)
        self._tmp = Path(tempfile.mkdtemp(prefix="motcua-spark-"))
        self._views: list[str] = []
        self._prefix = f"motcua_{uuid.uuid4().hex[:8]}_"
        active = spark or SparkSession.getActiveSession()
        self._owns_session = active is None
        self.spark = active if active is not None else spark_session(self._tmp)
        if not self._owns_session:
            # A session made elsewhere: this run's checkpoints go to its own directory.
            self.spark.sparkContext.setCheckpointDir(str(self._tmp / "checkpoints"))
        self._partitions = int(
            self.spark.conf.get("spark.sql.shuffle.partitions") or DEFAULT_SHUFFLE_PARTITIONS
        )

        t = self._name
        self._view(self.spark.createDataFrame(table), "input")
        self._materialize(self.spark.sql(_to_spark(model.features_sql.format(table=t("input")))), "features")
        self.spark.catalog.dropTempView(t("input"))
        self.db_api = SparkAPI(
            spark_session=self.spark,
            break_lineage_method="parquet",
            num_partitions_on_repartition=self._partitions,
        )
        _register_jaro_winkler(self.spark)  # after SparkAPI has registered the jar's functions
        sources = [
            r[0]
            for r in self.spark.sql(f"select distinct source from {t('features')} order by 1").collect()  # noqa: S608 - identifiers are ours
        ]
        self.n_sources = len(sources)
        names = self.spark.createDataFrame(
            pa.table({"source": sources, "source_dataset": [f"s{i}" for i in range(len(sources))]})
        )
        self._view(names, "source_names")
        self._view(
            self.spark.sql(
                f"select f.unique_id, n.source_dataset from {t('features')} f join {t('source_names')} n using (source)"  # noqa: S608 - identifiers are ours
            ),
            "features_sd",
        )
        self.sd = len(sources) > 1  # Splink adds source_dataset columns when linking tables
        self.link_type = "link_and_dedupe" if self.sd else "dedupe_only"
        features = self.spark.table(t("features"))
        inputs = []
        for i, src in enumerate(sources):
            part = features.where(features.source == src) if self.sd else features
            inputs.append(self.db_api.register(self._view(part, f"src_{i}"), dataset_display_name=f"s{i}"))
        self.linker = Linker(
            inputs if self.sd else inputs[0],
            _spark_settings(model, self.link_type, self.n_records),
            log_level=None,
        )

    # -- plumbing
    def _name(self, base: str) -> str:
        return self._prefix + base

    def _view(self, df: Any, base: str) -> str:
        name = self._name(base)
        df.createOrReplaceTempView(name)
        if name not in self._views:
            self._views.append(name)
        return name

    def _materialize(self, df: Any, base: str) -> str:
        """Write ``df`` as parquet under the run's directory and view it as ``base``: computed
        once, lineage cut (Spark would otherwise recompute it in every query that reads it)."""
        path = self._tmp / "tables" / f"{base}-{uuid.uuid4().hex[:6]}"
        df.write.mode("overwrite").parquet(str(path))
        return self._view(self.spark.read.parquet(str(path)), base)

    def _sql(self, sql: str, **params: Any) -> Any:
        return self.spark.sql(sql, args=params or None)

    def _arrow(self, df: Any) -> pa.Table:
        """A Spark DataFrame as an Arrow table with DuckDB's types (no large strings)."""
        out = df.toArrow()
        fields = [
            pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) else f for f in out.schema
        ]
        return out.cast(pa.schema(fields))

    def _arrow_in(self, table: pa.Table, base: str) -> str:
        return self._view(self.spark.createDataFrame(table, schema=_spark_schema(table.schema)), base)

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed = round(now - self._t, 3)
        self._t = now
        return elapsed

    def close(self) -> None:
        try:
            if self._owns_session:
                self.spark.stop()
            else:  # Splink's own views (uniquely named per run) only point at files removed below
                for name in self._views:
                    self.spark.catalog.dropTempView(name)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # -- blocking analysis
    def count_comparisons(self, sample: float) -> list[dict[str, Any]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            records = self.linker.blocking_analysis.count_comparisons_from_blocking_rules(
                record_sample_proportion=sample
            )
        names = [n for n, _ in self.model.blocking_rules()]
        return [
            {
                "rule": name,
                "sql": rec["blocking_rule"],
                "marginal": int(rec["marginal_comparison_count"]),
                "cumulative": int(rec["cumulative_comparison_count"]),
                "estimate": bool(rec["is_estimate"]),
            }
            for name, rec in zip(names, records, strict=True)
        ]

    def block(self, estimate: list[dict[str, Any]]) -> list[dict[str, Any]]:
        blocked = self.linker.inference.compute_blocked_pairs_for_predict()
        counts = {
            int(r[0]): int(r[1])
            for r in self.spark.sql(
                f"select cast(match_key as int), count(*) from {blocked.physical_name} group by 1"  # noqa: S608 - Splink's table
            ).collect()
        }
        out = []
        cumulative = 0
        for i, row in enumerate(estimate):
            marginal = counts.get(i, 0)
            cumulative += marginal
            out.append(
                {
                    "rule": row["rule"],
                    "sql": row["sql"],
                    "marginal": marginal,
                    "cumulative": cumulative,
                    "estimated_marginal": row["marginal"],
                }
            )
        return out

    # -- training (on DuckDB, see the module docstring)
    def _training_table(self) -> tuple[pa.Table, bool]:
        cap = max(_env_int("MOTCUA_SPARK_TRAIN_MAX_RECORDS", TRAIN_MAX_RECORDS), _MIN_TRAIN_RECORDS)
        if self.n_records <= cap:
            return self._input, False
        import random

        rows = sorted(random.Random(self.seed).sample(range(self.n_records), cap))  # noqa: S311 - a sample, not a secret
        return self._input.take(pa.array(rows, pa.int64())), True

    def train(self, labels: Sequence[tuple[str, str, bool]], timings: dict[str, float]) -> dict[str, Any]:
        table, sampled = self._training_table()
        trainer = self.model.trainer(table, self.seed)
        try:
            timings["train_setup"] = self.lap()
            trainer.lap()
            stats = trainer.train(labels, timings)
            model = trainer.model_json()
        finally:
            trainer.close()
        _apply_model(self.linker, model)
        stats["parameters"] = self._parameters()
        stats["trained_on"] = {"engine": "duckdb", "records": table.num_rows, "sample": sampled}
        stats["probability_two_random_records_match"] = (
            self.linker._settings_obj._probability_two_random_records_match
        )
        timings["train_transfer"] = self.lap() - sum(
            timings.get(k, 0.0) for k in ("train_prior", "train_u", "train_em", "train_labels")
        )
        return stats

    def _parameters(self) -> list[dict[str, Any]]:
        out = []
        for cc in self.linker._settings_obj.comparisons:
            for lvl in cc._comparison_levels_excluding_null:
                out.append(
                    {
                        "comparison": cc.output_column_name,
                        "level": lvl.label_for_charts,
                        "m": lvl.m_probability,
                        "u": lvl.u_probability,
                        "match_weight": round(lvl._match_weight, 3) if lvl.m_probability else None,
                    }
                )
        return out

    # -- prediction
    def predict(self, floor: float) -> None:
        df = self.linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        self._materialize(
            self.spark.sql(
                f"""
                select *, match_weight as model_match_weight, cast(null as string) as household_evidence
                from {df.physical_name}
                """  # noqa: S608 - identifiers are ours
            ),
            "pairs",
        )
        df.drop_table_from_database_and_remove_from_cache()

    def pairs(self, floor: float) -> pa.Table:
        t = self._name
        drop = {"unique_id_l", "unique_id_r", "source_dataset_l", "source_dataset_r"}
        rest = ", ".join(c for c in self.spark.table(t("pairs")).columns if c not in drop)
        return self._arrow(
            self._sql(
                f"""
                select least(unique_id_l, unique_id_r) as record_id_l,
                       greatest(unique_id_l, unique_id_r) as record_id_r,
                       {rest}
                from {t("pairs")} where match_probability >= :floor order by record_id_l, record_id_r
                """,  # noqa: S608 - identifiers are ours, values are parameters
                floor=floor,
            )
        )

    def corroborate(self, strong: float) -> dict[str, Any]:
        """``_DuckDBRun.corroborate`` in Spark SQL (an UPDATE there, a new pairs table here)."""
        t = self._name
        self._materialize(
            self.spark.sql(
                f"""
                with g as (
                    select unique_id,
                           case when household_no is not null then source || '|h|' || household_no
                                when street_key is not null then source || '|s|' || street_key end as grp
                    from {t("features")}
                )
                select unique_id, grp from g
                where grp in (select grp from g where grp is not null group by grp having count(*) >= 2)
                """  # noqa: S608 - identifiers are ours
            ),
            "groups",
        )
        self._materialize(
            self.spark.sql(
                f"""
                select p.unique_id_l as a, p.unique_id_r as b, p.match_probability as p,
                       least(ga.grp, gb.grp) as g1, greatest(ga.grp, gb.grp) as g2
                from {t("pairs")} p
                join {t("groups")} ga on ga.unique_id = p.unique_id_l
                join {t("groups")} gb on gb.unique_id = p.unique_id_r
                where ga.grp <> gb.grp
                """  # noqa: S608 - identifiers are ours
            ),
            "pg",
        )
        self._materialize(
            self._sql(
                f"""
                select distinct x.a, x.b
                from {t("pg")} x
                join {t("pg")} s on s.g1 = x.g1 and s.g2 = x.g2 and s.p >= :strong
                where s.a not in (x.a, x.b) and s.b not in (x.a, x.b)
                """,  # noqa: S608 - identifiers are ours, values are parameters
                strong=strong,
            ),
            "corroborated",
        )
        row = self.spark.sql(
            f"""
            select sum(p * c) / nullif(sum(p), 0), sum((1 - p) * c) / nullif(sum(1 - p), 0), count(*), sum(c)
            from (
                select x.p, case when k.a is null then cast(0 as double) else cast(1 as double) end as c
                from {t("pg")} x left join {t("corroborated")} k on k.a = x.a and k.b = x.b
            )
            """  # noqa: S608 - identifiers are ours
        ).collect()
        m, u, defined, corroborated = tuple(row[0]) if row else (None, None, 0, 0)
        info: dict[str, Any] = {
            "pairs_with_household_evidence": int(defined or 0),
            "corroborated": int(corroborated or 0),
        }
        if not m or not u or m >= 1 or u >= 1:
            return info
        n = max(int(defined), 1)
        m = min(max(m, 1 / n), 1 - 1 / n)
        u = min(max(u, 1 / n), 1 - 1 / n)
        w_yes, w_no = math.log2(m / u), math.log2((1 - m) / (1 - u))
        columns = self.spark.table(t("pairs")).columns
        weight = (
            "case when x.a is null then p.match_weight"
            " else p.model_match_weight + case when k.a is null then :w_no else :w_yes end end"
        )
        exprs = {
            "match_weight": f"{weight} as match_weight",
            "match_probability": f"1 / (1 + pow(2, -({weight}))) as match_probability",
            "household_evidence": "case when x.a is null then p.household_evidence"
            " when k.a is null then 'none' else 'corroborated' end as household_evidence",
        }
        select = ",\n".join(exprs.get(c, f"p.{c}") for c in columns)
        self._materialize(
            self._sql(
                f"""
                select {select}
                from {t("pairs")} p
                left join {t("pg")} x on x.a = p.unique_id_l and x.b = p.unique_id_r
                left join {t("corroborated")} k on k.a = x.a and k.b = x.b
                """,  # noqa: S608 - identifiers are ours, values are parameters
                w_yes=w_yes,
                w_no=w_no,
            ),
            "pairs",
        )
        info |= {
            "m": m,
            "u": u,
            "weight_corroborated": round(w_yes, 3),
            "weight_not_corroborated": round(w_no, 3),
        }
        return info

    # -- clustering
    def connected_components(self, threshold: float, labels: Sequence[tuple[str, str, bool]]) -> pa.Table:
        t = self._name
        self._register_labels(labels)
        sd_l, sd_r, fl, fr = (
            ("p.source_dataset_l, ", "p.source_dataset_r, ", "fl.source_dataset, ", "fr.source_dataset, ")
            if self.sd
            else ("", "", "", "")
        )
        edges = self._materialize(
            self._sql(
                f"""
                select {sd_l}p.unique_id_l, {sd_r}p.unique_id_r, p.match_probability
                from {t("pairs")} p
                left anti join {t("label_pairs")} x
                  on x.a = least(p.unique_id_l, p.unique_id_r) and x.b = greatest(p.unique_id_l, p.unique_id_r)
                where p.match_probability >= :threshold
                union all
                select {fl}fl.unique_id, {fr}fr.unique_id, cast(1 as double)
                from {t("label_pairs")} x
                join {t("features_sd")} fl on fl.unique_id = x.a
                join {t("features_sd")} fr on fr.unique_id = x.b
                where x.is_match
                """,  # noqa: S608 - identifiers are ours, values are parameters
                threshold=threshold,
            ),
            "edges",
        )
        sdf = self.db_api.register(edges, table_name=t("edges_sdf"))
        clustered = self.linker.clustering.cluster_pairwise_predictions_at_threshold(
            sdf, threshold_match_probability=threshold
        )
        out = self._arrow(
            self.spark.sql(f"select unique_id as record_id, cluster_id from {clustered.physical_name}")  # noqa: S608 - Splink's table
        )
        clustered.drop_table_from_database_and_remove_from_cache()
        return out

    def _register_labels(self, labels: Sequence[tuple[str, str, bool]]) -> None:
        tbl = pa.table(
            {
                "a": pa.array([a for a, _, _ in labels], pa.string()),
                "b": pa.array([b for _, b, _ in labels], pa.string()),
                "is_match": pa.array([m for _, _, m in labels], pa.bool_()),
            }
        )
        self._arrow_in(tbl, "label_pairs")

    def suspect_clusters(self, clusters: pa.Table) -> tuple[pa.Table, pa.Table]:
        t = self._name
        self._arrow_in(clusters, "clusters_in")
        self._materialize(
            self.spark.sql(
                f"""
                select c.record_id, c.cluster_id, f.citizen_id_nz, f.cmnd, f.birth_date, f.dob_swapped
                from {t("clusters_in")} c join {t("features")} f on f.unique_id = c.record_id
                """  # noqa: S608 - identifiers are ours
            ),
            "clusters",
        )
        self._materialize(
            self.spark.sql(
                f"""
                select cluster_id from {t("clusters")} group by cluster_id
                having count(distinct citizen_id_nz) > 1 or count(distinct cmnd) > 1
                    or count(distinct birth_date) > 1
                union
                select l.cluster_id from {t("label_pairs")} x
                join {t("clusters")} l on l.record_id = x.a
                join {t("clusters")} r on r.record_id = x.b
                where not x.is_match and l.cluster_id = r.cluster_id
                """  # noqa: S608 - identifiers are ours
            ),
            "suspects",
        )
        members = self._arrow(
            self.spark.sql(
                f"""
                select c.* from {t("clusters")} c left semi join {t("suspects")} s on s.cluster_id = c.cluster_id
                order by c.cluster_id, c.record_id
                """  # noqa: S608 - identifiers are ours
            )
        )
        edges = self._arrow(
            self.spark.sql(
                f"""
                select e.unique_id_l as a, e.unique_id_r as b, e.match_probability as p
                from {t("edges")} e
                join {t("clusters")} cl on cl.record_id = e.unique_id_l
                join {t("clusters")} cr on cr.record_id = e.unique_id_r
                left semi join {t("suspects")} s on s.cluster_id = cl.cluster_id
                where cl.cluster_id = cr.cluster_id
                """  # noqa: S608 - identifiers are ours
            )
        )
        return members, edges

    def guard_columns(self) -> pa.Table:
        t = self._name
        return self._arrow(
            self.spark.sql(
                f"select unique_id as record_id, citizen_id_nz, cmnd, birth_date, dob_swapped from {t('features')} order by unique_id"  # noqa: S608 - identifiers are ours
            )
        )

    def review_pairs(self, clusters: pa.Table, lo: float, hi: float, threshold: float) -> pa.Table:
        t = self._name
        threshold_weight = math.log2(threshold / (1 - threshold))
        self._arrow_in(clusters, "persons_in")
        side = ",\n".join(f"{s}.{c} as {c}_{s}" for c in self.model.display_columns for s in ("l", "r"))
        return self._arrow(
            self._sql(
                f"""
                with p as (
                    select least(unique_id_l, unique_id_r) as a, greatest(unique_id_l, unique_id_r) as b,
                           match_weight, match_probability
                    from {t("pairs")}
                )
                select p.a as record_id_l, p.b as record_id_r, p.match_probability, p.match_weight,
                       pl.person_id = pr.person_id as same_person,
                       {side}
                from p
                join {t("persons_in")} pl on pl.record_id = p.a
                join {t("persons_in")} pr on pr.record_id = p.b
                join {t("features")} l on l.unique_id = p.a
                join {t("features")} r on r.unique_id = p.b
                left anti join {t("label_pairs")} x on x.a = p.a and x.b = p.b
                where (p.match_probability >= :lo and p.match_probability < :hi)
                   or (p.match_probability >= :threshold and pl.person_id <> pr.person_id)
                order by abs(p.match_weight - :tw), p.a, p.b
                """,  # noqa: S608 - identifiers are ours, values are parameters
                lo=lo,
                hi=hi,
                threshold=threshold,
                tw=threshold_weight,
            )
        )


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
