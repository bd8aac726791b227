"""The leader reads the hall's statistics of a demo morning at 1366×768: axe-core finds no
serious or critical violation; the screenshot goes to var/screenshots/queue-stats-1366.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.demo import ward as W
from motcua.demo.queue_day import queue_load_today
from motcua.demo.services import _setup_queue_hall
from motcua.org.models import Role
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_the_leader_reads_a_demo_mornings_statistics(live_server, page, axe_scan, axe_report):
    ward = make_commune(W.COMMUNE_CODE)
    for n in range(1, 6):
        make_user(ward, Role.COUNTER_OFFICER, f"motcua{n}")
    make_user(ward, Role.COMMUNE_LEADER, "chutich")
    _setup_queue_hall()
    loaded = queue_load_today(now=clock.now())
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("chutich")
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Thống kê xếp hàng").click()
    expect(page.get_by_role("heading", name="Thống kê xếp hàng — Phường Thanh Khê")).to_be_visible()
    expect(page.get_by_test_id("issued")).to_have_text(str(loaded.added))
    expect(page.get_by_role("img", name="Số đã lấy theo giờ")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-stats-1366.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải về Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
