"""Print bench/run.sh's results as a table and check them against the issue's targets.

python bench/report.py RESULTS_FILE NPROC DOSSIER_ROWS
"""

from __future__ import annotations

import sys

TARGETS = {"lookup_rps": 1500.0, "lookup_p99_ms": 50.0, "lookup_vs_bare": 0.50, "intake_rps": 150.0}


def parse(path: str) -> dict[str, dict[str, dict[str, float]]]:
    """{config: {phase: {key: value}}}, in the order they ran."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    with open(path) as f:
        for line in f:
            config, phase, *pairs = line.split()
            out.setdefault(config, {})[phase] = {k: float(v) for k, v in (p.split("=", 1) for p in pairs)}
    return out


def main() -> None:
    results = parse(sys.argv[1])
    nproc = int(sys.argv[2])
    rows = sys.argv[3]
    head = (
        f"{'config':<12} {'phase':<7} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'errors':>6} {'server':>6} {'pg':>5} {'wrk':>5} {'other':>5} {'idle':>5} {'RSS MB':>6} {'PSS MB':>6}"
        f" {'worker':>6}"
    )
    print()
    print("CPU columns: share of all the machine's cores (1.00 = every core busy) during the measured phase;")
    print("  other = kernel work charged to no process (loopback TCP) and any other program running.")
    print("Memory: peak sums over the gunicorn master + workers (RSS counts shared pages in every worker,")
    print("  PSS shares them out); worker = the largest single worker's RSS.")
    print(head)
    print("-" * len(head))
    for config, phases in results.items():
        for name, r in phases.items():
            cap = r["duration_s"] * nproc
            server = (r["after_server"] - r["before_server"]) / cap
            pg = (r["after_postgres"] - r["before_postgres"]) / cap
            wrk = (r["wrk_user"] + r["wrk_sys"]) / cap
            busy = (r["after_total"] - r["before_total"]) / cap
            other = max(busy - server - pg - wrk, 0)
            idle = max(1 - busy, 0)
            errors = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"] + r["err_status"]
            flag = "  <- disturbed: other programs used the cores" if other > 0.10 else ""
            print(
                f"{config:<12} {name:<7} {r['rps']:>7.0f} {r['p50_ms']:>7.1f} {r['p90_ms']:>7.1f}"
                f" {r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} {errors:>6.0f} {server:>6.2f} {pg:>5.2f} {wrk:>5.2f}"
                f" {other:>5.2f} {idle:>5.2f} {r['peak_rss_sum_mb']:>6.0f} {r['peak_pss_sum_mb']:>6.0f}"
                f" {r['peak_worker_rss_mb']:>6.0f}{flag}"
            )
    print(
        f"dossiers in the database when each configuration starts: {rows} (receipts are removed after each)"
    )
    for config, res in results.items():
        print()
        checks = []
        if "lookup" in res:
            lk = res["lookup"]
            checks.append(
                ("lookup >= 1,500 req/s", lk["rps"] >= TARGETS["lookup_rps"], f"{lk['rps']:.0f} req/s")
            )
            checks.append(
                ("lookup p99 <= 50 ms", lk["p99_ms"] <= TARGETS["lookup_p99_ms"], f"{lk['p99_ms']:.1f} ms")
            )
            if "bare" in res:
                ratio = lk["rps"] / res["bare"]["rps"]
                checks.append(
                    ("lookup >= 50 % of bare view", ratio >= TARGETS["lookup_vs_bare"], f"{ratio:.0%}")
                )
        if "intake" in res:
            ik = res["intake"]
            checks.append(("receipts >= 150/s", ik["rps"] >= TARGETS["intake_rps"], f"{ik['rps']:.0f} /s"))
        for label, ok, value in checks:
            print(f"[{config}] target {label:<28} {value:>10}  {'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
