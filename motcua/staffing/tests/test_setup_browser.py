"""The people set-up as the commune's administrator does it: creates a job position covering land,
gives an officer that position and a land skill, moves them to another department, links the land
queue group to the land field, and reads the skills matrix. Screenshots:
var/screenshots/issue11-setup-*.png."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.catalog.models import ProcedureField
from motcua.org.models import DepartmentKind, User
from motcua.staffing.models import GroupField, StaffMove
from motcua.testing import make_commune, make_service_groups, make_staff

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PASSWORD = "matkhau-thu-nghiem"


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_admin_sets_up_positions_skills_moves_and_group_fields(live_server, browser):
    ward = make_commune()
    staff = make_staff(ward)
    groups = make_service_groups(ward)
    land = ProcedureField.objects.create(code="dat-dai", name="Đất đai")
    ProcedureField.objects.create(code="ho-tich", name="Hộ tịch")
    officer = staff["counter"]
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, base, staff["admin"].username)

    page.goto(f"{base}/nhan-su/")
    page.get_by_role("link", name="Vị trí việc làm").click()
    page.get_by_label("Tên vị trí").last.fill("Địa chính – đất đai")
    page.get_by_label("Số người cần có").last.fill("3")
    page.locator(f"form[action$='/vi-tri/'] input[name=fields][value='{land.pk}']").check()
    page.get_by_role("button", name="Lập vị trí").click()
    row = page.locator("tr", has_text="Địa chính – đất đai")
    expect(row).to_contain_text("thiếu 3")
    page.screenshot(path=str(SHOTS / "issue11-setup-positions.png"), full_page=True)

    page.goto(f"{base}/quan-tri/nhan-su/can-bo/{officer.pk}/")
    page.get_by_label("Vị trí", exact=True).select_option(label="Địa chính – đất đai")
    page.get_by_role("button", name="Lưu vị trí").click()
    expect(page.locator("#vi-tri")).to_have_text("Địa chính – đất đai")
    page.locator("#id_skill_field").select_option(label="Đất đai")
    page.get_by_label("Mức").select_option(label="Hướng dẫn được người khác")
    page.get_by_role("button", name="Lưu kỹ năng").click()
    expect(page.locator("#ky-nang")).to_contain_text("Hướng dẫn được người khác")
    page.get_by_label("Đến phòng").select_option(label=DepartmentKind.ECONOMIC.label)
    page.get_by_label("Lý do").fill("Tăng cường địa chính sau hợp nhất")
    page.get_by_role("button", name="Chuyển phòng").click()
    expect(page.locator("#dieu-dong")).to_contain_text("Tăng cường địa chính sau hợp nhất")
    page.screenshot(path=str(SHOTS / "issue11-setup-person.png"), full_page=True)
    assert User.objects.get(pk=officer.pk).department.kind == DepartmentKind.ECONOMIC
    assert StaffMove.objects.filter(user=officer).count() == 1

    page.goto(f"{base}/quan-tri/nhan-su/nhom-linh-vuc/")
    section = page.locator("#nhom-B")
    section.get_by_label("Đất đai").check()
    section.get_by_role("button", name="Lưu nhóm B").click()
    expect(page.locator("#nhom-B").get_by_label("Đất đai")).to_be_checked()
    page.screenshot(path=str(SHOTS / "issue11-setup-groups.png"), full_page=True)
    assert list(GroupField.objects.filter(group=groups["B"]).values_list("field_id", flat=True)) == [land.pk]

    page.goto(f"{base}/quan-tri/nhan-su/ky-nang/")
    expect(page.locator("#ma-tran")).to_contain_text("Hướng dẫn được")
    page.screenshot(path=str(SHOTS / "issue11-setup-matrix.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải Excel").click()
    assert download.value.suggested_filename == "ma-tran-ky-nang.xlsx"
    context.close()
