"""The feedback desk in Chromium on a tablet (1024×768): the leader opens the inbox, opens an
item, assigns it to a specialist; the specialist resolves it with a photo, which shows on the
item's page. Every page axe-clean (serious/critical)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.feedback.models import Channel, State
from motcua.feedback.services import Reporter, feedback_create
from motcua.notify.models import Message
from motcua.testing import make_commune, make_feedback_setup, make_staff

from .conftest import NOW
from .test_photos import make_png

pytestmark = pytest.mark.browser
SHOTS = Path("var/screenshots")


def login(page, live_server, username):
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def open_step(page, label):
    box = page.locator("details", has=page.locator(f"summary:text-is('{label}')"))
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return box


def test_inbox_detail_assign_resolve_with_photo(live_server, page, axe_scan, axe_report, tmp_path):
    ward = make_commune()
    staff = make_staff(ward)
    setup = make_feedback_setup(ward)
    clock.pin(NOW)
    try:
        item = feedback_create(
            commune=ward, channel=Channel.HOTLINE, category=setup["categories"]["chieu-sang"],
            title="Đèn đường hẻm 12 Hà Huy Tập bị hỏng", description="Tối qua cả hẻm mất đèn.",
            neighbourhood=setup["neighbourhoods"][0], now=NOW, actor=staff["counter"],
            reporter=Reporter(name="Trần Văn Bình", phone="0905111222"),
        )  # fmt: skip
        late = feedback_create(
            commune=ward, channel=Channel.WALK_IN, category=setup["categories"]["rac-thai"],
            title="Rác tồn đọng đầu kiệt 25", now=NOW - dt.timedelta(days=20), actor=staff["counter"],
        )  # fmt: skip
        page.set_viewport_size({"width": 1024, "height": 768})
        SHOTS.mkdir(parents=True, exist_ok=True)

        login(page, live_server, staff["leader"].username)
        page.get_by_role("link", name="Phản ánh", exact=True).click()
        expect(page.get_by_role("heading", name="Phản ánh, kiến nghị")).to_be_visible()
        expect(page.get_by_role("row", name=late.code)).to_contain_text("Quá hạn")
        assert not (v := axe_scan(page)), axe_report(v)
        page.screenshot(path=str(SHOTS / "feedback_staff_inbox_tablet.png"), full_page=True)

        page.get_by_role("link", name=item.code).click()
        expect(page.get_by_role("heading", name=f"Phản ánh {item.code}")).to_be_visible()
        expect(page.get_by_test_id("reporter-phone")).to_have_text("0905111222")
        box = open_step(page, "Giao xử lý")
        box.get_by_label("Cán bộ xử lý").select_option(label=f"{staff['specialist_econ'].display_name} — "
                                                        f"{staff['specialist_econ'].department.name}")  # fmt: skip
        assert not (v := axe_scan(page)), axe_report(v)
        box.get_by_role("button", name="Giao xử lý").click()
        expect(page.get_by_test_id("state")).to_have_text("Đã giao xử lý")

        page.get_by_role("button", name="Đăng xuất").click()
        login(page, live_server, staff["specialist_econ"].username)
        page.goto(f"{live_server.url}/phan-anh/{item.pk}/")
        box = open_step(page, "Đã giải quyết")
        box.get_by_label("Kết quả xử lý").fill("Đã thay bóng đèn LED mới, đèn sáng lại.")
        photo = tmp_path / "ket-qua.png"
        photo.write_bytes(make_png(160, 120, rgb=(240, 200, 40)))
        box.get_by_label("Ảnh kết quả").set_input_files(str(photo))
        box.get_by_role("button", name="Đã giải quyết").click()
        expect(page.get_by_test_id("state")).to_have_text("Đã giải quyết")
        image = page.get_by_role("img", name=f"Ảnh kết quả xử lý 1 của phản ánh {item.code}")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.naturalWidth") == 160  # served, decoded by the browser
        assert not (v := axe_scan(page)), axe_report(v)
        page.screenshot(path=str(SHOTS / "feedback_staff_detail_tablet.png"), full_page=True)
    finally:
        clock.pin(None)
    item.refresh_from_db()
    assert item.state == State.RESOLVED and item.assignee == staff["specialist_econ"]
    assert Message.objects.filter(recipient="0905111222").count() == 2  # assigned, resolved
