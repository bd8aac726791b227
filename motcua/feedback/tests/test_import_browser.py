"""A department head imports a Zalo group's export in Chromium at 1366×768: the preview (the
phone masked), a category per row, the import, the same file again adds nothing; axe-core clean.
Screenshots: var/screenshots/feedback-import-*-1366.png."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from motcua.feedback.models import FeedbackItem
from motcua.testing import make_commune, make_feedback_setup, make_staff

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _login(page, base, username):
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()


def test_head_imports_a_zalo_export(live_server, page, axe_scan, axe_report, tmp_path, settings):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    ward = make_commune()
    make_feedback_setup(ward)
    staff = make_staff(ward)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Thời gian", "Người gửi", "Nội dung", "Số điện thoại", "Tổ dân phố"])
    ws.append(
        [
            dt.datetime(2026, 2, 9, 20, 15),
            "Minh Anh",
            "Đèn đường kiệt 45 tắt mấy hôm nay",
            "0905111333",
            "TDP 2",
        ]
    )
    ws.append(["09/02/2026 21:00", "Hoa Nguyễn", "Rác để giữa đường, hôi quá", "", "Tổ 9"])
    path = tmp_path / "nhom-zalo.xlsx"
    wb.save(path)

    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, staff["head_econ"].username)
    page.get_by_role("link", name="Nhập phản ánh Excel").click()
    expect(page.get_by_role("heading", name="Nhập phản ánh từ Excel (nhóm Zalo, fanpage)")).to_be_visible()
    page.get_by_label("Tệp Excel").set_input_files(str(path))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.get_by_role("heading", name="Xem trước: nhom-zalo.xlsx (2 dòng)")).to_be_visible()
    expect(page.get_by_text("********33")).to_be_visible()
    assert "0905111333" not in page.content()
    expect(page.get_by_text("không có tổ dân phố «Tổ 9»: để trống.")).to_be_visible()
    page.get_by_label("Lĩnh vực dòng 2").select_option(label="Chiếu sáng")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "feedback-import-preview-1366.png"), full_page=True)
    page.get_by_role("button", name="Nhập 2 dòng").click()
    expect(page.get_by_test_id("import-result")).to_have_text("Đã nhập 2 phản ánh.")
    page.screenshot(path=str(SHOTS / "feedback-import-done-1366.png"), full_page=True)
    codes = dict(FeedbackItem.objects.values_list("title", "category__code"))
    assert codes == {"Đèn đường kiệt 45 tắt mấy hôm nay": "chieu-sang", "Rác để giữa đường, hôi quá": "khac"}

    page.get_by_label("Tệp Excel").set_input_files(str(path))
    page.get_by_role("button", name="Xem trước").click()
    expect(page.get_by_text("Đã nhập từ trước")).to_have_count(2)
    page.get_by_role("button", name="Nhập 2 dòng").click()
    expect(page.get_by_test_id("import-result")).to_have_text(
        "Đã nhập 0 phản ánh; 2 dòng đã nhập từ trước nên bỏ qua."
    )
    assert FeedbackItem.objects.count() == 2
