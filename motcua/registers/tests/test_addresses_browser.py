"""In Chromium: the data officer opens the address conversion tool from the merge page,
uploads a small CSV, sees the counts and the addresses not converted with their reasons, and
downloads the converted workbook (every row, every original column, the new units)."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from motcua.org.models import Role
from motcua.testing import make_commune, make_user

from .test_browser_merge import SHOTS, login

pytestmark = pytest.mark.browser

CSV = (
    "Họ tên,Địa chỉ thường trú\n"
    'Nguyễn Văn An,"12 Hà Huy Tập, phường Xuân Hà, quận Thanh Khê, Đà Nẵng"\n'
    'Trần Thị Bình,"5 Âu Cơ, xã Hòa Liên, huyện Hòa Vang, Đà Nẵng"\n'
    "Lê Văn Cường,không rõ địa chỉ\n"
)


def test_data_officer_converts_a_list_of_old_addresses(live_server, page, tmp_path, axe_scan, axe_report):
    SHOTS.mkdir(parents=True, exist_ok=True)
    make_user(make_commune(), Role.DATA_OFFICER, "dulieu")
    source = tmp_path / "dia-chi.csv"
    source.write_text(CSV, encoding="utf-8")
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, "dulieu")
    page.goto(f"{live_server.url}/hop-nhat-danh-sach/")
    page.get_by_role("link", name="Chuyển đổi địa chỉ cũ sang đơn vị hành chính mới").click()
    expect(page.get_by_role("heading", name="Chuyển đổi địa chỉ sang đơn vị hành chính mới")).to_be_visible()
    assert axe_scan(page) == [], axe_report(axe_scan(page))
    page.get_by_label("Tệp danh sách địa chỉ (.csv hoặc .xlsx)").set_input_files(str(source))
    page.get_by_role("button", name="Chuyển đổi").click()

    expect(page.get_by_role("heading", name="Kết quả chuyển đổi địa chỉ")).to_be_visible()
    expect(page.locator("#address-total")).to_have_text("3")
    counts = page.locator("#address-counts")
    expect(counts.get_by_role("row", name="Đã chuyển 1")).to_be_visible()
    expect(counts.get_by_role("row", name="Chỉ xác định được tỉnh 1")).to_be_visible()
    expect(counts.get_by_role("row", name="Không chuyển được 1")).to_be_visible()
    failures = page.locator("#address-failures")
    expect(failures.get_by_text("Phường Hải Vân, Phường Liên Chiểu")).to_be_visible()
    expect(failures.get_by_text("không rõ địa chỉ")).to_be_visible()
    page.screenshot(path=str(SHOTS / "registers-addresses.png"), full_page=True)
    assert axe_scan(page) == [], axe_report(axe_scan(page))

    with page.expect_download() as info:
        page.get_by_role("link", name="Tải về tệp Excel đã chuyển đổi").click()
    path = tmp_path / "out.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert len(rows) == 4
    assert rows[0][:3] == ("Họ tên", "Địa chỉ thường trú", "Địa chỉ sau chuyển đổi")
    assert rows[1][0] == "Nguyễn Văn An"
    assert rows[1][2] == "12 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng"
    assert rows[2][-2] == "Chỉ xác định được tỉnh"
    assert rows[3][-2] == "Không chuyển được"
