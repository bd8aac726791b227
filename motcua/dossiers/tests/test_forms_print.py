"""Printed forms (Mẫu 01–06): the unit's configured name, the national motto on one line each
on A5, room to sign, and "Trước hạn" on the control sheet for a step finished early."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from motcua.dossiers.selectors import EARLY, LATE, ON_TIME, control_sheet_for, step_result
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.org.models import CommuneProfile

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MON = dt.datetime(2026, 6, 15, 9, 0, tzinfo=VN)
UNIT = "Trung tâm Phục vụ hành chính công phường Thanh Khê"
SHOTS = Path("var/screenshots")


def received(staff, procedure, *, when=MON, name="Nguyễn Văn Một Tên Rất Dài Để Thử Dòng"):
    return dossier_intake(
        actor=staff["counter"], procedure=procedure,
        applicant=Applicant(name=name, phone="0905111222", address="Kiệt 25 Hà Huy Tập, tổ 12, phường Thanh Khê"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome="receive", now=when,
    )  # fmt: skip


def test_step_result_in_the_control_sheets_words():
    due = dt.datetime(2026, 6, 17, 17, 0, tzinfo=VN)
    assert step_result(finished_at=dt.datetime(2026, 6, 16, 16, 0, tzinfo=VN), due_at=due) == EARLY
    assert step_result(finished_at=dt.datetime(2026, 6, 17, 8, 0, tzinfo=VN), due_at=due) == ON_TIME
    assert step_result(finished_at=due, due_at=due) == ON_TIME
    assert step_result(finished_at=due + dt.timedelta(minutes=1), due_at=due) == LATE
    assert step_result(finished_at=due, due_at=None) == ""


@pytest.mark.django_db
def test_control_sheet_prints_truoc_han_for_a_step_finished_early(client, staff, land):
    d = received(staff, land)
    # Transferred the same day (due that evening): on time. Assigned the next day, weeks
    # before the dossier's deadline: early. Submitted after the deadline: late.
    d = dossier_apply(
        dossier=d, action=Action.TRANSFER, actor=staff["counter"], now=MON + dt.timedelta(hours=2)
    )
    d = dossier_apply(dossier=d, action=Action.ASSIGN, actor=staff["head_econ"],
                      data={"assignee_id": staff["specialist_econ"].pk}, now=MON + dt.timedelta(days=1))  # fmt: skip
    d = dossier_apply(dossier=d, action=Action.SUBMIT_DRAFT, actor=staff["specialist_econ"],
                      now=MON + dt.timedelta(days=60))  # fmt: skip
    assert [r.previous_step_result for r in control_sheet_for(dossier=d)] == ["", ON_TIME, EARLY, LATE]
    client.force_login(staff["counter"])
    body = client.get(reverse("dossiers:form", args=[d.pk, "05"])).content.decode()
    results = re.findall(r'data-testid="step-result">([^<]*)<', body)
    assert results == ["—", "Đúng hạn", "Trước hạn", "Quá hạn"]


@pytest.mark.django_db
def test_the_configured_unit_name_prints_instead_of_bo_phan_mot_cua(client, staff, land):
    d = received(staff, land)
    client.force_login(staff["counter"])
    url = reverse("dossiers:form", args=[d.pk, "01"])
    assert "BỘ PHẬN MỘT CỬA" in client.get(url).content.decode()  # no profile yet: today's text
    CommuneProfile.objects.create(commune=d.commune, unit_name=UNIT)
    body = client.get(url).content.decode()
    assert UNIT.upper() in body and "BỘ PHẬN MỘT CỬA" not in body
    assert f"{UNIT} tiếp nhận hồ sơ của" in body
    book = client.get(reverse("dossiers:book")).content.decode()
    assert UNIT.upper() in book


@pytest.mark.django_db
def test_every_form_has_room_to_sign(client, staff, land):
    d = received(staff, land)
    client.force_login(staff["counter"])
    body = client.get(reverse("dossiers:form", args=[d.pk, "01"])).content.decode()
    assert body.count('class="sign-space"') == 2 and "<br><br><br>" not in body
    css = Path("motcua/core/static/core/print.css").read_text()
    assert "br + br + br" not in css and re.search(r"\.sign-space \{ height: 2\dmm", css)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("button", name="Đăng xuất").wait_for()


def test_receipt_on_a5_motto_on_one_line_each_one_sheet_and_room_to_sign(page, live_server, staff, land):
    CommuneProfile.objects.create(commune=staff["counter"].commune, unit_name=UNIT)
    d = received(staff, land)
    login(page, live_server, "motcua")
    page.goto(f"{live_server.url}{reverse('dossiers:form', args=[d.pk, '01'])}")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 559, "height": 794})  # A5 at 96 dpi
    for testid in ("motto-1", "motto-2"):
        lines = page.get_by_test_id(testid).evaluate("e => e.getClientRects().length")
        assert lines == 1, f"{testid} wraps"
        box = page.get_by_test_id(testid).bounding_box()
        assert box["height"] < 20
    # The dossier code is what the resident reads out on the phone: never broken over two lines.
    assert page.locator(".code-line").evaluate("e => e.getClientRects().length") == 1
    heights = page.locator(".sign-space").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 60  # 18 mm ≈ 68 px: room for a signature
    pdf = page.pdf(format="A5", print_background=True, prefer_css_page_size=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "mau01_a5.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "Mẫu 01 fits on one A5 sheet"
