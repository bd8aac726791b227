"""A resident rates on a 360 px phone from the receipt's QR link (one tap per option, without
typing), and the counter tablet shows the finished ticket by itself (htmx), takes the taps and
thanks; both pass axe-core with no serious or critical violation."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.quality.models import Rating
from motcua.quality.ratings import rating_key, tablet_create
from motcua.quality.tests.rating_setup import counter_with_officer, finished_dossier, served_ticket
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.browser


def tap_all(page, choice: str) -> None:
    for legend in page.locator("fieldset").all():
        legend.locator(f"label.rate-opt.rate-{choice}").click()


def test_resident_rates_from_the_receipt_qr_on_a_phone(live_server, page, axe_scan, axe_report):
    staff = make_staff(make_commune())
    d = finished_dossier(staff, clock.now() - dt.timedelta(hours=2))
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/danh-gia/ho-so/{d.code}/{rating_key(d)}/?nguon=bien-nhan")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tap_all(page, "2")
    page.locator("fieldset.rate-overall label.rate-1").click()
    page.get_by_label("Ý kiến khác (không bắt buộc)").fill("Cán bộ nhiệt tình")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_role("heading", name="Cảm ơn ông/bà đã đánh giá!")).to_be_visible()
    expect(page.get_by_test_id("overall")).to_have_text("Hài lòng")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    r = Rating.objects.get(dossier=d)
    assert (r.source, r.overall, r.comment, r.answers["1"]) == ("RECEIPT", 1, "Cán bộ nhiệt tình", 2)


def test_the_counter_tablet_shows_the_finished_ticket_by_itself(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    counter = counter_with_officer(ward)
    _, token = tablet_create(commune=ward, counter_number=1, now=clock.now())
    page.set_viewport_size({"width": 800, "height": 1280})
    page.goto(live_server.url + "/danh-gia/may/kich-hoat/")
    page.get_by_label("Mã máy đánh giá").fill(token)
    page.get_by_role("button", name="Kích hoạt").click()
    expect(page.get_by_test_id("idle")).to_be_visible()
    t = served_ticket(counter, clock.now() - dt.timedelta(minutes=6))
    expect(page.get_by_test_id("number")).to_have_text(t.number, timeout=15000)
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    tap_all(page, "2")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_test_id("thanks")).to_be_visible()
    expect(page.get_by_test_id("idle")).to_be_visible(timeout=15000)  # back to idle by itself
    r = Rating.objects.get(ticket=t)
    assert (r.source, r.overall, r.tablet.counter_id) == ("TABLET", 2, counter.pk)
