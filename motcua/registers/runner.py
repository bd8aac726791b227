"""The merge's heavy work, in a child process of the task worker: read → normalise → link → write.

``python -m motcua.registers.runner SPEC.json`` runs ``registers_merge`` on the files the spec
names and writes the run's files (the Excel workbook, records.parquet, stats.json) and
``result.json`` (the review pairs, the rows per file, the figures) in the run's folder. It does
not touch the database (Django is not even set up here): the parent (``worker.merge_job_run``)
reads the result and writes it. The moment the dates are read against is the spec's ``now``
(the worker's), never this process's clock.

Why a child process: one task worker serves every commune, one job at a time. A job that takes
too long (a register far bigger than usual, an input that sends a library into a slow path) or
that its officer cancels must free the worker at once, wherever it is — inside DuckDB, openpyxl
or pyarrow, none of which can be interrupted from Python. The parent asks the child to stop
(SIGTERM, then SIGKILL after a few seconds) when the time limit passes or the officer cancels,
and takes the next job. Nothing of a stopped run is kept: the child writes into a fresh folder
that becomes the job's results only when the parent has read ``result.json``.

The child talks to the parent through stdout, one JSON object a line:
``{"progress": [step, fraction]}``, then ``{"result": "<path>"}`` or ``{"refused": message,
"details": [...]}`` (a register refused by ``io``). Anything else it prints (libraries' logs)
goes to stderr, which the parent keeps in the job's folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from motcua.core.errors import DomainError

from .export import quality_report, records_view, write_workbook
from .io import Limits
from .linkage import DEFAULT_MATCH_THRESHOLD, DEFAULT_REVIEW_BAND
from .national_export import write_run_exports
from .pipeline import registers_merge
from .recluster import write_files_spec, write_recluster_inputs
from .storage import RESULT_NAME, WORKBOOK_NAME


class Stopped(Exception):
    """The parent asked the run to stop (SIGTERM)."""


def run(spec: dict[str, Any], say: IO[str]) -> None:
    """The whole run as the spec describes it; progress and the outcome written to ``say``."""

    def tell(message: dict[str, Any]) -> None:
        say.write(json.dumps(message, ensure_ascii=False) + "\n")
        say.flush()

    try:
        tell({"result": str(_run(spec, lambda step, fraction: tell({"progress": [step, fraction]})))})
    except DomainError as exc:
        tell({"refused": exc.message, "details": list(exc.details)})


def _run(spec: dict[str, Any], progress: Any) -> Path:
    limits = Limits(**spec["limits"])
    paths = [Path(p) for p in spec["paths"]]
    labels = [(a, b, bool(m)) for a, b, m in spec["labels"]]
    folder = Path(spec["out_dir"])
    folder.mkdir(parents=True, exist_ok=True)

    report = registers_merge(
        paths=paths,
        now=dt.datetime.fromisoformat(spec["now"]),
        labels=labels,
        progress=progress,
        limits=limits,
    )
    assert report.result is not None and report.raw is not None and report.normalised is not None
    result = report.result
    original = spec["original_names"]
    # Provenance names the file as the officer uploaded it, not as it is stored.
    raw = report.raw.set_column(
        report.raw.schema.get_field_index("file_name"),
        "file_name",
        pa.array([original.get(n, n) for n in report.raw.column("file_name").to_pylist()], pa.string()),
    )
    unit_names = {int(k): v for k, v in spec["unit_names"].items()}
    records = records_view(raw, report.normalised, result.clusters, unit_names)
    quality = quality_report(records)
    write_workbook(
        out=folder / WORKBOOK_NAME,
        title=spec["title"],
        commune=spec["commune"],
        run_no=spec["run_no"],
        generated_at=dt.datetime.fromisoformat(spec["generated_at"]),
        records=records,
        report=quality,
        decisions=spec["decisions"],
    )
    pq.write_table(
        raw.append_column("person_id", _person_column(raw, result.clusters)), folder / "records.parquet"
    )
    # What applying reviewers' decisions needs later without scoring again (``recluster``):
    # the scored pairs kept, what the conflict guard reads, the normalised values reported.
    write_recluster_inputs(folder, pairs=result.pairs, guard=result.guard, normalised=report.normalised)
    # The national export made now, so that its first download is served at once; then the
    # files are marked as those of these persons (``recluster.files_ready``).
    write_run_exports(run_folder=folder, now=dt.datetime.fromisoformat(spec["now"]))
    write_files_spec(
        folder,
        title=spec["title"],
        commune=spec["commune"],
        run_no=spec["run_no"],
        generated_at=dt.datetime.fromisoformat(spec["generated_at"]),
        decisions=spec["decisions"],
        unit_names=unit_names,
        ready=True,
    )
    progress("write", 0.97)

    review = result.review_pairs.to_pylist()
    wanted = {p["record_id_l"] for p in review} | {p["record_id_r"] for p in review}
    raw_by_id = {r["record_id"]: r for r in raw.to_pylist() if r["record_id"] in wanted}
    rows_per_file: dict[str, int] = {}
    for name in report.raw.column("file_name").to_pylist():
        rows_per_file[name] = rows_per_file.get(name, 0) + 1
    (folder / "stats.json").write_text(json.dumps(result.stats, default=str, ensure_ascii=False, indent=1))
    out = {
        "stats": {
            "records": report.records,
            "persons": report.persons,
            "review_pairs": len(review),
            "seconds": round(report.seconds, 1),
            "timings": {k: round(v, 2) for k, v in report.timings.items()},
            "comparisons": result.stats.get("comparisons"),
            "labels_used": len(labels),
            # The threshold the persons were cut at (``recluster`` cuts the stored edges there).
            "match_threshold": result.stats.get("match_threshold", DEFAULT_MATCH_THRESHOLD),
            "review_band": result.stats.get("review_band", list(DEFAULT_REVIEW_BAND)),
            "quality": {k: v for k, v in quality.items() if k != "conflicts"},
            "warnings": result.stats.get("warnings", []),
        },
        "rows_per_file": rows_per_file,
        "review_pairs": [
            {
                "record_id_l": p["record_id_l"],
                "record_id_r": p["record_id_r"],
                "match_probability": float(p["match_probability"]),
                "match_weight": float(p["match_weight"]),
                "same_person": bool(p["same_person"]),
                "left": _side(p, "l", raw_by_id),
                "right": _side(p, "r", raw_by_id),
            }
            for p in review
        ],
    }
    path = folder / RESULT_NAME
    path.write_text(json.dumps(out, default=_jsonable, ensure_ascii=False))
    return path


def _side(pair: dict[str, Any], side: str, raw_by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One side of a review pair: the record as written (what the clerk typed, with its file and
    line) and as normalised (what the model compared)."""
    suffix = f"_{side}"
    normalised = {
        k[: -len(suffix)]: _jsonable(v)
        for k, v in pair.items()
        if k.endswith(suffix) and k != f"record_id{suffix}"
    }
    raw = raw_by_id.get(pair[f"record_id{suffix}"], {})
    return {"raw": {k: _jsonable(v) for k, v in raw.items()}, "norm": normalised}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _person_column(raw: pa.Table, clusters: pa.Table) -> pa.Array:
    person_of = dict(
        zip(clusters.column("record_id").to_pylist(), clusters.column("person_id").to_pylist(), strict=True)
    )
    return pa.array([person_of.get(r) for r in raw.column("record_id").to_pylist()], pa.string())


def _on_term(signum: int, frame: Any) -> None:
    raise Stopped


def main(argv: list[str]) -> int:
    # The protocol gets its own copy of stdout; whatever a library prints goes to stderr.
    say = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    signal.signal(signal.SIGTERM, _on_term)
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        run(spec, say)
    except Stopped:
        return 3
    return 0


if __name__ == "__main__":  # pragma: no cover - run by worker.merge_job_run as a child process
    sys.exit(main(sys.argv[1:]))
