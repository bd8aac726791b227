"""Register merge: the second stage measured offline (issue 12 §1, ``motcua.registers.second_stage``).

    .venv/bin/python bench/registers_second_stage.py DIR [DIR ...] [--cache DIR] [--threshold 0.7]

Each DIR holds generated registers (``ward_*.csv`` and ``truth.csv``; ``motcua registers
generate``, either generator, e.g. ``python -m motcua.registers.evaluation generate --persons
50000 --seed 11 --out-dir DIR`` and ``... --heldout --seed 12 ...``). For each: the registers are
read and normalised once (cached as parquet under ``--cache``); ``link`` runs with the review band
from 0.01 (every pair the second stage reads); the feature table is computed as the run does
(``model.conform`` + ``model.FEATURES_SQL`` in DuckDB) and both sides' ``FEATURE_COLUMNS`` are
joined to the pairs; then

- *before*: ``clustering.cluster_edges`` on the pairs as scored (checked equal to link's own
  clusters: the number of records placed differently is printed);
- *after*: ``rescore(..., enabled=True)`` — what it would do if switched on — its new weights
  (probability 1/(1+2^-w)), clustered the same way;

both scored against ``truth.csv`` (pairwise P/R/F1, ``scorer.score_clusters``), with the rescore's
seconds and the process's peak memory before and after it. The truth is used for the score only.
The second stage's own figures (the learned bits, its out-of-sample check) are printed too.
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.dev")

from motcua.core import clock  # noqa: E402
from motcua.registers import clustering, second_stage  # noqa: E402
from motcua.registers.evaluation.scorer import score_clusters  # noqa: E402
from motcua.registers.io import read_registers  # noqa: E402
from motcua.registers.linkage import link  # noqa: E402
from motcua.registers.normalize import normalize_table  # noqa: E402


def load(data: Path, cache: Path) -> pa.Table:
    if not cache.exists():
        started = time.perf_counter()
        table = normalize_table(read_registers(sorted(glob.glob(str(data / "ward_*.csv")))), now=clock.now())
        cache.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, cache)
        print(f"  normalised {table.num_rows:,} rows in {time.perf_counter() - started:.1f} s -> {cache}")
    return pq.read_table(cache)


def feature_table(table: pa.Table) -> pa.Table:
    """The run's feature table (the model's SQL on the conformed input)."""
    try:
        from motcua.registers.model import FEATURES_SQL, conform
    except ImportError:  # before the model / orchestration split
        from motcua.registers import linkage

        FEATURES_SQL, conform = linkage._FEATURES_SQL, linkage._conform  # type: ignore[attr-defined]
    con = duckdb.connect()
    con.execute("set threads to 2")
    con.register("motcua_input", conform(table, []))
    return con.sql(FEATURES_SQL.format(table="motcua_input")).to_arrow_table()


def with_sides(pairs: pa.Table, features: pa.Table) -> pa.Table:
    con = duckdb.connect()
    con.execute("set threads to 2")
    con.register("p", pairs)
    con.register("f", features)
    side = ", ".join(f"{s}.{c} as {c}_{s}" for c in second_stage.FEATURE_COLUMNS for s in ("l", "r"))
    return con.sql(
        f"""
        select p.*, {side} from p
        join f as l on l.unique_id = p.record_id_l
        join f as r on r.unique_id = p.record_id_r
        order by p.record_id_l, p.record_id_r
        """
    ).to_arrow_table()


def as_map(t: pa.Table, key: str = "record_id", value: str = "person_id") -> dict[str, str]:
    return dict(zip(t.column(key).to_pylist(), t.column(value).to_pylist(), strict=True))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(data: Path, cache_dir: Path, threshold: float) -> dict[str, Any]:
    print(f"\n# {data}")
    table = load(data, cache_dir / f"{data.resolve().name}.parquet")
    truth_t = pacsv.read_csv(
        data / "truth.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"record_id": pa.string(), "person_id": pa.string()}
        ),
    )
    truth = as_map(truth_t)
    started = time.perf_counter()
    result = link(table, match_threshold=threshold, review_band=(0.01, 0.95))
    link_s = time.perf_counter() - started
    if not any(c.startswith("gamma_") for c in result.pairs.column_names):
        raise SystemExit("link's pairs carry no gamma_* columns: the second stage needs them")
    assert result.guard is not None
    pairs = with_sides(result.pairs, feature_table(table))
    linked = as_map(result.clusters)
    before_cl, _ = clustering.cluster_edges(result.guard, pairs, threshold=threshold)
    before = as_map(before_cl)
    canon_link = _canonical(linked)
    moved = sum(1 for r, p in _canonical(before).items() if canon_link.get(r) != p)

    mem0 = peak_mb()
    tracemalloc.start()
    started = time.perf_counter()
    changed, stats = second_stage.rescore(pairs, threshold=threshold, seed=0, enabled=True)
    rescore_s = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    mem1 = peak_mb()
    new_w = as_map(changed.append_column("key", _keys(changed)), "key", "match_weight")
    keys = _keys(pairs).to_pylist()
    w = np.array(
        [new_w.get(k, old) for k, old in zip(keys, pairs.column("match_weight").to_pylist(), strict=True)]
    )
    rescored = pairs.select(["record_id_l", "record_id_r"]).append_column(
        "match_probability", pa.array(1 / (1 + np.exp2(-w)))
    )
    after_cl, _ = clustering.cluster_edges(result.guard, rescored, threshold=threshold)
    s_link = score_clusters(truth=truth, clusters=linked)
    s0 = score_clusters(truth=truth, clusters=before)
    s1 = score_clusters(truth=truth, clusters=as_map(after_cl))
    print(
        f"  rows {table.num_rows:,}, pairs >= 0.01 {pairs.num_rows:,}, link {link_s:.1f} s;"
        f" records whose person differs from link's own: {moved}"
    )
    print(f"  link    P {s_link.precision:.4f} R {s_link.recall:.4f} F1 {s_link.f1:.4f}")
    print(f"  before  P {s0.precision:.4f} R {s0.recall:.4f} F1 {s0.f1:.4f}")
    print(
        f"  after   P {s1.precision:.4f} R {s1.recall:.4f} F1 {s1.f1:.4f}"
        f"  (applied: {stats['applied']}, pairs changed {changed.num_rows:,})"
    )
    print(
        f"  rescore {rescore_s:.2f} s, {traced:.0f} MB at most allocated by Python/numpy in it;"
        f" process peak RSS {mem0:.0f} MB before it, {mem1:.0f} MB after"
    )
    print(f"  second stage: { {k: v for k, v in stats.items() if k not in ('applied',)} }")
    return {"set": data.name, "f1_before": s0.f1, "f1_after": s1.f1, "rescore_s": rescore_s}


def _canonical(persons: dict[str, str]) -> dict[str, str]:
    """record_id -> the smallest record_id of its person: equal for equal clusterings, whatever
    the numbering."""
    first: dict[str, str] = {}
    for rid, pid in persons.items():
        if pid not in first or rid < first[pid]:
            first[pid] = rid
    return {rid: first[pid] for rid, pid in persons.items()}


def _keys(t: pa.Table) -> pa.Array:
    return pa.compute.binary_join_element_wise(t.column("record_id_l"), t.column("record_id_r"), "\x1f")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, nargs="+")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/registers_second_stage"))
    ap.add_argument("--threshold", type=float, default=0.7)
    args = ap.parse_args(argv)
    rows = [run(d, args.cache, args.threshold) for d in args.data]
    print("\n| set | F1 before | F1 after | Δ | rescore s |\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['set']} | {r['f1_before']:.4f} | {r['f1_after']:.4f} |"
            f" {r['f1_after'] - r['f1_before']:+.4f} | {r['rescore_s']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
