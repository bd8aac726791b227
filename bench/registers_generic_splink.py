"""Baseline (b) of the register-merge benchmark: Splink with generic settings for people data.

What someone gets by following Splink's own quickstart/tutorials (the `fake_1000` deduplication:
first_name, surname, dob, city, email) on the old wards' registers, with only light cleaning:

- columns: `full_name` lower-cased, accents stripped (DuckDB `strip_accents`, and đ → d), spaces
  collapsed; its first token is the surname (họ), its last token the first name (tên), the
  middle name is dropped as the tutorial data has none. `birth_date` is the dob string as typed.
  `address` (lower-cased, accent-free) plays the tutorial's `city`; `citizen_id` and `phone`
  (as typed) play its `email` (an exact identifier);
- comparisons as in the quickstart: `NameComparison("first_name")`, `JaroAtThresholds("surname")`,
  `DateOfBirthComparison("dob", input_is_string=True)` with the registers' commonest format
  (`%d/%m/%Y`; other formats parse as null, as the comparison's `invalid_dates_as_null` does),
  `ExactMatch("city")` with term frequencies, `ExactMatch` on citizen_id and on phone;
- blocking for prediction, tutorial style: (first_name, surname), (first_name, dob),
  (surname, dob), citizen_id;
- training as in the quickstart: prior from `block_on("first_name", "surname")` with recall 0.7,
  u by random sampling (max_pairs=1e6), EM on `block_on("first_name", "surname")` then on
  `block_on("dob")`; predict at match weight ≥ -5; connected components at probability 0.95.

Before predicting, the comparisons the blocking rules generate are counted with Splink's
blocking analysis (`--count-sample`, Splink's default 5 % sample per side). Above
`--max-comparisons` (50 M) the run stops there and reports "infeasible" with the count, rather
than running for an hour.

    .venv/bin/python bench/registers_generic_splink.py ward_*.csv --out clusters.csv

Prints one JSON object on stdout (status, comparisons, per-rule counts, timings).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

MAX_COMPARISONS = 50_000_000

# Light cleaning: lower case, no accents (đ is a letter, not a mark: folded by hand), spaces
# collapsed (including non-breaking ones). Blank cells become NULL, as Splink expects.
_CLEAN = "nullif(trim(regexp_replace(replace(strip_accents(lower({c})), 'đ', 'd'), '[\\s\\x{{00A0}}]+', ' ', 'g')), '')"

_LOAD_SQL = """
create table people as
with raw as (
    select * from read_csv({files}, header = true, all_varchar = true, union_by_name = true)
),
cleaned as (
    select
        record_id as unique_id,
        {name} as name,
        nullif(trim(birth_date), '') as dob,
        {address} as city,
        nullif(trim(citizen_id), '') as citizen_id,
        nullif(trim(phone), '') as phone
    from raw
)
select
    unique_id,
    string_split(name, ' ')[-1] as first_name,
    case when len(string_split(name, ' ')) > 1 then string_split(name, ' ')[1] end as surname,
    dob,
    city,
    citizen_id,
    phone
from cleaned
"""


def settings():  # type: ignore[no-untyped-def]
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.JaroAtThresholds("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%d/%m/%Y"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("citizen_id"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("first_name", "dob"),
            block_on("surname", "dob"),
            block_on("citizen_id"),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True, help="CLUSTERS.csv (record_id,person_id)")
    parser.add_argument("--max-comparisons", type=float, default=MAX_COMPARISONS)
    parser.add_argument("--count-sample", type=float, default=0.05, help="Splink blocking analysis sample")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    started = time.perf_counter()
    timings: dict[str, float] = {}
    mark = started

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[name] = round(now - mark, 2)
        mark = now

    con = duckdb.connect(":memory:")
    files = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in args.files) + "]"
    con.execute(
        _LOAD_SQL.format(files=files, name=_CLEAN.format(c="full_name"), address=_CLEAN.format(c="address"))
    )
    records = con.execute("select count(*) from people").fetchall()[0][0]
    lap("load_clean")

    db_api = DuckDBAPI(connection=con)
    people = db_api.register("people", dataset_display_name="people")
    linker = Linker(people, settings(), log_level=None)

    counts = linker.blocking_analysis.count_comparisons_from_blocking_rules(
        record_sample_proportion=args.count_sample
    )
    blocking = [
        {
            "rule": str(r["blocking_rule"]),
            "marginal": int(r["marginal_comparison_count"]),
            "cumulative": int(r["cumulative_comparison_count"]),
        }
        for r in counts
    ]
    comparisons = blocking[-1]["cumulative"] if blocking else 0
    lap("blocking_analysis")
    report: dict[str, object] = {
        "records": records,
        "comparisons": comparisons,
        "comparisons_counted_on_sample": args.count_sample,
        "blocking": blocking,
    }
    if comparisons > args.max_comparisons:
        report.update(status="infeasible", max_comparisons=int(args.max_comparisons), timings=timings)
        report["seconds"] = round(time.perf_counter() - started, 2)
        json.dump(report, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0

    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=args.seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    lap("train")

    predictions = linker.inference.predict(threshold_match_weight=-5)
    scored = con.execute(f"select count(*) from {predictions.physical_name}").fetchall()[0][0]
    lap("predict")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    lap("cluster")
    out = str(args.out).replace("'", "''")
    con.execute(
        f"copy (select unique_id as record_id, cast(cluster_id as varchar) as person_id "
        f"from {clusters.physical_name} order by 1) to '{out}' (header, delimiter ',')"
    )
    lap("write")
    report.update(status="ok", pairs_scored=scored, timings=timings)
    report["seconds"] = round(time.perf_counter() - started, 2)
    json.dump(report, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
