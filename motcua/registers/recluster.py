"""Applying reviewers' decisions to a finished merge without scoring again: the fast path.

A full rerun (``services.merge_job_rerun``) reads, normalises, trains and scores everything again
(a minute or more at a ward's size). But a decision changes only which scored pairs join persons:
the run keeps what that needs in its folder (``write_recluster_inputs``, called by ``runner``):

- ``edges.parquet``: every pair the run scored at or above the review band's low end
  (record_id_l, record_id_r, match_probability);
- ``guard.parquet``: what the conflict guard reads of each record (``clustering.GUARD_COLUMNS``);
- ``normalised.parquet``: the normalised values the report and the workbook use
  (``NORMALISED_COLUMNS``);

beside ``records.parquet`` (the records as read, with their person) and ``result.json`` (whose
stats name the threshold the persons were cut at). ``recluster_run`` cuts the stored edges again
at that threshold with the decisions (``clustering.cluster_edges``: an accepted pair is an edge of
probability 1, a rejected one never ends up in one person — as in the run) and rewrites what
depends on the persons, in place: records.parquet's person_id, the Excel workbook (the same
``export`` calls as ``runner``), the result's stats (persons, quality) and the review pairs'
``same_person``. Seconds at a ward's size (docs/performance.md, «Applying decisions»).

The scores stay those of the run: the model does not learn from the decisions (a full rerun
does), and pairs the run never scored cannot join. No database and no Django here: the service
(``services.merge_job_apply_decisions``) gives the decisions and writes the job.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from motcua.core.errors import Conflict

from .clustering import GUARD_COLUMNS, cluster_edges
from .export import quality_report, records_view, write_workbook
from .storage import RESULT_NAME, WORKBOOK_NAME

EDGES_NAME = "edges.parquet"
GUARD_NAME = "guard.parquet"
NORMALISED_NAME = "normalised.parquet"
RECORDS_NAME = "records.parquet"
EDGE_COLUMNS = ("record_id_l", "record_id_r", "match_probability")
# What ``export.records_view`` reads of the normalised table.
NORMALISED_COLUMNS = (
    "record_id",
    "citizen_id",
    "cmnd",
    "birth_date",
    "birth_year",
    "dob_precision",
    "gender",
    "id_consistent",
    "new_ward_code",
)

NOT_STORED = (
    "Lần chạy này được thực hiện trước khi có cách áp dụng nhanh (chưa lưu các cặp đã chấm điểm), "
    "nên không thể áp dụng quyết định mà không chạy lại. Hãy bấm «Áp dụng quyết định và chạy lại»."
)


def write_recluster_inputs(
    folder: Path, *, pairs: pa.Table, guard: pa.Table | None, normalised: pa.Table
) -> None:
    """The run's side (``runner``): what ``recluster_run`` needs, in the run's folder."""
    pq.write_table(pairs.select(list(EDGE_COLUMNS)), folder / EDGES_NAME)
    if guard is None:
        # A register of 0 or 1 record: no pair, nothing for the guard to read.
        ids = normalised.column("record_id").cast(pa.string())
        guard = pa.table(
            {c: ids if c == "record_id" else pa.nulls(len(ids), pa.string()) for c in GUARD_COLUMNS}
        )
    pq.write_table(guard.select(list(GUARD_COLUMNS)), folder / GUARD_NAME)
    pq.write_table(
        normalised.select([c for c in NORMALISED_COLUMNS if c in normalised.column_names]),
        folder / NORMALISED_NAME,
    )


def has_inputs(folder: Path) -> bool:
    """The run stored what re-clustering needs (runs before the fast path did not)."""
    return all(
        (folder / n).exists() for n in (EDGES_NAME, GUARD_NAME, NORMALISED_NAME, RECORDS_NAME, RESULT_NAME)
    )


@dataclass
class Reclustered:
    """What ``recluster_run`` changed."""

    stats: dict[str, Any]  # the result's stats as rewritten
    same_person: dict[tuple[str, str], bool]  # each review pair: in one person now?
    persons_before: int
    persons: int
    timings: dict[str, float] = field(default_factory=dict)


def recluster_run(
    *,
    folder: Path,
    labels: Sequence[tuple[str, str, bool]],
    title: str,
    commune: str,
    run_no: int,
    generated_at: dt.datetime,
    decisions: Sequence[dict[str, Any]],
    unit_names: dict[int, str],
    applied: dict[str, Any] | None = None,
) -> Reclustered:
    """Cut the run's stored edges in ``folder`` again with the reviewers' ``labels`` (record_id_l,
    record_id_r, is_match: the latest decision of each pair) and rewrite the run's files that
    depend on the persons. ``decisions`` are the workbook's «Quyết định rà soát» rows and
    ``applied`` is noted in the stats (who applied how many, when). Raises ``Conflict`` when the
    run did not store its edges (made before the fast path existed)."""
    if not has_inputs(folder):
        raise Conflict(NOT_STORED, code="recluster_inputs_missing")
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = round(time.perf_counter() - started - sum(timings.values()), 3)

    result = json.loads((folder / RESULT_NAME).read_text(encoding="utf-8"))
    threshold = result["stats"].get("match_threshold")
    if threshold is None:
        raise Conflict(NOT_STORED, code="recluster_inputs_missing")
    stored = pq.read_table(folder / RECORDS_NAME)
    raw = stored.drop_columns(["person_id"])
    persons_before = len(set(stored.column("person_id").to_pylist()))
    guard = pq.read_table(folder / GUARD_NAME)
    edges = pq.read_table(folder / EDGES_NAME)
    normalised = pq.read_table(folder / NORMALISED_NAME)
    lap("read")

    clusters, guard_stats = cluster_edges(guard, edges, threshold=float(threshold), labels=labels)
    lap("cluster")

    records = records_view(raw, normalised, clusters, unit_names)
    quality = quality_report(records)
    lap("report")
    write_workbook(
        out=folder / WORKBOOK_NAME,
        title=title,
        commune=commune,
        run_no=run_no,
        generated_at=generated_at,
        records=records,
        report=quality,
        decisions=decisions,
    )
    lap("workbook")

    person_of = dict(
        zip(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist(), strict=True)
    )
    person_ids = [person_of.get(r) for r in raw.column("record_id").to_pylist()]
    _replace_parquet(raw.append_column("person_id", pa.array(person_ids, pa.string())), folder / RECORDS_NAME)
    persons = len(set(person_ids))

    same_person: dict[tuple[str, str], bool] = {}
    for pair in result["review_pairs"]:
        a, b = pair["record_id_l"], pair["record_id_r"]
        pair["same_person"] = person_of.get(a) is not None and person_of.get(a) == person_of.get(b)
        same_person[(a, b)] = pair["same_person"]
    stats = result["stats"] | {
        "persons": persons,
        "quality": {k: v for k, v in quality.items() if k != "conflicts"},
        "guard": guard_stats,
    }
    lap("write")
    timings["total"] = round(time.perf_counter() - started, 3)
    if applied is not None:
        stats["applied"] = applied | {"seconds": timings["total"]}
    result["stats"] = stats
    tmp = folder / (RESULT_NAME + ".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / RESULT_NAME)
    return Reclustered(
        stats=stats, same_person=same_person, persons_before=persons_before, persons=persons, timings=timings
    )


def _replace_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
