"""The officer's console in Chromium (1366×768): sign in, sit at quầy 1, call B001, start,
receive a dossier through the intake, and the console shows the dossier's code; axe-core clean."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.org.models import Role
from motcua.queueing.models import Ticket
from motcua.queueing.services import ticket_issue
from motcua.testing import land_procedure, make_commune, make_counter, make_service_groups, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_an_officer_calls_serves_and_receives_a_dossier(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    make_service_groups(ward)
    land = land_procedure()
    make_user(ward, Role.COUNTER_OFFICER, "motcua")
    counter = make_counter(ward, 1, "AB")
    make_counter(ward, 2, "C")
    ticket_issue(commune=ward, group_letter="B", priority=False, now=clock.now())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("motcua")
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Quầy làm việc").click()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_role("button", name="Ngồi quầy này").first.click()
    expect(page.get_by_role("heading", name="Quầy 1")).to_be_visible()
    page.get_by_role("button", name="Gọi số tiếp theo").click()
    expect(page.locator(".console-number")).to_have_text("B001")
    page.get_by_role("button", name="Bắt đầu").click()
    expect(page.get_by_text("Đang phục vụ").first).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_role("link", name="Tiếp nhận hồ sơ").last.click()
    page.get_by_label("Tìm thủ tục").fill("dat dai")
    page.get_by_role("link", name=land.name).first.click()
    expect(page.get_by_text("Tiếp nhận cho số thứ tự")).to_be_visible()
    page.get_by_label("Họ và tên").fill("Trần Văn Bình")
    page.get_by_label("Số điện thoại").first.fill("0905111222")
    for box in page.locator("input[name=checklist]").all():
        box.check()
    page.locator(
        "button[type=submit][value=receive], button[type=submit]:has-text('Tiếp nhận')"
    ).first.click()
    d = Dossier.objects.get()
    expect(page.get_by_text(d.code).first).to_be_visible()
    page.goto(f"{live_server.url}/lay-so/quay/{counter.pk}/")
    expect(page.locator(".console-dossier")).to_have_text(d.code)
    assert Ticket.objects.get().dossier == d
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-console-1366.png"), full_page=False)


def test_the_leader_frees_a_counter_an_officer_left_held(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    make_service_groups(ward)
    officer = make_user(ward, Role.COUNTER_OFFICER, "motcua")
    make_user(ward, Role.COMMUNE_LEADER, "chutich")
    counter = make_counter(ward, 1, "AB", officer=officer)
    make_counter(ward, 2, "C")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("chutich")
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Các quầy").click()
    expect(page.get_by_role("button", name="Giải phóng quầy")).to_have_count(1)
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-console-free-1366.png"), full_page=False)
    page.get_by_role("button", name="Giải phóng quầy").click()
    expect(page.get_by_text("Đã giải phóng quầy số 1.")).to_be_visible()
    expect(page.get_by_role("button", name="Giải phóng quầy")).to_have_count(0)
    counter.refresh_from_db()
    assert counter.officer is None
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
