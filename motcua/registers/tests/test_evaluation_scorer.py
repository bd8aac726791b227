import csv
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.registers.evaluation.scorer import Scores, score_clusters, truth_structure

TRUTH = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C"}


def brute_force(truth, clusters):
    """Enumerate every pair: the definition the fast scorer must agree with."""
    pred = {r: clusters.get(r) or f"single:{r}" for r in truth}
    tp = pp = cp = 0
    for a, b in combinations(sorted(truth), 2):
        same_t, same_p = truth[a] == truth[b], pred[a] == pred[b]
        tp += same_t
        pp += same_p
        cp += same_t and same_p
    return tp, pp, cp


def test_perfect():
    s = score_clusters(truth=TRUTH, clusters={r: f"x{p}" for r, p in TRUTH.items()})
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs, s.records) == (4, 4, 4, 6)


def test_all_singletons_including_records_missing_from_the_clusters():
    s = score_clusters(truth=TRUTH, clusters={"a1": "x"})
    assert (s.precision, s.recall, s.f1) == (1.0, 0.0, 0.0)
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == (4, 0, 0)


def test_all_merged():
    s = score_clusters(truth=TRUTH, clusters=dict.fromkeys(TRUTH, "one"))
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == (4, 15, 4)
    assert s.precision == pytest.approx(4 / 15) and s.recall == 1.0


def test_known_mix():
    # {a1 a2 a3 b1} {b2} {c1}: 6 predicted pairs, 3 of them correct (the a's); b1-b2 missed.
    clusters = {"a1": "p", "a2": "p", "a3": "p", "b1": "p", "b2": "q", "c1": "r"}
    s = score_clusters(truth=TRUTH, clusters=clusters)
    assert s == Scores(0.5, 0.75, 0.6, 4, 6, 3, 6)


def test_files_with_extra_columns_bom_and_blank_person_id(tmp_path):
    truth_path = tmp_path / "truth.csv"
    with truth_path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "person_id"])
        w.writerows(TRUTH.items())
    clusters_path = tmp_path / "clusters.csv"
    with clusters_path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "match_probability", "person_id"])
        for r, p in {"a1": "p", "a2": "p", "a3": "p", "b1": "p", "b2": "", "c1": "p"}.items():
            w.writerow([r, "0.9", p])
    s = score_clusters(truth=truth_path, clusters=clusters_path)
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == (4, 10, 3)


def test_errors():
    with pytest.raises(ValueError, match="not in the truth"):
        score_clusters(truth=TRUTH, clusters={"zz": "p"})
    with pytest.raises(ValueError, match="blank person_id"):
        score_clusters(truth={"a": None}, clusters={})


def test_duplicate_record_id_in_a_file_is_an_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("record_id,person_id\na1,x\na1,y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="more than once"):
        score_clusters(truth=TRUTH, clusters=path)


def test_truth_structure():
    registers = {"a1": "w1", "a2": "w1", "a3": "w2", "b1": "w2", "b2": "w2", "c1": "w1"}
    s = truth_structure(TRUTH, registers)
    assert (s.records, s.persons, s.persons_with_duplicates, s.persons_in_several_registers) == (6, 3, 2, 1)
    assert (s.true_pairs, s.pairs_within_register, s.pairs_across_registers) == (4, 2, 2)


# -- properties ------------------------------------------------------------------------------

labels = st.lists(st.integers(0, 6), max_size=25)


@st.composite
def truth_and_clusters(draw):
    t = draw(labels)
    p = draw(st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=len(t), max_size=len(t)))
    truth = {f"r{i}": f"t{x}" for i, x in enumerate(t)}
    clusters = {f"r{i}": f"p{x}" for i, x in enumerate(p) if x is not None}
    return truth, clusters


def split(clusters, victim, keep):
    """Split the predicted cluster `victim`: records for which keep(record) is false leave it."""
    return {r: (p if p != victim or keep(r) else p + "'") for r, p in clusters.items()}


@settings(max_examples=150, deadline=None)
@given(truth_and_clusters())
def test_agrees_with_enumerating_pairs(tc):
    truth, clusters = tc
    s = score_clusters(truth=truth, clusters=clusters)
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == brute_force(truth, clusters)


@settings(max_examples=100, deadline=None)
@given(labels)
def test_truth_against_itself_is_perfect(t):
    truth = {f"r{i}": f"t{x}" for i, x in enumerate(t)}
    s = score_clusters(truth=truth, clusters=truth)
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


@settings(max_examples=100, deadline=None)
@given(truth_and_clusters(), st.integers(0, 6), st.integers(0, 2**25))
def test_splitting_cannot_raise_recall_merging_cannot_lower_it(tc, victim, mask):
    truth, clusters = tc
    whole = score_clusters(truth=truth, clusters=clusters)
    parts = score_clusters(
        truth=truth, clusters=split(clusters, f"p{victim}", lambda r: mask >> int(r[1:]) & 1)
    )
    assert parts.recall <= whole.recall  # read backwards: merging the parts cannot lower recall
    assert parts.correct_pairs <= whole.correct_pairs and parts.predicted_pairs <= whole.predicted_pairs


@settings(max_examples=100, deadline=None)
@given(truth_and_clusters(), st.integers(0, 6))
def test_splitting_a_cluster_along_the_truth_cannot_lower_precision(tc, victim):
    truth, clusters = tc
    whole = score_clusters(truth=truth, clusters=clusters)
    refined = {r: (p + truth[r] if p == f"p{victim}" else p) for r, p in clusters.items()}
    assert score_clusters(truth=truth, clusters=refined).precision >= whole.precision


def test_an_arbitrary_split_can_lower_precision():
    # Why the property above is restricted to splits along the truth: {x1 x2 y1} has precision
    # 1/3; split into {x1 y1} {x2} it has 0.
    truth = {"x1": "X", "x2": "X", "y1": "Y"}
    assert score_clusters(truth=truth, clusters=dict.fromkeys(truth, "p")).precision == pytest.approx(1 / 3)
    assert score_clusters(truth=truth, clusters={"x1": "p", "y1": "p", "x2": "q"}).precision == 0.0


@settings(max_examples=100, deadline=None)
@given(truth_and_clusters())
def test_refinement_of_truth_is_precise_coarsening_is_complete(tc):
    truth, clusters = tc
    refinement = {r: truth[r] + "/" + clusters.get(r, r) for r in truth}
    assert score_clusters(truth=truth, clusters=refinement).precision == 1.0
    coarsening = {r: "all" if truth[r] in {truth[k] for k in clusters} else truth[r] for r in truth}
    assert score_clusters(truth=truth, clusters=coarsening).recall == 1.0


@settings(max_examples=100, deadline=None)
@given(truth_and_clusters())
def test_precision_and_recall_swap_when_truth_and_prediction_swap(tc):
    truth, clusters = tc
    full = {r: clusters.get(r, f"single:{r}") for r in truth}
    a = score_clusters(truth=truth, clusters=full)
    b = score_clusters(truth=full, clusters=truth)
    assert a.precision == b.recall and a.recall == b.precision and a.f1 == b.f1
