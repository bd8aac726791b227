"""Issue 9's story in Chromium, as new users would live it, on a tablet (1024×768) and a phone:

the leader records three issues at a dialogue session and assigns them; the session report
prints; a specialist resolves one with a photo; the resident follows it by code on a phone and
rates it; another is escalated and the province answers; the resident is told at each step (the
console sender's output)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.feedback import sessions as svc
from motcua.feedback.models import FeedbackItem, State
from motcua.notify.models import Message, MessageState
from motcua.notify.sending import send_due
from motcua.org.models import Role
from motcua.testing import make_commune, make_feedback_setup, make_staff, make_user

from .conftest import NOW
from .test_photos import make_png
from .test_sessions_browser import raise_issue

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
RESIDENT = "0905111222"


def _context(browser, width, height):
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": width, "height": height},
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    return context


def _login(page, base, username):
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def _open_step(page, label):
    box = page.locator("details", has=page.locator(f"summary:text-is('{label}')"))
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    return box


def _told(caplog) -> list[str]:
    """Send what is due (the console sender) and return what the resident's phone was told."""
    with caplog.at_level(logging.INFO, logger="motcua.notify"):
        send_due(now=clock.now())
    assert not Message.objects.filter(recipient=RESIDENT).exclude(state=MessageState.SENT).exists()
    return list(Message.objects.filter(recipient=RESIDENT).order_by("id").values_list("body", flat=True))


def test_a_session_to_a_fixed_lamp_a_rating_and_the_provinces_answer(live_server, browser, caplog, tmp_path):
    base = live_server.url
    ward = make_commune()
    staff = make_staff(ward)
    staff["leader"].position = "Chủ tịch UBND phường"
    staff["leader"].save()
    setup = make_feedback_setup(ward)
    province = make_user(None, Role.PROVINCE_OFFICER, "sonoivu")
    province.province = ward.province
    province.save()
    plan = svc.Plan(
        neighbourhood_id=setup["neighbourhoods"][0].pk, title="Cà phê sáng tổ dân phố 1",
        starts_at="2026-02-10T07:30", place="Nhà văn hoá tổ dân phố 1",
        leader_ids=(staff["leader"].pk, staff["head_econ"].pk),
    )  # fmt: skip
    svc.session_plan(actor=staff["leader"], plan=plan, now=dt.datetime(2026, 1, 1, tzinfo=NOW.tzinfo))
    econ = staff["head_econ"].department
    SHOTS.mkdir(parents=True, exist_ok=True)
    clock.pin(NOW)
    tablet, phone, desk = (
        _context(browser, 1024, 768),
        _context(browser, 360, 640),
        _context(browser, 1366, 768),
    )
    try:
        # 1. The session, on the leader's tablet: three issues, each assigned.
        page = tablet.new_page()
        _login(page, base, staff["leader"].username)
        page.get_by_role("link", name="Đối thoại").click()
        page.get_by_role("link", name="Cà phê sáng tổ dân phố 1").click()
        page.get_by_role("link", name="Mở màn hình ghi nhận").click()
        raise_issue(page, "Chiếu sáng", "Đèn hẻm 12 Hà Huy Tập hỏng", "Trần Văn Bình", RESIDENT)
        raise_issue(page, "Thoát nước", "Ngập đường Hà Huy Tập khi mưa")
        raise_issue(page, "Đất đai", "Tranh chấp ranh giới thửa đất tổ 1")
        for title in ("Đèn hẻm 12", "Ngập đường", "Tranh chấp ranh giới"):
            issue = page.locator("#issues li.issue", has_text=title)
            issue.locator("summary", has_text="Giao").click()
            issue.get_by_label("Phòng ban").select_option(label=econ.name)
            issue.get_by_role("button", name="Giao xử lý").click()
            expect(page.locator("#issues li.issue", has_text=title)).to_contain_text("Đã giao xử lý")
        lamp = FeedbackItem.objects.get(title__startswith="Đèn hẻm 12")
        land = FeedbackItem.objects.get(title__startswith="Tranh chấp")
        told = _told(caplog)
        assert len(told) == 2 and all(lamp.code in text for text in told)  # recorded, assigned

        # 2. The session report prints.
        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Kết thúc, lập biên bản").click()
        expect(page.get_by_role("heading", name=re.compile("BIÊN BẢN"))).to_be_visible()
        expect(page.get_by_test_id("report-issue")).to_have_count(3)
        expect(page.locator("body")).not_to_contain_text(RESIDENT)
        page.emulate_media(media="print")
        page.screenshot(path=str(SHOTS / "story-session-report-print.png"), full_page=True)
        page.emulate_media(media="screen")

        # 3. A specialist of the department resolves the lamp with a photo.
        page.goto(f"{base}/phan-anh/")  # the printed report has no navigation
        page.get_by_role("button", name="Đăng xuất").click()
        _login(page, base, staff["specialist_econ"].username)
        page.goto(f"{base}/phan-anh/{lamp.pk}/")
        box = _open_step(page, "Bắt đầu xử lý")
        box.get_by_role("button", name="Bắt đầu xử lý").click()
        expect(page.get_by_test_id("state")).to_have_text("Đang xử lý")
        box = _open_step(page, "Đã giải quyết")
        box.get_by_label("Kết quả xử lý").fill("Đã thay bóng đèn LED mới, hẻm sáng lại.")
        photo = tmp_path / "den-moi.png"
        photo.write_bytes(make_png(200, 150, rgb=(250, 210, 60)))
        box.get_by_label("Ảnh kết quả").set_input_files(str(photo))
        box.get_by_role("button", name="Đã giải quyết").click()
        expect(page.get_by_test_id("state")).to_have_text("Đã giải quyết")
        page.screenshot(path=str(SHOTS / "story-resolved-tablet.png"), full_page=True)
        told = _told(caplog)
        assert len(told) == 4 and "Đã giải quyết" in told[-1]

        # 4. The resident follows it by code on a phone, sees the photo, and rates it.
        mobile = phone.new_page()
        mobile.goto(f"{base}/gop-y/theo-doi/")
        mobile.get_by_label("Mã phản ánh").fill(lamp.code)
        mobile.get_by_label("4 số cuối điện thoại").fill(RESIDENT[-4:])
        mobile.get_by_role("button", name="Xem phản ánh").click()
        expect(mobile.get_by_test_id("state")).to_have_text("Đã giải quyết")
        expect(mobile.locator(".resolution")).to_contain_text("Đã thay bóng đèn LED mới")
        image = mobile.get_by_role("img", name="Ảnh kết quả xử lý 1")
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        assert image.evaluate("img => img.naturalWidth") == 200
        mobile.locator("label[for=star5]").click()
        mobile.get_by_role("button", name="Gửi đánh giá").click()
        expect(mobile.get_by_test_id("rating")).to_have_text("5/5 sao")
        mobile.screenshot(path=str(SHOTS / "story-rated-360.png"), full_page=True)

        # 5. The land dispute is beyond the ward: escalated; the province answers.
        page.get_by_role("button", name="Đăng xuất").click()
        _login(page, base, staff["leader"].username)
        page.goto(f"{base}/phan-anh/{land.pk}/")
        box = _open_step(page, "Chuyển cấp tỉnh")
        box.locator("textarea[name=note]").fill("Tranh chấp đất đai giữa hai hộ thuộc thẩm quyền cấp tỉnh.")
        box.get_by_role("button", name="Chuyển cấp tỉnh").click()
        expect(page.get_by_test_id("state")).to_have_text("Đã chuyển cấp tỉnh")
        office = desk.new_page()
        _login(office, base, province.username)
        office.get_by_role("link", name="Phản ánh chuyển tỉnh").click()
        office.get_by_test_id("waiting").get_by_role("link", name=land.code).click()
        office.get_by_label("Nội dung trả lời").fill(
            "Sở Tài nguyên và Môi trường đã hoà giải, hai hộ thống nhất ranh giới."
        )
        office.get_by_role("button", name="Tỉnh đã giải quyết").click()
        expect(office.get_by_test_id("state")).to_have_text("Đã giải quyết")
        office.screenshot(path=str(SHOTS / "story-province-1366.png"), full_page=True)
        page.reload()
        expect(page.get_by_test_id("state")).to_have_text("Đã giải quyết")
    finally:
        clock.pin(None)
        for context in (tablet, phone, desk):
            context.close()

    lamp.refresh_from_db()
    land.refresh_from_db()
    assert (lamp.state, lamp.rating) == (State.RESOLVED, 5)
    assert land.state == State.RESOLVED and "hoà giải" in land.province_answer
    # Every message went through the console sender, whose log names the masked recipient.
    assert "motcua.notify" in {r.name for r in caplog.records}
    assert RESIDENT not in caplog.text
