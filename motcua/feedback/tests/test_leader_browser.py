"""The leader reads the demo ward's feedback at 1366×768, and the province officer answers an
escalated item: axe-core finds no serious or critical violation; screenshots go to
var/screenshots/feedback-leader-1366.png and feedback-province-1366.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.demo import ward as W
from motcua.demo.feedback_day import ITEMS, feedback_load
from motcua.feedback.models import FeedbackItem, State
from motcua.org.models import DepartmentKind, Role
from motcua.testing import make_commune, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()


def test_the_leader_reads_the_demo_feedback_and_the_province_answers(live_server, page, axe_scan, axe_report):
    ward = make_commune(W.COMMUNE_CODE)
    make_user(ward, Role.COMMUNE_LEADER, "chutich")
    make_user(ward, Role.COMMUNE_LEADER, "phochutich")
    make_user(ward, Role.SPECIALIST, "diachinh1", DepartmentKind.ECONOMIC)
    make_user(ward, Role.SPECIALIST, "vanphong1", DepartmentKind.OFFICE)
    officer = make_user(None, Role.PROVINCE_OFFICER, "sonoivu")
    officer.province = ward.province
    officer.save()
    assert feedback_load(now=clock.now())
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server, "chutich")
    page.get_by_role("link", name="Tổng hợp phản ánh").click()
    expect(
        page.get_by_role("heading", name="Tổng hợp phản ánh, kiến nghị — Phường Thanh Khê")
    ).to_be_visible()
    expect(page.get_by_test_id("received")).to_have_text(str(ITEMS))
    expect(page.get_by_role("img", name="Đang mở theo lĩnh vực")).to_be_visible()
    expect(page.get_by_role("img", name="Đang mở theo tổ dân phố")).to_be_visible()
    expect(page.get_by_test_id("recurring").get_by_text("Kiệt 42 Hà Huy Tập")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "feedback-leader-1366.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải về Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    # The province officer answers the oldest escalated item; the commune goes on with it.
    page.context.clear_cookies()
    _login(page, live_server, "sonoivu")
    page.get_by_role("link", name="Phản ánh chuyển tỉnh").click()
    waiting = FeedbackItem.objects.filter(state=State.ESCALATED).order_by("escalated_at", "pk")
    first = waiting.first()
    assert first is not None
    page.get_by_test_id("waiting").get_by_role("link", name=first.code).click()
    expect(page.get_by_role("heading", name=f"Phản ánh {first.code}")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_label("Nội dung trả lời").fill("Thuộc thẩm quyền của phường; đề nghị phường tiếp tục xử lý.")
    page.get_by_role("button", name="Trả lời, xã tiếp tục xử lý").click()
    expect(page.get_by_test_id("state")).to_have_text("Đã giao xử lý")
    expect(page.get_by_test_id("answer")).to_contain_text("đề nghị phường tiếp tục xử lý")
    page.screenshot(path=str(SHOTS / "feedback-province-1366.png"), full_page=True)
