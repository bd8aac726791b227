"""The second stage on hand-built pairs (``second_stage.rescore``): evidence learned from the
pairs whose IDs decide, applied to the pairs whose IDs cannot."""

from __future__ import annotations

import math
import time

import numpy as np
import pyarrow as pa

from motcua.registers import second_stage
from motcua.registers.second_stage import FEATURE_COLUMNS, id_labels, ids_weight, rescore

GAMMAS = ("given", "surname", "middle", "birth_date", "ids", "gender", "contact")
STRONG = 20.0  # bits: a pair nobody doubts
THRESHOLD_BITS = math.log2(0.7 / 0.3)


def rec(rid: str, source: str, *, household: str | None = None, cccd: str | None = None, **kw: str | None):
    return {
        "record_id": rid,
        "source": source,
        "middle": kw.get("middle", ""),
        "gender_eff": kw.get("gender"),
        "citizen_id_nz": cccd,
        "cmnd": kw.get("cmnd"),
        "household_no": household,
        "street_key": None,
    }


class Pairs:
    """Builds a pairs table as the pipeline hands it to ``rescore``."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, left: dict, right: dict, *, w_noid: float, ids: int = -1, ids_w: float = 0.0) -> None:
        w = w_noid + ids_w
        row = {
            "record_id_l": left["record_id"],
            "record_id_r": right["record_id"],
            "match_weight": w,
            "match_probability": 1 / (1 + 2**-w),
            "model_match_weight": w,
            "household_evidence": None,
            "ids_weight": ids_w,
        }
        for g in GAMMAS:
            row[f"gamma_{g}"] = ids if g == "ids" else 1
        for c in FEATURE_COLUMNS:
            row[f"{c}_l"], row[f"{c}_r"] = left[c], right[c]
        self.rows.append(row)

    def table(self, *, with_ids_weight: bool = True) -> pa.Table:
        schema = [
            ("record_id_l", pa.string()),
            ("record_id_r", pa.string()),
            ("match_weight", pa.float64()),
            ("match_probability", pa.float64()),
            ("model_match_weight", pa.float64()),
            ("household_evidence", pa.string()),
            ("ids_weight", pa.float64()),
            *((f"gamma_{g}", pa.int32()) for g in GAMMAS),
            *((f"{c}_{s}", pa.string()) for c in FEATURE_COLUMNS for s in ("l", "r")),
        ]
        t = pa.Table.from_pylist(self.rows, schema=pa.schema(schema))
        return t if with_ids_weight else t.drop_columns(["ids_weight"])


def moved_household(p: Pairs, name: str, *, ids: str | None) -> tuple[dict, dict]:
    """a (ward 1) and b (ward 2), each with a housemate; the housemates strongly matched."""
    a = rec(f"{name}a", "w1", household=f"h{name}a", cccd=None if ids is None else f"1{name}")
    b = rec(
        f"{name}b", "w2", household=f"h{name}b", cccd=ids and (f"1{name}" if ids == "same" else f"8{name}99")
    )
    ha = rec(f"{name}ha", "w1", household=f"h{name}a", cccd=f"9{name}")
    hb = rec(f"{name}hb", "w2", household=f"h{name}b")
    p.add(ha, hb, w_noid=STRONG)
    return a, b


def alone(name: str, source: str, *, cccd: str | None) -> dict:
    return rec(name, source, cccd=cccd)


def training_pairs(p: Pairs, *, informative: bool) -> None:
    """Pairs the IDs decide: 150 matches (same CCCD), 60 not (other CCCDs), ID-free weights
    spread over 1…5 bits alike. ``informative``: a match's household moved with it (2 in 3), a
    non-match's rarely (1 in 6); else the same share (1 in 2) for both."""
    rng = np.random.default_rng(7)
    for i in range(210):
        match = i < 150
        w = float(rng.uniform(1, 5))
        moved = (i % 3 != 0) if match else (i % 6 == 0)
        if not informative:
            moved = i % 2 == 0
        name = f"t{i:03d}"
        ids = "same" if match else "other"
        if moved:
            a, b = moved_household(p, name, ids=ids)
        else:
            a = alone(f"{name}a", "w1", cccd=f"1{name}")
            b = alone(f"{name}b", "w2", cccd=f"1{name}" if match else f"8{name}99")
        p.add(a, b, w_noid=w, ids=3 if match else 0, ids_w=18 if match else -7.6)


def weights_after(pairs: pa.Table, out: pa.Table) -> dict[tuple[str, str], float]:
    before = dict(
        zip(
            zip(
                pairs.column("record_id_l").to_pylist(), pairs.column("record_id_r").to_pylist(), strict=True
            ),
            pairs.column("match_weight").to_pylist(),
            strict=True,
        )
    )
    for a, b, w in zip(
        out.column("record_id_l").to_pylist(),
        out.column("record_id_r").to_pylist(),
        out.column("match_weight").to_pylist(),
        strict=True,
    ):
        before[(a, b)] = w
    return before


def scenario(*, informative: bool = True) -> pa.Table:
    p = Pairs()
    training_pairs(p, informative=informative)
    # A bare-year pair, no ID on one side, just under the threshold — its household moved too.
    a, b = moved_household(p, "mv", ids=None)
    b["citizen_id_nz"] = "48190000001"
    p.add(a, b, w_noid=0.8)
    # Namesakes just as close on the rows, without housemates, no ID on one side.
    p.add(alone("nsa", "w1", cccd=None), alone("nsb", "w2", cccd="48190000002"), w_noid=0.8)
    return p.table()


def test_household_that_moved_lifts_a_bare_year_pair_and_a_namesake_stays_out():
    pairs = scenario()
    out, stats = rescore(pairs, threshold=0.7, seed=0, enabled=True)
    assert stats["applied"], stats
    assert stats["bits"]["comovement=2"] > 1
    w = weights_after(pairs, out)
    assert w[("mva", "mvb")] >= THRESHOLD_BITS > 0.8  # in
    assert w[("nsa", "nsb")] < THRESHOLD_BITS  # out
    # Pairs whose IDs decide are never changed.
    changed = set(
        zip(out.column("record_id_l").to_pylist(), out.column("record_id_r").to_pylist(), strict=True)
    )
    labelled = {(r["record_id_l"], r["record_id_r"]) for r in pairs.to_pylist() if r["gamma_ids"] != -1}
    assert labelled and not changed & labelled


def test_switched_off_by_default_reports_what_it_would_change():
    assert second_stage.ENABLED is False
    out, stats = rescore(scenario(), threshold=0.7, seed=0)
    assert out.num_rows == 0
    assert stats["applied"] is False and stats["would_change"] >= 1
    assert "switched off" in stats["reason"]


def test_evidence_that_does_not_predict_the_ids_verdict_changes_nothing():
    out, stats = rescore(scenario(informative=False), threshold=0.7, seed=0, enabled=True)
    assert out.num_rows == 0
    assert stats["applied"] is False
    assert "out of sample" in stats["reason"]


def test_too_few_conflicting_ids_changes_nothing():
    p = Pairs()
    for i in range(20):
        p.add(
            alone(f"x{i}a", "w1", cccd=f"1{i}"),
            alone(f"x{i}b", "w2", cccd=f"8{i}99"),
            w_noid=2,
            ids=0,
            ids_w=-7.6,
        )
    p.add(alone("ya", "w1", cccd=None), alone("yb", "w2", cccd=None), w_noid=1)
    out, stats = rescore(p.table(), threshold=0.7, seed=0, enabled=True)
    assert out.num_rows == 0
    assert "too few" in stats["reason"]


def test_deterministic():
    pairs = scenario()
    first = rescore(pairs, threshold=0.7, seed=3, enabled=True)
    second = rescore(pairs, threshold=0.7, seed=3, enabled=True)
    assert first[0].equals(second[0])
    assert first[1]["bits"] == second[1]["bits"]


def test_empty_input():
    empty = Pairs().table().slice(0, 0)
    out, stats = rescore(empty, threshold=0.7, seed=0, enabled=True)
    assert out.num_rows == 0
    assert out.column_names == ["record_id_l", "record_id_r", "match_weight"]
    assert stats["applied"] is False


def test_id_labels_leave_one_digit_apart_undecided():
    p = Pairs()
    p.add(alone("a", "w1", cccd="048123456789"), alone("b", "w2", cccd="048123456789"), w_noid=1)
    p.add(alone("c", "w1", cccd="048123456789"), alone("d", "w2", cccd="048123456780"), w_noid=1)
    p.add(alone("e", "w1", cccd="048123456789"), alone("f", "w2", cccd="079999999999"), w_noid=1)
    p.add(alone("g", "w1", cccd=None), alone("h", "w2", cccd="079999999999"), w_noid=1)
    comparable, label = id_labels(p.table())
    assert comparable.tolist() == [True, True, True, False]
    assert label.tolist()[:3] == [1, -1, 0]


def test_ids_weight_estimated_from_the_levels_when_not_given():
    # The model's weight: a sum of one weight per level; the ID levels' share comes back.
    rng = np.random.default_rng(1)
    p = Pairs()
    level_w = {3: 18.0, 2: 9.0, 0: -7.5, -1: 0.0}
    given_w = {1: -3.0, 2: 2.0, 3: 6.0}
    for i in range(400):
        ids = int(rng.choice([3, 2, 0, -1]))
        g = int(rng.choice([1, 2, 3]))
        p.add(alone(f"a{i}", "w1", cccd=None), alone(f"b{i}", "w2", cccd=None), w_noid=given_w[g], ids=ids)
        p.rows[-1]["gamma_given"] = g
        p.rows[-1]["gamma_ids"] = ids
        p.rows[-1]["match_weight"] = p.rows[-1]["model_match_weight"] = given_w[g] + level_w[ids] - 5
    t = p.table(with_ids_weight=False)
    got = ids_weight(t)
    want = np.array([level_w[k] for k in t.column("gamma_ids").to_pylist()])
    # Relative to the null level (no ID comparison), which carries no weight.
    assert np.allclose(got, want, atol=1e-3)


def test_300k_pairs_in_bounded_time():
    rng = np.random.default_rng(0)
    n_pairs, n_records = 300_000, 200_000
    left = rng.integers(0, n_records, n_pairs)
    right = rng.integers(0, n_records, n_pairs)
    keep = left != right
    left, right = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    ids = np.unique(left * n_records + right)
    left, right = ids // n_records, ids % n_records
    n = len(left)
    rid = np.char.add("r", np.char.zfill(np.arange(n_records).astype(str), 6))
    household = np.char.add("h", (np.arange(n_records) // 4).astype(str))
    cccd = np.array(
        [f"48{i}" if u < 0.7 else None for i, u in enumerate(rng.random(n_records))], dtype=object
    )
    same = rng.random(n) < 0.5
    w = rng.normal(4, 6, n)
    gamma_ids = np.where(
        (cccd[left] != None) & (cccd[right] != None),  # noqa: E711 - numpy object arrays
        np.where(same, 3, 0),
        -1,
    )
    cccd_r = np.where((gamma_ids == 3), cccd[left], cccd[right])
    cols = {
        "record_id_l": pa.array(rid[left]),
        "record_id_r": pa.array(rid[right]),
        "match_weight": pa.array(w),
        "match_probability": pa.array(1 / (1 + np.exp2(-w))),
        "model_match_weight": pa.array(w),
        "household_evidence": pa.nulls(n, pa.string()),
    }
    for g in GAMMAS:
        cols[f"gamma_{g}"] = pa.array(gamma_ids if g == "ids" else rng.integers(0, 4, n), pa.int32())
    src = np.where(np.arange(n_records) % 2 == 0, "w1", "w2")
    side = {
        "source": (src[left], src[right]),
        "middle": (np.full(n, "van"), np.full(n, "thi")),
        "gender_eff": (np.full(n, None), np.full(n, "M")),
        "citizen_id_nz": (cccd[left], cccd_r),
        "cmnd": (np.full(n, None), np.full(n, None)),
        "household_no": (household[left], household[right]),
        "street_key": (np.full(n, None), np.full(n, None)),
    }
    for c in FEATURE_COLUMNS:
        cols[f"{c}_l"] = pa.array(side[c][0].tolist(), pa.string())
        cols[f"{c}_r"] = pa.array(side[c][1].tolist(), pa.string())
    pairs = pa.table(cols)
    started = time.perf_counter()
    _out, stats = rescore(pairs, threshold=0.7, seed=0, enabled=True)
    elapsed = time.perf_counter() - started
    assert stats["pairs"] == n > 290_000
    assert stats["pairs_without_comparable_ids"] > 100_000
    assert elapsed < 30, elapsed
