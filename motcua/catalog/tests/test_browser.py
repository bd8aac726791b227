"""The public catalogue in a real browser: live search without diacritics, the detail page,
and no serious or critical accessibility violation (axe-core)."""

from playwright.sync_api import expect

from motcua.catalog.models import Procedure
from motcua.catalog.services import catalog_load_starter
from motcua.catalog.tests.workbooks import changed_workbook

SHOTS = "var/screenshots"


def test_resident_finds_a_procedure_and_reads_what_to_bring(live_server, page, axe_scan, axe_report):
    catalog_load_starter()
    page.goto(f"{live_server.url}/thu-tuc/")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)

    page.get_by_label("Tìm thủ tục").fill("chung thuc")
    results = page.locator("#results")
    expect(results).to_contain_text("3 thủ tục phù hợp")
    expect(results).not_to_contain_text("đăng ký khai sinh")
    assert "q=chung" in page.url  # the live result is also a shareable, bookmarkable URL

    page.get_by_label("Tìm thủ tục").fill("giay chung nhan quyen su dung dat lan dau")
    results.get_by_role("link", name="Đăng ký đất đai").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("lần đầu")
    expect(page.locator("main")).to_contain_text("20 ngày làm việc (30 ngày làm việc ở xã miền núi")
    expect(page.get_by_role("link", name="Nộp trực tuyến")).to_have_attribute(
        "href", "/nop-truc-tuyen/1.013978/"
    )
    violations = axe_scan(page)
    assert not violations, axe_report(violations)


def test_installation_administrator_previews_applies_and_audits_an_import(
    live_server, page, axe_scan, axe_report, superuser, tmp_path
):
    catalog_load_starter()
    workbook = tmp_path / "danh-muc-sua.xlsx"
    workbook.write_bytes(changed_workbook())
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(superuser.username)
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()

    page.goto(f"{live_server.url}/thu-tuc/")
    page.get_by_role("navigation", name="Quản lý danh mục").get_by_role("link", name="Nhập từ Excel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nhập danh mục thủ tục từ Excel")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_label("Tệp Excel danh mục (.xlsx)").set_input_files(str(workbook))
    page.get_by_role("button", name="Tải lên và xem trước").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Xem trước thay đổi danh mục")
    main = page.locator("main")
    expect(main).to_contain_text("1 thủ tục thêm mới · 2 thay đổi")
    fee = page.locator("section", has=page.get_by_role("heading", name="2.000635", exact=False))
    expect(fee.get_by_role("row", name="Lệ phí (đồng)")).to_contain_text("8000")
    expect(fee.get_by_role("row", name="Lệ phí (đồng)")).to_contain_text("10000")
    expect(main).to_contain_text("1.000894")  # not in the file: kept
    assert Procedure.objects.get(code="2.000635").fee_vnd == 8000  # nothing written yet
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=f"{SHOTS}/catalog_import_preview.png", full_page=True)

    page.get_by_role("button", name="Áp dụng").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lịch sử nhập danh mục thủ tục")
    expect(page.get_by_role("status")).to_contain_text("Đã áp dụng danh mục: 1 thủ tục thêm mới, 2 thay đổi")
    entry = page.locator("section.card").first
    expect(entry).to_contain_text("Quản trị hệ thống (quantri_he_thong)")
    expect(entry).to_contain_text("Thêm mới: 9.000001 · Thủ tục thử nghiệm")
    entry.get_by_text("Thay đổi: 2.000635").click()
    expect(entry.get_by_role("row", name="Lệ phí (đồng)").first).to_contain_text("10000")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=f"{SHOTS}/catalog_import_history.png", full_page=True)
    assert Procedure.objects.get(code="2.000635").fee_vnd == 10000
