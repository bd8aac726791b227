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
depends on the persons, in place: records.parquet's person_id, the result's stats (persons,
quality) and the review pairs' ``same_person``. Seconds at a ward's size (docs/performance.md,
«Applying decisions»).

The files handed out (the Excel workbook, the national export in CSV and Excel) are not written
there: ``recluster_run`` writes what they are to be made of in ``files.json`` (a generation number,
the records.parquet they follow, the workbook's title and decisions) and ``write_files`` — the
background task's — writes them and then ``files-ready.json`` with that generation. Until the two
generations agree, ``files_ready`` is False and the downloads refuse the stale files. The run
(``runner``) writes its files itself and both markers (generation 0). ``write_files`` holds a lock
on the folder, does nothing when the files are already those of the current generation, and
starts again when an application lands while it writes: the newest state wins.

The scores stay those of the run: the model does not learn from the decisions (a full rerun
does), and pairs the run never scored cannot join. No database and no Django here: the service
(``services.merge_job_apply_decisions``) gives the decisions and writes the job.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from motcua.core.errors import Conflict

from .clustering import GUARD_COLUMNS, cluster_edges
from .export import quality_report, records_view, write_workbook
from .national_export import write_run_exports
from .storage import RESULT_NAME, WORKBOOK_NAME

EDGES_NAME = "edges.parquet"
GUARD_NAME = "guard.parquet"
NORMALISED_NAME = "normalised.parquet"
RECORDS_NAME = "records.parquet"
FILES_NAME = "files.json"  # what the handed-out files are to be made of (generation, workbook)
READY_NAME = "files-ready.json"  # the generation the handed-out files were written for
LOCK_NAME = ".files.lock"
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
    generation: int = 0  # of the handed-out files, now to be written (``write_files``)


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
    del records
    lap("report")

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
    _replace_text(folder / RESULT_NAME, json.dumps(result, ensure_ascii=False))
    # The handed-out files are now stale: the background task (``write_files``) remakes them.
    generation = write_files_spec(
        folder,
        title=title,
        commune=commune,
        run_no=run_no,
        generated_at=generated_at,
        decisions=decisions,
        unit_names=unit_names,
    )
    return Reclustered(
        stats=stats,
        same_person=same_person,
        persons_before=persons_before,
        persons=persons,
        timings=timings,
        generation=generation,
    )


# --------------------------------------------------------------------------- the handed-out files


def _records_token(folder: Path) -> list[int]:
    """Which records.parquet the files follow (a new one is a new inode: ``os.replace``)."""
    stat = (folder / RECORDS_NAME).stat()
    return [stat.st_ino, stat.st_mtime_ns, stat.st_size]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_files_spec(
    folder: Path,
    *,
    title: str,
    commune: str,
    run_no: int,
    generated_at: dt.datetime,
    decisions: Sequence[dict[str, Any]],
    unit_names: dict[int, str],
    ready: bool = False,
) -> int:
    """Record what the handed-out files are to be made of, for records.parquet as it is now, under
    the next generation number (returned). ``ready``: they have been written already (the run)."""
    previous = _read_json(folder / FILES_NAME) or {}
    generation = int(previous.get("generation", -1)) + 1
    spec = {
        "generation": generation,
        "records": _records_token(folder),
        "title": title,
        "commune": commune,
        "run_no": run_no,
        "generated_at": generated_at.isoformat(),
        "decisions": list(decisions),
        "unit_names": {str(k): v for k, v in unit_names.items()},
    }
    _replace_text(folder / FILES_NAME, json.dumps(spec, ensure_ascii=False))
    if ready:
        _replace_text(folder / READY_NAME, json.dumps({"generation": generation}))
    return generation


def files_ready(folder: Path) -> bool:
    """The workbook and the national export are those of the current persons. A run made before
    the files left the request has no ``files.json``: its files were written with it."""
    spec = _read_json(folder / FILES_NAME)
    if spec is None:
        return not (folder / FILES_NAME).exists()
    done = _read_json(folder / READY_NAME)
    return done is not None and done.get("generation") == spec.get("generation")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / LOCK_NAME).open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_files(folder: Path, *, now: dt.datetime, attempts: int = 5) -> int | None:
    """The background side: write the workbook and the national export for the current
    ``files.json``, then mark them ready. Idempotent (nothing to do when they are ready: None);
    when an application rewrites the records meanwhile, starts again with the newest (at most
    ``attempts`` times). Returns the generation written."""
    with _locked(folder):
        for _ in range(attempts):
            spec = _read_json(folder / FILES_NAME)
            if spec is None or files_ready(folder):
                # Current already; only a national export missing (a run from before they were
                # made with it) is written.
                if (folder / RECORDS_NAME).is_file():
                    write_run_exports(run_folder=folder, now=now)
                return None
            generation = spec["generation"]
            stored = pq.read_table(folder / RECORDS_NAME)
            if _records_token(folder) != spec["records"]:
                # records.parquet is newer than the spec: an application is between its two
                # writes; its own spec follows in a moment.
                time.sleep(0.2)
                continue
            _write_workbook(folder, spec, stored)
            write_run_exports(run_folder=folder, now=now)
            latest = _read_json(folder / FILES_NAME) or {}
            if latest.get("generation") != generation or _records_token(folder) != spec["records"]:
                continue  # an application landed while writing: the newest state wins
            _replace_text(folder / READY_NAME, json.dumps({"generation": generation}))
            return int(generation)
    raise Conflict("Danh sách hợp nhất thay đổi liên tục; chưa viết được tệp Excel.", code="files_busy")


def _write_workbook(folder: Path, spec: dict[str, Any], stored: pa.Table) -> None:
    raw = stored.drop_columns(["person_id"])
    clusters = stored.select(["record_id", "person_id"])
    normalised = pq.read_table(folder / NORMALISED_NAME)
    unit_names = {int(k): v for k, v in spec["unit_names"].items()}
    records = records_view(raw, normalised, clusters, unit_names)
    write_workbook(
        out=folder / WORKBOOK_NAME,
        title=spec["title"],
        commune=spec["commune"],
        run_no=spec["run_no"],
        generated_at=dt.datetime.fromisoformat(spec["generated_at"]),
        records=records,
        report=quality_report(records),
        decisions=spec["decisions"],
    )


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _replace_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
