"""The merged register's files at a ward's size (issue 12 §4): how long each takes to write.

    .venv/bin/python bench/registers_files.py --run DIR/run

``DIR/run`` is a finished run's folder (``bench/registers_recluster.py --data DIR`` makes one).
Times, one JSON line each (wall and CPU seconds): the records view and the quality report, the
merged workbook (``export.write_workbook``), the national rows and their CSV and xlsx
(``national_export``), then the background task's whole ``recluster.write_files`` after marking
the files stale. Writes its copies to a temporary folder; the run's own files are rewritten
only by the last step (the same content).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from motcua.registers import export, recluster  # noqa: E402
from motcua.registers import national_export as ne  # noqa: E402

NOW = dt.datetime(2025, 11, 30, 2, 0, tzinfo=dt.UTC)


def timed(step: str, fn: Callable[[], Any]) -> Any:
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    line = {
        "step": step,
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
    }
    print(json.dumps(line), flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", type=Path, required=True)
    args = parser.parse_args()
    folder: Path = args.run
    out = Path(tempfile.mkdtemp(prefix="registers-files-"))
    stored = pq.read_table(folder / recluster.RECORDS_NAME)
    raw, clusters = stored.drop_columns(["person_id"]), stored.select(["record_id", "person_id"])
    normalised = pq.read_table(folder / recluster.NORMALISED_NAME)
    records = timed("records_view", lambda: export.records_view(raw, normalised, clusters, {}))
    report = timed("quality_report", lambda: export.quality_report(records))
    timed(
        "write_workbook",
        lambda: export.write_workbook(
            out=out / "hop-nhat.xlsx",
            title="Hợp nhất (đo thời gian)",
            commune="Phường Thanh Khê",
            run_no=1,
            generated_at=NOW.replace(tzinfo=None),
            records=records,
            report=report,
            decisions=[],
        ),
    )
    rows = timed(
        "national_rows", lambda: ne.national_rows(ne.read_records(folder / ne.RECORDS_NAME), now=NOW)
    )
    timed("national_csv", lambda: ne.write(rows, out / "dan-cu.csv", "csv"))
    timed("national_xlsx", lambda: ne.write(rows, out / "dan-cu.xlsx", "xlsx"))
    recluster.write_files_spec(
        folder,
        title="Hợp nhất (đo thời gian)",
        commune="Phường Thanh Khê",
        run_no=1,
        generated_at=NOW.replace(tzinfo=None),
        decisions=[],
        unit_names={},
    )
    for old in folder.glob("dan-cu-*"):
        old.unlink()
    timed("write_files (the background task)", lambda: recluster.write_files(folder, now=NOW))
    sizes = {p.name: round(p.stat().st_size / 1e6, 1) for p in sorted(out.iterdir())}
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps({"sizes_mb": sizes, "peak_rss_mib": peak}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
