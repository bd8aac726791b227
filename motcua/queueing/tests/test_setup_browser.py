"""The administrator sets up the hall in Chromium (1366×768): group E, quầy 6 serving E from
13:30 to 17:00, a kiosk token; every page axe-core clean."""

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from motcua.org.models import Role
from motcua.queueing.kiosks import kiosk_by_token
from motcua.queueing.models import Counter, CounterHours, ServiceGroup
from motcua.testing import make_commune, make_counter, make_service_groups, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_the_admin_sets_up_group_counter_hours_and_kiosk(live_server, page, axe_scan, axe_report):
    ward = make_commune()
    make_service_groups(ward)
    make_counter(ward, 1, "AB", officer=make_user(ward, Role.COUNTER_OFFICER, "motcua"))
    make_user(ward, Role.ADMIN, "quantri")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("quantri")
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(f"{live_server.url}/quan-tri/")
    page.get_by_role("link", name="Hàng chờ").click()

    # group E
    page.locator("#id_letter").fill("E")
    page.locator("#id_name").fill("Tư pháp - Chứng thực bản sao")
    page.get_by_role("button", name="Lập nhóm").click()
    expect(page.get_by_text("Đã lập nhóm E — Tư pháp - Chứng thực bản sao.")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-setup-groups-1366.png"), full_page=True)

    # quầy 6 serving E, 13:30–17:00
    page.get_by_role("link", name="Quầy và giờ phục vụ").click()
    page.locator("#id_number").fill("6")
    page.locator("#id_name").fill("Quầy tư pháp")
    page.locator("form[action$='/quay/'] fieldset").get_by_label("E — Tư pháp - Chứng thực bản sao").check()
    page.get_by_role("button", name="Lập quầy").click()
    expect(page.get_by_text("Đã lập quầy số 6.")).to_be_visible()
    card = page.locator("#quay-6")
    card.get_by_label("Từ", exact=True).fill("13:30")
    card.get_by_label("Đến", exact=True).fill("17:00")
    card.get_by_role("button", name="Thêm giờ cho quầy số 6").click()
    expect(page.locator("#quay-6").get_by_text("Nhóm E: 13:30–17:00")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.locator("#quay-6").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "queue-setup-counters-1366.png"), full_page=False)

    # a kiosk token, shown once
    page.get_by_role("link", name="Máy lấy số").click()
    page.get_by_label("Tên máy (để trống: «Máy lấy số»)", exact=True).fill("Máy cửa chính")
    page.get_by_role("button", name="Tạo mã máy lấy số").click()
    token = page.locator("#kiosk-token").inner_text()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
    page.screenshot(path=str(SHOTS / "queue-setup-kiosk-token-1366.png"), full_page=False)
    page.get_by_role("link", name="Về danh sách máy lấy số").click()
    expect(page.get_by_role("cell", name="Máy cửa chính", exact=True)).to_be_visible()
    assert token not in page.content()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)

    e = ServiceGroup.objects.get(commune=ward, letter="E")
    six = Counter.objects.get(commune=ward, number=6)
    assert list(six.groups.all()) == [e]
    hours = CounterHours.objects.filter(counter=six, group=e).values_list("starts", "ends").get()
    assert hours == (dt.time(13, 30), dt.time(17, 0))
    assert kiosk_by_token(token).name == "Máy cửa chính"
