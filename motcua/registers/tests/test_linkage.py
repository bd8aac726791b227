"""Register merge, linkage step: small hand-built normalised tables with known people."""

import random

import duckdb
import pyarrow as pa
import pytest

from motcua.core.text import fold
from motcua.registers import clustering, linkage, model, training
from motcua.registers.linkage import LinkResult, link

SURNAME_KEY = {"huynh": "hoang", "vo": "vu"}


def rec(
    rid,
    source,
    name,
    dob,
    gender=None,
    *,
    cccd=None,
    cmnd=None,
    phone=None,
    household=None,
    street=None,
):
    """One normalised row (docs/registers-contract.md) from readable values."""
    parts = fold(name).split()
    row = {
        "record_id": rid,
        "source": source,
        "full_name": name,
        "name_folded": " ".join(parts),
        "surname": parts[0],
        "surname_key": SURNAME_KEY.get(parts[0], parts[0]),
        "middle": " ".join(parts[1:-1]),
        "given": parts[-1],
        "given2": " ".join(parts[-2:]),
        "name_sorted": " ".join(sorted(parts)),
        "birth_date": None,
        "birth_year": None,
        "birth_month": None,
        "birth_day": None,
        "dob_precision": None,
        "dob_swapped": None,
        "gender": gender,
        "citizen_id": cccd,
        "cmnd": cmnd,
        "id_century_gender": int(cccd[3]) if cccd and len(cccd) == 12 else None,
        "id_birth_year_2": int(cccd[4:6]) if cccd and len(cccd) == 12 else None,
        "phone": phone,
        "household_no": household,
        "address_folded": street,
        "street_key": street,
        "old_ward": source,
        "new_ward_code": 20200,
    }
    if dob and len(dob) == 4:
        row |= {"birth_year": int(dob), "dob_precision": "year"}
    elif dob:
        y, m, d = (int(x) for x in dob.split("-"))
        row |= {
            "birth_date": dob,
            "birth_year": y,
            "birth_month": m,
            "birth_day": d,
            "dob_precision": "day",
            "dob_swapped": f"{y:04d}-{d:02d}-{m:02d}" if d <= 12 and d != m else None,
        }
    return row


SURNAMES = ["Nguyễn"] * 8 + ["Trần"] * 3 + ["Lê"] * 2 + ["Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ"]
MIDDLES_M = ["Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công"]
MIDDLES_F = ["Thị", "Thị", "Ngọc", "Thu", "Kim", "Mỹ", "Phương", "Bích"]
GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Nam", "Hải", "Long", "Sơn", "Thắng", "Cường", "Quang", "Hiếu", "Huy"]
GIVEN_F = ["Lan", "Hương", "Hoa", "Hằng", "Linh", "Trang", "Mai", "Thảo", "Nhung", "Yến", "Hà", "Vân"]
STREETS = ["Lê Duẩn", "Hùng Vương", "Trần Cao Vân", "Điện Biên Phủ", "Hàm Nghi", "Hà Huy Tập", "Thái Thị Bôi"]


def population(n=400, seed=7, streets=None):
    """Background people, each listed once, spread over three registers: the model trains on
    them, as it would on a ward's registers. About a tenth are listed twice (clean copies in
    another register) so that expectation maximisation sees matches."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        female = rng.random() < 0.5
        name = " ".join(
            [
                rng.choice(SURNAMES),
                rng.choice(MIDDLES_F if female else MIDDLES_M),
                rng.choice(GIVEN_F if female else GIVEN_M),
            ]
        )
        dob = f"{rng.randint(1940, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        gender = "F" if female else "M"
        year = int(dob[:4])
        cccd = f"048{(1 if female else 0) + (2 if year >= 2000 else 0)}{year % 100:02d}{rng.randint(0, 999999):06d}"
        street = f"{rng.randint(1, 400)} {fold(rng.choice(STREETS))}" if streets is None else streets(rng)
        rows.append(rec(f"bg{i:04d}", f"ward_{i % 3 + 1}", name, dob, gender, cccd=cccd, street=street))
        if i % 10 == 0:
            rows.append(rec(f"bg{i:04d}b", f"ward_{(i + 1) % 3 + 1}", name, dob, gender))
    return rows


# People we know, by the person each record belongs to.
CASES = [
    # Accents dropped by one clerk (the folded forms agree), other register, other address.
    (
        "hung1",
        rec("a1", "ward_1", "Nguyễn Văn Hùng", "1985-03-12", "M", cccd="048085001234", street="12 le duan"),
    ),
    ("hung1", rec("a2", "ward_2", "Nguyen Van Hung", "1985-03-12", "M", street="40 ham nghi")),
    # Typo in the given name, and the day and month swapped.
    ("thuy", rec("b1", "ward_1", "Trần Thị Thủy", "1990-04-07", "F", cccd="048190004321")),
    ("thuy", rec("b2", "ward_3", "Trần Thị Thuyr", "1990-07-04", "F", cccd="048190004321")),
    # Dropped middle name; same phone.
    ("nhung", rec("c1", "ward_2", "Lê Thị Hồng Nhung", "1978-11-23", "F", phone="0905123456")),
    ("nhung", rec("c2", "ward_3", "Lê Nhung", "1978-11-23", "F", phone="0905123456")),
    # Huỳnh / Hoàng, a regional variant of one surname.
    ("tai", rec("d1", "ward_1", "Huỳnh Văn Tài", "1969-09-30", "M", cccd="049069007788")),
    ("tai", rec("d2", "ward_2", "Hoàng Văn Tài", "1969-09-30", "M")),
    # Leading zeros eaten by a spreadsheet (and not restored); a duplicate within one register.
    ("khoa", rec("e1", "ward_3", "Phạm Đăng Khoa", "2001-02-14", "M", cccd="001201009876")),
    ("khoa", rec("e2", "ward_3", "Phạm Đăng Khoa", "2001-02-14", "M", cccd="1201009876")),
    # Namesakes in one household: father and son, same name, same address and phone.
    (
        "thang_f",
        rec(
            "f1",
            "ward_1",
            "Đỗ Văn Thắng",
            "1960-05-20",
            "M",
            phone="0912000111",
            household="HK77",
            street="5 ha huy tap",
        ),
    ),
    (
        "thang_s",
        rec(
            "f2",
            "ward_1",
            "Đỗ Văn Thắng",
            "1988-10-02",
            "M",
            phone="0912000111",
            household="HK77",
            street="5 ha huy tap",
        ),
    ),
    # Twins: same birth date, same household, other given names.
    (
        "twin1",
        rec("g1", "ward_2", "Bùi Minh Khang", "2012-06-18", "M", household="HK88", street="9 thai thi boi"),
    ),
    (
        "twin2",
        rec("g2", "ward_2", "Bùi Minh Khôi", "2012-06-18", "M", household="HK88", street="9 thai thi boi"),
    ),
    # A common name and year, other dates, other people.
    ("lan1", rec("h1", "ward_1", "Nguyễn Thị Lan", "1975-01-09", "F", cccd="048175111111")),
    ("lan2", rec("h2", "ward_3", "Nguyễn Thị Lan", "1975-08-27", "F", cccd="048175222222")),
]


def table(rows):
    return pa.Table.from_pylist(rows)


def persons(result: LinkResult):
    return dict(
        zip(
            result.clusters.column("record_id").to_pylist(),
            result.clusters.column("person_id").to_pylist(),
            strict=True,
        )
    )


@pytest.fixture(scope="module")
def base():
    rows = population() + [r for _, r in CASES]
    return rows, link(table(rows), seed=1)


def test_every_record_gets_one_person(base):
    rows, result = base
    assert result.clusters.column_names == ["record_id", "person_id"]
    assert sorted(persons(result)) == sorted(r["record_id"] for r in rows)


def test_known_duplicates_are_merged_and_namesakes_kept_apart(base):
    _, result = base
    p = persons(result)
    truth: dict[str, list[str]] = {}
    for person, row in CASES:
        truth.setdefault(person, []).append(row["record_id"])
    for person, rids in truth.items():
        assert len({p[r] for r in rids}) == 1, f"{person} split: {rids}"
    firsts = {person: p[rids[0]] for person, rids in truth.items()}
    assert len(set(firsts.values())) == len(firsts), "two known people merged"


def test_background_copies_found(base):
    rows, result = base
    p = persons(result)
    copies = [r["record_id"] for r in rows if r["record_id"].endswith("b")]
    assert copies
    assert all(p[c] == p[c[:-1]] for c in copies)


def test_stats_count_comparisons_per_blocking_rule(base):
    rows, result = base
    blocking = result.stats["blocking"]
    assert [b["rule"] for b in blocking] == [name for name, _ in model.blocking_rules()]
    assert blocking[-1]["cumulative"] == sum(b["marginal"] for b in blocking) == result.stats["comparisons"]
    assert 0 < result.stats["comparisons"] < len(rows) * (len(rows) - 1) / 2 / 10
    assert {"train_u", "train_em", "predict", "cluster", "total"} <= set(result.stats["timings"])
    assert result.stats["n_records"] == len(rows)


def test_pairs_and_review_pairs_show_both_sides(base):
    _, result = base
    lo, _hi = result.stats["review_band"]
    assert set(result.pairs.column_names) >= {
        "record_id_l",
        "record_id_r",
        "match_probability",
        "match_weight",
    }
    assert min(result.pairs.column("match_probability").to_pylist()) >= lo
    review = result.review_pairs
    assert {"full_name_l", "full_name_r", "birth_date_l", "birth_date_r", "source_l", "source_r"} <= set(
        review.column_names
    )
    # Most uncertain first: match weights nearest the threshold's.
    tw = linkage.math.log2(result.stats["match_threshold"] / (1 - result.stats["match_threshold"]))
    gaps = [abs(w - tw) for w in review.column("match_weight").to_pylist()]
    assert gaps == sorted(gaps)


def test_same_input_same_output(base):
    rows, result = base
    again = link(table(rows), seed=1)
    assert persons(again) == persons(result)


def _borderline_rows():
    # One register says "Nguyễn Thị Mai, 1980, Nam", the other "Nguyễn Thị Mai, 15/06/1980,
    # Nữ", at other addresses and phones: a common name, only the year on one side, genders that
    # disagree (a clerk's slip, or another person) — a reviewer's call.
    return [
        *population(),
        rec("m1", "ward_1", "Nguyễn Thị Mai", "1980", "M", street="7 le loi", phone="0905111222"),
        rec("m2", "ward_2", "Nguyễn Thị Mai", "1980-06-15", "F", street="90 tran phu", phone="0935333444"),
    ]


def test_labels_decide_a_borderline_pair():
    rows = _borderline_rows()
    unlabelled = link(table(rows), seed=1)
    p = unlabelled.pairs.filter(
        pa.compute.and_(
            pa.compute.equal(unlabelled.pairs.column("record_id_l"), "m1"),
            pa.compute.equal(unlabelled.pairs.column("record_id_r"), "m2"),
        )
    )
    probability = p.column("match_probability")[0].as_py() if p.num_rows else 0.0
    assert probability < unlabelled.stats["match_threshold"], "not borderline any more: adjust the case"
    assert persons(unlabelled)["m1"] != persons(unlabelled)["m2"]
    assert "m1" in unlabelled.review_pairs.column("record_id_l").to_pylist()

    accepted = link(table(rows), seed=1, labels=[("m2", "m1", True)])
    assert persons(accepted)["m1"] == persons(accepted)["m2"]
    assert accepted.stats["n_labels"] == 1
    # A decided pair is not offered for review again.
    decided = list(
        zip(
            accepted.review_pairs.column("record_id_l").to_pylist(),
            accepted.review_pairs.column("record_id_r").to_pylist(),
            strict=True,
        )
    )
    assert ("m1", "m2") not in decided


def test_a_rejected_pair_is_never_merged(base):
    rows, result = base
    p = persons(result)
    assert p["a1"] == p["a2"]
    rejected = link(table(rows), seed=1, labels=[("a1", "a2", False)])
    assert persons(rejected)["a1"] != persons(rejected)["a2"]


def test_stored_edges_cluster_to_the_runs_persons(base):
    """``clustering.cluster_edges`` on what a run keeps (its pairs and guard columns) gives the
    run's persons; with a reviewer's decision, what a run with that decision gives — without
    scoring again (applying decisions to a finished merge)."""
    rows, result = base
    assert result.guard is not None and result.guard.column_names == list(clustering.GUARD_COLUMNS)
    threshold = result.stats["match_threshold"]
    again, _ = clustering.cluster_edges(result.guard, result.pairs, threshold=threshold)
    assert again.equals(result.clusters)
    decided, guard = clustering.cluster_edges(
        result.guard, result.pairs, threshold=threshold, labels=[("a2", "a1", False)]
    )
    p = dict(
        zip(decided.column("record_id").to_pylist(), decided.column("person_id").to_pylist(), strict=True)
    )
    assert p["a1"] != p["a2"]
    rerun = link(table(rows), seed=1, labels=[("a1", "a2", False)])
    assert decided.equals(rerun.clusters)
    assert guard["suspect_clusters"] >= 1


def test_name_and_date_rules_hold_within_an_area():
    """A register's area is the new commune most of its rows convert to. Across areas a typo in
    the birth day or a bare year finds no pair (those keys would grow with the square of a
    province's population); the same full name and birth date, an ID or a phone still do."""

    def row(rid, source, name, dob, area, **kw):
        r = rec(rid, source, name, dob, "M", **kw)
        r["new_ward_code"] = area
        return r

    rows = [
        row("a1", "w1", "Lê Văn Tám", "1950-03-14", 20194),
        row("a2", "w2", "Lê Văn Tám", "1950-03-15", 20200),  # day a typo away, other area
        row("b1", "w1", "Phan Văn Khỏe", "1961-07-02", 20194),
        row("b2", "w2", "Phan Văn Khỏe", "1961-07-02", 20200),  # same name and date, other area
        row("c1", "w1", "Đỗ Văn Lành", "1970-05-05", 20194),
        row("c2", "w3", "Đỗ Văn Lành", "1970-05-06", None),  # no code: the register has none
        row("d1", "w1", "Trịnh Văn Út", "1980", 20194),
        row("d2", "w2", "Trịnh Văn Út", "1980-01-09", 20200),  # bare year, other area
        # A register of a divided old ward (no code) with one row in a neighbour's 2025 form:
        # a few rows do not move the register; it goes with the run's main commune.
        *(row(f"e{i}", "w4", f"Mai Văn Số {i}", "1990", None) for i in range(4)),
        row("e9", "w4", "Mai Văn Chín", "1991", 20200),
    ]
    con = duckdb.connect()
    con.register("motcua_input", model.conform(table(rows), []))
    con.execute("create table l as " + model.FEATURES_SQL.format(table="motcua_input"))
    con.execute("create table r as select * from l")
    areas = dict(con.execute("select record_id, block_area from l").fetchall())
    assert areas["a1"] == 20194 and areas["a2"] == 20200
    assert areas["c2"] == 20194  # a register with no converted row goes with the run's main area
    assert {areas[f"e{i}"] for i in (0, 1, 2, 3, 9)} == {20194}
    admitted = set()
    for _name, rule in model.blocking_rules():
        sql = rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql
        admitted |= {
            tuple(x)
            for x in con.execute(
                f"select l.record_id, r.record_id from l, r where l.record_id < r.record_id and ({sql})"  # noqa: S608 - the model's rule
            ).fetchall()
        }
    assert ("a1", "a2") not in admitted and ("d1", "d2") not in admitted
    assert ("b1", "b2") in admitted and ("c1", "c2") in admitted


def test_one_commune_gives_the_area_no_weight(base):
    """Every record of one commune is in one area: the area comparison weighs nothing."""
    _, result = base
    area = [p for p in result.stats["training"]["parameters"] if p["comparison"] == "area"]
    same = next(p for p in area if p["level"] == "Same commune")
    assert same["m"] == pytest.approx(1.0) and same["u"] == pytest.approx(1.0)
    assert same["match_weight"] == pytest.approx(0.0, abs=1e-6)


def test_the_second_stage_sees_both_sides_and_its_weights_count(base, monkeypatch):
    """The run hands the second stage every scored pair with both sides' features, and the
    weights it returns replace the pairs' (here: a stand-in that breaks one pair)."""
    from motcua.registers import second_stage

    rows, result = base
    assert "second_stage" not in result.stats  # off by default (second_stage.ENABLED)
    assert "second_stage" in link(table(rows), seed=1, second_look=True).stats
    seen = {}

    def rescore(pairs, *, threshold, seed):
        seen["columns"] = pairs.column_names
        seen["pairs"] = set(
            zip(pairs.column("record_id_l").to_pylist(), pairs.column("record_id_r").to_pylist(), strict=True)
        )
        changed = pa.table({"record_id_l": ["a1"], "record_id_r": ["a2"], "match_weight": [-30.0]})
        return changed, {"applied": True}

    monkeypatch.setattr(second_stage, "rescore", rescore)
    again = link(table(rows), seed=1, second_look=True)
    assert ("a1", "a2") in seen["pairs"]
    assert {f"{c}_{s}" for c in second_stage.FEATURE_COLUMNS for s in "lr"} <= set(seen["columns"])
    assert "gamma_ids" in seen["columns"]
    assert persons(again)["a1"] != persons(again)["a2"]
    assert persons(result)["a1"] == persons(result)["a2"]
    assert not link(table(rows), seed=1, second_look=False).stats.get("second_stage")


def test_many_accepted_labels_train_m():
    rows = population()
    labels = [(r["record_id"][:-1], r["record_id"], True) for r in rows if r["record_id"].endswith("b")]
    assert len(labels) >= training.MIN_LABELS_FOR_M
    result = link(table(rows), seed=1, labels=labels)
    assert result.stats["training"]["m_from_labels"] is True


def test_one_register_and_a_bridge_record():
    # A single register (deduplication only). x2 (year only, no ID) looks like both x1 and x3,
    # who hold different CCCDs: x2 must not chain them into one person.
    rows = [
        *(r | {"source": "ward_1"} for r in population()),
        rec("x1", "ward_1", "Trương Văn Quý", "1972-03-02", "M", cccd="048072123456", street="3 le do"),
        rec("x2", "ward_1", "Trương Văn Quý", "1972", "M", street="3 le do"),
        rec("x3", "ward_1", "Trương Văn Quý", "1972-11-21", "M", cccd="048072654321", street="3 le do"),
    ]
    result = link(table(rows), seed=1)
    assert result.stats["link_type"] == "dedupe_only"
    p = persons(result)
    assert p["x1"] != p["x3"]
    assert p["x2"] in (p["x1"], p["x3"])
    copies = [r["record_id"] for r in rows if r["record_id"].endswith("b")]
    assert all(p[c] == p[c[:-1]] for c in copies)


def test_constrained_components_split_at_the_weakest_bridge():
    recs = [
        {
            "record_id": "a",
            "citizen_id_nz": "48072123456",
            "cmnd": None,
            "birth_date": "1972-03-02",
            "dob_swapped": "1972-02-03",
        },
        {"record_id": "b", "citizen_id_nz": None, "cmnd": None, "birth_date": None, "dob_swapped": None},
        {
            "record_id": "c",
            "citizen_id_nz": "48072654321",
            "cmnd": None,
            "birth_date": "1972-11-21",
            "dob_swapped": None,
        },
    ]
    edges = [(0.97, "a", "b"), (0.95, "b", "c")]
    assert clustering.constrained_components(recs, edges, {}) == [["a", "b"], ["c"]]
    # Without the conflict: plain connected components.
    recs[2] |= {"citizen_id_nz": None, "birth_date": None}
    assert clustering.constrained_components(recs, edges, {}) == [["a", "b", "c"]]
    # A reviewer's rejection is a conflict too.
    assert clustering.constrained_components(recs, edges, {("a", "c"): False}) == [["a", "b"], ["c"]]


def test_conflicting_dates_and_ids():
    def r(rid, cid=None, dob=None, swapped=None, cmnd=None):
        return {
            "record_id": rid,
            "citizen_id_nz": cid,
            "cmnd": cmnd,
            "birth_date": dob,
            "dob_swapped": swapped,
        }

    assert clustering.conflict(r("a", dob="1980-06-15"), r("b", dob="1980-09-23"), {})
    assert not clustering.conflict(r("a", dob="1980-06-15"), r("b", dob="1980-06-16"), {})  # one field off
    assert not clustering.conflict(
        r("a", dob="1980-06-05", swapped="1980-05-06"), r("b", dob="1980-05-06"), {}
    )
    assert clustering.conflict(r("a", cid="48080111111"), r("b", cid="48080222222"), {})
    assert not clustering.conflict(r("a", cid="48080111111"), r("b", cid="48080111112"), {})  # one digit
    # Sharing an ID outweighs the dates; a reviewer's acceptance outweighs everything.
    assert not clustering.conflict(r("a", cid="1", dob="1980-06-15"), r("b", cid="1", dob="1990-01-01"), {})
    assert not clustering.conflict(r("a", cid="48080111111"), r("b", cid="48080222222"), {("a", "b"): True})


def test_damerau_at_most_one():
    assert clustering.damerau_at_most_one("048085001234", "048085001234")
    assert clustering.damerau_at_most_one("048085001234", "048085001284")
    assert clustering.damerau_at_most_one("048085001234", "048085002134")
    assert clustering.damerau_at_most_one("48085001234", "048085001234")
    assert not clustering.damerau_at_most_one("048085001234", "048085004321")


def test_engine_is_a_parameter():
    rows = [rec("a", "w1", "Lê Văn Tám", "1950-01-01", "M")]
    with pytest.raises(ValueError, match="engine"):
        link(table(rows), engine="oracle")


def test_input_checks():
    with pytest.raises(ValueError, match="record_id"):
        link(table([rec("a", "w1", "Lê Văn Tám", "1950", "M"), rec("a", "w2", "Lê Văn Tám", "1950", "M")]))
    with pytest.raises(ValueError, match="lacks required columns"):
        link(pa.table({"record_id": ["a"]}))
    empty = link(table([rec("a", "w1", "Lê Văn Tám", "1950", "M")]).slice(0, 0))
    assert empty.clusters.num_rows == 0


@pytest.mark.parametrize("second_register", ["ward_2", "ward_1"])
def test_household_and_address_count_within_one_register_only(second_register):
    # A common name, the year only on one side and a year apart on the other: not enough alone.
    # The same household book number and tổ within one ward's register make it one person; in
    # another ward's register they are another household (numbers restart, tổ repeat).
    rows = [
        *population(),
        *(
            rec(f"ns{i}", f"ward_{i % 3 + 1}", "Nguyễn Thị Lan", f"{1950 + 7 * i}-0{i + 1}-1{i}", "F")
            for i in range(6)
        ),
        rec("n1", "ward_1", "Nguyễn Thị Lan", "1966", "F", household="12", street="to 5"),
        rec("n2", second_register, "Nguyễn Thị Lan", "1967-04-02", household="12", street="to 5"),
    ]
    p = persons(link(table(rows), seed=1))
    assert (p["n1"] == p["n2"]) is (second_register == "ward_1")


def admitted(left, right):
    """Names of the blocking rules that admit the pair (left, right), evaluated in DuckDB on the
    model's own features."""
    import duckdb

    con = duckdb.connect()
    con.register("motcua_input", model.conform(table([left, right]), []))
    con.execute("create table f as " + model.FEATURES_SQL.format(table="motcua_input"))
    names = []
    for name, rule in model.blocking_rules():
        sql = rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql
        found = con.execute(
            f"select count(*) from f as l, f as r where l.unique_id = ? and r.unique_id = ? and ({sql})",  # noqa: S608
            [left["record_id"], right["record_id"]],
        ).fetchone()
        if found and found[0]:
            names.append(name)
    return names


def test_blocking_admits_typos_not_other_dates():
    a = rec("a", "ward_1", "Nguyễn Văn Hùng", "1978-05-06", "M")
    # The year mistyped: one digit, one apart, two digits swapped.
    for year in ("1987", "1979", "1968", "1998"):
        b = rec("b", "ward_2", "Nguyễn Văn Hùng", f"{year}-05-06", "M")
        assert "surname_key+given+month+day" in admitted(a, b), year
    # Another year, another day, another month: another date, not compared on the name alone.
    for dob in ("1990-05-06", "1978-05-29", "1978-11-06", "1978-11-23"):
        assert admitted(a, rec("b", "ward_2", "Nguyễn Văn Hùng", dob, "M")) == [], dob
    # The day or the month mistyped.
    assert "surname_key+given+year+month" in admitted(a, rec("b", "ward_2", "Nguyễn Văn Hùng", "1978-05-16"))
    assert "surname_key+given+year+day" in admitted(a, rec("b", "ward_2", "Nguyễn Văn Hùng", "1978-04-06"))
    # The name in another order or with a space lost, same year.
    assert "name_sorted+birth_year" in admitted(a, rec("b", "ward_2", "Văn Hùng Nguyễn", "1978-11-23"))
    assert "name_nospace+birth_year" in admitted(a, rec("b", "ward_2", "Nguyễn Vănhùng", "1978-11-23"))


def test_blocking_on_address_and_household_within_a_register():
    a = rec("a", "ward_1", "Lê Thị Hoa", "1960-01-01", "F", street="to 5", household="12")
    same = rec("b", "ward_1", "Lê Thị Hoa", "1971-08-30", "F", street="to 5", household="12")
    other = same | {"source": "ward_2"}
    assert {"household_no", "street_key+surname_key+given"} <= set(admitted(a, same))
    assert admitted(a, other) == []
    undated = rec("c", "ward_1", "Lê Thị Hoa", None, "F")
    assert admitted(a, undated) == ["name_folded=name_undated"]
    assert admitted(a, undated | {"source": "ward_2"}) == []


def _contact_u(result):
    return {
        p["level"]: p["u"] for p in result.stats["training"]["parameters"] if p["comparison"] == "contact"
    }


def test_shared_street_weighs_what_a_shared_street_is_worth():
    # Everyone lives in one of 20 tổ: two people of one register share a tổ one time in 20,
    # whatever their names. The tên agreeing is weighed by the name comparison already; the
    # street's u must not be P(same tổ) x P(same tên) (a namesake in the same tổ ~2^10 times
    # too likely to be one person).
    rows = population(streets=lambda rng: f"to {rng.randint(1, 20)}")
    u = _contact_u(link(table(rows), seed=1))["Same street address (same register)"]
    assert 0.02 < u < 0.1
    # Namesakes in the same tổ, the year only on one side and far from the other's: two people.
    rows += [
        rec("s1", "ward_1", "Nguyễn Văn Hùng", "1950", "M", street="to 3"),
        rec("s2", "ward_1", "Nguyễn Văn Hùng", "1975-03-02", "M", street="to 3"),
    ]
    p = persons(link(table(rows), seed=1))
    assert p["s1"] != p["s2"]


def test_a_spelling_far_rarer_than_its_neighbour_is_a_typo():
    # In a register of thousands, "Hugn" written three times against ~125 "Hùng" is Hùng
    # mistyped; "Dũng" against "Hùng", both common, is another name. (Another middle name on
    # each side, so that the given name decides.)
    rows = [
        *population(n=3000, seed=11),
        rec("t1", "ward_1", "Trần Văn Hugn", "1961-05-05", "M"),
        rec("t2", "ward_2", "Phạm Quốc Hugn", "2003-09-12", "M"),
        rec("x1", "ward_1", "Lê Hữu Hugn", "1980-01-02", "M"),
        rec("x2", "ward_2", "Lê Văn Hùng", "1980-01-02", "M"),
        rec("y1", "ward_1", "Lê Hữu Dũng", "1980-01-02", "M"),
    ]
    n_hung = sum(r["given"] == "hung" for r in rows)
    assert n_hung >= 3 * model.TYPO_RATIO
    p = persons(link(table(rows), seed=1))
    assert p["x1"] == p["x2"]
    assert p["y1"] != p["x2"]


def test_a_blank_birth_date_takes_the_year_of_the_cccd():
    # No birth date written, but the CCCD says a man born in 1980 (4th digit 0, then 80): the
    # namesake born in 1980 in another register is him, the one born in 1962 is not.
    rows = [
        *population(),
        rec("x1", "ward_1", "Lê Văn Tám", None, "M", cccd="048080123456"),
        rec("x2", "ward_2", "Lê Văn Tám", "1980-06-07", "M"),
        rec("x3", "ward_3", "Lê Văn Tám", "1962-03-04", "M"),
    ]
    p = persons(link(table(rows), seed=1))
    assert p["x1"] == p["x2"]
    assert p["x3"] != p["x1"]
    # A CCCD contradicting the row's gender is a relative's number: no year from it.
    rows[-3] = rec("x1", "ward_1", "Lê Văn Tám", None, "F", cccd="048080123456")
    p = persons(link(table(rows), seed=1))
    assert p["x1"] != p["x2"]
