"""Register-merge scaling: wall time and peak memory of the DuckDB and Spark engines by size.

    .venv/bin/python bench/registers_scaling.py [--rows 100000,200000,1000000] [--engines duckdb,spark]
        [--seed 0] [--data DIR] [--timeout 1800] [--quiet-wait 60] [--retries 1] [--json-out FILE]

For each size, the registers are generated once (`motcua registers generate`, 5 old wards; the
number of persons for a number of rows comes from a 20,000-person pilot, as in
`bench/registers_bench.py`, whose set generation, scoring, idle-machine wait and /proc readings
this reuses). Then, per engine, one subprocess runs the merge pipeline of `motcua registers
merge --engine E` (`pipeline.registers_merge`: read, normalise, link; then CLUSTERS.csv) and
prints the linkage's figures (per-step timings, comparisons per blocking rule, persons) as JSON.

Measured per run: wall time (start to exit, Python and Django start included; for Spark the JVM
start too), peak memory — the peak of the PSS summed over the process tree (the Python process
and, for Spark, its JVM), sampled every 0.2 s, or the child's `ru_maxrss` when larger — the CPU
seconds of the tree (per process, the last value read while it ran: the JVM is not reaped by
Python, so `wait4` alone would miss it), and the CPU that other programs took meanwhile (above
0.10 of the machine the run is flagged *disturbed* and run again, `--retries`). The clusters are
scored against the truth outside the measured time.

Spark runs in local mode (`local[2]`; `MOTCUA_SPARK_*` variables set its driver memory, shuffle
partitions, master, training cap; see motcua/registers/engine_spark.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.registers_bench import (
    NCPU,
    PYTHON,
    ROOT,
    TICK,
    Run,
    _read,
    code_fingerprint,
    cpu_model,
    generate,
    last_json,
    machine_busy,
    persons_for_rows,
    score,
    wait_quiet,
)

HERE = Path(__file__).resolve()


def fingerprint() -> dict[str, str]:
    """registers_bench's, plus the engine modules."""
    import hashlib

    out = code_fingerprint()
    for name in ("engine_spark", "engine_base"):
        path = ROOT / "motcua" / "registers" / f"{name}.py"
        out[f"{name}.py"] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "-"
    return out


# --------------------------------------------------------------------------- the measured child


def worker(engine: str, out: Path, files: list[str]) -> int:
    """The merge pipeline of `motcua registers merge` (pipeline.registers_merge + write_clusters),
    with the linkage's own figures printed as one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.dev")
    import django

    django.setup()
    from motcua.core import clock
    from motcua.registers.pipeline import registers_merge, write_clusters

    report = registers_merge(paths=[Path(f) for f in files], now=clock.now(), engine=engine)
    assert report.result is not None
    write_clusters(result=report.result, out=out)
    stats = report.result.stats
    print(
        json.dumps(
            {
                "records": report.records,
                "persons": report.persons,
                "review_pairs": report.review_pairs,
                "seconds": round(report.seconds, 1),
                "pipeline": {k: round(v, 1) for k, v in report.timings.items()},
                "link": stats.get("timings", {}),
                "comparisons": stats.get("comparisons"),
                "comparisons_per_record": stats.get("comparisons_per_record"),
                "blocking": [{k: r[k] for k in ("rule", "marginal", "estimated_marginal")} for r in stats.get("blocking", [])],
                "trained_on": stats.get("training", {}).get("trained_on"),
                "largest_cluster": stats.get("largest_cluster"),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )  # fmt: skip
    return 0


# --------------------------------------------------------------------------- measuring


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            raw = _read(f"/proc/{name}/stat")
            if raw:
                children.setdefault(int(raw[raw.rindex(")") + 2 :].split()[1]), []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _cpu_and_rss(pid: int) -> tuple[float, int]:
    raw = _read(f"/proc/{pid}/stat")
    cpu = sum(int(x) for x in raw[raw.rindex(")") + 2 :].split()[11:13]) / TICK if raw else 0.0
    # PSS, not RSS: the JVM forks a `chmod` for every file it writes (Hadoop's local file
    # system without its native library), and until it execs, that child's RSS is the whole
    # JVM's; its PSS shares the pages out, so the sum over the tree stays the memory in use.
    rss = 0
    for line in _read(f"/proc/{pid}/smaps_rollup").splitlines():
        if line.startswith("Pss:"):
            rss = int(line.split()[1])
            break
    return cpu, rss


def measure_tree(
    method: str, cmd: list[str], *, workdir: Path, timeout: float, quiet_wait: float
) -> tuple[Run, str, str]:
    """`registers_bench.measure`, with the CPU and RSS of the whole process tree (the JVM)."""
    run = Run(method)
    run.idle_before = wait_quiet(quiet_wait)
    out_path, err_path = workdir / f"{method}.stdout", workdir / f"{method}.stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        busy0 = machine_busy()
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, start_new_session=True)
        peak_tree = 0
        cpu_seen: dict[int, float] = {}
        rss_seen: dict[int, tuple[str, int]] = {}  # pid: (command, peak PSS kB)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            total = 0
            for p in _tree(proc.pid):
                cpu, rss = _cpu_and_rss(p)
                cpu_seen[p] = max(cpu_seen.get(p, 0.0), cpu)
                if rss > rss_seen.get(p, ("", 0))[1]:
                    rss_seen[p] = (_read(f"/proc/{p}/comm").strip(), rss)
                total += rss
            peak_tree = max(peak_tree, total)
            if time.monotonic() - started > timeout and not timed_out:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.2)
        wall = time.monotonic() - started
        busy = machine_busy() - busy0
        with contextlib.suppress(ProcessLookupError):  # a JVM left behind (its own process group)
            os.killpg(proc.pid, signal.SIGKILL)
    proc.returncode = os.waitstatus_to_exitcode(status)
    own = usage.ru_utime + usage.ru_stime
    cpu_seen[proc.pid] = max(cpu_seen.get(proc.pid, 0.0), own)
    cpu = max(own, sum(cpu_seen.values()))
    run.wall_s = round(wall, 1)
    run.cpu_s = round(cpu, 1)
    run.maxrss_mb = round(usage.ru_maxrss / 1024, 0)
    run.tree_rss_mb = round(peak_tree / 1024, 0)
    run.other_cpu_share = round(max(0.0, busy - cpu) / (wall * NCPU), 2)
    run.returncode = proc.returncode
    run.details["peak_pss_mb_by_process"] = {f"{c} {p}": round(kb / 1024) for p, (c, kb) in rss_seen.items()}
    if timed_out:
        run.status = "timeout"
    elif proc.returncode != 0:
        run.status = "failed"
    return run, out_path.read_text(errors="replace"), err_path.read_text(errors="replace")


def run_engine(
    engine: str, files: list[str], truth: Path, work: Path, timeout: float, quiet_wait: float
) -> Run:
    out = work / f"{engine}.csv"
    cmd = [PYTHON, str(HERE), "--worker", engine, "--out", str(out), *files]
    run, stdout, stderr = measure_tree(engine, cmd, workdir=work, timeout=timeout, quiet_wait=quiet_wait)
    report = last_json(stdout)
    run.details |= {"merge": report}
    if report.get("comparisons") is not None:
        run.comparisons = int(report["comparisons"])
        run.comparisons_note = "exact, from the built pairs"
    if run.status != "ok":
        run.details["stderr_tail"] = stderr.strip().splitlines()[-15:]
    score(run, truth, out)
    return run


# --------------------------------------------------------------------------- report


def table(sets: list[dict[str, Any]]) -> str:
    lines = [
        "| rows | persons | engine | status | wall s | peak memory MiB | CPU s | link s | comparisons | per record | F1 | other CPU |",
        "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sets:
        for r in s["runs"]:
            m = r["details"].get("merge", {})
            link = m.get("pipeline", {}).get("link")
            comps = "—" if r["comparisons"] is None else f"{r['comparisons']:,}"
            per = m.get("comparisons_per_record")
            other = f"{r['other_cpu_share']:.2f}" + (" disturbed" if r["disturbed"] else "")
            f1 = "—" if r["f1"] is None else f"{r['f1']:.4f}"
            lines.append(
                f"| {s['data']['rows']:,} | {s['data']['persons']:,} | {r['method']} | {r['status']} | "
                f"{r['wall_s']:.1f} | {r['peak_mb']:,.0f} | {r['cpu_s']:.1f} | {'—' if link is None else link} | "
                f"{comps} | {'—' if per is None else per} | {f1} | {other} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="100000,200000,1000000", help="comma-separated sizes, in rows")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--skip", default="", help="engine@rows pairs not to run, e.g. spark@1000000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, help="keep/reuse the generated sets in this directory")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run before it is killed")
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    parser.add_argument(
        "--retries", type=int, default=1, help="re-runs of a disturbed run (least disturbed kept)"
    )
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.out, args.files)

    sizes = [int(x) for x in args.rows.split(",") if x.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    temp = None
    if args.data:
        base = args.data.resolve()
        base.mkdir(parents=True, exist_ok=True)
    else:
        temp = tempfile.mkdtemp(prefix="registers-scaling-")
        base = Path(temp)
    results: dict[str, Any] = {
        "command": " ".join([".venv/bin/python", "bench/registers_scaling.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"nproc": NCPU, "cpu": cpu_model(), "load_start": [round(x, 2) for x in os.getloadavg()]},
        "code": fingerprint(),
        "env": {k: v for k, v in os.environ.items() if k.startswith("MOTCUA_SPARK_")},
        "sets": [],
    }  # fmt: skip
    print(f"machine: {NCPU} cores, {cpu_model()}; load average at start {results['machine']['load_start']}")
    try:
        for rows in sizes:
            persons, _ratio = persons_for_rows(rows, args.seed, base)
            name = f"rows-{rows}-seed-{args.seed}"
            info = generate(base / name, persons, args.seed)
            files, truth = [str(f) for f in info["files"]], Path(info["truth"])
            print(f"\n[{name}] {info['rows']:,} rows, {persons:,} persons ({'reused' if info['reused'] else 'generated'})", flush=True)  # fmt: skip
            work = base / f"{name}-scaling"
            work.mkdir(exist_ok=True)
            runs = []
            for engine in engines:
                if f"{engine}@{rows}" in skip:
                    continue
                best: Run | None = None
                for attempt in range(1, args.retries + 2):
                    print(f"  {engine} (attempt {attempt}) …", end=" ", flush=True)
                    r = run_engine(engine, files, truth, work, args.timeout, args.quiet_wait)
                    r.details["attempt"] = attempt
                    print(f"{r.status}, {r.wall_s:.1f} s, {r.peak_mb:,.0f} MiB, CPU {r.cpu_s:.0f} s, "
                          f"F1 {r.f1}, other CPU {r.other_cpu_share:.2f}", flush=True)  # fmt: skip
                    if best is None or r.other_cpu_share < best.other_cpu_share:
                        best = r
                    if not r.disturbed or r.status == "timeout":
                        break
                assert best is not None
                runs.append({**asdict(best), "peak_mb": best.peak_mb, "disturbed": best.disturbed})
            results["sets"].append(
                {
                    "name": name,
                    "data": {k: info.get(k) for k in ("rows", "persons", "seed", "structure")},
                    "runs": runs,
                }
            )
            if args.json_out:  # after every set: a long run leaves what it measured
                args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
        results["machine"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
        if fingerprint() != results["code"]:
            results["code_changed_during_run"] = fingerprint()
            print("\nWARNING: motcua/registers changed during the run; the figures mix versions.")
        print()
        print(table(results["sets"]))
        print(
            f"\nload average: start {results['machine']['load_start']}, end {results['machine']['load_end']}"
        )
        if args.json_out:
            args.json_out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
