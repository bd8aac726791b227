"""Skill gaps in a browser: the ward leader reads the training needs and the chart, and reaches the
page from the hub; the province officer sees the communes in difficulty first, sorts by the load
column and drills into a ward. Screenshots: var/screenshots/staffing-gaps-*.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.staffing.tests import gaps_setup as s

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PASSWORD = "matkhau-thu-nghiem"


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_the_leader_and_the_province_read_the_gaps(live_server, browser):
    w = s.build()
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    with clock.pinned(s.NOW):
        ctx = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
        leader = ctx.new_page()
        errors: list[str] = []
        leader.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _login(leader, base, w["staff"]["leader"].username)
        leader.goto(f"{base}/nhan-su/")
        leader.get_by_role("link", name="Kỹ năng và nhu cầu đào tạo").click()
        leader.get_by_label("Từ ngày").fill("2026-01-01")
        leader.get_by_label("Đến ngày").fill("2026-03-31")
        leader.get_by_role("button", name="Xem").click()
        needs = leader.get_by_test_id("needs")
        expect(needs).to_contain_text("Lĩnh vực Công nghệ thông tin: cần đào tạo 2 người")
        expect(needs).to_contain_text(
            "Lĩnh vực Đất đai: cần đào tạo 2 người (hiện có 1 người làm được, 1 đang học"
        )
        expect(leader.locator("svg[role=img]")).to_have_count(1)
        expect(leader.get_by_test_id("positions").locator("tr", has_text="Địa chính")).to_contain_text(
            "Đất đai: 2 người"
        )
        leader.screenshot(path=str(SHOTS / "staffing-gaps-commune.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e]

        province = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900}).new_page()
        _login(province, base, w["province_officer"].username)
        province.goto(f"{base}/nhan-su/ky-nang/tinh/?{s.QUERY}")
        rows = province.get_by_test_id("province-rows").locator("tbody tr")
        expect(rows.first).to_contain_text("Phường Hòa Khánh")
        expect(rows.first).to_contain_text("2 lĩnh vực có việc mà không ai làm được")
        province.screenshot(path=str(SHOTS / "staffing-gaps-province.png"), full_page=True)
        province.get_by_role("link", name="Hồ sơ/người/tháng cao nhất").click()
        expect(rows.first).to_contain_text("Phường Thanh Khê")
        rows.first.get_by_role("link", name="Phường Thanh Khê").click()
        expect(province.get_by_role("heading", level=1)).to_have_text(
            "Kỹ năng và nhu cầu đào tạo — Phường Thanh Khê"
        )
        expect(province.get_by_test_id("needs")).to_contain_text("Lĩnh vực Đất đai: cần đào tạo 2 người")
