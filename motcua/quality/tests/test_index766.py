import datetime as dt
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from motcua.dossiers.models import Channel, DocumentKind, DossierDocument, State
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.quality.index766 import dossier_on_time, index_compute, score
from motcua.quality.models import RatingSource, RatingSubject
from motcua.quality.ratings import rating_record
from motcua.testing import land_procedure, make_commune, make_procedure, make_staff

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=VN)


def receive(staff, procedure, when, channel=Channel.IN_PERSON):
    return dossier_intake(
        actor=staff["counter"], procedure=procedure,
        applicant=Applicant(name="Nguyễn Thị Lan", phone="0905123456", citizen_id="048190001234"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome="receive",
        now=when, channel=channel,
    )  # fmt: skip


def act(d, action, actor, when, **data):
    return dossier_apply(
        dossier=d, action=action, actor=actor, now=when, data=data, reason=data.pop("reason", "")
    )


def doc(d, kind):
    DossierDocument.objects.create(dossier=d, kind=kind, original_name="x.pdf", storage_path="x", content_type="application/pdf", size=1, sha256="0" * 64, uploaded_at=at("02/03/2026"))  # fmt: skip


@pytest.fixture
def fixture_commune(db):
    ward = make_commune()
    staff = make_staff(ward)
    birth, land = make_procedure(), land_procedure()
    ticked = {"checklist_ticked": [i.id for i in land.checklist.all()]}
    spec, head, leader = staff["specialist_econ"], staff["head_econ"], staff["leader"]
    d = {}
    # A: birth, online, on the spot, returned the same day; input and result digitised.
    a = receive(staff, birth, at("02/03/2026", "08:15"), channel=Channel.ONLINE)
    a = act(a, Action.RESOLVE_ON_SPOT, staff["counter"], at("02/03/2026", "08:30"))
    d["A"] = act(a, Action.RETURN_RESULT, staff["counter"], at("02/03/2026", "08:35"))
    doc(a, DocumentKind.INPUT)
    doc(a, DocumentKind.RESULT)
    # B: land, sent back for supplementation twice, then finished quickly: late all the same.
    b = receive(staff, land, at("02/03/2026"))
    b = act(b, Action.TRANSFER, staff["counter"], at("02/03/2026", "10:00"))
    for n, (out, back) in enumerate([("03/03/2026", "04/03/2026"), ("05/03/2026", "06/03/2026")]):
        b = act(b, Action.REQUEST_SUPPLEMENT, spec, at(out), items=[f"Giấy tờ {n}"])
        b = act(b, Action.RECEIVE, staff["counter"], at(back), **ticked)
        b = act(b, Action.TRANSFER, staff["counter"], at(back, "10:00"))
    b = act(b, Action.SUBMIT_DRAFT, spec, at("09/03/2026"))
    d["B"] = act(b, Action.APPROVE, leader, at("10/03/2026"))
    doc(b, DocumentKind.INPUT)
    # C: land received late in the period, still open and within its deadline on 30/04.
    c = receive(staff, land, at("20/04/2026"))
    d["C"] = act(c, Action.TRANSFER, staff["counter"], at("20/04/2026", "10:00"))
    doc(c, DocumentKind.INPUT)
    # D: land, stopped by the head well before its deadline: on time.
    dd = receive(staff, land, at("03/03/2026"))
    dd = act(dd, Action.TRANSFER, staff["counter"], at("03/03/2026", "10:00"))
    d["D"] = act(dd, Action.STOP, head, at("05/03/2026"), reason="Người dân đề nghị dừng")
    # E: land, waited for supplementation 04/03 → 20/03; finished 14/04, after the first
    # clock's deadline but within the restarted one: on time (the waiting does not count).
    e = receive(staff, land, at("02/03/2026"))
    first_due = e.due_at
    e = act(e, Action.TRANSFER, staff["counter"], at("02/03/2026", "10:00"))
    e = act(e, Action.REQUEST_SUPPLEMENT, spec, at("04/03/2026"), items=["Bản vẽ"])
    e = act(e, Action.RECEIVE, staff["counter"], at("20/03/2026"), **ticked)
    e = act(e, Action.TRANSFER, staff["counter"], at("20/03/2026", "10:00"))
    e = act(e, Action.SUBMIT_DRAFT, spec, at("13/04/2026"))
    d["E"] = act(e, Action.APPROVE, leader, at("14/04/2026"))
    assert first_due < d["E"].finished_at <= d["E"].due_at
    # F: land received 02/03, never finished: past its deadline on 30/04, late.
    f = receive(staff, land, at("02/03/2026"))
    d["F"] = act(f, Action.TRANSFER, staff["counter"], at("02/03/2026", "10:00"))
    assert d["F"].due_at < at("30/04/2026")
    # Residents' ratings (HL3): A «rất hài lòng», B «không hài lòng», D «hài lòng»; the others
    # were not rated (C and F have no result yet, E's resident did not rate).
    for key, overall in (("A", 2), ("B", 0), ("D", 1)):
        rating_record(subject=RatingSubject.DOSSIER, dossier=d[key], answers={str(c): 1 for c in range(1, 10)},
                      overall=overall, source=RatingSource.RECEIPT, now=at("15/04/2026"))  # fmt: skip
    return ward, d


def test_hand_worked_index(fixture_commune):
    ward, d = fixture_commune
    r = index_compute(commune=ward, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 30))
    by = {i.code: i for i in r.indicators}
    assert d["D"].state == State.STOPPED and d["C"].state == State.IN_PROCESS
    # TD1: received 6 (A–F); on time A (returned same day), C (open, within deadline), D
    # (stopped in time), E (restarted clock) = 4; late B (supplemented twice), F (past due).
    # 20 × 4/6 = 13.3333
    assert (by["TD1"].numerator, by["TD1"].denominator) == (4, 6)
    assert by["TD1"].points == pytest.approx(13.3333, abs=0.01)
    assert by["TD1"].pulled_down == sorted([d["B"].pk, d["F"].pk])
    # TT1: online 1 (A) of 6 = 0.1667; threshold 50 %: 12 × 0.1667 / 0.5 = 4.00
    assert (by["TT1"].numerator, by["TT1"].denominator) == (1, 6)
    assert by["TT1"].points == pytest.approx(4.0, abs=0.01)
    # SH1: with a result (A returned, B and E result ready) = 3; result digitised: A = 1.
    # 6 × 1/3 = 2.00
    assert (by["SH1"].numerator, by["SH1"].denominator) == (1, 3)
    assert by["SH1"].points == pytest.approx(2.0, abs=0.01)
    # SH2: inputs digitised A, B, C = 3 of 6: 4 × 0.5 = 2.00
    assert (by["SH2"].numerator, by["SH2"].denominator) == (3, 6)
    assert by["SH2"].points == pytest.approx(2.0, abs=0.01)
    # HL1, HL2: no feedback in the period: full marks, 6 + 6.
    assert by["HL1"].points == 6 and by["HL2"].points == 6 and by["HL1"].denominator == 0
    # HL3: dossiers received in the period and rated: A, B, D = 3; satisfied (overall ≥ hài
    # lòng) A, D = 2; ratio 2/3 = 0.6667 below the 90 % threshold: 6 × 0.6667 / 0.9 = 4.4444.
    # Pulled down by B («không hài lòng»).
    assert (by["HL3"].numerator, by["HL3"].denominator) == (2, 3)
    assert by["HL3"].ratio == pytest.approx(0.6667, abs=0.0001)
    assert by["HL3"].points == pytest.approx(4.4444, abs=0.01)
    assert by["HL3"].pulled_down == [d["B"].pk]
    assert by["HL3"].formula == "6 × min(1; tỷ lệ / 90 %); không phát sinh: đạt tối đa"
    # Not measurable: no points invented.
    for code in ("CK1", "CK2", "CK3", "CK4", "SH3", "SH4", "SH5", "TTTT"):
        assert by[code].points is None and by[code].formula == "chưa đo được"
    # Total: 13.3333 + 4 + 2 + 2 + 6 + 6 + 4.4444 = 37.7778
    assert r.total == pytest.approx(37.7778, abs=0.01)
    assert r.measurable_maximum == 20 + 12 + 6 + 4 + 6 + 6 + 6


def test_hl3_only_counts_dossiers_of_the_scope(fixture_commune):
    ward, d = fixture_commune
    # The period 02/03–02/03: A, B, E, F received that day; of the rated, A and B: 1/2 = 0.5,
    # 6 × 0.5 / 0.9 = 3.3333.
    r = index_compute(commune=ward, start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2))
    hl3 = next(i for i in r.indicators if i.code == "HL3")
    assert (hl3.numerator, hl3.denominator, hl3.pulled_down) == (1, 2, [d["B"].pk])
    assert hl3.points == pytest.approx(3.3333, abs=0.01)
    # One department (economic: B, D and the land dossiers): B and D rated, D satisfied.
    r = index_compute(commune=ward, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 30),
                      department_id=d["B"].department_id)  # fmt: skip
    hl3 = next(i for i in r.indicators if i.code == "HL3")
    assert (hl3.numerator, hl3.denominator) == (1, 2)
    # Another commune's ratings never count: a period with no rated dossier gives full marks.
    r = index_compute(commune=ward, start=dt.date(2026, 4, 20), end=dt.date(2026, 4, 30))
    hl3 = next(i for i in r.indicators if i.code == "HL3")
    assert (hl3.denominator, hl3.points, hl3.ratio) == (0, 6.0, None)


def test_score_formula_kinds():
    assert score(kind="ratio", maximum=20, ratio=0.75) == 15
    assert score(kind="ratio", maximum=20, ratio=1.2) == 20
    assert score(kind="threshold", maximum=12, ratio=0.25, threshold=0.5) == 6
    assert score(kind="threshold", maximum=12, ratio=0.6, threshold=0.5) == 12
    assert score(kind="threshold", maximum=6, ratio=0.45, threshold=0.9) == pytest.approx(3)


def test_on_time_rule_cases():
    end = at("01/05/2026", "00:00")
    base = {"state": State.IN_PROCESS, "supplement_count": 0, "extended_due_at": None,
            "finished_at": None, "paused_at": None, "due_at": at("05/05/2026")}  # fmt: skip
    assert dossier_on_time(base, end)
    assert not dossier_on_time({**base, "due_at": at("20/04/2026")}, end)
    assert dossier_on_time({**base, "due_at": at("20/04/2026"), "extended_due_at": at("06/05/2026")}, end)
    assert not dossier_on_time({**base, "supplement_count": 2}, end)
    assert dossier_on_time({**base, "state": State.SUPPLEMENT_REQUESTED, "due_at": None}, end)
    paused = {**base, "state": State.PENDING_FEE, "due_at": at("20/04/2026"), "paused_at": at("10/04/2026")}
    assert dossier_on_time(paused, end)


def test_command_text_and_json(fixture_commune):
    ward, _ = fixture_commune
    out = StringIO()
    call_command("quality", "index", str(ward.code), "--from", "2026-03-02", "--to", "2026-04-30", stdout=out)
    text = out.getvalue()
    assert "TD1" in text and "13.33 điểm" in text and "4/6" in text
    assert "CK1" in text and "chưa đo được" in text
    assert "HL3" in text and "4.44 điểm — 2/3" in text
    assert "Tổng: 37.78 điểm" in text
    out = StringIO()
    call_command(
        "quality", "index", str(ward.code), "--from", "2026-03-02", "--to", "2026-04-30", "--json", stdout=out
    )
    data = json.loads(out.getvalue())
    assert data["total"] == 37.78
    hl3 = next(i for i in data["indicators"] if i["code"] == "HL3")
    assert (hl3["points"], hl3["numerator"], hl3["denominator"], hl3["ratio"]) == (4.44, 2, 3, 0.6667)
    td1 = next(i for i in data["indicators"] if i["code"] == "TD1")
    assert td1 == {"code": "TD1", "name": td1["name"], "maximum": 20, "points": 13.33,
                   "numerator": 4, "denominator": 6, "ratio": 0.6667}  # fmt: skip
    ck1 = next(i for i in data["indicators"] if i["code"] == "CK1")
    assert ck1["points"] is None and ck1["numerator"] is None


@pytest.mark.parametrize(
    "args",
    [
        ["99999", "--from", "2026-03-02", "--to", "2026-04-30"],
        ["20209", "--from", "02/03/2026", "--to", "2026-04-30"],
        ["20209", "--from", "2026-03-02", "--to", "2026-02-30"],
        ["20209", "--from", "2026-03-02", "--to", "2026-03-01"],
        ["abc\x00", "--from", "2026-03-02", "--to", "2026-04-30"],
        ["²", "--from", "2026-03-02", "--to", "2026-04-30"],  # a Unicode digit, not a code
        ["٢٠٢٠٩", "--from", "2026-03-02", "--to", "2026-04-30"],
    ],
)
def test_command_refuses_bad_input_with_exit_2(db, args):
    make_commune()
    with pytest.raises(CommandError) as exc:
        call_command("quality", "index", *args)
    assert exc.value.returncode == 2
    assert any(w in str(exc.value) for w in ("Không có xã/phường", "Ngày"))


def test_feedback_indicators_on_time_and_satisfaction(db):
    from motcua.feedback.models import FeedbackItem
    from motcua.feedback.models import State as FState
    from motcua.testing import make_feedback_setup

    ward = make_commune()
    cat = next(iter(make_feedback_setup(ward)["categories"].values()))

    def item(n, due, resolved=None, rating=None, state=FState.RESOLVED):
        FeedbackItem.objects.create(commune=ward, code=f"PA-{n}", channel="WALK_IN", category=cat, title="Đèn hỏng",
                                    received_at=at("02/03/2026"), due_at=at(due), resolved_at=resolved and at(resolved),
                                    rating=rating, state=state)  # fmt: skip

    item(1, "10/03/2026", "09/03/2026", rating=5)  # on time, satisfied
    item(2, "10/03/2026", "12/03/2026", rating=2)  # late, not satisfied
    item(3, "20/04/2026", state=FState.IN_PROGRESS)  # open, within its deadline on 31/03
    item(4, "10/03/2026", state=FState.IN_PROGRESS)  # open, past its deadline
    item(5, "05/03/2026", state=FState.DUPLICATE)  # left out
    r = index_compute(commune=ward, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    by = {i.code: i for i in r.indicators}
    # HL1: on time 1, 3 of 4 → 6 × 2/4 = 3.00; HL2: satisfied 1 of 2 rated → 6 × 1/2 = 3.00
    assert (by["HL1"].numerator, by["HL1"].denominator, by["HL1"].points) == (2, 4, 3.0)
    assert (by["HL2"].numerator, by["HL2"].denominator, by["HL2"].points) == (1, 2, 3.0)
    # No dossier at all: the dossier indicators score 0 with no ratio; no dossier rated: HL3 full.
    assert by["TD1"].points == 0 and by["TD1"].ratio is None
    assert by["HL3"].points == 6 and by["HL3"].denominator == 0
