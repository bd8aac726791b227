"""Wait estimators against a simulated day of Phường Thanh Khê's hall (issue 8 §8).

    .venv/bin/python bench/queue_estimator.py [--seeds 0,1,2,3,4]

For each seed, `motcua.queueing.simulate.simulate_day` makes the day (~600 tickets, morning
peak, four groups, ten counters, priority tickets, no-shows); `motcua.queueing.estimate.replay`
asks each estimator for the wait of every ticket at the moment it is issued and compares it with
the wait that followed (issue to first call). Printed per seed and estimator: mean absolute error,
90th percentile of the absolute error, bias (estimate − truth), microseconds per estimate (the
state is built outside the timing), and which estimator is kept (`best_estimator`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from motcua.queueing.estimate import best_estimator, replay
from motcua.queueing.simulate import simulate_day


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    print(
        "| seed | tickets | mean wait (min) | estimator | MAE (s) | p90 abs err (s) | bias (s) | µs/estimate | kept |"
    )
    print("|---:|---:|---:|---|---:|---:|---:|---:|---|")
    for seed in seeds:
        day = simulate_day(seed)
        scores = replay(day)
        best = best_estimator(scores)
        wait = mean(t.wait_s for t in day.tickets) / 60
        for name, s in scores.items():
            rows.append(s)
            print(
                f"| {seed} | {s.tickets} | {wait:.1f} | {name} | {s.mae_s:.0f} | {s.p90_s:.0f} | "
                f"{s.bias_s:+.0f} | {s.us_per_estimate:.1f} | {'✔' if name == best else ''} |"
            )
    for name in dict.fromkeys(s.estimator for s in rows):
        mine = [s for s in rows if s.estimator == name]
        print(
            f"| all | {sum(s.tickets for s in mine)} | | {name} | {mean(s.mae_s for s in mine):.0f} | "
            f"{mean(s.p90_s for s in mine):.0f} | {mean(s.bias_s for s in mine):+.0f} | "
            f"{mean(s.us_per_estimate for s in mine):.1f} | |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
