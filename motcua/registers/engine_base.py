"""What ``linkage._run`` asks of an engine: the interface of ``linkage._DuckDBRun`` and
``engine_spark._SparkRun`` (one linkage run: its tables live until ``close``), and what an engine
is given of the model (``Model``).

Every table crossing this boundary is a ``pyarrow.Table`` with the same columns and types on
every engine, so the engine-neutral steps (``_run``, the conflict guard of ``_cluster``, the
person numbering) run unchanged whichever engine holds the pairs.

The dependencies go one way: ``linkage`` imports an engine (the Spark one only when asked for)
and hands it a ``Model``; an engine never imports ``linkage``. Both import this module, which
imports neither.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa


class Trainer(Protocol):
    """A run that estimates the model's parameters (``linkage._DuckDBRun``): another engine
    scores with the parameters it trained (``model_json``)."""

    def lap(self) -> float: ...

    def close(self) -> None: ...

    def train(self, labels: Sequence[tuple[str, str, bool]], timings: dict[str, float]) -> dict[str, Any]: ...

    def model_json(self) -> dict[str, Any]:
        """The trained model as Splink's model JSON (``save_model_to_json``)."""


@dataclass(frozen=True)
class Model:
    """The linkage model as ``linkage`` defines it, for an engine that runs it elsewhere.

    - ``features_sql``: the feature query in DuckDB SQL, ``{table}`` the input table;
    - ``display_columns``: the columns each side of a review pair shows;
    - ``blocking_rules()``: ``(name, rule)`` in order;
    - ``settings(link_type, n_records)``: Splink's ``SettingsCreator`` (DuckDB SQL in its levels);
    - ``trainer(table, seed)``: a run that trains the parameters (DuckDB), closed by the caller.
    """

    features_sql: str
    display_columns: Sequence[str]
    blocking_rules: Callable[[], list[tuple[str, Any]]]
    settings: Callable[[str, int], Any]
    trainer: Callable[[pa.Table, int], Trainer]


class Runner(Protocol):
    n_records: int
    n_sources: int
    link_type: str  # "link_and_dedupe" (several registers) or "dedupe_only"

    def lap(self) -> float:
        """Seconds since the previous lap (or the start)."""

    def close(self) -> None:
        """Free the run's tables (and whatever the engine started for it)."""

    def count_comparisons(self, sample: float) -> list[dict[str, Any]]:
        """Splink's blocking analysis per rule: rule, sql, marginal, cumulative, estimate."""

    def block(self, estimate: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Build the candidate pairs; exact counts per rule beside the estimate."""

    def train(self, labels: Sequence[tuple[str, str, bool]], timings: dict[str, float]) -> dict[str, Any]:
        """Estimate the model's parameters; the training figures (``parameters`` among them)."""

    def predict(self, floor: float) -> None:
        """Score the candidate pairs, keep those with probability >= floor."""

    def pairs(self, floor: float) -> pa.Table:
        """Scored pairs >= floor: record_id_l < record_id_r, then the engine's score columns."""

    def corroborate(self, strong: float) -> dict[str, Any]:
        """Household evidence added to the scored pairs' weights."""

    def connected_components(self, threshold: float, labels: Sequence[tuple[str, str, bool]]) -> pa.Table:
        """record_id, cluster_id: connected components over the pairs >= threshold and labels."""

    def suspect_clusters(self, clusters: pa.Table) -> tuple[pa.Table, pa.Table]:
        """Members and edges (a, b, p) of the clusters that may hold a conflict."""

    def guard_columns(self) -> pa.Table:
        """``clustering.GUARD_COLUMNS`` of every record."""

    def review_pairs(self, clusters: pa.Table, lo: float, hi: float, threshold: float) -> pa.Table:
        """Uncertain pairs with both sides' values, nearest the threshold first."""
