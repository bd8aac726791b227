"""Volunteers end to end (issue 11 §7), as people do it: the head of the service center puts two
members of the youth team on this morning's shift and issues the shift's recording link; a
volunteer opens it on a 360 px phone (no account), picks their name and taps one big button per
resident helped; the ward leader's counts show the team's helps. No Content-Security-Policy
violation on the way. Screenshots: var/screenshots/volunteers-*.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.org.models import DepartmentKind, Role
from motcua.staffing.models import HelpKind, VolunteerHelp, VolunteerMember, VolunteerTeam
from motcua.staffing.volunteers import local_day
from motcua.testing import make_commune, make_staff, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PASSWORD = "matkhau-thu-nghiem"


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_a_shift_records_helps_on_a_phone_and_the_leader_counts_them(live_server, browser, settings):
    settings.MOTCUA_PUBLIC_URL = live_server.url
    base = live_server.url
    ward = make_commune()
    staff = make_staff(ward)
    head = make_user(ward, Role.DEPARTMENT_HEAD, "tp_ttpv", DepartmentKind.SERVICE_CENTER)
    team = VolunteerTeam.objects.create(
        commune=ward, name="Đội thanh niên tình nguyện", campaign="Mùa hè xanh 2026"
    )
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
        VolunteerMember.objects.create(team=team, full_name=name)
    today = local_day(clock.now())
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations: list[str] = []

    def watch(page):
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        return page

    # 1. The center's head puts An and Bình on this morning's shift and issues the link.
    desk = watch(browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900}).new_page())
    _login(desk, base, head.username)
    desk.goto(f"{base}/nhan-su/")
    desk.get_by_role("link", name="Tình nguyện viên: đội, ca trực").click()
    desk.get_by_role("link", name="Xếp ca trực").click()
    desk.get_by_label("Đội", exact=True).select_option(label=team.name)
    desk.get_by_label("Ngày").fill(today.isoformat())
    desk.get_by_label("Từ giờ").fill("07:30")
    desk.get_by_label("Đến giờ").fill("11:30")
    desk.get_by_role("checkbox", name="Nguyễn Văn An").check()
    desk.get_by_role("checkbox", name="Trần Thị Bình").check()
    desk.get_by_role("button", name="Lưu ca trực").click()
    expect(desk.locator("h1")).to_contain_text("07:30–11:30")
    desk.get_by_role("button", name="Cấp mã QR ghi nhận").click()
    expect(desk.locator(".vol-qr svg")).to_be_visible()
    link = desk.locator(".vol-link a").inner_text()
    assert link.startswith(f"{base}/nhan-su/tinh-nguyen/ca/")
    desk.screenshot(path=str(SHOTS / "volunteers-shift-qr.png"), full_page=True)

    # 2. A volunteer's phone: no account; their name, then one tap per resident helped.
    phone = watch(browser.new_context(locale="vi-VN", viewport={"width": 360, "height": 740}).new_page())
    phone.goto(link)
    expect(phone.locator("h1")).to_have_text("Ghi nhận hỗ trợ người dân")
    phone.get_by_label("Người hỗ trợ").select_option(label="Trần Thị Bình")
    guidance = phone.get_by_role("button", name="Hướng dẫn, đưa đón người cao tuổi")
    box = guidance.bounding_box()
    assert box and box["height"] >= 70 and box["width"] >= 300  # a big button
    guidance.click()
    expect(phone.get_by_role("status")).to_contain_text("Đã ghi nhận: Hướng dẫn, đưa đón người cao tuổi")
    expect(phone.get_by_label("Người hỗ trợ")).to_have_value(
        str(VolunteerMember.objects.get(full_name="Trần Thị Bình").pk)
    )
    phone.get_by_role("button", name="Hướng dẫn, đưa đón người cao tuổi").click()
    phone.get_by_role("button", name="Hỗ trợ nộp hồ sơ trực tuyến").click()
    expect(phone.get_by_text("Tổng trong ca:")).to_contain_text("3")
    phone.screenshot(path=str(SHOTS / "volunteers-phone.png"), full_page=True)
    helps = list(VolunteerHelp.objects.values_list("kind", "member__full_name"))
    assert sorted(helps) == sorted(
        [(HelpKind.GUIDANCE, "Trần Thị Bình")] * 2 + [(HelpKind.ONLINE, "Trần Thị Bình")]
    )

    # 3. The leader's counts for today.
    boss = watch(browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900}).new_page())
    _login(boss, base, staff["leader"].username)
    boss.goto(f"{base}/nhan-su/tinh-nguyen/so-lieu/?ky=ngay&ngay={today.isoformat()}")
    row = boss.locator("tr", has_text=team.name).first
    expect(row.locator("td").last).to_have_text("3")
    expect(boss.locator("svg.chart")).to_be_visible()
    boss.screenshot(path=str(SHOTS / "volunteers-counts.png"), full_page=True)
    assert not violations, violations
