"""The day's plan in a browser: the leader sees quầy 1 open with nobody planned («Trống»), puts an
officer there for the morning with the form, and the grid, the coverage and the day's history
show it; the page breaks no rule of the Content-Security-Policy. Screenshot:
var/screenshots/issue11-plan.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.org.models import DepartmentKind, Role
from motcua.staffing.models import PlanChange, PlanSlot
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PASSWORD = "matkhau-thu-nghiem"


def test_the_leader_fills_a_gap_in_todays_plan(live_server, browser):
    ward = make_commune()
    make_service_groups(ward)
    staff = make_staff(ward)
    officer = make_user(ward, Role.COUNTER_OFFICER, "motcua_ha", DepartmentKind.SERVICE_CENTER)
    make_counter(ward, 1, "A")
    base = live_server.url
    context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(staff["leader"].username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{base}/nhan-su/")
    page.get_by_role("link", name="Lịch làm việc trong ngày").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("(hôm nay)")
    coverage = page.locator("table.coverage")
    expect(coverage.locator("tr", has_text="Quầy 1")).to_contain_text("Trống")

    form = page.locator("form", has=page.get_by_role("heading", name="Thêm ca"))
    form.get_by_label("Cán bộ").select_option(label=officer.display_name)
    form.get_by_label("Loại ca").select_option("COUNTER")
    form.get_by_label("Quầy").select_option(label="Quầy 1")
    form.get_by_label("Từ").fill("07:30")
    form.get_by_label("Đến").fill("11:30")
    form.get_by_label("Lý do").fill("Ca sáng quầy hộ tịch")
    form.get_by_role("button", name="Thêm ca").click()

    expect(page.get_by_text(f"Đã thêm ca cho {officer.display_name}.")).to_be_visible()
    expect(coverage.locator("tr", has_text="Quầy 1")).to_contain_text(officer.display_name)
    row = page.locator("table.plan-grid").first.locator("tr", has_text=officer.display_name)
    expect(row.locator("td.cell-counter")).to_have_count(8)
    expect(page.locator("table.list").last).to_contain_text("Ca sáng quầy hộ tịch")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "issue11-plan.png"), full_page=True)
    assert PlanSlot.objects.filter(officer=officer).count() == 1
    assert PlanChange.objects.filter(officer=officer, action="ADD", by=staff["leader"]).count() == 1
    assert violations == []
    context.close()
