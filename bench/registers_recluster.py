"""Applying reviewers' decisions without a rerun (issue 12 §4): how long the fast path takes.

    .venv/bin/python bench/registers_recluster.py --data DIR [--decisions 200] [--repeat 3]

``DIR`` holds generated registers (``ward_*.csv``, from ``motcua registers generate``). The
script runs the web app's merge once as the task worker's child process does (``runner._run``,
no database: the spec is made here) into ``DIR/run/`` — or reuses it — then applies decisions to
it with ``recluster.recluster_run``, as ``services.merge_job_apply_decisions`` does: half of
them reject a review pair scored above the threshold, half accept one scored below it (the most
uncertain first). Prints one JSON line per application: the per-step timings, persons
before and after, the peak RSS of this process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from motcua.registers import recluster, runner  # noqa: E402
from motcua.registers.io import Limits  # noqa: E402


def _merge(data: Path, folder: Path) -> float:
    paths = sorted(data.glob("ward_*.csv"))
    if not paths:
        raise SystemExit(f"no ward_*.csv in {data} (motcua registers generate --out-dir {data})")
    now = dt.datetime(2025, 11, 30, 2, 0, tzinfo=dt.UTC)  # the moment the dates are read against
    spec = {
        "paths": [str(p) for p in paths],
        "labels": [],
        "limits": asdict(Limits()),
        "out_dir": str(folder),
        "title": "Hợp nhất (đo thời gian)",
        "commune": "Phường Thanh Khê",
        "run_no": 1,
        "now": now.isoformat(),
        "generated_at": now.replace(tzinfo=None).isoformat(),
        "original_names": {},
        "unit_names": {},
        "decisions": [],
    }
    started = time.perf_counter()
    runner._run(spec, lambda step, fraction: None)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = args.data / "run"
    if not recluster.has_inputs(folder):
        seconds = _merge(args.data, folder)
        print(json.dumps({"merge_seconds": round(seconds, 1)}), flush=True)
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    # Chosen on the scores (which an application does not change), so every attempt applies the
    # same decisions: pairs above the threshold rejected, pairs below it accepted.
    threshold = result["stats"]["match_threshold"]
    pairs = result["review_pairs"]
    merged = [p for p in pairs if p["match_probability"] >= threshold][: args.decisions // 2]
    split = [p for p in pairs if p["match_probability"] < threshold][: args.decisions - len(merged)]
    labels = [(p["record_id_l"], p["record_id_r"], False) for p in merged]
    labels += [(p["record_id_l"], p["record_id_r"], True) for p in split]
    decisions = [
        {
            "decided_at": "30/11/2025 09:00",
            "decided_by": "Cán bộ dữ liệu",
            "record_id_l": a,
            "record_id_r": b,
            "verdict": "Cùng một người" if m else "Hai người khác nhau",
            "reason": "Đã xác minh với tổ dân phố",
        }
        for a, b, m in labels
    ]
    # The units' names as the web app gives them (one per new commune code of the records).
    codes = pq.read_table(folder / recluster.NORMALISED_NAME, columns=["new_ward_code"]).column(0)
    unit_names = {int(c): f"Phường {c}" for c in set(codes.to_pylist()) if c is not None}
    records = pq.read_table(folder / recluster.RECORDS_NAME, columns=["record_id"]).num_rows
    edges = pq.read_table(folder / recluster.EDGES_NAME, columns=["record_id_l"]).num_rows
    for i in range(args.repeat):
        started = time.perf_counter()
        out = recluster.recluster_run(
            folder=folder,
            labels=labels,
            title="Hợp nhất (đo thời gian)",
            commune="Phường Thanh Khê",
            run_no=1,
            generated_at=dt.datetime(2025, 11, 30, 9, 0),
            decisions=decisions,
            unit_names=unit_names,
        )
        wall = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "attempt": i + 1,
                    "records": records,
                    "edges": edges,
                    "decisions": len(labels),
                    "persons_before": out.persons_before,
                    "persons": out.persons,
                    "wall_s": round(wall, 2),
                    "timings": out.timings,
                    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
