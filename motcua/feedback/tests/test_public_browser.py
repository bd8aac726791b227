"""A resident on a small phone (360×640): sends feedback, follows it by code + the last 4 phone
digits once it is resolved, rates it 5 stars; every residents' feedback page passes axe-core
(no serious or critical violation). Screenshots: var/screenshots/feedback-public-*.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.feedback.models import FeedbackItem, State
from motcua.feedback.workflow import Action, feedback_apply
from motcua.testing import make_commune, make_feedback_setup, make_staff

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"feedback-public-{name}-360.png"), full_page=True)


def test_resident_sends_follows_and_rates_on_a_phone(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    setup = make_feedback_setup(ward)
    staff = make_staff(ward)
    page.set_viewport_size({"width": 360, "height": 640})

    page.goto(f"{live_server.url}/gop-y/{ward.code}/")
    page.get_by_label("Lĩnh vực").select_option(label="Chiếu sáng (trả lời trong 5 ngày làm việc)")
    page.get_by_label("Tổ dân phố, thôn (nếu biết)").select_option(label="Tổ dân phố 2")
    page.get_by_label("Địa điểm cụ thể").fill("Kiệt 45 Hà Huy Tập")
    page.get_by_label("Tóm tắt (một dòng)").fill("Đèn đường kiệt 45 tắt ba đêm nay")
    page.get_by_label("Họ và tên").fill("Phan Thị Thu")
    page.get_by_label("Số điện thoại").fill("0905 246 813")
    page.get_by_label("Tôi đồng ý nhận thông báo").check()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    _shot(page, "form")
    page.get_by_role("button", name="Gửi phản ánh").click()

    expect(page.get_by_role("heading", name="Đã gửi phản ánh")).to_be_visible()
    item = FeedbackItem.objects.get()
    expect(page.get_by_test_id("code")).to_have_text(item.code)
    expect(page.locator(".qr svg")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    _shot(page, "done")

    # The ward fixes it.
    now = clock.now()
    feedback_apply(item=item, action=Action.ASSIGN, actor=staff["leader"], now=now,
                   data={"department": staff["head_econ"].department})  # fmt: skip
    feedback_apply(item=item, action=Action.RESOLVE, actor=staff["specialist_econ"], now=now,
                   data={"note": "Đã thay bóng đèn LED mới, sáng từ tối nay."})  # fmt: skip

    # Days later, on another phone: the code and the last 4 digits.
    page.goto(f"{live_server.url}/gop-y/theo-doi/")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_label("Mã phản ánh").fill(item.code)
    page.get_by_label("4 số cuối điện thoại").fill("6813")
    _shot(page, "lookup")
    page.get_by_role("button", name="Xem phản ánh").click()
    expect(page.get_by_role("heading", name=f"Phản ánh {item.code}")).to_be_visible()
    expect(page.get_by_test_id("state")).to_have_text("Đã giải quyết")
    expect(page.locator(".resolution")).to_contain_text("Đã thay bóng đèn LED mới")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    _shot(page, "track")

    page.locator("label[for=star5]").click()
    page.get_by_label("Nhận xét (không bắt buộc)").fill("Xử lý nhanh, cảm ơn phường")
    page.locator(".stars").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "feedback-public-stars-360.png"))
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_text("Cảm ơn bạn đã đánh giá.")).to_be_visible()
    expect(page.get_by_test_id("rating")).to_have_text("5/5 sao")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    _shot(page, "rated")
    item.refresh_from_db()
    assert (item.rating, item.state) == (5, State.RESOLVED)

    page.goto(f"{live_server.url}/gop-y/{ward.code}/danh-sach/")
    expect(page.get_by_text("Đèn đường kiệt 45 tắt ba đêm nay")).to_be_visible()
    assert "Phan Thị Thu" not in page.content() and "246 813" not in page.content()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    _shot(page, "list")
    assert setup["neighbourhoods"][1].items.count() == 1
