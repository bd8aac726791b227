"""The administrator sets up the commune's feedback categories in Chromium (1366×768): the
usual nine, a new «Cây xanh», a changed deadline, a paused category; axe-core clean.
Screenshots: var/screenshots/feedback-setup-*-1366.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.feedback.models import Category
from motcua.org.models import Department, DepartmentKind
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_the_admin_sets_up_feedback_categories(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    make_staff(ward)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("quantri")
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server.url}/quan-tri/")
    page.get_by_role("link", name="Phản ánh", exact=True).click()

    # none yet: the usual nine
    expect(page.get_by_text("Chưa có lĩnh vực phản ánh nào.")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "feedback-setup-empty-1366.png"), full_page=True)
    page.get_by_role("button", name="Dùng danh mục mặc định").click()
    expect(page.get_by_text("Đã lập 9 lĩnh vực phản ánh theo danh mục mặc định.")).to_be_visible()
    expect(page.locator("#linh-vuc-chieu-sang")).to_contain_text("Phòng Kinh tế, Hạ tầng và Đô thị")

    # a new one
    page.locator("#id_code").fill("cay-xanh")
    page.locator("#id_name").fill("Cây xanh, công viên")
    page.locator("#id_deadline_days").fill("8")
    page.locator("#id_department").select_option(label="Phòng Kinh tế, Hạ tầng và Đô thị")
    page.get_by_role("button", name="Thêm lĩnh vực").click()
    expect(page.get_by_text("Đã thêm lĩnh vực «Cây xanh, công viên».")).to_be_visible()
    expect(page.locator("#linh-vuc-cay-xanh")).to_contain_text("8 ngày làm việc")

    # the lighting's deadline, then a bad one refused in Vietnamese
    row = page.locator("#linh-vuc-chieu-sang")
    row.get_by_text("Sửa «Chiếu sáng»").click()
    row.get_by_label("Thời hạn (ngày làm việc)").fill("4")
    row.get_by_role("button", name="Lưu «Chiếu sáng»").click()
    expect(page.get_by_text("Đã lưu lĩnh vực «Chiếu sáng».")).to_be_visible()
    expect(page.locator("#linh-vuc-chieu-sang")).to_contain_text("4 ngày làm việc")

    # pause «Khác»
    page.locator("#linh-vuc-khac").get_by_role("button", name="Tạm ngừng «Khác»").click()
    expect(page.get_by_text("Đã tạm ngừng lĩnh vực «Khác»")).to_be_visible()
    expect(page.locator("#linh-vuc-khac")).to_contain_text("Tạm ngừng")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "feedback-setup-categories-1366.png"), full_page=True)

    # a refused edit: the form stays open with the message
    row = page.locator("#linh-vuc-rac-thai")
    row.get_by_text("Sửa «Rác thải, vệ sinh»").click()
    row.get_by_label("Thời hạn (ngày làm việc)").evaluate("e => e.removeAttribute('max')")
    row.get_by_label("Thời hạn (ngày làm việc)").fill("61")
    row.get_by_role("button", name="Lưu «Rác thải, vệ sinh»").click()
    expect(page.get_by_role("alert")).to_contain_text("phải là số nguyên từ 1 đến 60")
    expect(page.locator("#linh-vuc-rac-thai details")).to_have_attribute("open", "")
    expect(page.locator("#linh-vuc-rac-thai .row-error")).to_contain_text("từ 1 đến 60")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.locator("#linh-vuc-rac-thai").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "feedback-setup-refused-1366.png"), full_page=False)

    econ = Department.objects.get(commune=ward, kind=DepartmentKind.ECONOMIC)
    cats = {c.code: c for c in Category.objects.filter(commune=ward)}
    assert len(cats) == 10
    assert (cats["cay-xanh"].deadline_days, cats["cay-xanh"].department) == (8, econ)
    assert cats["chieu-sang"].deadline_days == 4 and cats["rac-thai"].deadline_days == 3
    assert not cats["khac"].active
