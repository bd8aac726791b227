"""Training the linkage model (Splink): the prior, u, m — on one engine, for any engine.

The parameters are estimated on DuckDB, on every record up to ``TRAIN_MAX_RECORDS``
(``MOTCUA_TRAIN_MAX_RECORDS``; one million by default: DuckDB trains that many in ~30 s on two
cores), on a seeded uniform sample of that many above (issue 12 §3: a province is trained on a
sample). Another engine, or a larger run, gets the trained model as Splink's model JSON
(``apply_model``: the prior and every level's m and u, matched level by level, labels checked):
the same model whatever engine scores, hence the same clusters (the parity tests). Training on
Spark itself would not give the same model: Splink samples the u pairs with each backend's own
random sampling (DuckDB's ``repeatable`` sample is not Spark's ``rand(seed)``).

A uniform record sample is an unbiased sample of the pairs: u (random pairs), the prior
(deterministic-rule pairs over all pairs: both scale by the square of the sampling rate) and m
(EM on the true pairs that survive) keep their expectation; what changes is ``given_n`` (a
spelling looks rarer in a sample, so the "one edit apart, nearly unique" level is seen more often
among random pairs: its weight is a little lower than on all records — conservative).

Without labels: the prior from two deterministic rules (same CCCD; same full name and birth date)
with an assumed recall; u by random sampling (seeded, deterministic), except the contact levels'
u, counted on random pairs whatever their names (``estimate_contact_u``: Splink's sampling meets
those levels only with the tên agreeing too, and would count the name twice); m by EM over two
blocking rules — same birth date and same CCCD — each skipped below ``MIN_EM_PAIRS`` pairs, with
the priors (``model.PRIORS``) as the starting point and as the value wherever the data cannot
estimate a level; every m kept >= ``M_FLOOR`` (no single disagreement is proof). Reviewers'
accepted pairs, from ``MIN_LABELS_FOR_M`` on, add Splink's m estimate from labels.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Sequence
from typing import Any, Protocol

import pyarrow as pa

from .engine_base import Engine

logger = logging.getLogger(__name__)

TRAIN_MAX_RECORDS = 1_000_000
# Below this the "nearly unique spelling" level is off (see ``model.comparisons``): a sample never
# goes below it, so the trained model has the same levels as the scoring one.
MIN_TRAIN_RECORDS = 2_000
# A run on fewer accepted pairs than this keeps the EM estimates (the labels still act as
# constraints): a handful of reviewer decisions is too few to estimate m for every level.
MIN_LABELS_FOR_M = 20
# An EM session needs pairs to learn from; below this its rule is skipped and the priors stand.
MIN_EM_PAIRS = 500
# Assumed recall of the deterministic rules used to estimate the prior (same CCCD; same full
# name and birth date). Duplicates without a CCCD or with a corrupted name/date are common.
DETERMINISTIC_RECALL = 0.6
U_MAX_PAIRS = 2e6
# The contact levels' u is counted over the pairs of this many records (~2 M pairs), and kept
# from Splink's sampling when a level is met fewer times than this (``estimate_contact_u``).
CONTACT_U_RECORDS = 2000
CONTACT_U_MIN_HITS = 5
M_FLOOR = 0.005
EM_MAX_PAIRS = 1e6


# The contact comparison's levels on random pairs *without* its given-name condition: pairs
# with something comparable, then those sharing the household number (same register), else the
# phone, else the street (same register) — the levels' order. ``{table}`` holds the features; ``{seed}`` and ``{k}`` are integers.
CONTACT_U_SQL = """
with s as (
    select unique_id, source, household_no, phone, street_key from {table}
    order by hash(concat(unique_id, '{seed}')), unique_id limit {k}
),
p as (
    select l.source = r.source as same_source, l.household_no as h_l, r.household_no as h_r,
           l.phone as p_l, r.phone as p_r, l.street_key as s_l, r.street_key as s_r
    from s as l join s as r on l.unique_id < r.unique_id
),
c as (
    select
        case
            when same_source and h_l = h_r then 1
            when p_l = p_r then 2
            when same_source and s_l = s_r then 3
            else 0
        end as level
    from p
    where (same_source and ((h_l is not null and h_r is not null) or (s_l is not null and s_r is not null)))
       or (p_l is not null and p_r is not null)
)
select count(*), count(*) filter (where level = 1), count(*) filter (where level = 2),
       count(*) filter (where level = 3)
from c
"""


class SplinkRun(Protocol):
    """What training needs of a run (``linkage.SplinkRun``): its linker and engine."""

    linker: Any
    engine: Engine
    n_records: int
    seed: int

    def lap(self) -> float: ...


def train_max_records() -> int:
    value = (
        os.environ.get("MOTCUA_TRAIN_MAX_RECORDS") or os.environ.get("MOTCUA_SPARK_TRAIN_MAX_RECORDS") or ""
    ).strip()
    return max(int(value) if value else TRAIN_MAX_RECORDS, MIN_TRAIN_RECORDS)


def training_table(table: pa.Table, *, seed: int) -> tuple[pa.Table, bool]:
    """Every record up to ``train_max_records()``, else a seeded uniform sample of that many."""
    cap = train_max_records()
    if table.num_rows <= cap:
        return table, False
    rows = sorted(random.Random(seed).sample(range(table.num_rows), cap))  # noqa: S311 - a sample, not a secret
    return table.take(pa.array(rows, pa.int64())), True


def train(
    run: SplinkRun, labels: Sequence[tuple[str, str, bool]], timings: dict[str, float]
) -> dict[str, Any]:
    """Estimate the model's parameters on ``run`` (a DuckDB run: see the module docstring)."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    linker = run.linker
    training = linker.training
    # A small register may hold no pair the deterministic rules admit (prior 0: every weight
    # -inf), more such pairs than the assumed recall allows (Splink refuses: a short list
    # full of duplicates), or only such pairs (prior 1): keep the prior strictly between,
    # at least one pair's worth.
    n_pairs = max(run.n_records * (run.n_records - 1) / 2, 2.0)
    try:
        training.estimate_probability_two_random_records_match(
            [block_on("citizen_id_nz"), block_on("name_folded", "birth_date")],
            recall=DETERMINISTIC_RECALL,
        )
        prior = linker._settings_obj._probability_two_random_records_match
    except (ValueError, ZeroDivisionError) as exc:
        logger.warning("prior not estimated (%s): one pair's worth instead", exc)
        prior = 1 / n_pairs
    linker._settings_obj._probability_two_random_records_match = min(max(prior, 1 / n_pairs), 0.5)
    timings["train_prior"] = run.lap()
    training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=run.seed)
    contact_u = estimate_contact_u(run)
    timings["train_u"] = run.lap()
    em_sessions: list[dict[str, Any]] = []
    rules = [("birth_date", block_on("birth_date")), ("citizen_id", block_on("citizen_id_nz"))]
    counts = linker.blocking_analysis.count_comparisons_from_blocking_rules(
        [rule for _, rule in rules], record_sample_proportion=1.0 if run.n_records <= 300_000 else 0.1
    )
    for (name, rule), count in zip(rules, counts, strict=True):
        pairs = int(count["marginal_comparison_count"])
        session: dict[str, Any] = {"blocking_rule": name, "pairs": pairs}
        em_sessions.append(session)
        if pairs < MIN_EM_PAIRS:
            # Too few pairs to estimate from: the priors stand for what this rule would have
            # estimated (see model.PRIORS).
            session["ok"] = False
            session["skipped"] = f"fewer than {MIN_EM_PAIRS} pairs"
            continue
        # Splink's EM session filters the model's comparisons and sets its prior in place before
        # it can fail: a deep copy to put back.
        snapshot = linker._settings_obj.core_model_settings.copy()
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule,
                estimate_without_term_frequencies=True,
                # Splink samples records by a hash (deterministic) to keep EM at ~1 M pairs.
                max_pairs=EM_MAX_PAIRS if run.n_records > 50_000 else None,
                record_sample_proportion=0.05,
            )
            session["ok"] = True
        except (ValueError, EMTrainingException) as exc:
            # An m can underflow to 0 mid-EM and Splink refuses it: the session is discarded
            # and the model put back as it was before it.
            logger.warning("EM session blocked on %s discarded: %s", name, exc)
            linker._settings_obj.core_model_settings = snapshot
            session["ok"] = False
            session["error"] = str(exc)[:200]
    timings["train_em"] = run.lap()
    accepted = [(a, b) for a, b, m in labels if m]
    used_labels_for_m = False
    if len(accepted) >= MIN_LABELS_FOR_M:
        _estimate_m_from_labels(run, accepted)
        used_labels_for_m = True
    _floor_m(linker)
    _no_weight_without_variation(linker)
    timings["train_labels"] = run.lap()
    return {
        "probability_two_random_records_match": linker._settings_obj._probability_two_random_records_match,
        "u_max_pairs": U_MAX_PAIRS,
        "contact_u": contact_u,
        "em_sessions": em_sessions,
        "m_from_labels": used_labels_for_m,
        "n_accepted_labels": len(accepted),
        "parameters": parameters(linker),
    }


def estimate_contact_u(run: SplinkRun) -> dict[str, Any]:
    """u of the contact levels as P(shared household / phone / street | two people), whatever
    their names: Splink's random pairs meet the levels only with the given names agreeing too
    (another tên is the family level, no weight), so its u is P(shared contact) times
    P(same tên) — the name's agreement counted a second time, already weighed by the name
    comparison (a namesake in the same tổ came out ~2^10 more likely one person than it is).
    Counted over the pairs of ``CONTACT_U_RECORDS`` records (a deterministic hash sample); a
    level met fewer than ``CONTACT_U_MIN_HITS`` times keeps Splink's estimate (or its prior)."""
    sql = CONTACT_U_SQL.format(table=run.engine.physical("features"), k=CONTACT_U_RECORDS, seed=int(run.seed))
    rows = run.engine.query(sql).to_pylist()
    row = list(rows[0].values()) if rows else None
    pairs, household, phone, street = (int(v or 0) for v in row) if row else (0, 0, 0, 0)
    info: dict[str, Any] = {"pairs": pairs, "hits": [household, phone, street]}
    if not pairs:
        return info
    comparison = next(c for c in run.linker._settings_obj.comparisons if c.output_column_name == "contact")
    levels = comparison._comparison_levels_excluding_null
    assert len(levels) == 4, "contact: household, phone, street, else"
    estimated = []
    for level, hits in zip(levels[:3], (household, phone, street), strict=True):
        if hits >= CONTACT_U_MIN_HITS:
            _set_u(level, hits / pairs)
        estimated.append(level.u_probability)
    _set_u(levels[3], max(1 - sum(u for u in estimated if u), 0.5))
    info["u"] = [lvl.u_probability for lvl in levels]
    return info


def _estimate_m_from_labels(run: SplinkRun, accepted: Sequence[tuple[str, str]]) -> None:
    engine = run.engine
    engine.load("labels_in", pa.table({"a": [a for a, _ in accepted], "b": [b for _, b in accepted]}))
    table = engine.create(
        "labels_m",
        f"""
        select l.source_dataset as source_dataset_l, l.unique_id as unique_id_l,
               r.source_dataset as source_dataset_r, r.unique_id as unique_id_r
        from {engine.physical("labels_in")} x
        join {engine.physical("features_sd")} l on l.unique_id = x.a
        join {engine.physical("features_sd")} r on r.unique_id = x.b
        """,  # noqa: S608 - identifiers are ours
    )
    run.linker.training.estimate_m_from_pairwise_labels(table)


def _set_u(level: Any, u: float) -> None:
    """Set a level's u for good: Splink re-derives u from its record of trained values (after
    EM, after labels), so that record is replaced too."""
    level._trained_u_probabilities = [{"probability": u, "description": "motcua: contact u", "m_or_u": "u"}]
    level.u_probability = u


def _floor_m(linker: Any) -> None:
    """No disagreement is proof: every level keeps m >= M_FLOOR (EM drives the m of a level
    never seen among matches in the training blocks to ~0, i.e. a weight of -100 bits; a
    register with a flipped gender or a rewritten middle name must not make that fatal)."""
    for cc in linker._settings_obj.comparisons:
        for lvl in cc._comparison_levels_excluding_null:
            m = lvl.m_probability
            if m is None or m < M_FLOOR:
                lvl.m_probability = M_FLOOR


def _no_weight_without_variation(linker: Any) -> None:
    """A level every random pair is at (u = 1: one commune's run, for the area) tells nothing:
    m = 1 too, no weight (EM skipped in a small register would leave its prior m, a small
    penalty on every pair)."""
    for cc in linker._settings_obj.comparisons:
        for lvl in cc._comparison_levels_excluding_null:
            if lvl.u_probability is not None and lvl.u_probability >= 1 - 1e-9:
                lvl.m_probability = 1.0


def parameters(linker: Any) -> list[dict[str, Any]]:
    """Every level's m, u and weight (the run's report)."""
    out = []
    for cc in linker._settings_obj.comparisons:
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


def apply_model(linker: Any, model: dict[str, Any]) -> None:
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
