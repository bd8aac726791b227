"""A resident on a small phone (360×640) books a slot, keeps the confirmation with its QR, comes
back within the window and taps «Tôi đã đến — lấy số»: the ticket page shows a booked number.
axe-core finds no serious or critical violation on any page."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.queueing.models import Appointment, AppointmentState, Ticket
from motcua.testing import make_commune, make_service_groups

from .conftest import NOW, VN

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_book_then_check_in_on_a_phone(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    make_service_groups(ward)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 360, "height": 640})

    def clean(name: str) -> None:
        violations = axe_scan(page)
        assert not violations, axe_report(violations)
        page.screenshot(path=str(SHOTS / f"appointment-{name}-360.png"), full_page=True)

    clock.pin(NOW)  # Tuesday 10/02/2026 08:00
    try:
        page.goto(f"{live_server.url}/lay-so/{ward.code}/dat-lich/")
        expect(page.get_by_role("heading", name="Đặt lịch hẹn")).to_be_visible()
        clean("groups")
        page.get_by_role("link", name="B — Đất đai - Xây dựng").click()
        expect(page.get_by_role("heading", name="Chọn ngày")).to_be_visible()
        clean("days")
        page.get_by_role("link", name="Thứ Tư, 11/02/2026").click()
        expect(page.get_by_role("heading", name="Chọn giờ")).to_be_visible()
        clean("slots")
        page.get_by_role("link", name="09:00–09:30").click()
        page.get_by_label("Họ và tên (bắt buộc)").fill("Nguyễn Thị Hoa")
        page.get_by_label("Số điện thoại di động (không bắt buộc)").fill("0905 123 456")
        clean("form")
        page.get_by_role("button", name="Đặt lịch").click()
        expect(page.get_by_role("heading", name="Lịch hẹn của bạn")).to_be_visible()
        a = Appointment.objects.get()
        assert page.url.endswith(f"/lay-so/hen/{a.pk}/{a.secret}/")
        expect(page.get_by_test_id("when")).to_contain_text("09:00–09:30")
        expect(page.get_by_role("img", name="Mã QR của lịch hẹn")).to_be_visible()
        clean("confirmation")
        # Too early: refused in Vietnamese, nothing changed.
        page.get_by_role("button", name="Tôi đã đến — lấy số").click()
        expect(page.get_by_test_id("error")).to_contain_text("Chưa đến giờ hẹn; bạn có thể nhận số từ 08:45")
        assert Ticket.objects.count() == 0
        # Wednesday 08:50, at the center: within the window.
        clock.pin(dt.datetime(2026, 2, 11, 8, 50, tzinfo=VN))
        page.goto(f"{live_server.url}/lay-so/hen/{a.pk}/{a.secret}/")
        page.get_by_role("button", name="Tôi đã đến — lấy số").click()
        expect(page.get_by_test_id("number")).to_have_text("B001")
        t = Ticket.objects.get()
        assert t.booked and page.url.endswith(f"/lay-so/ve/{t.pk}/{t.secret}/")
        a.refresh_from_db()
        assert a.state == AppointmentState.CHECKED_IN and a.ticket_id == t.pk
        clean("ticket")
    finally:
        clock.pin(None)
