"""The issue's end-to-end story, in Chromium, as new users would do it:

a counter officer receives a birth registration (done on the spot) and a first land-use
certificate (20 working days) on 10/02/2026 — the due date skips Tết 16–20/02/2026; the
specialist asks for supplementation and the clock restarts on resubmission; the leader
approves; the result is returned; the resident looks it up on a phone-sized screen by code +
phone digits and sees every step.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from motcua.catalog.services import catalog_load_starter
from motcua.core import clock
from motcua.dossiers.models import Dossier, State
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.browser
VN = ZoneInfo("Asia/Ho_Chi_Minh")
SHOTS = "var/screenshots"


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=VN)


def open_as(browser, live_server, username):
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    return page


def do_action(page, label, fill=None, select=None):
    box = page.locator("details", has=page.locator(f"summary:text-is('{label}')"))
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for field, value in (fill or {}).items():
        box.get_by_label(field).fill(value)
    for field, option in (select or {}).items():
        box.get_by_label(field).select_option(label=option)
    box.get_by_role("button", name=label).click()


BIRTH_FORM = {
    "ho_ten_tre": "Nguyễn Minh Khang",
    "ngay_sinh": "02/02/2026",
    "noi_sinh": "Bệnh viện Phụ sản - Nhi Đà Nẵng",
    "dan_toc": "Kinh",
    "quoc_tich": "Việt Nam",
    "ho_ten_me": "Lê Thị Thu",
    "so_dinh_danh_me": "048196001234",
}
BIRTH_CHOICES = {"gioi_tinh": "Nam", "quan_he_nguoi_di_dang_ky": "Cha"}
LAND_FORM = {
    "ho_ten": "Trần Thị Bích",
    "so_dinh_danh": "048185004321",
    "dia_chi_thua_dat": "Kiệt 25 Hà Huy Tập, tổ 12",
    "dien_tich": "72.5",
    "nguon_goc": "Nhận chuyển nhượng năm 1998, sử dụng ổn định, không tranh chấp",
}
LAND_CHOICES = {"muc_dich_su_dung": "Đất ở"}


def intake(page, live_server, search, pick, name, phone, form, choices):
    page.goto(f"{live_server.url}/ho-so/tiep-nhan/")
    page.get_by_label("Tìm thủ tục").fill(search)
    page.locator("#procedure-results a", has_text=pick).first.click()
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Địa chỉ", exact=True).fill("25 Hà Huy Tập, tổ 12, phường Thanh Khê")
    for key, value in form.items():
        page.locator(f"[name=f_{key}]").fill(value)
    for key, value in choices.items():
        page.locator(f"[name=f_{key}]").select_option(label=value)
    for box in page.locator("input[name=checklist]").all():
        box.check()
    page.get_by_role("button", name="Tiếp nhận — in Phiếu hẹn (Mẫu 01)").click()
    expect(page.get_by_role("heading", name="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")).to_be_visible()


def test_birth_and_land_dossiers_from_counter_to_resident(live_server, browser, page, axe_scan, axe_report):
    ward = make_commune()
    staff = make_staff(ward)
    catalog_load_starter()
    try:
        clock.pin(at("10/02/2026", "08:30"))
        counter = open_as(browser, live_server, staff["counter"].username)

        intake(
            counter,
            live_server,
            "dang ky khai sinh",
            "Đăng ký khai sinh",
            "Nguyễn Văn An",
            "0905111222",
            BIRTH_FORM,
            BIRTH_CHOICES,
        )
        expect(counter.get_by_test_id("due-date")).to_have_text("10/02/2026")
        birth = Dossier.objects.get(procedure__code="1.001193")
        counter.goto(f"{live_server.url}/ho-so/{birth.pk}/")
        do_action(
            counter, "Giải quyết ngay", {"Kết quả (ví dụ: số giấy chứng nhận)": "Giấy khai sinh số 15/2026"}
        )
        do_action(counter, "Trả kết quả")
        birth.refresh_from_db()
        assert birth.state == State.RETURNED

        intake(
            counter,
            live_server,
            "cap giay chung nhan lan dau ho gia dinh",
            "lần đầu",
            "Trần Thị Bích",
            "0935123789",
            LAND_FORM,
            LAND_CHOICES,
        )
        # 20 working days from 10/02/2026, Tết (16–20/02/2026) not counted.
        expect(counter.get_by_test_id("due-date")).to_have_text("17/03/2026")
        counter.screenshot(path=f"{SHOTS}/e2e_mau01_land.png", full_page=True)
        land = Dossier.objects.get(procedure__code="1.013978")
        counter.goto(f"{live_server.url}/ho-so/{land.pk}/")
        do_action(counter, "Chuyển phòng chuyên môn")

        clock.pin(at("11/02/2026"))
        head = open_as(browser, live_server, staff["head_econ"].username)
        head.goto(f"{live_server.url}/ho-so/viec-cua-toi/?pham_vi=department")
        head.get_by_role("link", name=land.code).click()
        do_action(
            head,
            "Phân công xử lý",
            select={"Cán bộ xử lý": f"{staff['specialist_econ'].display_name} — Chuyên viên"},
        )

        clock.pin(at("12/02/2026"))
        specialist = open_as(browser, live_server, staff["specialist_econ"].username)
        specialist.goto(f"{live_server.url}/ho-so/viec-cua-toi/")
        specialist.get_by_role("link", name=land.code).click()
        do_action(
            specialist,
            "Yêu cầu bổ sung",
            {
                "Giấy tờ cần bổ sung (mỗi dòng một giấy tờ)": "Bản vẽ sơ đồ thửa đất\nBiên bản xác định ranh giới"
            },
        )
        expect(
            specialist.get_by_role("heading", name="PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
        ).to_be_visible()

        clock.pin(at("24/02/2026", "10:00"))
        counter.goto(f"{live_server.url}/ho-so/{land.pk}/")
        do_action(counter, "Tiếp nhận hồ sơ")
        # The clock restarted from zero on 24/02/2026: 20 working days → 24/03/2026.
        expect(counter.get_by_test_id("due-date")).to_have_text("24/03/2026")
        counter.goto(f"{live_server.url}/ho-so/{land.pk}/")
        do_action(counter, "Chuyển phòng chuyên môn")

        clock.pin(at("10/03/2026"))
        specialist.goto(f"{live_server.url}/ho-so/{land.pk}/")
        do_action(specialist, "Trình phê duyệt")

        leader = open_as(browser, live_server, staff["leader"].username)
        leader.goto(f"{live_server.url}/ho-so/cho-phe-duyet/")
        leader.get_by_role("link", name=land.code).click()
        do_action(leader, "Phê duyệt kết quả", {"Kết quả (ví dụ: số giấy chứng nhận)": "GCN số CS 123456"})
        leader.screenshot(path=f"{SHOTS}/e2e_leader_detail.png", full_page=True)

        clock.pin(at("11/03/2026"))
        counter.goto(f"{live_server.url}/ho-so/{land.pk}/")
        do_action(counter, "Trả kết quả")
        land.refresh_from_db()
        assert land.state == State.RETURNED and not land.is_overdue(at("11/03/2026"))
        counter.goto(f"{live_server.url}/ho-so/{land.pk}/mau/05/")
        expect(
            counter.get_by_role("heading", name="PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ")
        ).to_be_visible()
        counter.screenshot(path=f"{SHOTS}/e2e_mau05.png", full_page=True)
    finally:
        clock.pin(None)

    # The resident, on a phone-sized screen, without an account.
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/tra-cuu/")
    page.get_by_label("Mã hồ sơ").fill(land.code)
    page.get_by_label("4 số cuối điện thoại").fill("3789")
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.get_by_test_id("state")).to_have_text("Đã trả kết quả")
    steps = page.locator(".timeline li").all_inner_texts()
    joined = "\n".join(steps)
    for step in ("Đã tiếp nhận hồ sơ", "Phân công cán bộ xử lý", "Yêu cầu bổ sung hồ sơ", "Bản vẽ sơ đồ thửa đất",
                 "Trình lãnh đạo phê duyệt", "Lãnh đạo đã phê duyệt, có kết quả", "Đã trả kết quả"):  # fmt: skip
        assert step in joined, step
    assert len(steps) == 9
    assert "24/02/2026" in joined and "10/02/2026" in joined
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
