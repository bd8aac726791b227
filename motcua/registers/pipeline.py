"""Merging old wards' registers: read → normalise → link → write. One function, used by the
command line (`motcua registers merge`) and by the web app's background job (in its child
process, ``runner``). No database and no clock here: ``now`` is passed in."""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from .io import Limits, read_registers
from .linkage import LinkResult, link
from .normalize import normalize_table

Progress = Callable[[str, float], None]


@dataclass
class MergeReport:
    records: int
    persons: int
    review_pairs: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    result: LinkResult | None = None
    # The records as read (with file_name and line_no: provenance) and as normalised.
    raw: pa.Table | None = None
    normalised: pa.Table | None = None


def registers_merge(
    *,
    paths: Sequence[Path],
    now: dt.datetime,
    engine: str = "duckdb",
    labels: Iterable[tuple[str, str, bool]] | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> MergeReport:
    """Link the records of the given registers into persons. `progress(step, fraction)` is
    called between steps (reading, normalising, linking) for the progress bar; ``limits``
    (default: the settings) caps what a register file may hold; ``now`` (aware) is the moment
    the dates are read against (``normalize_table``)."""
    say = progress or (lambda step, fraction: None)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    say("read", 0.0)
    raw = read_registers(list(paths), limits=limits)
    timings["read"] = time.perf_counter() - started
    say("normalise", 0.1)
    normalised = normalize_table(raw, now=now)
    timings["normalise"] = time.perf_counter() - started - timings["read"]
    say("link", 0.3)
    # The link step is most of the time: its stages move the bar between 0.3 and 0.85.
    result = link(
        normalised,
        engine=engine,
        labels=labels,
        progress=lambda stage, fraction: say(f"link.{stage}", 0.3 + 0.55 * fraction),
    )
    timings["link"] = time.perf_counter() - started - timings["read"] - timings["normalise"]
    say("done", 1.0)
    persons = len(set(result.clusters.column("person_id").to_pylist()))
    return MergeReport(
        records=raw.num_rows,
        persons=persons,
        review_pairs=result.review_pairs.num_rows,
        seconds=time.perf_counter() - started,
        timings=timings,
        result=result,
        raw=raw,
        normalised=normalised,
    )


def write_clusters(*, result: LinkResult, out: Path) -> None:
    """CLUSTERS.csv: record_id,person_id — one row per input record."""
    ids = result.clusters.column("record_id").to_pylist()
    persons = result.clusters.column("person_id").to_pylist()
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("record_id", "person_id"))
        writer.writerows(zip(ids, persons, strict=True))


def write_review_pairs(*, result: LinkResult, out: Path) -> None:
    table = result.review_pairs
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([_cell(row[c]) for c in table.column_names])


def _cell(value: Any) -> Any:
    return "" if value is None else value
