"""The front door in Chromium: a resident on a small phone (360×640) scans the center's QR poster,
says they are elderly, takes a number and is called through the event stream; the kiosk at the
door (1080×1920 portrait) is activated, shows huge buttons, the priority step and the 80 mm
printed ticket; the A4 poster. axe-core finds no serious or critical violation anywhere."""

import gzip
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.org.models import CommuneProfile, Role
from motcua.queueing.kiosks import kiosk_create
from motcua.queueing.models import Ticket, TicketSource
from motcua.queueing.services import counter_call_next
from motcua.testing import make_commune, make_counter, make_service_groups, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_resident_takes_a_priority_number_and_is_called_through_the_stream(
    asgi_live_server, page, axe_scan, axe_report
):
    ward = make_commune()
    make_service_groups(ward)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"{asgi_live_server.url}/lay-so/{ward.code}/")
    expect(page.get_by_role("heading", name="Lấy số thứ tự")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_role("radio", name="Người cao tuổi").check()
    page.screenshot(path=str(SHOTS / "queue-take-360.png"), full_page=True)
    page.get_by_role("button", name="Đất đai - Xây dựng").click()
    expect(page.get_by_test_id("number")).to_have_text("B001")
    t = Ticket.objects.get()
    assert (t.priority, t.source, len(t.holder)) == (True, TicketSource.PHONE, 64)
    expect(page.get_by_test_id("state")).to_have_text("Đang chờ")
    expect(page.get_by_text("Ưu tiên")).to_be_visible()
    assert page.url.endswith(f"/lay-so/ve/{t.pk}/{t.secret}/")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-ticket-360.png"), full_page=True)
    # The sound needs a tap first on most phones: the button says so, and goes once tapped.
    sound = page.get_by_role("button", name="Chạm để bật âm báo")
    expect(sound).to_be_visible()
    sound.click()
    expect(sound).to_be_hidden()
    page.evaluate(
        "() => { window.__vibrated = []; navigator.vibrate = (p) => { window.__vibrated.push(p); return true; }; }"
    )
    # Called at quầy 1: the stream names the ticket and the card re-reads itself at once (the
    # poll is 30 s: arriving within 5 s is the push), with a vibration and no page reload.
    staff = make_user(ward, Role.COUNTER_OFFICER, "motcua")
    counter = make_counter(ward, number=1, letters="B")
    page.evaluate("() => { window.__same_page = true; }")
    started = time.monotonic()
    counter_call_next(actor=staff, counter=counter, now=clock.now())
    expect(page.get_by_test_id("state")).to_have_text("Mời bạn đến quầy số 1", timeout=5_000)
    assert time.monotonic() - started < 5
    assert page.evaluate("() => window.__same_page") is True, "no reload"
    page.wait_for_function("() => window.__vibrated.length === 1", timeout=2_000)
    expect(page.locator("#ticket.queue-called")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-ticket-called-360.png"), full_page=True)
    # First load, measured as the portal's test does: the HTML, the stylesheets and scripts, gzip.
    parts = [page.request.get(page.url).body()] + [
        page.request.get(f"{asgi_live_server.url}/static/{p}").body()
        for p in ("core/site.css", "queueing/queue.css", "vendor/htmx-2.min.js", "queueing/phone.js")
    ]
    assert sum(len(gzip.compress(p)) for p in parts) < 60 * 1024


def test_the_kiosk_at_the_door(live_server, page, axe_scan, axe_report, settings):
    ward = make_commune()
    make_service_groups(ward)
    _, raw = kiosk_create(commune=ward, name="Máy lấy số cửa chính", now=clock.now())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.goto(f"{live_server.url}/lay-so/may/")
    expect(page.get_by_role("heading", name="Kích hoạt máy lấy số")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_label("Mã máy lấy số").fill(raw)
    page.get_by_role("button", name="Kích hoạt").click()
    expect(page.get_by_role("heading", name="Mời chọn lĩnh vực để lấy số")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-kiosk-1080x1920.png"), full_page=True)
    land = page.get_by_role("link", name="Đất đai - Xây dựng")
    box = land.bounding_box()
    assert box and box["height"] >= 120 and box["width"] >= 900, "huge buttons, readable from a metre"
    font = land.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 36
    land.click()
    expect(page.get_by_role("heading", name="Bạn thuộc diện ưu tiên?")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-kiosk-priority-1080x1920.png"), full_page=True)
    page.get_by_role("button", name="Phụ nữ mang thai").click()
    expect(page.get_by_test_id("number")).to_have_text("B001")
    t = Ticket.objects.get()
    assert (t.priority, t.source, t.kiosk.name) == (True, TicketSource.KIOSK, "Máy lấy số cửa chính")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-kiosk-ticket-1080x1920.png"), full_page=True)
    # The printed ticket: 80 mm wide, the buttons gone.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 302, "height": 900})  # 80 mm at 96 dpi
    expect(page.get_by_role("button", name="In lại phiếu")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "queue-kiosk-ticket-print-80mm.png"), full_page=True)
    width = page.locator("#kiosk-ticket").evaluate("e => e.getBoundingClientRect().width")
    assert 260 <= width <= 290, "72 mm of print on 80 mm paper"
    page.emulate_media(media="screen")
    # Back to the start by itself, for the next resident.
    expect(page.get_by_role("heading", name="Mời chọn lĩnh vực để lấy số")).to_be_visible(timeout=15_000)


def test_the_poster(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    make_service_groups(ward)
    CommuneProfile.objects.create(commune=ward, unit_name="UBND Phường Thanh Khê",
                                  opening_hours="Thứ Hai – Thứ Sáu: 7:30–11:30, 13:30–17:00")  # fmt: skip
    admin = make_user(ward, Role.ADMIN, "quantri")
    admin.set_password("mat-khau-dai-du-12")
    admin.save()
    page.goto(f"{live_server.url}/lay-so/{ward.code}/ap-phich/")
    page.get_by_label("Tên đăng nhập").fill("quantri")
    page.get_by_label("Mật khẩu").fill("mat-khau-dai-du-12")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_text("Quét mã để lấy số thứ tự")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-poster-a4.png"), full_page=True)
