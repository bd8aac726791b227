"""The dialogue session on the leader's tablet (1024×768), in Chromium: attendance, minutes
autosaved, three issues in a few taps each, one assigned, one resolved on the spot, the session
ended and its A4 report opened (print media), with the previous session's results; axe-clean."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.feedback import sessions as svc
from motcua.feedback.models import FeedbackItem, SessionState, State
from motcua.testing import make_commune, make_feedback_setup, make_staff

from .conftest import NOW

pytestmark = pytest.mark.browser
SHOTS = "var/screenshots"


def _plan(setup, staff, starts_at, title):
    plan = svc.Plan(
        neighbourhood_id=setup["neighbourhoods"][0].pk, title=title, starts_at=starts_at,
        place="Nhà văn hoá tổ dân phố 1", leader_ids=(staff["leader"].pk, staff["head_econ"].pk),
    )  # fmt: skip
    return svc.session_plan(actor=staff["leader"], plan=plan, now=dt.datetime(2026, 1, 1, tzinfo=NOW.tzinfo))[
        0
    ]


def raise_issue(page, category, title, name="", phone=""):
    form = page.locator("#raise")
    form.locator("label.cat", has_text=category).click()
    form.get_by_label("Nội dung tóm tắt").fill(title)
    if name or phone:
        form.locator("summary").click()
        form.get_by_label("Họ tên").fill(name)
        form.get_by_label("Số điện thoại").fill(phone)
    form.get_by_role("button", name="Ghi nhận").click()
    expect(page.locator("#issues li.issue", has_text=title)).to_be_visible()
    expect(form.get_by_label("Nội dung tóm tắt")).to_have_value("")


def test_leader_records_a_session_on_the_tablet(live_server, browser, axe_scan, axe_report):
    ward = make_commune()
    staff = make_staff(ward)
    staff["leader"].position = "Chủ tịch UBND phường"
    staff["leader"].save()
    setup = make_feedback_setup(ward)
    earlier = _plan(setup, staff, "2026-01-20T07:30", "Cà phê sáng tháng 1")
    old = svc.session_raise_issue(
        actor=staff["leader"], session=earlier, now=dt.datetime(2026, 1, 20, 8, 0, tzinfo=NOW.tzinfo),
        issue=svc.RaisedIssue(category_id=setup["categories"]["thoat-nuoc"].pk, title="Cống kiệt 45 tắc"),
    )  # fmt: skip
    svc.session_issue_act(actor=staff["leader"], session=earlier, item_id=old.pk, action="resolve",
                          note="Đã nạo vét cống ngày 20/01", now=dt.datetime(2026, 1, 20, 8, 5, tzinfo=NOW.tzinfo))  # fmt: skip
    svc.session_finish(
        actor=staff["leader"], session=earlier, now=dt.datetime(2026, 1, 20, 9, 0, tzinfo=NOW.tzinfo)
    )
    session = _plan(setup, staff, "2026-02-10T07:30", "Cà phê sáng tháng 2")
    clock.pin(NOW)
    context = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": 1024, "height": 768},
        has_touch=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill(staff["leader"].username)
        page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_role("link", name="Đối thoại").click()
        page.get_by_role("link", name="Cà phê sáng tháng 2").click()
        page.get_by_role("link", name="Mở màn hình ghi nhận").click()
        expect(
            page.get_by_role("heading", name=re.compile("Kết quả xử lý các ý kiến buổi trước"))
        ).to_be_visible()

        attendance = page.get_by_test_id("attendance")
        for expected in ("1", "2", "3"):
            page.get_by_role("button", name="Thêm một người").click()
            expect(page.get_by_test_id("attendance")).to_have_value(expected)
        page.get_by_role("button", name="Bớt một người").click()
        expect(attendance).to_have_value("2")
        attendance.fill("35")
        # The count is saved when the field changes (htmx): wait for the server's answer, not just
        # for the value typed, before anything else is recorded.
        with page.expect_response(lambda r: "/ghi-nhan/so-nguoi/" in r.url and r.request.method == "POST"):
            attendance.press("Tab")
        expect(page.get_by_test_id("attendance")).to_have_value("35")

        page.get_by_label("Biên bản (tự động lưu)").fill(
            "7 giờ 30 khai mạc. Bà con nêu ý kiến về đèn, rác, ngập."
        )
        expect(page.locator("#minutes-status")).to_contain_text("Đã lưu lúc", timeout=10_000)

        raise_issue(page, "Chiếu sáng", "Đèn hẻm 12 hỏng ba tuần", "Trần Văn Bình", "0905111222")
        raise_issue(page, "Rác thải", "Rác tồn đầu kiệt 45")
        raise_issue(page, "Thoát nước", "Ngập đường Hà Huy Tập khi mưa")
        expect(page.locator("#issues li.issue")).to_have_count(3)
        expect(page.locator("#issues")).not_to_contain_text("0905111222")

        first = page.locator("#issues li.issue", has_text="Đèn hẻm 12")
        first.locator("summary", has_text="Giải quyết ngay").click()
        first.get_by_label("Nội dung trả lời, giải quyết").fill("Tổ điện thay bóng ngay chiều nay")
        first.get_by_role("button", name="Xác nhận đã giải quyết").click()
        expect(page.locator("#issues li.issue", has_text="Đèn hẻm 12")).to_contain_text("Đã giải quyết")

        third = page.locator("#issues li.issue", has_text="Ngập đường")
        third.locator("summary", has_text="Giao").click()
        third.get_by_label("Phòng ban").select_option(index=1)
        third.get_by_role("button", name="Giao xử lý").click()
        expect(page.locator("#issues li.issue", has_text="Ngập đường")).to_contain_text("Đã giao xử lý")
        page.screenshot(path=f"{SHOTS}/sessions_tablet_1024x768.png")
        violations = axe_scan(page)
        assert not violations, axe_report(violations)

        page.once("dialog", lambda d: d.accept())
        page.get_by_role("button", name="Kết thúc, lập biên bản").click()
        expect(page.get_by_role("heading", name=re.compile("BIÊN BẢN"))).to_be_visible()
        expect(page.get_by_test_id("report-issue")).to_have_count(3)
        expect(page.get_by_test_id("report-attendance")).to_have_text("35")
        expect(page.locator("body")).to_contain_text("********22")
        expect(page.locator("body")).to_contain_text("Đã nạo vét cống ngày 20/01")
        violations = axe_scan(page)
        assert not violations, axe_report(violations)
        page.emulate_media(media="print")
        page.screenshot(path=f"{SHOTS}/sessions_report_print.png", full_page=True)
    finally:
        clock.pin(None)
        context.close()
    session.refresh_from_db()
    assert (session.state, session.attendance) == (SessionState.REPORTED, 35)
    states = dict(FeedbackItem.objects.filter(session=session).values_list("title", "state"))
    assert states == {
        "Đèn hẻm 12 hỏng ba tuần": State.RESOLVED,
        "Rác tồn đầu kiệt 45": State.NEW,
        "Ngập đường Hà Huy Tập khi mưa": State.ASSIGNED,
    }
