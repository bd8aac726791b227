"""Register merge: F1 at several match thresholds from one link (issue 12, docs/performance.md).

    .venv/bin/python bench/registers_threshold.py DIR [--thresholds 0.4,0.5,0.6,0.7,0.8] [--cache FILE]

DIR holds generated registers (``ward_*.csv`` and ``truth.csv``: ``motcua registers generate``,
either generator). They are read and normalised once (cached as parquet, default
``/tmp/registers_threshold/<DIR name>.parquet``), linked once with the defaults (``link()``: its
pairs keep every pair scored at or above the review band's low end, 0.3), then cut again at each
threshold by ``clustering.cluster_edges`` — the run's own constrained components, the conflict
guard included, as applying reviewers' decisions does — and scored against the truth (pairwise
precision, recall, F1). Thresholds below the review band's low end are refused (those pairs are
not kept). Outside the measured benchmark: a diagnosis of where the threshold puts F1.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.dev")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path)
    p.add_argument("--thresholds", default="0.4,0.5,0.6,0.7,0.8")
    p.add_argument("--cache", type=Path)
    args = p.parse_args(argv)

    import django

    django.setup()
    from motcua.core import clock
    from motcua.registers.clustering import cluster_edges
    from motcua.registers.evaluation.scorer import score_clusters
    from motcua.registers.io import read_registers
    from motcua.registers.linkage import DEFAULT_REVIEW_BAND, link
    from motcua.registers.normalize import normalize_table

    thresholds = [float(t) for t in args.thresholds.split(",") if t.strip()]
    if any(not (DEFAULT_REVIEW_BAND[0] <= t < 1) for t in thresholds):
        p.error(f"thresholds must be in [{DEFAULT_REVIEW_BAND[0]}, 1): the run keeps no pair below")
    cache = args.cache or Path("/tmp/registers_threshold") / f"{args.data.resolve().name}.parquet"
    if not cache.exists():
        table = normalize_table(
            read_registers(sorted(glob.glob(str(args.data / "ward_*.csv")))), now=clock.now()
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, cache)
    table = pq.read_table(cache)
    with (args.data / "truth.csv").open(encoding="utf-8") as f:
        truth = {row["record_id"]: row["person_id"] for row in csv.DictReader(f)}

    started = time.perf_counter()
    result = link(table, engine="duckdb")
    print(f"{table.num_rows:,} rows linked in {time.perf_counter() - started:.1f} s "
          f"(threshold {result.stats['match_threshold']})")  # fmt: skip
    edges = result.pairs.select(["record_id_l", "record_id_r", "match_probability"])
    print("threshold  precision  recall  F1")
    for threshold in thresholds:
        clusters, _ = cluster_edges(result.guard, edges, threshold=threshold)
        persons = dict(
            zip(
                clusters.column("record_id").to_pylist(),
                clusters.column("person_id").to_pylist(),
                strict=True,
            )
        )
        s = score_clusters(truth=truth, clusters=persons)
        print(f"{threshold:9.2f}  {s.precision:9.4f}  {s.recall:6.4f}  {s.f1:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
