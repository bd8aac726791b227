import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.core import clock
from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.dossiers.models import ControlEntry, Dossier, State
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, allowed_transitions, dossier_apply
from motcua.testing import make_commune, make_staff

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=VN)


def receive(staff, procedure, when, outcome="receive", **kw):
    ticked = [i.id for i in procedure.checklist.all()] if outcome == "receive" else []
    return dossier_intake(
        actor=staff["counter"],
        procedure=procedure,
        applicant=Applicant(name="Nguyễn Thị Lan", phone="0905123456", citizen_id="048190001234"),
        form_data={},
        checklist_ticked=kw.pop("ticked", ticked),
        outcome=outcome,
        now=when,
        **kw,
    )


def test_birth_registration_is_received_and_resolved_on_the_spot(staff, birth):
    d = receive(staff, birth, at("10/02/2026", "08:15"))
    assert d.state == State.RECEIVED
    assert d.code == "H48.20209-260210-0001"
    assert d.due_at.astimezone(VN) == at("10/02/2026", "17:00")
    d = dossier_apply(
        dossier=d, action=Action.RESOLVE_ON_SPOT, actor=staff["counter"], now=at("10/02/2026", "08:30")
    )
    d = dossier_apply(
        dossier=d, action=Action.RETURN_RESULT, actor=staff["counter"], now=at("10/02/2026", "08:35")
    )
    assert d.state == State.RETURNED
    assert not d.is_overdue(at("11/02/2026"))
    actions = list(d.control_entries.values_list("action", flat=True))
    assert actions == ["receive", "resolve_on_spot", "return_result"]


def test_land_certificate_full_lifecycle_with_supplement_restarting_the_clock(staff, land):
    d = receive(staff, land, at("10/02/2026"))
    # 20 working days after 10/02/2026, skipping Tết 16–20/02/2026.
    assert d.due_at.astimezone(VN).date() == dt.date(2026, 3, 17)
    d = dossier_apply(
        dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026", "10:00")
    )
    assert d.state == State.IN_PROCESS and d.department.kind == "ECONOMIC"
    d = dossier_apply(dossier=d, action=Action.ASSIGN, actor=staff["head_econ"], now=at("11/02/2026"),
                      data={"assignee_id": staff["specialist_econ"].pk})  # fmt: skip
    assert d.assignee == staff["specialist_econ"]
    d = dossier_apply(dossier=d, action=Action.REQUEST_SUPPLEMENT, actor=staff["specialist_econ"],
                      now=at("12/02/2026"), data={"items": ["Bản vẽ sơ đồ thửa đất", "Giấy nộp tiền"]})  # fmt: skip
    assert d.state == State.SUPPLEMENT_REQUESTED and d.due_at is None
    assert d.supplement_items == ["Bản vẽ sơ đồ thửa đất", "Giấy nộp tiền"]
    d = dossier_apply(dossier=d, action=Action.RECEIVE, actor=staff["counter"], now=at("24/02/2026", "10:00"),
                      data={"checklist_ticked": [i.id for i in land.checklist.all()]})  # fmt: skip
    assert d.state == State.RECEIVED
    assert d.code == "H48.20209-260210-0001", "the code stays; only the clock restarts"
    assert d.due_at.astimezone(VN).date() == dt.date(2026, 3, 24)
    d = dossier_apply(
        dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("24/02/2026", "10:30")
    )
    assert d.assignee == staff["specialist_econ"]
    d = dossier_apply(
        dossier=d, action=Action.SUBMIT_DRAFT, actor=staff["specialist_econ"], now=at("10/03/2026")
    )
    d = dossier_apply(dossier=d, action=Action.APPROVE, actor=staff["leader"], now=at("11/03/2026"))
    assert d.state == State.RESULT_READY
    d = dossier_apply(dossier=d, action=Action.RETURN_RESULT, actor=staff["counter"], now=at("12/03/2026"),
                      data={"method": "POST"})  # fmt: skip
    assert d.state == State.RETURNED and d.return_method == "POST"
    assert not d.is_overdue(at("01/04/2026"))
    assert d.control_entries.count() == 9


def test_incomplete_checklist_refuses_receipt_and_leaves_no_trace(staff, land):
    with pytest.raises(ValidationFailed) as err:
        receive(staff, land, at("10/02/2026"), ticked=[land.checklist.first().id])
    assert "Giấy tờ về quyền sử dụng đất" in err.value.details
    assert Dossier.objects.count() == 0
    d = receive(staff, land, at("10/02/2026", "10:00"))
    assert d.code.endswith("-0001"), "a failed receipt must not consume a number"


def test_codes_restart_each_day_and_per_agency(staff, birth):
    assert receive(staff, birth, at("10/02/2026")).code.endswith("260210-0001")
    assert receive(staff, birth, at("10/02/2026")).code.endswith("260210-0002")
    assert receive(staff, birth, at("11/02/2026")).code.endswith("260211-0001")
    other = make_staff(make_commune(20210, "Phường An Khê", "H48.20305"), prefix="ak_")
    assert receive(other, birth, at("10/02/2026")).code == "H48.20305-260210-0001"


def test_supplement_at_intake_lists_every_item_and_refusal_needs_reason(staff, land):
    with pytest.raises(ValidationFailed):
        receive(staff, land, at("10/02/2026"), outcome="supplement")
    d = receive(staff, land, at("10/02/2026"), outcome="supplement", missing_items=["Đơn đăng ký", "Sơ đồ"])
    assert d.state == State.SUPPLEMENT_REQUESTED and d.code is None
    with pytest.raises(ValidationFailed):
        receive(staff, land, at("10/02/2026"), outcome="refuse")
    d = receive(staff, land, at("10/02/2026"), outcome="refuse", reason="Không thuộc thẩm quyền của phường")
    assert d.state == State.REFUSED and d.decision_reason == "Không thuộc thẩm quyền của phường"


def test_roles_and_departments_are_enforced(staff, land):
    d = receive(staff, land, at("10/02/2026"))
    with pytest.raises(NotAllowed):
        dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["specialist_econ"], now=at("10/02/2026"))
    d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026"))
    with pytest.raises(NotAllowed):  # a specialist of another department
        dossier_apply(
            dossier=d, action=Action.SUBMIT_DRAFT, actor=staff["specialist_office"], now=at("11/02/2026")
        )
    with pytest.raises(Conflict):  # approve before a draft was submitted
        dossier_apply(dossier=d, action=Action.APPROVE, actor=staff["leader"], now=at("11/02/2026"))
    other = make_staff(make_commune(20210, "Phường An Khê", "H48.20305"), prefix="ak_")
    d = dossier_apply(
        dossier=d, action=Action.SUBMIT_DRAFT, actor=staff["specialist_econ"], now=at("11/02/2026")
    )
    with pytest.raises(NotAllowed):  # a leader of another commune
        dossier_apply(dossier=d, action=Action.APPROVE, actor=other["leader"], now=at("11/02/2026"))
    assert [t.action for t in allowed_transitions(actor=staff["leader"], dossier=d)] == [
        "approve", "return_draft", "stop"]  # fmt: skip
    assert allowed_transitions(actor=other["leader"], dossier=d) == []


def test_apology_moves_the_date_once_and_only_in_time(staff, land):
    d = receive(staff, land, at("10/02/2026"))
    d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026"))
    with pytest.raises(ValidationFailed):  # on the last working day it is too late
        dossier_apply(dossier=d, action=Action.EXTEND, actor=staff["specialist_econ"], now=at("17/03/2026"),
                      reason="Chờ xác minh", data={"new_due_date": "24/03/2026"})  # fmt: skip
    d = dossier_apply(dossier=d, action=Action.EXTEND, actor=staff["specialist_econ"], now=at("13/03/2026"),
                      reason="Chờ xác minh nguồn gốc đất", data={"new_due_date": "24/03/2026"})  # fmt: skip
    assert d.extended_due_at.astimezone(VN).date() == dt.date(2026, 3, 24)
    assert d.due_at.astimezone(VN).date() == dt.date(2026, 3, 17)
    assert not d.is_overdue(at("20/03/2026"))
    assert d.is_overdue(at("25/03/2026"))
    with pytest.raises(Conflict):
        dossier_apply(dossier=d, action=Action.EXTEND, actor=staff["specialist_econ"], now=at("16/03/2026"),
                      reason="Lần nữa", data={"new_due_date": "31/03/2026"})  # fmt: skip


def test_waiting_for_a_fee_pauses_the_clock(staff, land):
    d = receive(staff, land, at("10/02/2026"))
    d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026"))
    d = dossier_apply(
        dossier=d, action=Action.AWAIT_FEE, actor=staff["specialist_econ"], now=at("02/03/2026")
    )
    assert d.state == State.PENDING_FEE
    d = dossier_apply(dossier=d, action=Action.FEE_PAID, actor=staff["counter"], now=at("05/03/2026"))
    # Three working days waited (03, 04, 05/03) move 17/03 to 20/03.
    assert d.due_at.astimezone(VN).date() == dt.date(2026, 3, 20)


def test_overdue_is_computed_and_control_sheet_marks_late_steps(staff, land):
    d = receive(staff, land, at("10/02/2026", "16:00"))
    # Received after 15:00: the transfer step is due next working morning.
    d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("12/02/2026"))
    entry = ControlEntry.objects.filter(dossier=d, action=Action.TRANSFER).get()
    assert entry.previous_step_on_time is False
    assert d.is_overdue(at("18/03/2026")) and not d.is_overdue(at("17/03/2026", "16:59"))


def test_withdraw_and_stop_close_the_dossier(staff, land):
    d = receive(staff, land, at("10/02/2026"))
    d = dossier_apply(dossier=d, action=Action.WITHDRAW, actor=staff["counter"], now=at("11/02/2026"),
                      reason="Người dân có đơn xin rút hồ sơ")  # fmt: skip
    assert d.state == State.WITHDRAWN and d.is_final
    with pytest.raises(Conflict):
        dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("11/02/2026"))
    d2 = receive(staff, land, at("10/02/2026"))
    d2 = dossier_apply(dossier=d2, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026"))
    d2 = dossier_apply(dossier=d2, action=Action.STOP, actor=staff["head_econ"], now=at("11/02/2026"),
                       reason="Có tranh chấp đất đai")  # fmt: skip
    assert d2.state == State.STOPPED and not d2.is_overdue(at("01/06/2026"))


def test_unknown_action_is_a_validation_error(staff, birth):
    d = receive(staff, birth, at("10/02/2026"))
    with pytest.raises(ValidationFailed):
        dossier_apply(dossier=d, action="teleport", actor=staff["counter"], now=clock.now())
