"""Issue 11's browser test for the live imbalance alert: the land line (B) builds while quầy 2
idles with Nguyễn Văn Minh, who can handle land; the leader opens the alerts page, sees the alert
naming him, clicks «Điều động»; the alert is ACTED, Minh's console shows the leader's request and
its «Gọi số tiếp theo» calls a B number, and the page shows the rest of the day simulated: the
land line's expected wait shorter after the move than before.
Screenshots: var/screenshots/issue11-alert.png (the leader's page after the move),
issue11-alert-console.png (Minh's console), issue11-alert-open.png (the open alert)."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.queueing.models import Ticket, TicketState
from motcua.staffing.models import Alert, AlertState, PlanChange

from .test_alerts import NOW, hall

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PASSWORD = "matkhau-thu-nghiem"


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _minutes(text: str) -> float:
    return float(text.strip().replace(",", "."))


def test_the_leader_moves_the_idle_land_officer_and_the_land_line_shortens(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    with clock.pinned(NOW):
        w = hall()
        ctx = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
        leader = ctx.new_page()
        _login(leader, base, w["staff"]["leader"].username)
        leader.goto(f"{base}/nhan-su/")
        leader.get_by_role("link", name="Cảnh báo mất cân đối").click()
        alert_box = leader.get_by_test_id("alert")
        expect(alert_box).to_have_count(1)
        expect(alert_box).to_contain_text(
            "Quầy 2 đang trống; 14 người chờ đất đai - xây dựng — Nguyễn Văn Minh có thể hỗ trợ"
        )
        expect(alert_box.get_by_label(re.compile("Nguyễn Văn Minh — tại quầy 2"))).to_be_checked()
        leader.screenshot(path=str(SHOTS / "issue11-alert-open.png"), full_page=True)
        alert_box.get_by_role("button", name="Điều động").click()

        expect(leader.get_by_test_id("state")).to_contain_text("Đã điều động")
        expect(leader.get_by_test_id("state")).to_contain_text("Nguyễn Văn Minh hỗ trợ nhóm B")
        before = _minutes(leader.get_by_test_id("before-B").inner_text())
        after = _minutes(leader.get_by_test_id("after-B").inner_text())
        assert after < before, (before, after)
        expect(leader.locator("svg[role=img]")).to_have_count(1)
        leader.screenshot(path=str(SHOTS / "issue11-alert.png"), full_page=True)

        alert = Alert.objects.get()
        assert alert.state == AlertState.ACTED and alert.closed_by == w["staff"]["leader"]
        assert PlanChange.objects.get(alert=alert).officer == w["minh"]

        # Minh's console: the leader's request, and the next number he calls is a land one.
        minh_ctx = browser.new_context(locale="vi-VN", viewport={"width": 1024, "height": 800})
        minh = minh_ctx.new_page()
        _login(minh, base, w["minh"].username)
        minh.goto(f"{base}/lay-so/quay/{w['a_counter'].pk}/")
        expect(minh.get_by_test_id("alert-banner")).to_contain_text(
            "Lãnh đạo đề nghị hỗ trợ quầy 2: nhóm B — Đất đai - Xây dựng, đến 10:00."
        )
        minh.locator("#btn-call").click()
        expect(minh.locator("#console-state")).to_contain_text("B001")
        minh.screenshot(path=str(SHOTS / "issue11-alert-console.png"), full_page=True)
        called = Ticket.objects.get(state=TicketState.CALLED)
        assert called.counter == w["a_counter"] and called.queue_group.letter == "B"
        minh_ctx.close()
        ctx.close()
