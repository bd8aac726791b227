# ruff: noqa: F811 - the fixture imported from test_index766 is a parameter of the test
"""The leader reads the quality dashboard in Chromium at 1366×768: the score, the charts as
images with their names, no Content-Security-Policy refusal, axe-core finds no serious or
critical violation, the print stylesheet hides the navigation, and a click on TD1 lists the two
late dossiers. Screenshot: var/screenshots/quality-dashboard-1366.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock

from .test_dashboard import NOW, PERIOD
from .test_index766 import fixture_commune  # noqa: F401

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_the_leader_reads_the_dashboard(live_server, page, axe_scan, axe_report, fixture_commune):
    _, d = fixture_commune
    refused: list[str] = []  # the Content-Security-Policy's refusals (an inline style, a script)
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    with clock.pinned(NOW):
        page.set_viewport_size({"width": 1366, "height": 768})
        page.goto(f"{live_server.url}/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill("chutich")
        page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("link", name="Chất lượng phục vụ").click()
        expect(page.get_by_role("heading", name="Chất lượng phục vụ — Phường Thanh Khê")).to_be_visible()
        page.goto(f"{live_server.url}/chat-luong/?{PERIOD}")
        expect(page.get_by_test_id("score")).to_have_text("37,78")
        expect(page.get_by_test_id("on-time")).to_have_text("66,7 %")
        expect(page.get_by_role("img", name="Điểm chỉ số 766 theo tháng (tối đa đo được 60)")).to_be_visible()
        expect(page.get_by_role("img", name="Phân bố mức hài lòng chung")).to_be_visible()
        violations = axe_scan(page)
        assert not violations, axe_report(violations)
        assert not refused, refused
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "quality-dashboard-1366.png"), full_page=True)
        page.emulate_media(media="print")
        expect(page.get_by_role("navigation", name="Điều hướng")).to_be_hidden()
        page.emulate_media(media="screen")
        page.get_by_role("link", name="TD1", exact=True).click()
        rows = page.get_by_test_id("pulled-down").locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(page.get_by_text(d["B"].code)).to_be_visible()
        expect(page.get_by_text("Chưa giải quyết xong, đã quá hạn")).to_be_visible()
