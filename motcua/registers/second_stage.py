"""Second stage of the register merge: more evidence on the pairs no ID can decide (issue 12 §1).

The first stage (``linkage``: a Fellegi-Sunter model on names, dates, IDs, gender and contact)
scores each pair on its own two rows. Where both rows carry a comparable ID (two CCCDs, or two
CMNDs) the ID decides; where they do not (one side without any ID, a CMND against a CCCD), the
merge rests on name and date, and that is where it loses (issue 12 §1). ``rescore`` adds, for
those pairs only, evidence that lies *between* records rather than in one pair's rows:

- ``comovement`` — a household that moved is listed in both registers: how many strong pairs
  (p >= 0.7) join the other members of a's household (same register, same household number,
  else the same street key) to the other members of b's (undefined / none / one / two or more);
- ``competitors`` — how many other records of b's register match a about as well (within a bit
  of this pair's ID-free weight), and the same for b (0 / 1 / 2+): a namesake has rivals;
- ``hop`` — the best two-step path a–c–b by ID-free weights (none / weak / strong): transitivity;
- ``gender`` — both sides' gender as written or in the CCCD, else from the middle name (Văn: a
  man, Thị: a woman): unknown / agree / disagree.

How much each is worth is learned **without the truth and without self-training**, from the
data's own IDs: pairs whose comparable IDs agree are matches, pairs whose IDs are more than a
typo apart are not (ID typos, one digit apart, are left out). A penalised logistic regression of
that verdict on the pair's *ID-free* weight (the first stage's weight minus its ID comparison's
share: ``ids_weight``) and the evidence above (none of which reads the pair's own IDs) gives each
piece of evidence its log-odds *given* the first stage's score; those are added to the weights of
the pairs whose IDs cannot be compared. Sound under one assumption, stated: whether a record
carries an ID does not depend on whether its pair is a match once names, dates and households
are known (an ID is left blank by a clerk, not by a namesake).

Selection: a pair whose IDs conflict reaches the pairs (p >= 0.01) only when its ID-free weight
makes up for the conflict, so below the lowest such weight only agreeing pairs are seen. The
regression learns above that cut only, where both verdicts are seen alike.

A check before use: the evidence must predict the IDs' verdict *out of sample* — 5-fold
cross-validated deviance saved over the ID-free weight alone >= ``MIN_DEVIANCE_SAVED``, better in
at least 4 folds of 5. Otherwise (or with fewer than ``MIN_NEGATIVES`` conflicting pairs, as in a
small register) nothing changes and ``stats['reason']`` says why. Every pair moves by at most
``MAX_BITS``; the coefficients are shrunk (ridge ``L2``) towards no change. Deterministic: the
folds come from ``seed``; the regression is Newton's method.

Measured (``bench/registers_second_stage.py``, pairwise F1 before → after if switched on; the
weights and the check decided on main seed 11 and held-out seed 12, reported on the others):
main generator 50k persons 0.9840 → 0.9833 (seed 11), 0.9839 → 0.9843 (13), 200k 0.9777 →
0.9780 (21); held-out generator 50k 0.9726 → 0.9745 (12), 0.9712 → 0.9712 (14: the check
refused), 200k 0.9580 → 0.9544 (22: precision up, recall down; the two-step path, learned
at −1 to −2 bits there, does most of it: without it the loss is 0.25 point, without it and the
rivals the check refuses). Hence ``ENABLED = False``. How little there
is to find on these generators: a classifier trained on the truth itself (cross-validated, every
feature above and more) moves F1 on the pairs without comparable IDs by −0.06 point on the main
generator and +0.4 on the held-out one (50k, seeds 11 and 12) — the remaining errors are namesakes the rows cannot tell
apart. What does hold: the weights learned from the IDs agree in sign and size with those the
truth gives on the pairs without IDs (household co-movement +1 to +2 bits on both generators),
and the ID-labelled pairs show the first stage over-confident just above its threshold (ID-free
weight 1–3 bits: 60–70 % matches where it says ~80 %; the truth on the pairs without IDs:
62–75 %) — the labels transfer; what to do with them is the open question.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pyarrow as pa

from .clustering import damerau_at_most_one

# Columns of the feature table read on each side (``<c>_l``, ``<c>_r``).
FEATURE_COLUMNS: tuple[str, ...] = (
    "source",
    "middle",
    "gender_eff",
    "citizen_id_nz",
    "cmnd",
    "household_no",
    "street_key",
)
GAMMAS = ("given", "surname", "middle", "birth_date", "ids", "gender", "contact")
LN2 = math.log(2)
# At least this many pairs of each label (IDs agree / IDs conflict) to learn from; else off.
MIN_NEGATIVES = 30
MIN_POSITIVES = 100
# No pair moves by more than this many bits: no single piece of this evidence is proof.
MAX_BITS = 6.0
L2 = 10.0
# The evidence used (``features``).
EVIDENCE = ("hop", "competitors", "comovement", "gender")
CV_FOLDS = 5
# Off: on the held-out generator at 200k persons it cost 0.36 point of F1 (0.9580 -> 0.9544),
# and gained at most 0.2 elsewhere (the module's docstring). Computed and reported either way
# (``stats['would_change']``), so a run's report shows what it would have changed.
ENABLED = False
# The evidence is used only if it saves this share of the out-of-fold deviance.
MIN_DEVIANCE_SAVED = 0.02


def _empty() -> pa.Table:
    return pa.table(
        {
            "record_id_l": pa.array([], pa.string()),
            "record_id_r": pa.array([], pa.string()),
            "match_weight": pa.array([], pa.float64()),
        }
    )


def _strs(pairs: pa.Table, name: str) -> list[Any]:
    return pairs.column(name).to_pylist()


def id_labels(pairs: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(comparable, label): whether the two sides carry comparable IDs (both a CCCD or both a
    CMND), and then 1 when one agrees, 0 when they are more than a typo apart, -1 one typo apart
    (undecided)."""
    c_l, c_r = _strs(pairs, "citizen_id_nz_l"), _strs(pairs, "citizen_id_nz_r")
    k_l, k_r = _strs(pairs, "cmnd_l"), _strs(pairs, "cmnd_r")
    n = pairs.num_rows
    comparable = np.zeros(n, dtype=bool)
    label = np.full(n, -1, dtype=np.int8)
    for i in range(n):
        cc = c_l[i] is not None and c_r[i] is not None
        kk = k_l[i] is not None and k_r[i] is not None
        if not (cc or kk):
            continue
        comparable[i] = True
        if (cc and c_l[i] == c_r[i]) or (kk and k_l[i] == k_r[i]):
            label[i] = 1
        elif (cc and damerau_at_most_one(c_l[i], c_r[i])) or (kk and damerau_at_most_one(k_l[i], k_r[i])):
            label[i] = -1
        else:
            label[i] = 0
    return comparable, label


def ids_weight(pairs: pa.Table) -> np.ndarray:
    """The ID comparison's share of each pair's model weight (bits). Taken from an ``ids_weight``
    column when the pipeline gives one; else estimated: the model's weight is a sum of one
    weight per comparison level (plus term-frequency terms on exact names and dates), so a
    least-squares fit of ``model_match_weight`` on the levels' indicators recovers the ID levels'
    weights (within about a bit on generated registers)."""
    if "ids_weight" in pairs.column_names:
        return np.nan_to_num(
            np.asarray(pairs.column("ids_weight").to_numpy(zero_copy_only=False), dtype=float)
        )
    y = np.asarray(pairs.column("model_match_weight").to_numpy(zero_copy_only=False), dtype=float)
    cols = [np.ones(len(y))]
    ids_cols: list[tuple[int, int]] = []
    for g in GAMMAS:
        name = f"gamma_{g}"
        if name not in pairs.column_names:
            continue
        v = np.asarray(pairs.column(name).fill_null(-1).to_numpy(zero_copy_only=False))
        for k in sorted(set(v.tolist())):
            if k == -1:
                continue
            if g == "ids":
                ids_cols.append((len(cols), int(k)))
            cols.append((v == k).astype(float))
    if not ids_cols:
        return np.zeros(len(y))
    x = np.column_stack(cols)
    # Normal equations (a tiny ridge keeps levels never seen apart): fast on a million pairs.
    coef = np.linalg.solve(_gram(x) + 1e-6 * np.eye(x.shape[1]), _tdot(x, y))
    gid = np.asarray(pairs.column("gamma_ids").fill_null(-1).to_numpy(zero_copy_only=False))
    out = np.zeros(len(y))
    for j, k in ids_cols:
        out[gid == k] = coef[j]
    return out


def _groups(pairs: pa.Table, side: str) -> list[str | None]:
    src = _strs(pairs, f"source_{side}")
    hh = _strs(pairs, f"household_no_{side}")
    st = _strs(pairs, f"street_key_{side}")
    return [f"{s}|h|{h}" if h else (f"{s}|s|{t}" if t else None) for s, h, t in zip(src, hh, st, strict=True)]


def _gender(pairs: pa.Table, side: str) -> np.ndarray:
    """1 man, 2 woman, 0 unknown: as written (or the CCCD's), else from the middle name
    (Văn: a man, Thị: a woman)."""
    g = _strs(pairs, f"gender_eff_{side}")
    m = _strs(pairs, f"middle_{side}")
    out = np.zeros(len(g), dtype=np.int8)
    for i, (gi, mi) in enumerate(zip(g, m, strict=True)):
        if gi == "M":
            out[i] = 1
        elif gi == "F":
            out[i] = 2
        elif mi:
            words = mi.split()
            if "van" in words:
                out[i] = 1
            elif "thi" in words:
                out[i] = 2
    return out


# Rival candidates and two-step paths, by joins (each pair's neighbours: ~the sum of the squared
# degrees, small). ``p``: i, l, r, w (ID-free weight), sl, sr (sources).
_NEIGHBOURS_SQL = """
with e as (
    select i, l as a, r as b, w, sr as sb from p
    union all
    select i, r as a, l as b, w, sl as sb from p
),
rivals as (
    select x.i, count(*) as k
    from e as x join e as y on y.a = x.a and y.b <> x.b and y.sb = x.sb and y.w >= x.w - 1
    group by x.i
),
hops as (
    select x.i, max(least(y.w, z.w)) as best
    from p as x
    join e as y on y.a = x.l and y.b <> x.r
    join e as z on z.a = x.r and z.b = y.b
    group by x.i
)
select p.i, coalesce(rivals.k, 0) as k, hops.best
from p left join rivals on rivals.i = p.i left join hops on hops.i = p.i
order by p.i
"""


def features(pairs: pa.Table, w_noid: np.ndarray, weight: np.ndarray) -> dict[str, np.ndarray]:
    """Categorical evidence per pair (small ints), none of it from the pair's own IDs."""
    import duckdb

    n = pairs.num_rows
    strong = math.log2(0.7 / 0.3)
    con = duckdb.connect(":memory:")
    try:
        con.execute("set threads to 2")
        con.register(
            "p_in",
            pa.table(
                {
                    "i": pa.array(np.arange(n, dtype=np.int64)),
                    "l": pairs.column("record_id_l"),
                    "r": pairs.column("record_id_r"),
                    "w": pa.array(w_noid, pa.float64()),
                    "sl": pairs.column("source_l"),
                    "sr": pairs.column("source_r"),
                }
            ),
        )
        con.execute("create table p as select * from p_in")
        got = con.execute(_NEIGHBOURS_SQL).fetchnumpy()
    finally:
        con.close()
    comp = np.minimum(np.asarray(got["k"], dtype=np.int64), 2).astype(np.int8)
    best = np.ma.filled(np.ma.asarray(got["best"]).astype(float), np.nan)  # NaN: no path
    hop = np.where(np.isnan(best), 0, np.where(best < strong, 1, 2)).astype(np.int8)
    # Household co-movement: strong pairs (full weights: a housemate's ID is fair evidence)
    # between a's household and b's, less those of a and b themselves.
    left, right = _strs(pairs, "record_id_l"), _strs(pairs, "record_id_r")
    hh_l, hh_r = _groups(pairs, "l"), _groups(pairs, "r")
    group: dict[str, str] = {}
    for a, b, ga, gb in zip(left, right, hh_l, hh_r, strict=True):
        if ga is not None:
            group[a] = ga
        if gb is not None:
            group[b] = gb
    between: dict[tuple[str, str], int] = {}
    into: dict[tuple[str, str], int] = {}
    for i in np.flatnonzero(weight >= strong).tolist():
        a, b = left[i], right[i]
        ga, gb = group.get(a), group.get(b)
        if ga is None or gb is None or ga == gb:
            continue
        key = (ga, gb) if ga < gb else (gb, ga)
        between[key] = between.get(key, 0) + 1
        into[(a, gb)] = into.get((a, gb), 0) + 1
        into[(b, ga)] = into.get((b, ga), 0) + 1
    co = np.zeros(n, dtype=np.int8)
    for i in range(n):
        a, b = left[i], right[i]
        ga, gb = group.get(a), group.get(b)
        if ga is None or gb is None or ga == gb:
            continue
        moved = between.get((ga, gb) if ga < gb else (gb, ga), 0)
        moved -= into.get((a, gb), 0) + into.get((b, ga), 0) - int(weight[i] >= strong)
        co[i] = 1 + min(moved, 2)
    g_l, g_r = _gender(pairs, "l"), _gender(pairs, "r")
    gmid = np.where((g_l == 0) | (g_r == 0), 0, np.where(g_l == g_r, 1, 2)).astype(np.int8)
    return {"hop": hop, "competitors": comp, "comovement": co, "gender": gmid}


def _design(feats: dict[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    cols, names = [], []
    for k, v in feats.items():
        for level in range(1, int(v.max(initial=0)) + 1):
            cols.append((v == level).astype(float))
            names.append(f"{k}={level}")
    n = len(next(iter(feats.values())))
    return (np.column_stack(cols) if cols else np.zeros((n, 0))), names


# Products of tall, narrow matrices without BLAS: a threaded BLAS on a machine with few cores
# (the merge's 2) spends far longer spinning threads than computing (~1 s instead of ~0.05 s).
def _gram(x: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    if weights is None:
        return np.einsum("ij,ik->jk", x, x, optimize=False)
    return np.einsum("ij,i,ik->jk", x, weights, x, optimize=False)


def _tdot(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,i->j", x, v, optimize=False)


def _dot(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return np.einsum("ij,j->i", x, beta, optimize=False)


def _logistic(x: np.ndarray, y: np.ndarray, penalty: np.ndarray, iters: int = 50) -> np.ndarray:
    """Penalised logistic regression by Newton's method (deterministic)."""
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        z = np.clip(_dot(x, beta), -30, 30)
        p = 1 / (1 + np.exp(-z))
        grad = _tdot(x, p - y) + penalty * beta
        hess = _gram(x, p * (1 - p)) + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def _deviance(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    z = np.clip(_dot(x, beta), -30, 30)
    return float(np.sum(np.logaddexp(0, z) - y * z))


def _cv_gain(
    x: np.ndarray, y: np.ndarray, penalty: np.ndarray, folds: np.ndarray, k: int
) -> tuple[float, int]:
    """Out-of-fold deviance saved by the evidence (columns 2…) over the calibration alone
    (columns 0, 1), as a share of the latter, and the number of folds where it saved any."""
    base_total = full_total = 0.0
    wins = 0
    for f in range(k):
        fit, test = folds != f, folds == f
        if not test.any() or y[fit].min() == y[fit].max():
            continue
        b0 = _logistic(x[fit][:, :2], y[fit], penalty[:2])
        b1 = _logistic(x[fit], y[fit], penalty)
        d0, d1 = _deviance(x[test][:, :2], y[test], b0), _deviance(x[test], y[test], b1)
        base_total += d0
        full_total += d1
        wins += d1 < d0
    return ((base_total - full_total) / base_total if base_total else 0.0), wins


def rescore(
    pairs: pa.Table, *, threshold: float, seed: int, enabled: bool | None = None
) -> tuple[pa.Table, dict[str, Any]]:
    """pairs: every scored pair with probability >= 0.01 (record_id_l, record_id_r,
    match_weight, model_match_weight, household_evidence, gamma_*, and ``<c>_l``, ``<c>_r``
    for c in ``FEATURE_COLUMNS``). Returns (record_id_l, record_id_r, match_weight) for the
    pairs whose weight it changes, and the figures of the run (``stats['applied']`` says
    whether the evidence passed its check; when not, nothing changes).

    ``enabled`` (default ``ENABLED``): when false, everything is computed and reported
    (``stats['would_change']``) but no weight changes."""
    enabled = ENABLED if enabled is None else enabled
    started = time.perf_counter()
    stats: dict[str, Any] = {"pairs": pairs.num_rows, "applied": False}
    if pairs.num_rows == 0:
        stats["reason"] = "no pairs"
        return _empty(), stats
    weight = np.asarray(pairs.column("match_weight").to_numpy(zero_copy_only=False), dtype=float)
    comparable, label = id_labels(pairs)
    w_noid = weight - ids_weight(pairs)
    target = ~comparable
    stats["pairs_without_comparable_ids"] = int(target.sum())
    neg = label == 0
    if not target.any() or neg.sum() < MIN_NEGATIVES:
        stats["reason"] = "too few pairs whose IDs conflict to learn from"
        return _empty(), stats
    # A pair whose IDs conflict is among the scored pairs only when its ID-free weight makes up
    # for the conflict: below the lowest such weight only agreeing pairs would be seen. Learn
    # above it, where both labels are seen alike.
    cut = float(np.min(w_noid[neg])) + 0.5
    train = (label >= 0) & (w_noid >= cut)
    y = (label[train] == 1).astype(float)
    stats["trained_on"] = {
        "ids_agree": int(y.sum()),
        "ids_conflict": int(len(y) - y.sum()),
        "cut_bits": round(cut, 2),
    }
    if y.sum() < MIN_POSITIVES or len(y) - y.sum() < MIN_NEGATIVES:
        stats["reason"] = "too few labelled pairs above the cut"
        return _empty(), stats
    feats = features(pairs, w_noid, weight)
    design, names = _design({k: v for k, v in feats.items() if k in EVIDENCE})
    x = np.column_stack([np.ones(len(weight)), np.clip(w_noid, cut, cut + 20) * LN2, design])
    penalty = np.array([0.0, 0.0] + [L2] * design.shape[1])
    rng = np.random.default_rng(seed)
    folds = rng.permutation(len(y)) % CV_FOLDS
    gain, wins = _cv_gain(x[train], y, penalty, folds, CV_FOLDS)
    stats["cv"] = {"deviance_saved": round(gain, 4), "folds_better": wins, "folds": CV_FOLDS}
    beta = _logistic(x[train], y, penalty)
    bits = beta[2:] / LN2
    stats["bits"] = {n_: round(float(b), 3) for n_, b in zip(names, bits, strict=True)}
    if gain < MIN_DEVIANCE_SAVED or wins < CV_FOLDS - 1:
        stats["reason"] = "the evidence does not predict the IDs' verdict out of sample"
        stats["seconds"] = round(time.perf_counter() - started, 3)
        return _empty(), stats
    delta = np.clip(_dot(design, bits), -MAX_BITS, MAX_BITS)
    changed = target & (np.abs(delta) > 1e-9)
    idx = np.flatnonzero(changed)
    out = pa.table(
        {
            "record_id_l": pairs.column("record_id_l").take(pa.array(idx, pa.int64())),
            "record_id_r": pairs.column("record_id_r").take(pa.array(idx, pa.int64())),
            "match_weight": pa.array(weight[idx] + delta[idx], pa.float64()),
        }
    )
    stats["seconds"] = round(time.perf_counter() - started, 3)
    if not enabled:
        stats["would_change"] = len(idx)
        stats["reason"] = "switched off (ENABLED): it did not help on the held-out generator"
        return _empty(), stats
    stats["applied"] = True
    stats["pairs_changed"] = len(idx)
    return out, stats
