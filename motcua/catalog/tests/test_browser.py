"""The public catalogue in a real browser: live search without diacritics, the detail page,
and no serious or critical accessibility violation (axe-core)."""

from playwright.sync_api import expect

from motcua.catalog.services import catalog_load_starter
from motcua.org.models import Role


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


def test_leader_opens_the_import_page(live_server, page, axe_scan, axe_report, make_user):
    leader = make_user(Role.COMMUNE_LEADER, username="lanhdao")
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(leader.username)
    page.get_by_label("Mật khẩu").fill("mat-khau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server.url}/thu-tuc/quan-ly/nhap-excel/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nhập danh mục thủ tục từ Excel")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
