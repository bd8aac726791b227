"""A resident on a small phone (360×640) scans the center's QR poster, takes a number and reads
the ticket: axe-core finds no serious or critical violation, the ticket page is small."""

import gzip
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.org.models import Role
from motcua.queueing.models import Ticket
from motcua.queueing.services import counter_call_next
from motcua.testing import make_commune, make_counter, make_service_groups, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_resident_takes_a_number_on_a_phone(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    make_service_groups(ward)
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"{live_server.url}/lay-so/{ward.code}/")
    expect(page.get_by_role("heading", name="Lấy số thứ tự")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-take-360.png"), full_page=True)
    page.get_by_role("button", name="Đất đai - Xây dựng").click()
    t = Ticket.objects.get()
    expect(page.get_by_test_id("number")).to_have_text("B001")
    expect(page.get_by_test_id("state")).to_have_text("Đang chờ")
    assert page.url.endswith(f"/lay-so/ve/{t.pk}/{t.secret}/")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-ticket-360.png"), full_page=True)
    # Called at quầy 1: the card re-reads itself (htmx) and names the counter, with no reload.
    staff = make_user(ward, Role.COUNTER_OFFICER, "motcua")
    counter = make_counter(ward, number=1, letters="B")
    counter_call_next(actor=staff, counter=counter, now=clock.now())
    expect(page.get_by_test_id("state")).to_contain_text("quầy số 1", timeout=15_000)
    # First load, measured as the portal's test does: the HTML, the stylesheet and htmx, gzip.
    html = page.request.get(page.url).body()
    css = page.request.get(f"{live_server.url}/static/core/site.css").body()
    js = page.request.get(f"{live_server.url}/static/vendor/htmx-2.min.js").body()
    assert len(gzip.compress(html)) + len(gzip.compress(css)) + len(gzip.compress(js)) < 60 * 1024
