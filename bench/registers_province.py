"""The register merge at province scale (issue 12 §3): comparisons per record as the population grows.

    .venv/bin/python bench/registers_province.py --rows 100000,1000000,5000000 \
        [--commune-rows 100000] [--engines duckdb,spark] [--skip spark@5000000] \
        --data DIR [--timeout 3600] [--quiet-wait 30] [--json-out FILE]

A province is many communes of bounded size, so a set of R rows is R / ``--commune-rows``
communes. Each commune is its own generated set (`motcua registers generate`, 5 old wards,
seed 1000 + k), read and normalised once (cached as parquet in DIR), its record ids and register
names prefixed with ``c<k>`` and its new commune code set to 90000 + k (the generator's old wards
are all Thanh Khê's: a synthetic code stands for "another commune"). The communes are independent:
no person is in two of them, but their names and dates come from the same lists, so namesakes
across communes abound — exactly what makes the name-and-date blocking rules quadratic when
they ignore the area.

Each engine runs ``link()`` on the concatenated normalised table in its own subprocess
(measured as `bench/registers_scaling.py` measures: wall, peak PSS of the process tree, CPU,
the machine's other load), writes its clusters, and the parent scores them against the truth.
The normalisation is not in the measured time (cached; it is row-local and runs on the executors
in the Spark pipeline, `spark_pipeline.py`).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.registers_bench import NCPU, PYTHON, cpu_model, generate, last_json, persons_for_rows, score
from bench.registers_scaling import fingerprint, measure_tree

HERE = Path(__file__).resolve()


def commune(base: Path, k: int, persons: int) -> tuple[Path, Path]:
    """Commune k's normalised table and truth (parquet), made once."""
    table_path, truth_path = base / f"c{k:03d}.parquet", base / f"c{k:03d}.truth.csv"
    if table_path.exists() and truth_path.exists():
        return table_path, truth_path
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.dev")
    import django

    django.setup()
    from motcua.core import clock
    from motcua.registers.io import read_registers
    from motcua.registers.normalize import normalize_table

    info = generate(base / f"gen-c{k:03d}", persons, 1000 + k)
    table = normalize_table(read_registers([Path(f) for f in info["files"]]), now=clock.now())
    prefix = f"c{k:03d}:"
    table = table.set_column(
        table.schema.get_field_index("record_id"),
        "record_id",
        pc.binary_join_element_wise(prefix, table.column("record_id"), ""),
    )
    table = table.set_column(
        table.schema.get_field_index("source"),
        "source",
        pc.binary_join_element_wise(prefix, table.column("source"), ""),
    )
    i = table.schema.get_field_index("new_ward_code")
    table = table.set_column(
        i, "new_ward_code", pa.array([90000 + k] * table.num_rows, table.schema.field(i).type)
    )
    pq.write_table(table, table_path)
    with (
        open(info["truth"], encoding="utf-8") as f,
        truth_path.open("w", encoding="utf-8", newline="") as out,
    ):
        w = csv.writer(out)
        w.writerow(["record_id", "person_id"])
        for row in csv.DictReader(f):
            w.writerow([prefix + row["record_id"], prefix + row["person_id"]])
    return table_path, truth_path


def worker(engine: str, out: Path, tables: list[str]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from motcua.registers.linkage import link

    table = pa.concat_tables([pq.read_table(t) for t in tables])
    started = time.perf_counter()
    result = link(table, engine=engine)
    seconds = time.perf_counter() - started
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "person_id"])
        w.writerows(
            zip(
                result.clusters.column("record_id").to_pylist(),
                result.clusters.column("person_id").to_pylist(),
                strict=True,
            )
        )
    stats = result.stats
    print(json.dumps({
        "records": table.num_rows, "persons": stats.get("n_persons"), "link_s": round(seconds, 1),
        "timings": stats.get("timings", {}), "comparisons": stats.get("comparisons"),
        "comparisons_per_record": stats.get("comparisons_per_record"),
        "blocking": [{k: r[k] for k in ("rule", "marginal")} for r in stats.get("blocking", [])],
        "trained_on": stats.get("training", {}).get("trained_on"),
    }, ensure_ascii=False), flush=True)  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", default="100000,1000000,5000000")
    p.add_argument("--commune-rows", type=int, default=100_000)
    p.add_argument("--engines", default="duckdb,spark")
    p.add_argument("--skip", default="")
    p.add_argument("--data", type=Path, required=False)
    p.add_argument("--timeout", type=float, default=3600.0)
    p.add_argument("--quiet-wait", type=float, default=30.0)
    p.add_argument("--json-out", type=Path)
    p.add_argument("--prepare-only", action="store_true", help="generate and normalise, run nothing")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("tables", nargs="*", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.out, args.tables)
    if args.data is None:
        p.error("--data DIR is required")
    base = args.data.resolve()
    base.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.rows.split(",") if x.strip()]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    persons, _ = persons_for_rows(args.commune_rows, 0, base)
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python", "bench/registers_province.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"nproc": NCPU, "cpu": cpu_model(), "load_start": [round(x, 2) for x in os.getloadavg()]},
        "code": fingerprint(),
        "sets": [],
    }  # fmt: skip
    for rows in sizes:
        k = max(1, round(rows / args.commune_rows))
        parts = [commune(base, i, persons) for i in range(k)]
        print(f"[{rows:,} rows] {k} communes ready", flush=True)
        if args.prepare_only:
            continue
        truth = base / f"truth-{k}.csv"
        if not truth.exists():
            with truth.open("w", encoding="utf-8", newline="") as out:
                out.write("record_id,person_id\n")
                for _, t in parts:
                    with t.open(encoding="utf-8") as f:
                        next(f)
                        out.writelines(f)
        runs = []
        for engine in [e for e in args.engines.split(",") if e]:
            if f"{engine}@{rows}" in skip:
                continue
            work = base / f"run-{k}-{engine}"
            work.mkdir(exist_ok=True)
            out = work / "clusters.csv"
            cmd = [PYTHON, str(HERE), "--worker", engine, "--out", str(out), *[str(t) for t, _ in parts]]
            run, stdout, stderr = measure_tree(
                engine, cmd, workdir=work, timeout=args.timeout, quiet_wait=args.quiet_wait
            )
            run.details["link"] = last_json(stdout)
            if run.status != "ok":
                run.details["stderr_tail"] = stderr.strip().splitlines()[-15:]
            score(run, truth, out)
            print(f"  {engine}: {run.status}, {run.wall_s:.1f} s, {run.peak_mb:,.0f} MiB, "
                  f"{run.details['link'].get('comparisons_per_record')} comparisons/record, F1 {run.f1}, other CPU {run.other_cpu_share:.2f}", flush=True)  # fmt: skip
            runs.append({**asdict(run), "peak_mb": run.peak_mb, "disturbed": run.disturbed})
        results["sets"].append({"rows": rows, "communes": k, "runs": runs})
        if args.json_out:
            args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    results["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json_out:
        args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
