"""Register merge: where the linkage's errors come from (issue 3's error analysis).

    .venv/bin/python bench/registers_errors.py DIR [--cache FILE] [--sample N] [--top 15]
        [--out DIR] [--threshold 0.7]

DIR holds generated registers (``ward_*.csv`` and ``truth.csv``: ``motcua registers generate``,
either generator). The registers are read and normalised once (cached as parquet in ``--cache``,
default ``/tmp/registers_errors/<DIR name>.parquet``); ``--sample N`` keeps the records of the
first N persons of the truth (a subset for speed; all of them by default). Then the link step
runs with hooks that keep what it throws away: every candidate pair blocking built (with its
rule), every pair scored (with its comparison vector, ``gamma_*``), the connected components
before the clustering guard. The truth is joined, and the script prints:

- false pairs (predicted, not true): *direct* (the pair itself scored above the threshold) or
  *transitive* (a clustering chain: no direct edge above the threshold), the direct ones by
  blocking rule and by comparison vector, the transitive ones by the weakest link of the chain;
- missed pairs (true, not predicted), the *bare-year/no-ID group* set apart (same full name, a
  bare year on one side, no comparable ID: not separable from the rows), the rest by
  *never compared* (no blocking rule built the pair; then by what the two records share),
  *scored below the prediction floor*, *scored below the threshold* (by comparison vector),
  *split by the guard* (same component before the guard, not after).

Outside the measured benchmark; the figures are a diagnosis, not a score to report.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.dev")

from motcua.core import clock  # noqa: E402
from motcua.registers import linkage  # noqa: E402
from motcua.registers.evaluation.scorer import score_clusters  # noqa: E402
from motcua.registers.io import read_registers  # noqa: E402
from motcua.registers.normalize import normalize_table  # noqa: E402

GAMMAS = ("given", "surname", "middle", "birth_date", "ids", "gender", "contact")


def load(data: Path, cache: Path) -> pa.Table:
    if not cache.exists():
        started = time.perf_counter()
        table = normalize_table(read_registers(sorted(glob.glob(str(data / "ward_*.csv")))), now=clock.now())
        cache.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, cache)
        print(f"normalised {table.num_rows:,} rows in {time.perf_counter() - started:.1f} s -> {cache}")
    return pq.read_table(cache)


def run_with_hooks(table: pa.Table, threshold: float) -> tuple[Any, dict[str, Any]]:
    """``linkage.link`` with the intermediate tables kept (the module is patched for the run)."""
    kept: dict[str, Any] = {}
    run_cls = linkage.SplinkRun
    orig_block, orig_predict = run_cls.block, run_cls.predict
    orig_corr, orig_cc = run_cls.corroborate, run_cls.connected_components

    def block(self: Any, estimate: Any) -> Any:
        out = orig_block(self, estimate)
        blocked = self.linker.inference.compute_blocked_pairs_for_predict()
        kept["blocked"] = self.engine.con.sql(
            # Splink's join keys are "source_dataset-__-unique_id" when linking several tables.
            f"select least(l, r) a, greatest(l, r) b, k from (select"
            f" regexp_replace(join_key_l, '^.*-__-', '') l, regexp_replace(join_key_r, '^.*-__-', '') r,"
            f" cast(match_key as int) k from {blocked.physical_name})"
        ).to_arrow_table()
        kept["levels"] = {
            cc.output_column_name: {
                lvl.comparison_vector_value: lvl.label_for_charts for lvl in cc.comparison_levels
            }
            for cc in self.linker._settings_obj.comparisons
        }
        return out

    def predict(self: Any, floor: float) -> Any:
        # Splink keeps the comparison vectors (gamma_*) only with the matching columns.
        self.linker._settings_obj._retain_matching_columns = True
        return orig_predict(self, floor)

    def corroborate(self: Any, strong: float) -> Any:
        info = orig_corr(self, strong)
        kept["scored"] = self.engine.con.sql(
            "select least(unique_id_l, unique_id_r) a, greatest(unique_id_l, unique_id_r) b,"
            " match_probability p, match_weight w, household_evidence he, cast(match_key as int) k,"
            f" columns('^gamma_') from {self.engine.physical('pairs')}"
        ).to_arrow_table()
        return info

    def connected_components(self: Any, thr: float, labels: Any) -> Any:
        out = orig_cc(self, thr, labels)
        kept["components"] = out
        return out

    run_cls.block, run_cls.predict, run_cls.corroborate, run_cls.connected_components = (  # type: ignore[method-assign]
        block,
        predict,
        corroborate,
        connected_components,
    )
    try:
        result = linkage.link(table, match_threshold=threshold)
    finally:
        run_cls.block, run_cls.predict, run_cls.corroborate, run_cls.connected_components = (  # type: ignore[method-assign]
            orig_block,
            orig_predict,
            orig_corr,
            orig_cc,
        )
    return result, kept


def show(con: duckdb.DuckDBPyConnection, title: str, sql: str, top: int) -> None:
    rel = con.sql(sql)
    rows = rel.fetchall()
    print(f"\n## {title}")
    if not rows:
        print("(none)")
        return
    cols = rel.columns
    shown = rows[:top]
    widths = [max(len(str(c)), *(len(str(r[i])) for r in shown)) for i, c in enumerate(cols)]
    print("  ".join(str(c).ljust(w) for c, w in zip(cols, widths, strict=True)))
    for r in shown:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)))
    if len(rows) > top:
        print(f"... {len(rows) - top} more rows")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--sample", type=int, default=0, help="keep the first N persons of the truth")
    ap.add_argument("--threshold", type=float, default=linkage.DEFAULT_MATCH_THRESHOLD)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", type=Path, help="write the missed and false pairs (parquet) here")
    args = ap.parse_args(argv)

    cache = args.cache or Path("/tmp/registers_errors") / f"{args.data.resolve().name}.parquet"
    table = load(args.data, cache)
    con = duckdb.connect()
    con.execute("set threads to 2")
    con.execute(
        f"create table truth as select record_id, person_id from read_csv('{args.data / 'truth.csv'}', all_varchar=true)"
    )
    if args.sample:
        con.execute(
            "create table keep as select person_id from (select distinct person_id from truth)"
            f" order by person_id limit {int(args.sample)}"
        )
        con.execute("delete from truth where person_id not in (select person_id from keep)")
        ids = pa.array([r[0] for r in con.execute("select record_id from truth").fetchall()], pa.string())
        table = table.filter(pa.compute.is_in(table.column("record_id"), value_set=ids))
    print(f"records: {table.num_rows:,}" + (f" (first {args.sample:,} persons)" if args.sample else " (all)"))

    started = time.perf_counter()
    result, kept = run_with_hooks(table, args.threshold)
    elapsed = time.perf_counter() - started
    clusters = dict(
        zip(
            result.clusters.column("record_id").to_pylist(),
            result.clusters.column("person_id").to_pylist(),
            strict=True,
        )
    )
    truth_map = dict(con.execute("select record_id, person_id from truth").fetchall())
    s = score_clusters(truth=truth_map, clusters=clusters)
    print(
        f"link {elapsed:.1f} s; P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f};"
        f" true pairs {s.true_pairs:,}, predicted {s.predicted_pairs:,}, correct {s.correct_pairs:,};"
        f" comparisons {result.stats['comparisons']:,}; guard {result.stats['guard']}"
    )

    training = result.stats["training"]
    print(
        f"prior {training['probability_two_random_records_match']:.4g}; contact u: {training.get('contact_u')}"
    )
    for prm in training["parameters"]:
        print(
            f"  {prm['comparison']:<10} {str(prm['level'])[:58]:<58} m {prm['m']:.4g} u {prm['u']:.4g} w {prm['match_weight']}"
        )
    rules = [name for name, _ in linkage.blocking_rules()] + ["label"]
    con.register("rules_in", pa.table({"k": list(range(len(rules))), "rule": rules}))
    con.register("feat_in", table)
    con.register("cl_in", result.clusters)
    con.register("cc_in", kept["components"])
    con.register("blocked_in", kept["blocked"])
    con.register("scored_in", kept["scored"])
    con.execute(
        "create table f as select *, case when dob_precision = 'day' then birth_date end as dday from feat_in"
    )
    con.execute("create table cl as select * from cl_in")
    con.execute("create table cc as select * from cc_in")
    con.execute("create table blocked as select b.*, r.rule from blocked_in b join rules_in r using (k)")
    con.execute("create table scored as select s.*, r.rule from scored_in s left join rules_in r using (k)")
    con.execute(
        """create table tp as select a.record_id a, b.record_id b from truth a join truth b
           on a.person_id = b.person_id and a.record_id < b.record_id"""
    )
    con.execute(
        """create table pp as select a.record_id a, b.record_id b from cl a join cl b
           on a.person_id = b.person_id and a.record_id < b.record_id"""
    )
    gam = ", ".join(f"s.gamma_{g}" for g in GAMMAS)
    # The bare-year/no-ID group: same full name, a bare year on one side, no comparable ID.
    bare = """(x.name_folded = y.name_folded and (x.dday is null or y.dday is null)
               and x.birth_year is not null and y.birth_year is not null
               and not ((x.citizen_id is not null and y.citizen_id is not null)
                        or (x.cmnd is not null and y.cmnd is not null)))"""
    con.execute(
        f"""create table missed as
        select t.a, t.b, s.p, s.w, s.rule, {gam}, bl.rule as blocked_rule,
               (ca.cluster_id = cb.cluster_id) as same_component, {bare} as bare_group,
               x.source = y.source as same_source
        from tp t anti join pp on pp.a = t.a and pp.b = t.b
        left join scored s on s.a = t.a and s.b = t.b
        left join blocked bl on bl.a = t.a and bl.b = t.b
        join cc ca on ca.record_id = t.a join cc cb on cb.record_id = t.b
        join f x on x.record_id = t.a join f y on y.record_id = t.b"""
    )
    con.execute(
        f"""create table falsep as
        select q.a, q.b, s.p, s.w, s.rule, {gam}, x.source = y.source as same_source
        from pp q anti join tp on tp.a = q.a and tp.b = q.b
        left join scored s on s.a = q.a and s.b = q.b
        join f x on x.record_id = q.a join f y on y.record_id = q.b"""
    )
    thr = args.threshold
    show(
        con,
        "False pairs: direct or transitive (clustering chains)",
        f"""select case when p >= {thr} then 'direct (scored >= threshold)'
                        when p is null then 'transitive, never scored'
                        else 'transitive, scored below threshold' end as kind,
                   count(*) n from falsep group by 1 order by 2 desc""",
        args.top,
    )
    show(
        con,
        "Direct false pairs by blocking rule",
        f"select rule, count(*) n from falsep where p >= {thr} group by 1 order by 2 desc",
        args.top,
    )
    show(
        con,
        "Direct false pairs by comparison vector (gamma given, surname, middle, birth_date, ids, gender, contact)",
        f"""select {", ".join("gamma_" + g for g in GAMMAS)}, count(*) n, round(avg(p), 3) avg_p
            from falsep where p >= {thr} group by all order by n desc""",
        args.top,
    )
    show(
        con,
        "Scored pairs by comparison vector: truth rate among pairs >= threshold (largest false counts)",
        f"""select {", ".join("s.gamma_" + g for g in GAMMAS)}, count(*) n,
                   count(*) filter (where tp.a is null) n_false, round(avg(s.p), 3) avg_p
            from scored s left join tp on tp.a = s.a and tp.b = s.b where s.p >= {thr}
            group by all order by n_false desc""",
        args.top,
    )
    # Transitive false pairs: the clusters that hold them, and their weakest internal edge.
    con.execute(
        """create table fclusters as
           select distinct c.person_id from falsep q join cl c on c.record_id = q.a"""
    )
    show(
        con,
        "Clusters holding a false pair: size, false pairs, direct false edges",
        f"""with m as (select c.person_id, count(*) size from cl c semi join fclusters using (person_id)
                       group by 1),
             fp as (select c.person_id, count(*) nf, count(*) filter (where q.p >= {thr}) nd
                    from falsep q join cl c on c.record_id = q.a group by 1)
            select case when size <= 5 then cast(size as varchar) else '6+' end size,
                   count(*) clusters, sum(nf) false_pairs, sum(nd) direct_false,
                   count(*) filter (where nd = 0) clusters_only_transitive
            from m join fp using (person_id) group by 1 order by 1""",
        args.top,
    )
    show(
        con,
        "Missed pairs: group",
        f"""select case when bare_group then 'bare-year/no-ID group'
                        when blocked_rule is null then 'never compared (blocking)'
                        when p is null then 'compared, scored below the floor'
                        when p < {thr} then 'scored below threshold'
                        when same_component then 'split by the guard'
                        else 'scored >= threshold, other component (labels?)' end as kind,
                   same_source, count(*) n
            from missed group by all order by n desc""",
        args.top,
    )
    show(
        con,
        "Missed, not the bare group, scored below threshold: by comparison vector",
        f"""select {", ".join("gamma_" + g for g in GAMMAS)}, count(*) n, round(avg(p), 3) avg_p
            from missed where not bare_group and p < {thr} group by all order by n desc""",
        args.top,
    )
    show(
        con,
        "All scored pairs with those vectors: truth rate (is the vector separable?)",
        f"""with v as (select {", ".join("gamma_" + g for g in GAMMAS)}, count(*) nm
                       from missed where not bare_group and p < {thr} group by all order by nm desc
                       limit {args.top})
            select v.*, count(*) scored, count(tp.a) true_pairs, round(avg(s.p), 3) avg_p
            from v join scored s using ({", ".join("gamma_" + g for g in GAMMAS)})
            left join tp on tp.a = s.a and tp.b = s.b group by all order by nm desc""",
        args.top,
    )
    show(
        con,
        "Missed, never compared: what the two records share",
        """select (x.name_folded = y.name_folded) same_name, (x.given = y.given) same_given,
                  (x.surname_key = y.surname_key) same_surname,
                  case when x.birth_year is null or y.birth_year is null then 'no year'
                       when x.dday = y.dday then 'same date'
                       when x.birth_year = y.birth_year then 'same year'
                       when abs(x.birth_year - y.birth_year) = 1 then 'year +-1'
                       else 'other year' end dob,
                  (x.dday is null or y.dday is null) bare_side, x.source = y.source same_source,
                  count(*) n
           from missed m join f x on x.record_id = m.a join f y on y.record_id = m.b
           where not bare_group and blocked_rule is null group by all order by n desc""",
        args.top,
    )
    show(
        con,
        "Missed, split by the guard: why (the conflict's kind between the two records)",
        """select case when x.citizen_id is not null and y.citizen_id is not null and x.citizen_id <> y.citizen_id
                       then 'two CCCDs' when x.cmnd is not null and y.cmnd is not null and x.cmnd <> y.cmnd
                       then 'two CMNDs' when x.dday <> y.dday then 'two dates'
                       else 'no direct conflict (a third record)' end why, count(*) n
           from missed m join f x on x.record_id = m.a join f y on y.record_id = m.b
           where not bare_group and same_component and p >= 0 group by 1 order by 2 desc""",
        args.top,
    )
    print("\n## Levels (gamma value: label)")
    for name, levels in kept["levels"].items():
        print(f"{name}: " + "; ".join(f"{k}={v}" for k, v in sorted(levels.items(), reverse=True)))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        cols = "full_name, birth_date, dob_precision, gender, citizen_id, cmnd, phone, household_no, street_key, source"
        side = ", ".join(f"{s}.{c.strip()} as {c.strip()}_{s}" for s in ("x", "y") for c in cols.split(","))
        for name in ("missed", "falsep"):
            con.execute(
                f"copy (select m.*, {side} from {name} m join f x on x.record_id = m.a"
                f" join f y on y.record_id = m.b) to '{args.out / name}.parquet'"
            )
        pq.write_table(kept["scored"], args.out / "scored.parquet")
        print(f"\nwritten: {args.out}/missed.parquet, falsep.parquet, scored.parquet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
