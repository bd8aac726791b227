"""A resident on a small phone: submits online with a volunteer's help, follows the draft, and
every residents' page passes axe-core with no serious or critical violation."""

import pytest
from playwright.sync_api import expect

from motcua.catalog.services import catalog_load_starter
from motcua.dossiers.models import Dossier
from motcua.testing import make_commune

pytestmark = pytest.mark.browser


def test_resident_submits_online_on_a_phone(live_server, page, axe_scan, axe_report):
    make_commune()
    catalog_load_starter()
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/", "/tra-cuu/", "/nop-truc-tuyen/"):
        page.goto(live_server.url + path)
        violations = axe_scan(page)
        assert not violations, (path, axe_report(violations))
    page.goto(live_server.url + "/nop-truc-tuyen/")
    page.get_by_role("link", name="Chứng thực bản sao từ bản chính").first.click()
    page.get_by_label("Nộp tại xã/phường").select_option(label="Phường Thanh Khê, Thành phố Đà Nẵng")
    page.get_by_label("Họ và tên").fill("Hồ Thị Lài")
    page.get_by_label("Số điện thoại").fill("0905 246 810")
    for field in page.locator("[name^=f_]").all():
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(index=1)
        elif field.get_attribute("required") is not None:
            field.fill("12/03/2026" if "dd/mm/yyyy" in (field.get_attribute("placeholder") or "") else "3")
    page.get_by_label("Có tình nguyện viên giúp tôi nộp hồ sơ").check()
    page.get_by_label("Tên tình nguyện viên (nếu có)").fill("Đội thanh niên tình nguyện phường")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.get_by_role("button", name="Gửi hồ sơ").click()
    expect(page.get_by_role("heading", name="Đã gửi hồ sơ")).to_be_visible()  # the code on screen
    d = Dossier.objects.get()
    expect(page.get_by_test_id("reference")).to_have_text(d.code)
    page.get_by_role("link", name="Xem tình trạng hồ sơ").click()
    expect(page.get_by_role("heading", name=f"Hồ sơ {d.code}")).to_be_visible()
    expect(page.get_by_test_id("state")).to_have_text("Chưa tiếp nhận")
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    assert d.assisted_by_volunteer and d.volunteer_name == "Đội thanh niên tình nguyện phường"
    assert d.applicant_phone == "0905246810"
