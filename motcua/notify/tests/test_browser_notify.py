"""A resident on a small phone (360×640): leaves a phone on the queue ticket page; asks for the
opt-out link, opens it from the message and confirms. axe-core finds no serious or critical
violation on any page; screenshots var/screenshots/notify-*-360.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.notify.models import Message, OptOut
from motcua.notify.services import address_hash
from motcua.queueing.models import Ticket
from motcua.queueing.services import ticket_issue
from motcua.testing import make_commune, make_service_groups

from .conftest import NOW

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@pytest.fixture
def shoot(page, axe_scan, axe_report):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 360, "height": 640})

    def clean(name: str) -> None:
        violations = axe_scan(page)
        assert not violations, axe_report(violations)
        page.screenshot(path=str(SHOTS / f"notify-{name}-360.png"), full_page=True)

    return clean


def test_queue_ticket_phone(live_server, page, shoot):
    ward = make_commune()
    make_service_groups(ward)
    clock.pin(NOW)
    try:
        t = ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
        page.goto(f"{live_server.url}/lay-so/ve/{t.pk}/{t.secret}/")
        field = page.get_by_label("Nhắn tin cho tôi khi sắp đến lượt (không bắt buộc)")
        field.fill("12345")
        page.get_by_role("button", name="Nhắn tin cho tôi").click()
        expect(page.get_by_role("alert")).to_contain_text("Số điện thoại di động")
        shoot("ticket-error")
        page.get_by_label("Nhắn tin cho tôi khi sắp đến lượt (không bắt buộc)").fill("0905 123 456")
        page.get_by_role("button", name="Nhắn tin cho tôi").click()
        expect(page.get_by_text("Sẽ nhắn tin tới số ********56 khi sắp đến lượt.")).to_be_visible()
        shoot("ticket-phone")
        assert Ticket.objects.get(pk=t.pk).notify_phone == "0905123456"
        # Nobody ahead: told at once.
        assert Message.objects.get().topic == "queue.almost"
    finally:
        clock.pin(None)


def test_opt_out_by_the_link(live_server, page, shoot):
    clock.pin(NOW)
    try:
        page.goto(f"{live_server.url}/thong-bao/tu-choi/")
        expect(page.get_by_role("heading", name="Ngừng nhận thông báo")).to_be_visible()
        shoot("opt-out-form")
        page.get_by_label("Số điện thoại hoặc thư điện tử").fill("0905123456")
        page.get_by_role("button", name="Gửi liên kết xác nhận").click()
        expect(page.get_by_role("status")).to_contain_text("một liên kết xác nhận vừa được gửi")
        shoot("opt-out-sent")
        link = Message.objects.get().body.split(": ", 1)[1].strip()
        path = "/thong-bao/" + link.split("/thong-bao/", 1)[1]
        page.goto(live_server.url + path)
        expect(
            page.get_by_text("Ngừng mọi thông báo (tin nhắn, Zalo, thư điện tử) tới ********56?")
        ).to_be_visible()
        shoot("opt-out-confirm")
        assert not OptOut.objects.exists()
        page.get_by_role("button", name="Ngừng nhận thông báo").click()
        expect(page.get_by_role("status")).to_contain_text("sẽ không nhận thông báo nào nữa")
        shoot("opt-out-done")
        assert OptOut.objects.filter(address_sha256=address_hash("0905123456")).exists()
    finally:
        clock.pin(None)
