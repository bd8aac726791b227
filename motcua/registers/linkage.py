"""Probabilistic record linkage of the old wards' registers (issue 3, step 2).

Input: the normalised ``pyarrow.Table`` of ``motcua.registers.normalize.normalize_table`` (the
columns of docs/registers-contract.md; absent optional columns count as blank). Output:
``LinkResult`` — one ``person_id`` per record, the uncertain pairs for side-by-side review, every
scored pair above the review band, and the run's figures (comparisons per blocking rule, the
trained model, timings).

A Fellegi-Sunter model on Splink 5. The code is in three layers (issue 12 §2):
- the model, as data: ``model`` (features, blocking rules, comparisons, priors — DuckDB SQL);
- this module, the orchestration, written once for every engine: Splink's linker on the
  engine's tables, the blocking counts, scoring, the household evidence, the clustering's SQL,
  the conflict guard (``clustering``) and the review list; training in ``training``;
- the engines, small adapters behind ``engine_base.Engine`` (keep tables, run SQL, give Splink its
  database API): ``engine_duckdb`` (embedded, the default), ``engine_spark`` (a province on a
  cluster); ``link(..., engine=...)`` takes a name of ``ENGINES`` or an ``Engine`` factory.
Every statement is DuckDB SQL, translated for an engine with another dialect (sqlglot).
``link_and_dedupe`` across the registers (one Splink input per ``source``); a single register is
deduplicated. In the order the data flows:

Features (``model.FEATURES_SQL``): the contract's columns plus the name without spaces (syllables run
together: "Thịthùy"), the number of records sharing the tên (a nearly unique spelling is a typo),
the CCCD's gender and birth year (4th digit: century and gender; 5th–6th: year), the CCCD without
leading zeros — and no CCCD at all when it contradicts the row's own gender or birth year (a
relative's number typed on the row), the gender from the CCCD when the row has none, the birth
year from the CCCD when the row has no birth date (a year-only date; not when the CCCD's gender
contradicts the row's).

Blocking (``model.blocking_rules``): every rule a conjunction rare in the population, never the surname
alone (Nguyễn is ~38 % of people); a true pair needs one rule to survive: CCCD, CMND, phone,
household (within a register), (surname or tên) + birth date as written or day/month swapped,
(surname, tên) + the year when one side has only the year, or + two of year/month/day and the
third a typo away (one digit, one apart, two digits swapped), the full name in another order or
with other spaces + year, street + surname + tên (within a register), the full name when one
side has no birth year (within a register). A pair no level of the model can weigh up (same
name and year, two other full dates) is not built: those keys grow with the square of a common
name's count.
Splink's blocking analysis estimates the comparisons first (on a sample when large) to warn
early; the pairs are then built once, counted exactly per rule, and scored from Splink's cache.

Comparisons (``model.comparisons``), the decision carried by name and birth date:
- name: the whole folded name (term-frequency adjusted on the *full* name — its parts are not
  independent: Thị goes with women's names), the name once spaces are ignored, else the tên
  (TF-adjusted: a rare tên says much, "Anh" little), a one-edit typo (a nearly unique spelling, or
  one ``TYPO_RATIO`` times rarer than the other: dugn/dung, not hung/dung),
  one tên ending the other, near names; surname (Huỳnh/Hoàng, Võ/Vũ as one key; TF) and middle
  name (a dropped tên đệm is its own level) count only when the full names differ;
- birth date with its precision: exact (TF: 01/01 placeholders say little), day/month swapped,
  one field off by one, one typo, only the year on a side (same year / a year apart), the other
  side's CCCD gives this year, same year and month, same year;
- IDs: same CCCD, same CMND, CCCD one digit apart, different (null when not comparable);
- gender (as written, else from the CCCD);
- contact: household number, phone, street — one comparison with exclusive levels (a family
  shares all three: counted once), and *no weight at all* when the tên differs (family members,
  twins). Household book numbers and addresses are local to a ward (counters restart, tổ numbers
  repeat): they are compared within one register only; a phone is compared everywhere.

Training, no labels needed: the prior from two deterministic rules (same CCCD; same full name and
birth date) with an assumed recall; u by random sampling (seeded, deterministic), except the
contact levels' u, counted on random pairs whatever their names (``training.estimate_contact_u``: Splink's
sampling meets those levels only with the tên agreeing too, and would count the name twice); m by EM over two
blocking rules — same birth date (estimates names, IDs, gender, contact) and same CCCD (estimates
dates, names, gender, contact) — each skipped below ``MIN_EM_PAIRS`` pairs (small registers), with
domain priors (``model.PRIORS``) as the starting point and as the value wherever the data cannot
estimate a level; every m kept >= ``M_FLOOR`` (no single disagreement is proof).

Household evidence (``corroborate``): a household that moved is listed in both wards. Once every
pair is scored, a pair whose housemates (same register, same household number or street) also
match strongly gets the Bayes factor of that evidence, its m and u estimated from the scored pairs
weighted by their own probabilities (one EM step, no labels).

Reviewers' decisions (``labels``: (record_id_l, record_id_r, is_match)) act twice: as hard
constraints (an accepted pair is merged, a rejected pair is never in one cluster; decided pairs
leave the review list), and, from ``MIN_LABELS_FOR_M`` accepted pairs on, as one more estimate of
the m probabilities (Splink's ``estimate_m_from_pairwise_labels``; Splink keeps the median of the
estimates per level). Rejections only constrain: Splink learns m from matches alone.

Clustering: Splink's connected components at the threshold, then a guard against a record
bridging two people: a cluster holding a *conflict* — two CCCDs (or CMNDs) more than one digit
apart, two day-precision birth dates differing in two or more of day/month/year and not a swap
(unless the two records share an ID), or a rejected pair — is rebuilt greedily: its edges
strongest first, each joining two groups only if no conflicting pair ends up together. Without
conflicts this is exactly the connected components; with them the weakest bridge gives way (a
direct pair in conflict is not merged either). Splink's ``cluster_using_single_best_links``
needs duplicate-free registers; ours are not.

Threshold 0.7 (``DEFAULT_MATCH_THRESHOLD``): pairwise F1 on the synthetic registers is flat
between 0.6 and 0.8 (the model is conservative in that band; the guard removes most of what a
lower threshold lets through); the review band (0.3, 0.95) brackets it.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import training
from .clustering import GUARD_COLUMNS, guard_split
from .engine_base import Engine, string_columns, to_dialect
from .model import (
    DEFAULT_MATCH_THRESHOLD,
    DEFAULT_REVIEW_BAND,
    DISPLAY_COLUMNS,
    FEATURES_SQL,
    blocking_rules,
    clean_labels,
    conform,
    settings,
)

__all__ = [
    "DEFAULT_MATCH_THRESHOLD",
    "DEFAULT_REVIEW_BAND",
    "ENGINES",
    "LINK_STAGES",
    "LinkResult",
    "SplinkRun",
    "link",
]

logger = logging.getLogger(__name__)

# The engines by name (``link(engine=...)``, ``motcua registers merge --engine``); each is imported
# only when asked for (pyspark and a JVM for Spark).
ENGINES = ("duckdb", "spark")
# Where each stage of a run starts, as a share of its time (measured on Thanh Khê-sized
# registers: docs/performance.md); only for progress bars.
LINK_STAGES = {"blocking": 0.0, "training": 0.25, "scoring": 0.55, "clustering": 0.85}
DEFAULT_MAX_PAIRS_WARNING = 20_000_000
PREDICT_FLOOR = 0.01
# The columns of ``LinkResult.pairs`` beside every ``gamma_`` column (both engines' pipelines).
PAIR_COLUMNS = (
    "record_id_l",
    "record_id_r",
    "match_weight",
    "match_probability",
    "model_match_weight",
    "household_evidence",
    "blocking_rule",
)


@dataclass(frozen=True)
class LinkResult:
    """What ``link`` returns; every table is a ``pyarrow.Table``."""

    clusters: pa.Table  # record_id, person_id (one row per input record)
    review_pairs: pa.Table  # uncertain pairs with both sides' values
    pairs: pa.Table  # every scored pair with probability >= review_band[0]
    stats: dict[str, Any] = field(default_factory=dict)
    # What the conflict guard reads of each record (``clustering.GUARD_COLUMNS``): with ``pairs``,
    # enough to cluster again under new reviewers' decisions (``clustering.cluster_edges``).
    guard: pa.Table | None = None


def make_engine(engine: str | Callable[[], Engine]) -> Engine:
    """An engine by name (``ENGINES``), or from a factory (another engine: see engine_base)."""
    if callable(engine):
        return engine()
    if engine == "duckdb":
        from .engine_duckdb import DuckDBEngine

        return DuckDBEngine()
    if engine == "spark":
        from .engine_spark import SparkEngine

        return SparkEngine()
    raise ValueError(f"Unknown engine {engine!r}; expected one of {ENGINES}")


def link(
    table: pa.Table,
    *,
    engine: str | Callable[[], Engine] = "duckdb",
    match_threshold: float = DEFAULT_MATCH_THRESHOLD,
    review_band: tuple[float, float] = DEFAULT_REVIEW_BAND,
    labels: Iterable[tuple[str, str, bool]] | None = None,
    max_pairs_warning: int = DEFAULT_MAX_PAIRS_WARNING,
    seed: int = 0,
    blocking_sample: float | None = None,
    progress: Callable[[str, float], None] | None = None,
    second_look: bool | None = None,
) -> LinkResult:
    """Link the records of ``table`` (normalised registers) into persons.

    ``progress(stage, fraction)`` is called as each stage starts (``LINK_STAGES``), the
    fraction being roughly the share of the run's time already spent (for a progress bar).

    ``labels`` are reviewers' decisions ``(record_id_l, record_id_r, is_match)``.
    ``blocking_sample``: proportion of records sampled by Splink's blocking analysis to estimate
    the comparisons before building them (None: all records up to 50,000, else 50,000's worth).
    ``seed`` makes the u sampling reproducible (everything else is deterministic).
    ``second_look``: the second stage on the pairs no ID can decide (``second_stage``; it changes
    nothing unless its evidence predicts the registers' own ID verdicts out of sample). None: as
    ``second_stage.ENABLED`` says (off: measured, it did not help on the held-out generator; it
    pulls every scored pair to the driver, so a province run skips it).
    """
    if second_look is None:
        from . import second_stage

        second_look = second_stage.ENABLED
    if isinstance(engine, str) and engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}; expected one of {ENGINES}")
    lo, hi = review_band
    if not (0 <= lo <= hi <= 1) or not (0 < match_threshold < 1):
        raise ValueError("Expected 0 <= review_band[0] <= review_band[1] <= 1 and 0 < match_threshold < 1")

    started = time.perf_counter()
    timings: dict[str, float] = {}
    notes: list[str] = []
    table = conform(table, notes)
    label_list = clean_labels(labels)
    n_records = table.num_rows
    if n_records == 0:
        empty = pa.table({"record_id": pa.array([], pa.string()), "person_id": pa.array([], pa.string())})
        return LinkResult(
            empty, _empty_pairs(), _empty_pairs(), {"n_records": 0, "warnings": notes}, _empty_guard()
        )
    if n_records == 1:
        # Nothing to compare (Splink cannot train on zero pairs): one record, one person.
        ids = table.column("record_id").cast(pa.string())
        one = pa.table({"record_id": ids, "person_id": ["P000001"]})
        return LinkResult(
            one,
            _empty_pairs(),
            _empty_pairs(),
            {"n_records": 1, "n_persons": 1, "warnings": notes},
            _empty_guard(),
        )

    run = SplinkRun(make_engine(engine), table, seed=seed)
    try:
        return _run(
            run,
            table,
            match_threshold,
            lo,
            hi,
            label_list,
            max_pairs_warning,
            blocking_sample,
            second_look,
            notes=notes,
            timings=timings,
            started=started,
            progress=progress or (lambda stage, fraction: None),
        )
    finally:
        run.close()


def _run(
    run: SplinkRun,
    table: pa.Table,
    match_threshold: float,
    lo: float,
    hi: float,
    label_list: list[tuple[str, str, bool]],
    max_pairs_warning: int,
    blocking_sample: float | None,
    second_look: bool,
    *,
    notes: list[str],
    timings: dict[str, float],
    started: float,
    progress: Callable[[str, float], None],
) -> LinkResult:
    n_records = run.n_records
    timings["prepare"] = run.lap()
    progress("blocking", LINK_STAGES["blocking"])
    stats: dict[str, Any] = {
        "engine": run.engine.name,
        "seed": run.seed,
        "n_records": n_records,
        "n_sources": run.n_sources,
        "link_type": run.link_type,
        "match_threshold": match_threshold,
        "review_band": [lo, hi],
    }
    stats |= run.blocking(blocking_sample, max_pairs_warning, notes=notes, timings=timings)

    progress("training", LINK_STAGES["training"])
    stats["training"] = run.train(table, label_list, timings)

    progress("scoring", LINK_STAGES["scoring"])
    # Scored below the review band too: household evidence can lift a pair into it.
    run.predict(min(lo, PREDICT_FLOOR))
    timings["predict"] = run.lap()
    stats["household_evidence"] = run.corroborate(match_threshold)
    if second_look:
        stats["second_stage"] = run.second_stage(match_threshold)
        timings["second_stage"] = run.lap()
    pairs = run.pairs(lo)
    timings["household_evidence"] = run.lap()
    stats["pairs_scored_above_review_floor"] = pairs.num_rows

    progress("clustering", LINK_STAGES["clustering"])
    components = run.connected_components(match_threshold, label_list)
    members, edges = run.suspect_clusters(components)
    clusters, guard = guard_split(components, members, edges, label_list)
    timings["cluster"] = run.lap()
    stats["guard"] = guard

    review = run.review_pairs(clusters, lo, hi, match_threshold)
    timings["review_pairs"] = run.lap()

    rule_names = pa.array([name for name, _ in blocking_rules()] + ["label"], pa.string())
    pairs = pairs.append_column(
        "blocking_rule", pc.take(rule_names, pc.cast(pairs.column("match_key"), pa.int64()))
    )
    pairs_out = pairs.select([c for c in pairs.column_names if c in PAIR_COLUMNS or c.startswith("gamma_")])
    counts = pc.value_counts(clusters.column("person_id"))
    sizes = counts.field("counts").to_pylist()
    stats["n_persons"] = len(sizes)
    stats["n_records_in_multi_record_persons"] = int(sum(s for s in sizes if s > 1))
    stats["largest_cluster"] = int(max(sizes))
    stats["n_review_pairs"] = review.num_rows
    stats["n_labels"] = len(label_list)
    stats["warnings"] = notes
    guard_table = run.guard_columns()
    timings["total"] = round(time.perf_counter() - started, 3)
    stats["timings"] = timings
    return LinkResult(clusters=clusters, review_pairs=review, pairs=pairs_out, stats=stats, guard=guard_table)


def _literal(value: float) -> str:
    """A number as an SQL literal (only numbers computed here are ever inlined)."""
    return f"cast({float(value)!r} as double)"


class SplinkRun:
    """One linkage run on one engine: Splink's linker over the engine's tables, and every step
    the orchestration takes, each an SQL statement written once (DuckDB SQL, translated to the
    engine's dialect). Its tables live until ``close``."""

    def __init__(self, engine: Engine, table: pa.Table, *, seed: int) -> None:
        from splink import Linker

        self._t = time.perf_counter()
        self.engine = engine
        self.seed = seed
        self.n_records = table.num_rows
        try:
            engine.load("input", table)
            self.create("features", FEATURES_SQL.format(table="{input}"))
            sources = [
                r["source"]
                for r in self.query("select distinct source from {features} order by 1").to_pylist()
            ]
            self.n_sources = len(sources)
            engine.load(
                "source_names",
                pa.table(
                    {
                        "source": pa.array(sources, pa.string()),
                        "source_dataset": pa.array([f"s{i}" for i in range(len(sources))], pa.string()),
                    }
                ),
            )
            self.create(
                "features_sd",
                "select f.unique_id, n.source_dataset from {features} f join {source_names} n on n.source = f.source",
            )
            self.sd = len(sources) > 1  # Splink adds source_dataset columns when linking tables
            self.link_type = "link_and_dedupe" if self.sd else "dedupe_only"
            # One input table whatever the number of registers: with a ``source_dataset`` column
            # Splink links its registers as if each were a table of its own, without one table
            # per register (a province's 250 registers made 250 tables, written one by one).
            columns = "f.*, n.source_dataset" if self.sd else "f.*"
            physical = self.create(
                "src",
                f"select {columns} from {{features}} f join {{source_names}} n on n.source = f.source"  # noqa: S608 - identifiers are ours
                " order by f.unique_id",
            )
            self.linker = Linker(
                engine.splink_api().register(physical, dataset_display_name="src"),
                self._settings(self.link_type, self.n_records),
                log_level=None,
            )
        except BaseException:
            engine.close()
            raise

    # -- plumbing
    def _sql(self, sql: str, **numbers: float) -> str:
        """``sql`` with ``{table}`` placeholders named physically, numbers inlined, translated."""
        names = {}
        for name in _placeholders(sql):
            if name in numbers:
                names[name] = _literal(numbers[name])
            else:
                names[name] = self.engine.physical(name)
        return to_dialect(sql.format(**names), self.engine.dialect)

    def create(self, name: str, sql: str, **numbers: float) -> str:
        return self.engine.create(name, self._sql(sql, **numbers))

    def query(self, sql: str, **numbers: float) -> pa.Table:
        return string_columns(self.engine.query(self._sql(sql, **numbers)))

    def _settings(self, link_type: str, n_records: int) -> Any:
        """The model's settings, its DuckDB SQL marked as such for an engine that speaks another
        dialect (Splink translates comparison levels and string blocking rules itself)."""
        creator = settings(link_type, n_records)
        if self.engine.dialect == "duckdb":
            return creator
        import splink.comparison_level_library as cll
        from splink.blocking_rule_library import CustomRule

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

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed = round(now - self._t, 3)
        self._t = now
        return elapsed

    def close(self) -> None:
        self.engine.close()

    # -- blocking
    def blocking(
        self,
        blocking_sample: float | None,
        max_pairs_warning: int,
        *,
        notes: list[str],
        timings: dict[str, float],
    ) -> dict[str, Any]:
        """Splink's blocking analysis first, on a sample of records when the registers are large
        (cheap), to warn before anything big is built; then the pairs themselves, counted exactly
        per rule, and kept for prediction (Splink scores the registered pairs, no second blocking).
        The figures for the run's stats: blocking, comparisons, comparisons_per_record."""
        sample = blocking_sample if blocking_sample is not None else min(1.0, 50_000 / self.n_records)
        estimate = self.count_comparisons(sample)
        estimated_total = estimate[-1]["cumulative"] if estimate else 0
        if estimated_total > max_pairs_warning:
            msg = f"Blocking will generate about {estimated_total:,} comparisons (> {max_pairs_warning:,}): expect a long run"
            logger.warning(msg)
            notes.append(msg)
        timings["blocking_analysis"] = self.lap()
        blocking = self.block(estimate)
        timings["blocking"] = self.lap()
        total = blocking[-1]["cumulative"] if blocking else 0
        for row in blocking:
            logger.info(
                "blocking rule %-28s %12d comparisons (%d cumulative)",
                row["rule"],
                row["marginal"],
                row["cumulative"],
            )
        return {
            "blocking": blocking,
            "comparisons": total,
            "comparisons_per_record": round(total / self.n_records, 2),
        }

    def count_comparisons(self, sample: float) -> list[dict[str, Any]]:
        with warnings.catch_warnings():
            # On a sample, Splink warns that rare rules' estimates rest on few pairs: they are
            # only used to warn early; the exact counts come from the pairs themselves.
            warnings.simplefilter("ignore", UserWarning)
            records = self.linker.blocking_analysis.count_comparisons_from_blocking_rules(
                record_sample_proportion=sample
            )
        names = [n for n, _ in blocking_rules()]
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
        """Build the candidate pairs (kept in Splink's cache for ``predict``); exact counts per rule
        (a pair counts for the first rule that admits it), beside the blocking analysis' estimate."""
        blocked = self.linker.inference.compute_blocked_pairs_for_predict()
        counts = {
            int(r["k"]): int(r["n"])
            for r in string_columns(
                self.engine.query(
                    to_dialect(
                        f"select cast(match_key as int) as k, count(*) as n from {blocked.physical_name} group by 1",  # noqa: S608 - Splink's table
                        self.engine.dialect,
                    )
                )
            ).to_pylist()
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

    # -- training
    def train(
        self, table: pa.Table, labels: Sequence[tuple[str, str, bool]], timings: dict[str, float]
    ) -> dict[str, Any]:
        """Train on this run when it is DuckDB and not over the training cap; else train a DuckDB
        run on every record or a sample (``training``) and score here with its model."""
        sample, sampled = training.training_table(table, seed=self.seed)
        if self.engine.name == "duckdb" and not sampled:
            stats = training.train(self, labels, timings)
            stats["trained_on"] = {"engine": "duckdb", "records": self.n_records, "sample": False}
            return stats
        from .engine_duckdb import DuckDBEngine

        timings["train_setup"] = self.lap()
        trainer = SplinkRun(DuckDBEngine(), sample, seed=self.seed)
        try:
            trainer.lap()
            stats = training.train(trainer, labels, timings)
            model = trainer.linker.misc.save_model_to_json()
        finally:
            trainer.close()
        training.apply_model(self.linker, model)
        stats["parameters"] = training.parameters(self.linker)
        stats["trained_on"] = {"engine": "duckdb", "records": sample.num_rows, "sample": sampled}
        stats["probability_two_random_records_match"] = (
            self.linker._settings_obj._probability_two_random_records_match
        )
        timings["train_transfer"] = self.lap()
        return stats

    # -- prediction
    def predict(self, floor: float) -> None:
        df = self.linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        keep = {"match_weight", "match_probability", "match_key", "unique_id_l", "unique_id_r"}
        keep |= {"source_dataset_l", "source_dataset_r"}
        names = [c.unquote().name for c in df.columns]
        columns = ", ".join(c for c in names if c in keep or c.startswith("gamma_"))
        self.engine.create(
            "pairs",
            to_dialect(
                f"""
                select {columns}, match_weight as model_match_weight, cast(null as varchar) as household_evidence
                from {df.physical_name}
                """,  # noqa: S608 - Splink's table
                self.engine.dialect,
            ),
        )
        df.drop_table_from_database_and_remove_from_cache()

    def pairs(self, floor: float) -> pa.Table:
        """Scored pairs >= floor: record_id_l < record_id_r, then Splink's score columns."""
        drop = {"unique_id_l", "unique_id_r", "source_dataset_l", "source_dataset_r"}
        rest = ", ".join(c for c in self.engine.columns("pairs") if c not in drop)
        return self.query(
            f"""
            select least(unique_id_l, unique_id_r) as record_id_l,
                   greatest(unique_id_l, unique_id_r) as record_id_r,
                   {rest}
            from {{pairs}} where match_probability >= {{floor}} order by record_id_l, record_id_r
            """,  # noqa: S608 - identifiers are ours, values are numbers
            floor=floor,
        )

    def corroborate(self, strong: float) -> dict[str, Any]:
        """Household evidence, a second look at each pair once the first has been scored.

        A household that moved is listed in both wards: if another member of a's household (same
        register, same household number or else same street key) strongly matches another member
        of b's household, a and b are likely one person too; a namesake's family rarely moved
        with it. The evidence is defined when both a and b live with someone; its m and u are
        estimated from the scored pairs themselves, each weighted by its model probability (one
        EM step, no labels), and the Bayes factor is added to the match weight.
        """
        self.create(
            "groups",
            """
            with g as (
                select unique_id,
                       case when household_no is not null then source || '|h|' || household_no
                            when street_key is not null then source || '|s|' || street_key end as grp
                from {features}
            )
            select unique_id, grp from g
            where grp in (select grp from g where grp is not null group by grp having count(*) >= 2)
            """,
        )
        self.create(
            "pg",
            """
            select p.unique_id_l as a, p.unique_id_r as b, p.match_probability as p,
                   least(ga.grp, gb.grp) as g1, greatest(ga.grp, gb.grp) as g2
            from {pairs} p
            join {groups} ga on ga.unique_id = p.unique_id_l
            join {groups} gb on gb.unique_id = p.unique_id_r
            where ga.grp <> gb.grp
            """,
        )
        self.create(
            "corroborated",
            """
            select distinct x.a, x.b
            from {pg} x
            join {pg} s on s.g1 = x.g1 and s.g2 = x.g2 and s.p >= {strong}
            where s.a not in (x.a, x.b) and s.b not in (x.a, x.b)
            """,
            strong=strong,
        )
        rows = self.query(
            """
            select sum(p * c) / nullif(sum(p), 0) as m, sum((1 - p) * c) / nullif(sum(1 - p), 0) as u,
                   count(*) as defined, sum(c) as corroborated
            from (
                select x.p, case when k.a is null then cast(0 as double) else cast(1 as double) end as c
                from {pg} x left join {corroborated} k on k.a = x.a and k.b = x.b
            ) as t
            """
        ).to_pylist()
        row = rows[0] if rows else {"m": None, "u": None, "defined": 0, "corroborated": 0}
        m, u, defined = row["m"], row["u"], row["defined"]
        info: dict[str, Any] = {
            "pairs_with_household_evidence": int(defined or 0),
            "corroborated": int(row["corroborated"] or 0),
        }
        if not m or not u or m >= 1 or u >= 1:
            return info
        # Keep the estimate away from 0/1 (few pairs): at least a pair's worth of each.
        n = max(int(defined), 1)
        m = min(max(m, 1 / n), 1 - 1 / n)
        u = min(max(u, 1 / n), 1 - 1 / n)
        w_yes, w_no = math.log2(m / u), math.log2((1 - m) / (1 - u))
        weight = (
            "case when x.a is null then p.match_weight"
            " else p.model_match_weight + case when k.a is null then {w_no} else {w_yes} end end"
        )
        exprs = {
            "match_weight": f"{weight} as match_weight",
            "match_probability": f"1 / (1 + pow(2, -({weight}))) as match_probability",
            "household_evidence": "case when x.a is null then p.household_evidence"
            " when k.a is null then 'none' else 'corroborated' end as household_evidence",
        }
        select = ",\n".join(exprs.get(c, f"p.{c}") for c in self.engine.columns("pairs"))
        self.create(
            "pairs",
            f"""
            select {select}
            from {{pairs}} p
            left join {{pg}} x on x.a = p.unique_id_l and x.b = p.unique_id_r
            left join {{corroborated}} k on k.a = x.a and k.b = x.b
            """,  # noqa: S608 - identifiers are ours, values are numbers
            w_yes=w_yes,
            w_no=w_no,
        )
        info |= {
            "m": m,
            "u": u,
            "weight_corroborated": round(w_yes, 3),
            "weight_not_corroborated": round(w_no, 3),
        }
        return info

    def second_stage(self, threshold: float) -> dict[str, Any]:
        """The second stage (``second_stage.rescore``) on the scored pairs with both sides'
        features; the weights it changes replace the pairs' weights and probabilities."""
        from . import second_stage

        ordered = "least(p.unique_id_l, p.unique_id_r)", "greatest(p.unique_id_l, p.unique_id_r)"
        gammas = ", ".join(f"p.{c}" for c in self.engine.columns("pairs") if c.startswith("gamma_"))
        side = ", ".join(f"{s}.{c} as {c}_{s}" for c in second_stage.FEATURE_COLUMNS for s in ("l", "r"))
        pairs = self.query(
            f"""
            select {ordered[0]} as record_id_l, {ordered[1]} as record_id_r, p.match_weight, p.match_probability,
                   p.model_match_weight, p.household_evidence, {gammas}, {side}
            from {{pairs}} p
            join {{features}} l on l.unique_id = {ordered[0]}
            join {{features}} r on r.unique_id = {ordered[1]}
            order by record_id_l, record_id_r
            """  # noqa: S608 - identifiers are ours
        )
        changed, stats = second_stage.rescore(pairs, threshold=threshold, seed=self.seed)
        if not changed.num_rows:
            return stats
        self.engine.load("second", changed.select(["record_id_l", "record_id_r", "match_weight"]))
        weight = "coalesce(s.match_weight, p.match_weight)"
        exprs = {
            "match_weight": f"{weight} as match_weight",
            "match_probability": f"case when s.match_weight is null then p.match_probability"
            f" else 1 / (1 + pow(2, -({weight}))) end as match_probability",
        }
        select = ",\n".join(exprs.get(c, f"p.{c}") for c in self.engine.columns("pairs"))
        self.create(
            "pairs",
            f"""
            select {select}
            from {{pairs}} p
            left join {{second}} s on s.record_id_l = {ordered[0]} and s.record_id_r = {ordered[1]}
            """,  # noqa: S608 - identifiers are ours
        )
        return stats

    # -- clustering
    def _labels(self, labels: Sequence[tuple[str, str, bool]]) -> None:
        self.engine.load(
            "label_pairs",
            pa.table(
                {
                    "a": pa.array([a for a, _, _ in labels], pa.string()),
                    "b": pa.array([b for _, b, _ in labels], pa.string()),
                    "is_match": pa.array([m for _, _, m in labels], pa.bool_()),
                }
            ),
        )

    def connected_components(self, threshold: float, labels: Sequence[tuple[str, str, bool]]) -> pa.Table:
        """record_id, cluster_id: Splink's connected components over the pairs >= threshold, with
        reviewers' decisions applied first (accepted pairs become edges of probability 1, rejected
        ones are dropped)."""
        self._labels(labels)
        sd_l, sd_r, fl, fr = (
            ("p.source_dataset_l, ", "p.source_dataset_r, ", "fl.source_dataset, ", "fr.source_dataset, ")
            if self.sd
            else ("", "", "", "")
        )
        edges = self.create(
            "edges",
            f"""
            select {sd_l}p.unique_id_l, {sd_r}p.unique_id_r, p.match_probability
            from {{pairs}} p
            left join {{label_pairs}} x
              on x.a = least(p.unique_id_l, p.unique_id_r) and x.b = greatest(p.unique_id_l, p.unique_id_r)
            where p.match_probability >= {{threshold}} and x.a is null
            union all
            select {fl}fl.unique_id, {fr}fr.unique_id, cast(1 as double)
            from {{label_pairs}} x
            join {{features_sd}} fl on fl.unique_id = x.a
            join {{features_sd}} fr on fr.unique_id = x.b
            where x.is_match
            """,  # noqa: S608 - identifiers are ours, values are numbers
            threshold=threshold,
        )
        sdf = self.engine.splink_api().register(edges, table_name=f"{edges}_sdf")
        clustered = self.linker.clustering.cluster_pairwise_predictions_at_threshold(
            sdf, threshold_match_probability=threshold
        )
        out = string_columns(
            self.engine.query(
                to_dialect(
                    f"select unique_id as record_id, cluster_id from {clustered.physical_name}",  # noqa: S608 - Splink's table
                    self.engine.dialect,
                )
            )
        )
        clustered.drop_table_from_database_and_remove_from_cache()
        return out

    def suspect_clusters(self, clusters: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Members and edges (a, b, p) of the clusters that may hold a conflict (``clustering``)."""
        self.engine.load("clusters_in", clusters)
        self.create(
            "clusters",
            """
            select c.record_id, c.cluster_id, f.citizen_id_nz, f.cmnd, f.birth_date, f.dob_swapped
            from {clusters_in} c join {features} f on f.unique_id = c.record_id
            """,
        )
        self.create(
            "suspects",
            """
            select cluster_id from {clusters} group by cluster_id
            having count(distinct citizen_id_nz) > 1 or count(distinct cmnd) > 1
                or count(distinct birth_date) > 1
            union
            select l.cluster_id from {label_pairs} x
            join {clusters} l on l.record_id = x.a
            join {clusters} r on r.record_id = x.b
            where not x.is_match and l.cluster_id = r.cluster_id
            """,
        )
        members = self.query(
            """
            select c.* from {clusters} c
            where c.cluster_id in (select cluster_id from {suspects})
            order by c.cluster_id, c.record_id
            """
        )
        edges = self.query(
            """
            select e.unique_id_l as a, e.unique_id_r as b, e.match_probability as p
            from {edges} e
            join {clusters} cl on cl.record_id = e.unique_id_l
            join {clusters} cr on cr.record_id = e.unique_id_r
            where cl.cluster_id = cr.cluster_id and cl.cluster_id in (select cluster_id from {suspects})
            """
        )
        return members, edges

    def guard_columns(self) -> pa.Table:
        """``clustering.GUARD_COLUMNS`` of every record."""
        columns = ", ".join(GUARD_COLUMNS[1:])
        return self.query(f"select unique_id as record_id, {columns} from {{features}} order by unique_id")  # noqa: S608 - identifiers are ours

    def review_pairs(self, clusters: pa.Table, lo: float, hi: float, threshold: float) -> pa.Table:
        """Uncertain pairs with both sides' values, nearest the threshold first."""
        self.engine.load("persons_in", clusters)
        side = ",\n".join(f"{s}.{c} as {c}_{s}" for c in DISPLAY_COLUMNS for s in ("l", "r"))
        return self.query(
            f"""
            with p as (
                select least(unique_id_l, unique_id_r) as a, greatest(unique_id_l, unique_id_r) as b,
                       match_weight, match_probability
                from {{pairs}}
            )
            select p.a as record_id_l, p.b as record_id_r, p.match_probability, p.match_weight,
                   pl.person_id = pr.person_id as same_person,
                   {side}
            from p
            join {{persons_in}} pl on pl.record_id = p.a
            join {{persons_in}} pr on pr.record_id = p.b
            join {{features}} l on l.unique_id = p.a
            join {{features}} r on r.unique_id = p.b
            left join {{label_pairs}} x on x.a = p.a and x.b = p.b
            where x.a is null
              and ((p.match_probability >= {{lo}} and p.match_probability < {{hi}})
                   or (p.match_probability >= {{threshold}} and pl.person_id <> pr.person_id))
            order by abs(p.match_weight - {{tw}}), p.a, p.b
            """,  # noqa: S608 - identifiers are ours, values are numbers
            lo=lo,
            hi=hi,
            threshold=threshold,
            tw=math.log2(threshold / (1 - threshold)),
        )


def _placeholders(sql: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(sql) if name}


def _empty_pairs() -> pa.Table:
    return pa.table(
        {
            "record_id_l": pa.array([], pa.string()),
            "record_id_r": pa.array([], pa.string()),
            "match_probability": pa.array([], pa.float64()),
        }
    )


def _empty_guard() -> pa.Table:
    return pa.table({c: pa.array([], pa.string()) for c in GUARD_COLUMNS})
