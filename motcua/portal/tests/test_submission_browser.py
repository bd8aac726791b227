"""In Chromium: a resident on a phone submits online with a scan and gets the code on screen;
a resident's submission and a counter officer's intake rejected for one field still show the
scan attached, and are accepted once the field is fixed, without choosing the file again.
axe-core on every screen."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from motcua.catalog.services import catalog_load_starter
from motcua.dossiers.models import Dossier, DossierDocument
from motcua.dossiers.tests.test_documents import JPEG, PDF
from motcua.testing import make_commune, make_staff

pytestmark = pytest.mark.browser


SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@pytest.fixture
def uploads(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return tmp_path / "uploads"


@pytest.fixture
def new_page(browser):
    """A fresh context; axe-core is injected as an inline script, which the site's CSP forbids."""
    contexts = []

    def make(width, height):
        context = browser.new_context(
            locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport={"width": width, "height": height},
            bypass_csp=True,
        )  # fmt: skip
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def fill_declaration(page):
    for field in page.locator("[name^=f_]").all():
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(index=1)
        elif field.get_attribute("required") is not None:
            if "dd/mm/yyyy" in (field.get_attribute("placeholder") or ""):
                field.fill("02/02/2026")
            elif field.get_attribute("inputmode") == "numeric":
                field.fill("048090001111")
            else:
                field.fill("Nguyễn Minh Khang")


def test_resident_submits_with_a_scan_and_gets_the_code(
    live_server, new_page, axe_scan, axe_report, uploads, tmp_path
):
    make_commune()
    catalog_load_starter()
    page = new_page(360, 740)
    page.goto(live_server.url + "/nop-truc-tuyen/")
    page.get_by_role("link", name="Thủ tục đăng ký khai sinh").first.click()
    # The declaration is typed here, so its paper is not asked for.
    expect(page.get_by_text("không cần tải lên bản giấy")).to_be_visible()
    page.get_by_label("Nộp tại xã/phường").select_option(label="Phường Thanh Khê, Thành phố Đà Nẵng")
    page.get_by_label("Họ và tên").fill("Hồ Thị Lài")
    page.get_by_label("Số điện thoại").fill("0905 246 810")
    fill_declaration(page)
    scan = tmp_path / "giay-chung-sinh.jpg"
    scan.write_bytes(JPEG)
    page.locator("input[type=file]").first.set_input_files(str(scan))
    page.get_by_label("Điện thoại nhận tin nhắn").fill("0905246810")
    page.get_by_label("Thư điện tử").fill("lai@example.vn")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_role("button", name="Gửi hồ sơ").click()
    expect(page.get_by_role("heading", name="Đã gửi hồ sơ")).to_be_visible()
    d = Dossier.objects.get()
    assert d.code and d.code.startswith("H48.20209-")
    expect(page.get_by_test_id("reference")).to_have_text(d.code)
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "submission_done_phone.png"), full_page=True)
    assert (d.notify_phone, d.notify_email) == ("0905246810", "lai@example.vn")
    doc = DossierDocument.objects.get()
    assert (uploads / doc.storage_path).read_bytes() == JPEG
    page.get_by_role("link", name="Xem tình trạng hồ sơ").click()
    expect(page.get_by_test_id("state")).to_have_text("Chưa tiếp nhận")


def test_resident_submission_rejected_for_one_field_keeps_the_scan(
    live_server, new_page, axe_scan, axe_report, uploads, tmp_path
):
    make_commune()
    catalog_load_starter()
    page = new_page(360, 740)
    page.goto(f"{live_server.url}{reverse('portal:online_submit', args=['1.001193'])}")
    page.get_by_label("Nộp tại xã/phường").select_option(label="Phường Thanh Khê, Thành phố Đà Nẵng")
    page.get_by_label("Họ và tên").fill("Hồ Thị Lài")
    page.get_by_label("Số điện thoại").fill("0905 24")  # the one wrong field
    fill_declaration(page)
    scan = tmp_path / "giay-chung-sinh.jpg"
    scan.write_bytes(JPEG)
    page.locator("input[type=file]").first.set_input_files(str(scan))
    page.get_by_role("button", name="Gửi hồ sơ").click()
    expect(page.get_by_role("alert")).to_contain_text("Số điện thoại")
    attached = page.get_by_test_id("attached")
    expect(attached).to_contain_text("Đã đính kèm: giay-chung-sinh.jpg")
    expect(attached.get_by_role("checkbox")).to_be_checked()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "submission_kept_scan_phone.png"), full_page=True)
    assert not Dossier.objects.exists() and not (uploads.exists() and any(uploads.rglob("*.*")))
    page.get_by_label("Số điện thoại").fill("0905 246 810")
    page.get_by_role("button", name="Gửi hồ sơ").click()
    expect(page.get_by_role("heading", name="Đã gửi hồ sơ")).to_be_visible()
    doc = DossierDocument.objects.get()
    assert doc.original_name == "giay-chung-sinh.jpg" and (uploads / doc.storage_path).read_bytes() == JPEG


def test_intake_rejected_for_one_field_keeps_the_scan(
    live_server, new_page, axe_scan, axe_report, uploads, tmp_path
):
    ward = make_commune()
    catalog_load_starter()
    make_staff(ward)
    page = new_page(1280, 900)
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("motcua")
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    page.goto(f"{live_server.url}{reverse('dossiers:intake', args=['1.001193'])}")
    page.get_by_label("Họ và tên").fill("Trần Văn Bình")
    page.get_by_label("Số điện thoại").fill("12")  # the one wrong field
    fill_declaration(page)
    for box in page.locator("[name=checklist]").all():
        box.check()
    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(PDF)
    page.locator("input[type=file]").first.set_input_files(str(scan))
    page.get_by_role("button", name="Tiếp nhận — in Phiếu hẹn (Mẫu 01)").click()
    expect(page.get_by_role("alert")).to_contain_text("Số điện thoại")
    expect(page.get_by_test_id("attached")).to_contain_text("Đã đính kèm: to-khai.pdf")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "intake_kept_scan.png"), full_page=True)
    assert not DossierDocument.objects.exists()
    page.get_by_label("Số điện thoại").fill("0905111222")
    page.get_by_role("button", name="Tiếp nhận — in Phiếu hẹn (Mẫu 01)").click()
    expect(page.get_by_text("GIẤY TIẾP NHẬN HỒ SƠ")).to_be_visible()
    doc = DossierDocument.objects.get()
    assert doc.original_name == "to-khai.pdf" and (uploads / doc.storage_path).read_bytes() == PDF
