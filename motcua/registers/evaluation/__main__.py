"""`python -m motcua.registers.evaluation generate|score|baseline …` for benchmarks and by hand."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

from .baselines import spreadsheet_way_files
from .generator import generate_registers
from .heldout import generate_heldout
from .scorer import score_clusters, truth_structure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m motcua.registers.evaluation")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write synthetic registers with known truth")
    g.add_argument("--persons", type=int, required=True)
    g.add_argument("--wards", type=int, default=5)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--formats", default="csv")
    g.add_argument("--no-profiles", action="store_true", help="one clerk style for every ward")
    g.add_argument(
        "--heldout", action="store_true", help="the independently made generator (heldout.py) instead"
    )
    g.add_argument("--out-dir", type=Path, required=True)
    s = sub.add_parser("score", help="pairwise precision/recall/F1 of a clustering")
    s.add_argument("--truth", type=Path, required=True)
    s.add_argument("clusters", type=Path)
    b = sub.add_parser("baseline", help="the spreadsheet way: same ID, or same folded name + date string")
    b.add_argument("files", type=Path, nargs="+")
    b.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    result: dict[str, object]
    if args.command == "generate" and args.heldout:
        files = generate_heldout(persons=args.persons, out_dir=args.out_dir, wards=args.wards, seed=args.seed)
        truth = args.out_dir / "truth.csv"
        result = {"files": [str(f) for f in files], "truth": str(truth)}
        result["structure"] = truth_structure(truth, files).__dict__
    elif args.command == "generate":
        gen = generate_registers(
            persons=args.persons,
            wards=args.wards,
            seed=args.seed,
            out_dir=args.out_dir,
            formats=args.formats,
            profiles=not args.no_profiles,
        )
        csvs = [f for f in gen.files if f.suffix == ".csv"]
        result = {"rows": gen.rows, "files": [str(f) for f in gen.files], "truth": str(gen.truth)}
        if csvs:
            result["structure"] = truth_structure(gen.truth, csvs).__dict__
        result["kinds"] = gen.kinds
    elif args.command == "score":
        result = dict(score_clusters(truth=args.truth, clusters=args.clusters).as_dict())
    else:
        clusters = spreadsheet_way_files(args.files)
        with args.out.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(("record_id", "person_id"))
            w.writerows(clusters.items())
        result = {"records": len(clusters), "out": str(args.out)}
    result["seconds"] = round(time.perf_counter() - started, 2)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
