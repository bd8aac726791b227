"""Applying reviewers' decisions to a finished merge without scoring again: the fast path.

A full rerun (``services.merge_job_rerun``) reads, normalises, trains and scores everything again
(a minute or more at a ward's size). But a decision changes only which scored pairs join persons:
the run keeps what that needs in its folder (``write_recluster_inputs``, called by ``runner``):

- ``edges.parquet``: every pair the run scored at or above the review band's low end
  (record_id_l, record_id_r, match_probability, match_weight — the weight only since R-G: for an
  older run it is derived from the probability);
- ``guard.parquet``: what the conflict guard reads of each record (``clustering.GUARD_COLUMNS``);
- ``normalised.parquet``: the normalised values the report and the workbook use
  (``NORMALISED_COLUMNS``) and what a review pair shows of a record (``REVIEW_COLUMNS``);

beside ``records.parquet`` (the records as read, with their person) and ``result.json`` (whose
stats name the threshold the persons were cut at). ``recluster_run`` cuts the stored edges again
at that threshold with the decisions (``clustering.cluster_edges``: an accepted pair is an edge of
probability 1, a rejected one never ends up in one person — as in the run) and rewrites what
depends on the persons: records.parquet's person_id, the result's stats (persons,
quality) and the review list (staged, then published: below). Seconds at a ward's size
(docs/performance.md, «Applying decisions»).

The review list (``review_list``) stays the run's rule applied to the new persons: every scored
pair in the review band, and every pair at or above the threshold whose records are in different
persons, less the decided pairs. A decision can change which strong pairs end up split, so the
pairs the rule lists now and the list lacks are added to ``result.json``'s ``review_pairs``,
undecided, with both sides as the run shows them, and the list is ordered again as the run orders
it (nearest the threshold first); ``Reclustered.added`` and ``.order`` tell the service what to
write to the database. An undecided pair the rule would no longer list is kept with its
``same_person`` updated (why: ``review_list``).

The files handed out (the Excel workbook, the national export in CSV and Excel) are not written
there: ``recluster_run`` writes what they are to be made of in ``files.json`` (a generation number,
the records.parquet they follow, the workbook's title and decisions) and ``write_files`` — the
background task's — writes them and then ``files-ready.json`` with that generation. Until the two
generations agree, ``files_ready`` is False and the downloads refuse the stale files. The run
(``runner``) writes its files itself and both markers (generation 0). ``write_files`` holds a lock
on the folder, does nothing when the files are already those of the current generation, and
starts again when an application lands while it writes: the newest state wins.

Staging (issue 12 §4): ``recluster_run`` writes the new records.parquet, result.json and
files.json into ``.apply-<generation>/`` in the run's folder; ``publish_staged`` moves them into
place (``os.replace``: result.json, files.json, then records.parquet, so records.parquet is never
newer than the other two). The service re-clusters outside any database transaction and publishes
only once its second, short transaction has committed; a rolled-back application discards its
stage (``discard_staged``), and one whose process died between the commit and the swap is finished
by the task (``write_files(expected=...)``, the generation the job's stats name). A task that fails
records why in ``files-failed.json`` (``files_failure``) before re-raising, so the page can say it
and offer to queue the task again; ``files-queued.json`` says when it was last queued
(``mark_queued``, ``files_since``).

The scores stay those of the run: the model does not learn from the decisions (a full rerun
does), and pairs the run never scored cannot join. No database and no Django here: the service
(``services.merge_job_apply_decisions``) gives the decisions and writes the job.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from motcua.core.errors import Conflict, DomainError

from .clustering import GUARD_COLUMNS, cluster_edges
from .export import NORMALISED_COLUMNS, quality_report, records_view, write_workbook
from .io import COLUMNS
from .national_export import write_run_exports
from .normalize import VN, normalize_table
from .storage import RESULT_NAME, WORKBOOK_NAME

EDGES_NAME = "edges.parquet"
GUARD_NAME = "guard.parquet"
NORMALISED_NAME = "normalised.parquet"
RECORDS_NAME = "records.parquet"
FILES_NAME = "files.json"  # what the handed-out files are to be made of (generation, workbook)
READY_NAME = "files-ready.json"  # the generation the handed-out files were written for
LOCK_NAME = ".files.lock"
FAILED_NAME = "files-failed.json"  # why the task could not write the files of a generation
QUEUED_NAME = "files-queued.json"  # when the task was last queued
STAGE_PREFIX = ".apply-"  # an application's new files, before they are published
# The order files are published in: records.parquet last, never newer than the other two.
PUBLISH_ORDER = (RESULT_NAME, FILES_NAME, RECORDS_NAME)

logger = logging.getLogger(__name__)
EDGE_COLUMNS = ("record_id_l", "record_id_r", "match_probability", "match_weight")
# What the cutting needs of an edge; ``match_weight`` orders the review list (a run stored before
# it was kept gets it back from the probability: ``_weight``).
CUT_COLUMNS = EDGE_COLUMNS[:3]
# Beside ``NORMALISED_COLUMNS``: what a new review pair shows of each side (``_display``).
REVIEW_COLUMNS = (
    "source",
    "full_name",
    "phone",
    "household_no",
    "address_folded",
    "id_century_gender",
    "id_birth_year_2",
)

NOT_STORED = (
    "Lần chạy này được thực hiện trước khi có cách áp dụng nhanh (chưa lưu các cặp đã chấm điểm), "
    "nên không thể áp dụng quyết định mà không chạy lại. Hãy bấm «Áp dụng quyết định và chạy lại»."
)


def write_recluster_inputs(
    folder: Path, *, pairs: pa.Table, guard: pa.Table | None, normalised: pa.Table
) -> None:
    """The run's side (``runner``): what ``recluster_run`` needs, in the run's folder."""
    pq.write_table(pairs.select([c for c in EDGE_COLUMNS if c in pairs.column_names]), folder / EDGES_NAME)
    if guard is None:
        # A register of 0 or 1 record: no pair, nothing for the guard to read.
        ids = normalised.column("record_id").cast(pa.string())
        guard = pa.table(
            {c: ids if c == "record_id" else pa.nulls(len(ids), pa.string()) for c in GUARD_COLUMNS}
        )
    pq.write_table(guard.select(list(GUARD_COLUMNS)), folder / GUARD_NAME)
    pq.write_table(
        normalised.select(
            [c for c in (*NORMALISED_COLUMNS, *REVIEW_COLUMNS) if c in normalised.column_names]
        ),
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
    # Review pairs the run's rule lists now and the list lacked (``review_list``), as ``runner``
    # writes them; and every listed pair (record_id_l, record_id_r) in the run's order.
    added: list[dict[str, Any]] = field(default_factory=list)
    order: list[tuple[str, str]] = field(default_factory=list)


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
    generation: int | None = None,
    publish: bool = True,
) -> Reclustered:
    """Cut the run's stored edges in ``folder`` again with the reviewers' ``labels`` (record_id_l,
    record_id_r, is_match: the latest decision of each pair) and write the run's files that
    depend on the persons, staged under ``generation`` (default: the next one) and published at
    once unless ``publish`` is False (the caller then calls ``publish_staged`` or
    ``discard_staged``). ``decisions`` are the workbook's «Quyết định rà soát» rows and
    ``applied`` is noted in the stats (who applied how many, when). Raises ``Conflict`` when the
    run did not store its edges (made before the fast path existed)."""
    if generation is None:
        generation = next_generation(folder)
    stage = stage_dir(folder, generation)
    try:
        out = _recluster(
            folder=folder,
            stage=stage,
            generation=generation,
            labels=labels,
            title=title,
            commune=commune,
            run_no=run_no,
            generated_at=generated_at,
            decisions=decisions,
            unit_names=unit_names,
            applied=applied,
        )
    except BaseException:
        discard_staged(folder, generation)
        raise
    if publish:
        publish_staged(folder, generation)
    return out


def _recluster(
    *,
    folder: Path,
    stage: Path,
    generation: int,
    labels: Sequence[tuple[str, str, bool]],
    title: str,
    commune: str,
    run_no: int,
    generated_at: dt.datetime,
    decisions: Sequence[dict[str, Any]],
    unit_names: dict[int, str],
    applied: dict[str, Any] | None,
) -> Reclustered:
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
    if stage.exists():
        shutil.rmtree(stage)  # an earlier attempt at this generation, abandoned
    stage.mkdir()
    pq.write_table(raw.append_column("person_id", pa.array(person_ids, pa.string())), stage / RECORDS_NAME)
    persons = len(set(person_ids))

    # The review list: the pairs the run's rule lists now and the list lacks are added, undecided;
    # the listed ones only get their same_person (``review_list``).
    added = review_list(
        result,
        edges=edges,
        person_of=person_of,
        labels=labels,
        threshold=float(threshold),
        raw=raw,
        normalised=normalised,
        # The time of day as the workbook shows it (Vietnam's, naive): aware for normalize.
        now=generated_at if generated_at.tzinfo else generated_at.replace(tzinfo=VN),
    )
    same_person = {(p["record_id_l"], p["record_id_r"]): p["same_person"] for p in result["review_pairs"]}
    lap("review")
    stats = result["stats"] | {
        "persons": persons,
        "review_pairs": len(result["review_pairs"]),
        "quality": {k: v for k, v in quality.items() if k != "conflicts"},
        "guard": guard_stats,
    }
    lap("write")
    timings["total"] = round(time.perf_counter() - started, 3)
    if applied is not None:
        stats["applied"] = applied | {"seconds": timings["total"], "review_pairs_added": len(added)}
    result["stats"] = stats
    (stage / RESULT_NAME).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    # The handed-out files are stale once this is published: the background task
    # (``write_files``) remakes them. The spec names the staged records.parquet, whose inode,
    # time and size ``os.replace`` keeps.
    _write_spec(
        stage / FILES_NAME,
        records=stage / RECORDS_NAME,
        generation=generation,
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
        added=added,
        order=list(same_person),
    )


# --------------------------------------------------------------------------- the review list


def review_list(
    result: dict[str, Any],
    *,
    edges: pa.Table,
    person_of: dict[str, str],
    labels: Sequence[tuple[str, str, bool]],
    threshold: float,
    raw: pa.Table,
    normalised: pa.Table,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Bring ``result["review_pairs"]`` (the run's list, as ``runner`` wrote it) up to the new
    persons ``person_of``, in place, and return the pairs added.

    The run's rule (``linkage``'s ``review_pairs``): every scored pair with lo <= p < hi (the
    review band), and every pair with p >= the threshold whose two records are in different
    persons (the conflict guard split them), less the decided ones; nearest the threshold first
    (|match_weight − the threshold's weight|, then the ids). A decision changes which strong pairs
    end up split: accepting a pair can pull a record into a person the guard must then split a
    strong pair away from, rejecting one can leave a record's other strong pairs across persons.
    Such pairs are added, undecided, with both sides as the run shows them (``_side``), and the
    whole list is ordered again by the run's rule.

    A listed pair the rule would no longer list (a split strong pair joined again) is kept, with
    its ``same_person`` updated: the officer may be reviewing it at that moment, a decision on it
    is still a valid decision (it binds the next run too), and its row ties the pair to the page
    and to its decisions; the next run lists afresh. A pair is never listed twice."""
    band = result["stats"].get("review_band")
    if band is None:  # every run since the fast path names it; the default is linkage's
        from .linkage import DEFAULT_REVIEW_BAND

        band = DEFAULT_REVIEW_BAND
    lo, hi = float(band[0]), float(band[1])
    pairs = result["review_pairs"]
    listed = {(p["record_id_l"], p["record_id_r"]) for p in pairs}
    decided = {(min(a, b), max(a, b)) for a, b, _ in labels}
    for pair in pairs:
        a, b = pair["record_id_l"], pair["record_id_r"]
        pair["same_person"] = person_of.get(a) is not None and person_of.get(a) == person_of.get(b)

    # Candidates: the band, and the strong pairs (few of them split); then in Python.
    prob = edges.column("match_probability")
    strong_or_band = pc.or_(
        pc.and_(pc.greater_equal(prob, lo), pc.less(prob, hi)), pc.greater_equal(prob, threshold)
    )
    candidates = edges.filter(pc.fill_null(strong_or_band, False))
    weights = (
        candidates.column("match_weight").to_pylist()
        if "match_weight" in candidates.column_names
        else [None] * candidates.num_rows
    )
    wanted: list[tuple[str, str, float, float, bool]] = []
    for a, b, p, w in zip(
        candidates.column("record_id_l").to_pylist(),
        candidates.column("record_id_r").to_pylist(),
        candidates.column("match_probability").to_pylist(),
        weights,
        strict=True,
    ):
        key = (a, b) if a < b else (b, a)
        if key in listed or key in decided or a not in person_of or b not in person_of:
            continue
        same = person_of[a] == person_of[b]
        if lo <= p < hi or not same:
            wanted.append((*key, float(p), _weight(p) if w is None else float(w), same))
            listed.add(key)
    if not wanted:
        return []

    ids = pa.array(sorted({x for a, b, *_ in wanted for x in (a, b)}), pa.string())
    raw_by_id = {r["record_id"]: r for r in raw.filter(pc.is_in(raw.column("record_id"), ids)).to_pylist()}
    norm_by_id = {
        r["record_id"]: r
        for r in normalised.filter(pc.is_in(normalised.column("record_id"), ids)).to_pylist()
    }
    if now is not None and any(c not in normalised.column_names for c in REVIEW_COLUMNS):
        # A run stored before REVIEW_COLUMNS were kept: these few records normalised again from
        # their raw rows (as the run normalised them), so a new pair shows every badge.
        subset = raw.filter(pc.is_in(raw.column("record_id"), ids))
        again = normalize_table(subset.select([c for c in COLUMNS if c in subset.column_names]), now=now)
        for r in again.to_pylist():
            norm_by_id[r["record_id"]] = norm_by_id.get(r["record_id"], {}) | {
                c: r.get(c) for c in REVIEW_COLUMNS
            }
    added = [
        {
            "record_id_l": a,
            "record_id_r": b,
            "match_probability": p,
            "match_weight": w,
            "same_person": same,
            "left": _side(raw_by_id.get(a, {}), norm_by_id.get(a, {})),
            "right": _side(raw_by_id.get(b, {}), norm_by_id.get(b, {})),
        }
        for a, b, p, w, same in wanted
    ]
    target = _weight(threshold)
    pairs.extend(added)
    pairs.sort(key=lambda q: (abs(q["match_weight"] - target), q["record_id_l"], q["record_id_r"]))
    return added


WEIGHT_LIMIT = 60.0  # |log2 odds| of a probability that rounds to 0 or 1 (Splink's scale)


def _weight(p: float) -> float:
    """A pair's match weight from its probability (log2 of the odds): for an edge stored without
    it (a run from before it was kept)."""
    if p <= 0.0:
        return -WEIGHT_LIMIT
    if p >= 1.0:
        return WEIGHT_LIMIT
    return max(-WEIGHT_LIMIT, min(WEIGHT_LIMIT, math.log2(p / (1.0 - p))))


def _side(raw: dict[str, Any], norm: dict[str, Any]) -> dict[str, Any]:
    """One side of a review pair as ``runner`` writes it: the record as written (with its file
    and line) and the values the model compared (``model.FEATURES_SQL``'s display columns,
    computed from the stored normalised row by ``_display``)."""
    return {
        "raw": {k: _jsonable(v) for k, v in raw.items() if k != "person_id"},
        "norm": _display(norm) if norm else {},
    }


def _display(row: dict[str, Any]) -> dict[str, Any]:
    """What ``model.FEATURES_SQL`` makes of a normalised row, for the columns a review pair shows
    (``model.DISPLAY_COLUMNS``): a full date only at day precision, the gender only M or F, the
    birth year from the CCCD when the row has none and the CCCD does not contradict its gender,
    blanks as None. (Written again here because the run does not keep its features; a test holds
    the two to the same values.) A run stored before ``REVIEW_COLUMNS`` were kept lacks some: None."""
    precision = row.get("dob_precision")
    gender = row.get("gender")
    citizen_id = row.get("citizen_id") or None
    birth_year = row.get("birth_year")
    century, year_2 = row.get("id_century_gender"), row.get("id_birth_year_2")
    if (
        birth_year is None
        and citizen_id is not None
        and century is not None
        and 0 <= century <= 3
        and year_2 is not None
        and 0 <= year_2 <= 99
        and (gender not in ("M", "F") or gender == ("M" if century % 2 == 0 else "F"))
    ):
        birth_year = (1900 if century <= 1 else 2000) + year_2
    return {
        "source": row.get("source") or "",
        "full_name": row.get("full_name"),
        "birth_date": _jsonable(row.get("birth_date")) if precision == "day" else None,
        "birth_year": birth_year,
        "dob_precision": precision,
        "gender": gender if gender in ("M", "F") else None,
        "citizen_id": citizen_id,
        "cmnd": row.get("cmnd") or None,
        "phone": row.get("phone") or None,
        "household_no": row.get("household_no") or None,
        "address_folded": row.get("address_folded"),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- the handed-out files


def _records_token(folder: Path) -> list[int]:
    """Which records.parquet the files follow (a new one is a new inode: ``os.replace``)."""
    return _token(folder / RECORDS_NAME)


def _token(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_ino, stat.st_mtime_ns, stat.st_size]


def stage_dir(folder: Path, generation: int) -> Path:
    return folder / f"{STAGE_PREFIX}{generation}"


def next_generation(folder: Path, *, at_least: int | None = None) -> int:
    """The generation an application writes: after the current ``files.json``'s (and after
    ``at_least``, one committed but not yet published)."""
    current = int((_read_json(folder / FILES_NAME) or {}).get("generation", -1))
    return max(current, -1 if at_least is None else at_least) + 1


def publish_staged(folder: Path, generation: int) -> bool:
    """Move the staged files of ``generation`` into place (records.parquet last). Safe to call
    twice at once or again after a crash midway (what is gone was published). True if anything
    was moved."""
    stage = stage_dir(folder, generation)
    moved = False
    for name in PUBLISH_ORDER:
        try:
            os.replace(stage / name, folder / name)
        except FileNotFoundError:
            continue
        moved = True
    shutil.rmtree(stage, ignore_errors=True)
    return moved


def discard_staged(folder: Path, generation: int) -> None:
    shutil.rmtree(stage_dir(folder, generation), ignore_errors=True)


def _clean_stages(folder: Path, generation: int) -> None:
    """Stages of generations before the current: applications that never committed. (The
    current's own is one published halfway, finished by ``_write_files``.)"""
    for stage in folder.glob(f"{STAGE_PREFIX}*"):
        suffix = stage.name.removeprefix(STAGE_PREFIX)
        if suffix.isdigit() and int(suffix) < generation:
            shutil.rmtree(stage, ignore_errors=True)


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
    generation = next_generation(folder)
    _write_spec(
        folder / FILES_NAME,
        records=folder / RECORDS_NAME,
        generation=generation,
        title=title,
        commune=commune,
        run_no=run_no,
        generated_at=generated_at,
        decisions=decisions,
        unit_names=unit_names,
    )
    if ready:
        _replace_text(folder / READY_NAME, json.dumps({"generation": generation}))
    return generation


def _write_spec(
    path: Path,
    *,
    records: Path,
    generation: int,
    title: str,
    commune: str,
    run_no: int,
    generated_at: dt.datetime,
    decisions: Sequence[dict[str, Any]],
    unit_names: dict[int, str],
) -> None:
    spec = {
        "generation": generation,
        "records": _token(records),
        "title": title,
        "commune": commune,
        "run_no": run_no,
        "generated_at": generated_at.isoformat(),
        "decisions": list(decisions),
        "unit_names": {str(k): v for k, v in unit_names.items()},
    }
    _replace_text(path, json.dumps(spec, ensure_ascii=False))


def files_ready(folder: Path, *, expected: int | None = None) -> bool:
    """The workbook and the national export are those of the current persons. A run made before
    the files left the request has no ``files.json``: its files were written with it.
    ``expected``: the generation the job's stats name (an application committed whose files were
    not published yet — its process died — is not ready)."""
    spec = _read_json(folder / FILES_NAME)
    if spec is None:
        return not (folder / FILES_NAME).exists() and expected is None
    if expected is not None and int(spec.get("generation", -1)) < expected:
        return False
    done = _read_json(folder / READY_NAME)
    return done is not None and done.get("generation") == spec.get("generation")


def files_failure(folder: Path) -> str | None:
    """Why the task could not write the current files (None: it did not fail, or they are
    ready, or it was queued again since)."""
    failed = _read_json(folder / FAILED_NAME)
    if failed is None or files_ready(folder):
        return None
    spec = _read_json(folder / FILES_NAME) or {}
    if failed.get("generation") != spec.get("generation"):
        return None
    return str(failed.get("error") or "lỗi không rõ")


def files_since(folder: Path) -> float | None:
    """When the files became stale or their task was last queued (a POSIX time), whichever is
    later; None when the run has no ``files.json``."""
    times = []
    for name in (FILES_NAME, QUEUED_NAME):
        try:
            times.append((folder / name).stat().st_mtime)
        except FileNotFoundError:
            continue
    return max(times) if times else None


def mark_queued(folder: Path) -> None:
    """The task is queued (again): the last failure no longer shows."""
    if folder.is_dir():
        (folder / FAILED_NAME).unlink(missing_ok=True)
        _replace_text(folder / QUEUED_NAME, "{}")


def _describe(exc: BaseException) -> str:
    """The failure in the officer's words."""
    if isinstance(exc, DomainError):  # files_busy, a sheet past Excel's rows…
        return exc.message
    if isinstance(exc, MemoryError):
        return "máy chủ không đủ bộ nhớ."
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "ổ đĩa của máy chủ đã đầy."
    return f"lỗi hệ thống ({type(exc).__name__}); hãy báo quản trị viên nếu tạo lại vẫn không được."


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with (folder / LOCK_NAME).open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_files(
    folder: Path, *, now: dt.datetime, attempts: int = 5, expected: int | None = None
) -> int | None:
    """The background side: write the workbook and the national export for the current
    ``files.json``, then mark them ready. Idempotent (nothing to do when they are ready: None);
    when an application rewrites the records meanwhile, starts again with the newest (at most
    ``attempts`` times). ``expected``: the generation the job's stats name, published here if
    its application's process died before it could. Returns the generation written. A failure
    is recorded (``files_failure``) and raised again."""
    with _locked(folder):
        try:
            return _write_files(folder, now=now, attempts=attempts, expected=expected)
        except BaseException as exc:
            spec = _read_json(folder / FILES_NAME) or {}
            message = _describe(exc)
            failed = {"generation": spec.get("generation"), "error": message, "at": now.isoformat()}
            try:
                _replace_text(folder / FAILED_NAME, json.dumps(failed, ensure_ascii=False))
            except OSError:
                logger.exception("files of %s: the failure could not be recorded", folder)
            logger.exception("files of %s: not written (%s)", folder, message)
            raise


def _write_files(folder: Path, *, now: dt.datetime, attempts: int, expected: int | None) -> int | None:
    current = int((_read_json(folder / FILES_NAME) or {}).get("generation", -1))
    if expected is not None and current < expected:
        publish_staged(folder, expected)  # committed, never published: its process died
        current = int((_read_json(folder / FILES_NAME) or {}).get("generation", -1))
    if current >= 0:
        _clean_stages(folder, current)
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
            # The spec is newer than records.parquet: an application is publishing its files
            # (records.parquet comes last), or its process died midway: finish it.
            if not publish_staged(folder, int(generation)):
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
