"""Issue 7's whole story ("What it must show"), in Chromium, on an empty database:

`motcua setup-commune 20209 --admin …` (password from MOTCUA_ADMIN_PASSWORD); the administrator
logs in, lands on the admin screens, creates a department and two staff accounts (one-time
passwords shown once): a counter officer and the commune's chair; the counter officer logs in
with the one-time password, is sent to change it (from any staff page), and receives a dossier;
Mẫu 01's QR code and printed link point to the configured public URL (MOTCUA_PUBLIC_URL, not
127.0.0.1); weeks later the chair logs in, changes the one-time password, opens the leader's view
and finds that dossier listed as overdue. Axe on every admin screen and the leader's view.
Screenshots go to var/screenshots/story-*.png.
"""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import segno
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.org.models import CommuneProfile, Department, Role, User

pytestmark = pytest.mark.browser
VN = ZoneInfo("Asia/Ho_Chi_Minh")
SHOTS = "var/screenshots"
ADMIN_PASSWORD = "Bon-mua-hoa-phuong-2026"
NEW_PASSWORD = "Song-Han-cau-Rong-48"
LEADER_PASSWORD = "Ban-dao-Son-Tra-2026"
PUBLIC_URL = "https://motcua.thanhkhe.danang.gov.vn"
UNIT = "Trung tâm Phục vụ hành chính công phường Thanh Khê"


def _context(browser, width: int = 1280):
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def _login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def _shoot(page, name: str) -> None:
    page.screenshot(path=f"{SHOTS}/story-{name}.png", full_page=True)


def test_from_an_empty_database_to_the_leaders_overdue_list(
    live_server, browser, axe_scan, axe_report, monkeypatch, settings
):
    settings.MOTCUA_PUBLIC_URL = PUBLIC_URL
    monkeypatch.setenv("MOTCUA_ADMIN_PASSWORD", ADMIN_PASSWORD)
    call_command(
        "setup-commune",
        "20209",
        "--admin",
        "quantri",
        "--admin-name",
        "Dương Minh Khoa",
        "--agency-code",
        "H48.20209",
        "--unit-name",
        UNIT,
        "--address",
        "Số 242 Hà Huy Tập, phường Thanh Khê, thành phố Đà Nẵng",
        "--opening-hours",
        "Thứ Hai – Thứ Sáu 7:30–11:30, 13:30–17:00",
        "--hotline",
        "0236 3 714 412",
        stdout=io.StringIO(),
    )
    assert CommuneProfile.objects.get(commune_id=20209).unit_name == UNIT
    assert not Department.objects.exists() and User.objects.count() == 1

    # The public home page shows the unit.
    home = _context(browser, width=390)
    home.goto(f"{live_server.url}/")
    expect(home.get_by_role("heading", name=UNIT)).to_be_visible()
    expect(home.get_by_text("0236 3 714 412")).to_be_visible()
    _shoot(home, "0-home-phone")

    # The administrator lands on the admin screens.
    admin = _context(browser)
    _login(admin, live_server, "quantri", ADMIN_PASSWORD)
    expect(admin.get_by_role("heading", name="Quản trị Phường Thanh Khê")).to_be_visible()
    expect(
        admin.get_by_role("navigation", name="Điều hướng").get_by_role("link", name="Đổi mật khẩu")
    ).to_be_visible()
    _shoot(admin, "1-admin-home")
    violations = axe_scan(admin)
    assert not violations, axe_report(violations)

    # A department.
    admin.get_by_role("link", name="Phòng ban", exact=True).click()
    admin.get_by_label("Loại").select_option(label="Trung tâm Phục vụ hành chính công")
    admin.get_by_label("Tên phòng ban").fill("Bộ phận Một cửa phường Thanh Khê")
    admin.get_by_role("button", name="Lập phòng ban").click()
    expect(admin.get_by_role("cell", name="Bộ phận Một cửa phường Thanh Khê", exact=True)).to_be_visible()
    _shoot(admin, "2-departments")
    violations = axe_scan(admin)
    assert not violations, axe_report(violations)

    # Two staff: a counter officer (one-time password generated) and the chair.
    admin.get_by_role("link", name="Tài khoản cán bộ").click()
    admin.get_by_label("Tên đăng nhập", exact=True).fill("motcua1")
    admin.get_by_label("Họ và tên").fill("Nguyễn Thị Thu Hà")
    admin.get_by_label("Vai trò chính").select_option(label="Cán bộ một cửa")
    admin.get_by_label("Phòng ban", exact=True).select_option(label="Bộ phận Một cửa phường Thanh Khê")
    admin.get_by_label("Chức vụ").fill("Cán bộ tiếp nhận và trả kết quả")
    admin.get_by_role("button", name="Tạo tài khoản").click()
    one_time = admin.locator("#one-time-password").inner_text().strip()
    assert len(one_time) == 12
    _shoot(admin, "3-staff-created")
    violations = axe_scan(admin)
    assert not violations, axe_report(violations)
    admin.get_by_label("Tên đăng nhập", exact=True).fill("chutich")
    admin.get_by_label("Họ và tên").fill("Lê Quang Vinh")
    admin.get_by_label("Vai trò chính").select_option(label="Lãnh đạo UBND")
    admin.get_by_label("Chức vụ").fill("Chủ tịch UBND phường")
    admin.get_by_role("button", name="Tạo tài khoản").click()
    leader_one_time = admin.locator("#one-time-password").inner_text().strip()
    assert len(leader_one_time) == 12 and leader_one_time != one_time
    expect(admin.get_by_role("link", name="Lê Quang Vinh")).to_be_visible()
    assert User.objects.get(username="chutich").role == Role.COMMUNE_LEADER
    admin.get_by_role("link", name="Lê Quang Vinh").click()
    expect(admin.get_by_role("heading", name="Đặt lại mật khẩu")).to_be_visible()
    _shoot(admin, "4-staff-edit")
    violations = axe_scan(admin)
    assert not violations, axe_report(violations)
    admin.get_by_role("link", name="Nhập từ Excel").click()
    expect(admin.get_by_role("link", name="Tải tệp mẫu (.xlsx)")).to_be_visible()
    _shoot(admin, "5-staff-import")
    admin.get_by_role("link", name="Thông tin đơn vị").click()
    expect(admin.get_by_label("Tên đơn vị")).to_have_value(UNIT)
    _shoot(admin, "6-profile")
    violations = axe_scan(admin)
    assert not violations, axe_report(violations)

    # The counter officer: one-time password, then their own. Any staff page sends there first.
    counter = _context(browser)
    _login(counter, live_server, "motcua1", one_time)
    expect(counter.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    counter.goto(f"{live_server.url}/ho-so/tiep-nhan/")
    expect(counter).to_have_url(f"{live_server.url}/doi-mat-khau/")
    expect(counter.get_by_text("mật khẩu dùng một lần")).to_be_visible()
    counter.get_by_label("Mật khẩu hiện tại").fill(one_time)
    counter.get_by_label("Mật khẩu mới", exact=True).fill(NEW_PASSWORD)
    counter.get_by_label("Nhập lại mật khẩu mới").fill(NEW_PASSWORD)
    counter.get_by_role("button", name="Đổi mật khẩu").click()
    expect(counter.get_by_role("heading", name="Đã đổi mật khẩu")).to_be_visible()
    assert User.objects.get(username="motcua1").check_password(NEW_PASSWORD)
    counter.get_by_role("link", name="Vào làm việc").click()
    expect(counter).to_have_url(f"{live_server.url}/ho-so/tiep-nhan/")

    # …and receives a birth registration.
    with clock.pinned(dt.datetime(2026, 2, 10, 8, 30, tzinfo=VN)):
        counter.get_by_label("Tìm thủ tục").fill("dang ky khai sinh")
        counter.locator("#procedure-results a", has_text="Đăng ký khai sinh").first.click()
        counter.get_by_label("Họ và tên").fill("Nguyễn Văn An")
        counter.get_by_label("Số điện thoại").fill("0905111222")
        counter.get_by_label("Địa chỉ", exact=True).fill("25 Hà Huy Tập, tổ 12, phường Thanh Khê")
        for key, value in {
            "ho_ten_tre": "Nguyễn Minh Khang",
            "ngay_sinh": "02/02/2026",
            "noi_sinh": "Bệnh viện Phụ sản - Nhi Đà Nẵng",
            "dan_toc": "Kinh",
            "quoc_tich": "Việt Nam",
            "ho_ten_me": "Lê Thị Thu",
            "so_dinh_danh_me": "048196001234",
        }.items():
            counter.locator(f"[name=f_{key}]").fill(value)
        counter.locator("[name=f_gioi_tinh]").select_option(label="Nam")
        counter.locator("[name=f_quan_he_nguoi_di_dang_ky]").select_option(label="Cha")
        for box in counter.locator("input[name=checklist]").all():
            box.check()
        counter.get_by_role("button", name="Tiếp nhận — in Phiếu hẹn (Mẫu 01)").click()
        expect(counter.get_by_role("heading", name="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")).to_be_visible()
        _shoot(counter, "7-receipt")
    dossier = Dossier.objects.get()
    assert dossier.state == State.RECEIVED and dossier.code.startswith("H48.20209-260210-")
    assert dossier.due_at is not None

    # Mẫu 01's QR code encodes the public status URL: the module pattern on the page is segno's
    # for exactly that URL (segno is deterministic), and the printed link is the same URL.
    expected = PUBLIC_URL + reverse("portal:status", args=[dossier.code, dossier.secret])
    printed = segno.make(expected, error="m").svg_inline(scale=3, dark="#000", title="Mã QR tra cứu hồ sơ")
    qr_path = counter.get_by_role("img", name="Mã QR tra cứu hồ sơ").locator("path").get_attribute("d")
    assert qr_path and f'd="{qr_path}"' in printed, "the QR code encodes the public status URL"
    assert f'd="{qr_path}"' not in segno.make(
        expected.replace(PUBLIC_URL, "http://127.0.0.1:8000"), error="m"
    ).svg_inline(scale=3, dark="#000", title="Mã QR tra cứu hồ sơ")
    expect(counter.locator(".url")).to_have_text(expected)
    assert "127.0.0.1" not in counter.content()

    # Weeks later (after Tết) the dossier is past its date; the chair changes the one-time password
    # and opens the leader's view, which lists it as overdue.
    with clock.pinned(dt.datetime(2026, 3, 9, 9, 0, tzinfo=VN)):
        assert dossier.is_overdue(clock.now())
        leader = _context(browser)
        _login(leader, live_server, "chutich", leader_one_time)
        expect(leader.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
        leader.get_by_label("Mật khẩu hiện tại").fill(leader_one_time)
        leader.get_by_label("Mật khẩu mới", exact=True).fill(LEADER_PASSWORD)
        leader.get_by_label("Nhập lại mật khẩu mới").fill(LEADER_PASSWORD)
        leader.get_by_role("button", name="Đổi mật khẩu").click()
        expect(leader.get_by_role("heading", name="Đã đổi mật khẩu")).to_be_visible()
        leader.get_by_role("navigation", name="Điều hướng").get_by_role("link", name="Tổng quan").click()
        expect(leader).to_have_url(f"{live_server.url}/ho-so/tong-quan/")
        expect(leader.get_by_test_id("overdue-count")).to_have_text("1")
        overdue = leader.locator("section", has=leader.get_by_role("heading", name="Hồ sơ quá hạn (1)"))
        expect(overdue.get_by_role("link", name=dossier.code)).to_be_visible()
        expect(overdue.get_by_text("Nguyễn Văn An")).to_be_visible()
        _shoot(leader, "8-leader-overview")
        violations = axe_scan(leader)
        assert not violations, axe_report(violations)
