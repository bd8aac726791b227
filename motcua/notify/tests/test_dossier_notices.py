import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.core.errors import ValidationFailed
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.notify.models import Channel, Message
from motcua.notify.texts import sms_fits
from motcua.quality.ratings import rating_key
from motcua.testing import land_procedure, make_commune, make_procedure, make_staff

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=VN)


@pytest.fixture
def staff():
    return make_staff(make_commune())


def receive(staff, procedure, when, phone="0905123456"):
    return dossier_intake(
        actor=staff["counter"], procedure=procedure,
        applicant=Applicant(name="Nguyễn Thị Lan", phone=phone, citizen_id="048190001234"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome="receive", now=when,
    )  # fmt: skip


def bodies(d: Dossier) -> list[tuple[str, str]]:
    return [(m.topic, m.body.split(" Từ chối")[0]) for m in Message.objects.order_by("id")
            if m.subject_ref == f"dossiers.dossier:{d.pk}"]  # fmt: skip


def test_received_then_result_ready_on_the_spot():
    staff_ = make_staff(make_commune())
    d = receive(staff_, make_procedure(), at("10/02/2026", "08:15"))
    d = dossier_apply(
        dossier=d, action=Action.RESOLVE_ON_SPOT, actor=staff_["counter"], now=at("10/02/2026", "08:30")
    )
    d = dossier_apply(
        dossier=d, action=Action.RETURN_RESULT, actor=staff_["counter"], now=at("10/02/2026", "08:35")
    )
    assert bodies(d) == [
        ("dossier.receive", "Hồ sơ H48.20209-260210-0001 đã được tiếp nhận. Ngày hẹn trả kết quả: 10/02/2026."),
        ("dossier.result_ready", "Hồ sơ H48.20209-260210-0001 đã có kết quả, mời đến nhận. Đánh giá: http://127.0.0.1:8000"
                                 f"/danh-gia/ho-so/H48.20209-260210-0001/{rating_key(d)}/?nguon=thong-bao"),
    ]  # fmt: skip
    messages = list(Message.objects.order_by("id"))
    assert {m.recipient for m in messages} == {"0905123456"}
    assert all(m.channel == Channel.CONSOLE and sms_fits(m.body) for m in messages)
    assert messages[0].dedupe_key.startswith(f"dossier:{d.pk}:receive:")


def test_supplement_second_receipt_and_apology(staff):
    land = land_procedure()
    d = receive(staff, land, at("10/02/2026"))
    d = dossier_apply(
        dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026", "10:00")
    )
    d = dossier_apply(dossier=d, action=Action.ASSIGN, actor=staff["head_econ"], now=at("11/02/2026"),
                      data={"assignee_id": staff["specialist_econ"].pk})  # fmt: skip
    d = dossier_apply(dossier=d, action=Action.REQUEST_SUPPLEMENT, actor=staff["specialist_econ"],
                      now=at("12/02/2026"), data={"items": ["Bản vẽ sơ đồ thửa đất"]})  # fmt: skip
    d = dossier_apply(dossier=d, action=Action.RECEIVE, actor=staff["counter"], now=at("24/02/2026", "10:00"),
                      data={"checklist_ticked": [i.id for i in land.checklist.all()]})  # fmt: skip
    d = dossier_apply(
        dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("24/02/2026", "10:30")
    )
    d = dossier_apply(dossier=d, action=Action.EXTEND, actor=staff["specialist_econ"], now=at("13/03/2026"),
                      reason="Chờ xác minh nguồn gốc đất", data={"new_due_date": "31/03/2026"})  # fmt: skip
    topics = [t for t, _ in bodies(d)]
    assert topics == ["dossier.receive", "dossier.request_supplement", "dossier.receive", "dossier.extend"]
    texts = [b for _, b in bodies(d)]
    assert texts[1].startswith("Hồ sơ H48.20209-260210-0001 cần bổ sung giấy tờ.")
    assert texts[2].endswith("Ngày hẹn trả kết quả: 24/03/2026.")
    assert "Ngày hẹn trả mới: 31/03/2026." in texts[3]


def test_refused_step_queues_nothing(staff):
    d = receive(staff, land_procedure(), at("10/02/2026"))
    d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026"))
    before = Message.objects.count()
    with pytest.raises(ValidationFailed):
        dossier_apply(dossier=d, action=Action.EXTEND, actor=staff["specialist_econ"], now=at("13/03/2026"),
                      reason="", data={"new_due_date": "31/03/2026"})  # fmt: skip
    assert Message.objects.count() == before


def test_notify_email_and_no_contact(staff):
    d = receive(staff, land_procedure(), at("10/02/2026"))
    Dossier.objects.filter(pk=d.pk).update(applicant_phone="")
    d = dossier_apply(dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=at("10/02/2026"))
    d = dossier_apply(dossier=d, action=Action.ASSIGN, actor=staff["head_econ"], now=at("11/02/2026"),
                      data={"assignee_id": staff["specialist_econ"].pk})  # fmt: skip
    d = dossier_apply(dossier=d, action=Action.REQUEST_SUPPLEMENT, actor=staff["specialist_econ"],
                      now=at("12/02/2026"), data={"items": ["Bản vẽ"]})  # fmt: skip
    assert not Message.objects.filter(topic="dossier.request_supplement").exists()  # no phone, no e-mail
    Dossier.objects.filter(pk=d.pk).update(notify_email="lan@example.vn", notify_phone="0912000111")
    d.refresh_from_db()
    dossier_apply(dossier=d, action=Action.RECEIVE, actor=staff["counter"], now=at("24/02/2026"),
                  data={"checklist_ticked": [i.id for i in d.procedure.checklist.all()]})  # fmt: skip
    by_channel = {
        m.channel: m for m in Message.objects.filter(topic="dossier.receive", created_at=at("24/02/2026"))
    }
    assert by_channel[Channel.CONSOLE].recipient == "0912000111"
    assert by_channel[Channel.EMAIL].recipient == "lan@example.vn"
    assert by_channel[Channel.EMAIL].email_subject == "Hồ sơ đã được tiếp nhận: H48.20209-260210-0001"
    assert "/thong-bao/tu-choi/" in by_channel[Channel.EMAIL].body
