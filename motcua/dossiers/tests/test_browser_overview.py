"""In Chromium: the counter finds an old overdue dossier typed without diacritics and sees the
dossiers waiting for supplementation; the leader reads the ward-wide overview; at 200 % zoom
(683 px wide) no staff page scrolls sideways."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.dossiers.workflow import Action, dossier_apply
from motcua.geo.models import Province
from motcua.org.models import Role, User

pytestmark = pytest.mark.browser
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=VN)
SHOTS = "var/screenshots"
ZOOM_200 = {"width": 683, "height": 768}


def intake(staff, procedure, name, phone, *, when, outcome="receive", missing=()):
    return dossier_intake(
        actor=staff["counter"], procedure=procedure, applicant=Applicant(name=name, phone=phone, citizen_id="048185004321"),
        form_data={}, checklist_ticked=[i.id for i in procedure.checklist.all()], outcome=outcome,
        missing_items=missing, now=when,
    )  # fmt: skip


@pytest.fixture
def ward_story(staff, land, birth):
    old = intake(staff, land, "Nguyễn Thị Đào", "0912345678", when=NOW - dt.timedelta(days=90))
    old = dossier_apply(
        dossier=old, action=Action.TRANSFER, actor=staff["counter"], now=NOW - dt.timedelta(days=89)
    )
    old = dossier_apply(dossier=old, action=Action.ASSIGN, actor=staff["head_econ"],
                        data={"assignee_id": staff["specialist_econ"].pk}, now=NOW - dt.timedelta(days=88))  # fmt: skip
    soon = intake(staff, land, "Lê Văn Sắp", "0905000222", when=NOW - dt.timedelta(days=1))
    soon = dossier_apply(
        dossier=soon, action=Action.TRANSFER, actor=staff["counter"], now=NOW - dt.timedelta(hours=20)
    )
    Dossier.objects.filter(pk=soon.pk).update(due_at=NOW + dt.timedelta(days=1))
    waiting = intake(staff, land, "Phạm Thị Bổ Sung", "0905000333", when=NOW - dt.timedelta(days=3),
                     outcome="supplement", missing=["Sơ đồ thửa đất", "Bản sao giấy nộp tiền"])  # fmt: skip
    return {"old": old, "soon": soon, "waiting": waiting}


def open_as(browser, live_server, username, viewport=None):
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  viewport=viewport or {"width": 1280, "height": 900})  # fmt: skip
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    return page


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: the page is {width[0]} px wide in a {width[1]} px window"


def test_counter_search_supplements_and_the_leaders_overview(browser, live_server, staff, ward_story):
    old = ward_story["old"]
    clock.pin(NOW)
    try:
        counter = open_as(browser, live_server, "motcua")
        counter.goto(f"{live_server.url}/ho-so/tiep-nhan/")
        counter.get_by_label("Tìm hồ sơ").fill("nguyen thi dao")
        counter.get_by_role("button", name="Tìm", exact=True).click()
        row = counter.locator("tr", has_text=old.code)
        expect(row).to_contain_text("Nguyễn Thị Đào")
        expect(row).to_contain_text("Quá hạn")
        expect(row).to_contain_text("********78")
        counter.screenshot(path=f"{SHOTS}/counter_search.png", full_page=True)
        counter.get_by_label("Tìm hồ sơ").fill(old.code)
        counter.get_by_role("button", name="Tìm", exact=True).click()
        expect(counter.locator("tbody tr")).to_have_count(1)
        counter.get_by_role("link", name=old.code).click()
        expect(counter.get_by_test_id("applicant-phone")).to_have_text("0912345678")

        counter.goto(f"{live_server.url}/ho-so/tiep-nhan/")
        counter.get_by_role("link", name="Hồ sơ chờ bổ sung (1)").click()
        expect(counter.locator("tbody tr", has_text="Phạm Thị Bổ Sung")).to_contain_text("Sơ đồ thửa đất")
        counter.screenshot(path=f"{SHOTS}/counter_supplements.png", full_page=True)

        leader = open_as(browser, live_server, "chutich")
        leader.get_by_role("link", name="Tổng quan").click()
        expect(leader.get_by_role("heading", level=1)).to_have_text("Tổng quan hồ sơ — Phường Thanh Khê")
        expect(leader.get_by_test_id("overdue-count")).to_have_text("1")
        overdue = leader.locator("section", has=leader.get_by_role("heading", name="Hồ sơ quá hạn (1)"))
        expect(overdue.locator("tbody tr")).to_contain_text(old.code)
        soon = leader.locator("section", has=leader.get_by_role("heading", name="Hồ sơ sắp đến hạn (1)"))
        expect(soon.locator("tbody tr")).to_contain_text("Lê Văn Sắp")
        officers = leader.locator(
            "section", has=leader.get_by_role("heading", name="Hồ sơ đang giải quyết theo cán bộ")
        )
        expect(officers).to_contain_text(staff["specialist_econ"].display_name)
        leader.screenshot(path=f"{SHOTS}/leader_overview.png", full_page=True)
    finally:
        clock.pin(None)


def test_at_200_percent_zoom_staff_pages_do_not_scroll_sideways(browser, live_server, staff, ward_story):
    old = ward_story["old"]
    province = Province.objects.get(code=48)
    User.objects.create_user(username="tinh", password="matkhau-thu-nghiem", full_name="Cán bộ Sở Nội vụ",
                             role=Role.PROVINCE_OFFICER, province=province)  # fmt: skip
    pages = {
        "motcua": ["/ho-so/tiep-nhan/", "/ho-so/tim-kiem/?q=nguyen", "/ho-so/cho-bo-sung/", "/ho-so/so-theo-doi/?q=" + old.code,
                   f"/ho-so/{old.pk}/", "/ho-so/viec-cua-toi/"],
        "chutich": ["/ho-so/tong-quan/", "/ho-so/cho-phe-duyet/"],
        "tp_kinhte": ["/ho-so/tong-quan/", "/ho-so/viec-cua-toi/?pham_vi=department"],
        "tinh": ["/ho-so/tong-quan/"],
    }  # fmt: skip
    clock.pin(NOW)
    try:
        for username, urls in pages.items():
            page = open_as(browser, live_server, username, viewport=ZOOM_200)
            no_sideways_scroll(page)
            for url in urls:
                page.goto(f"{live_server.url}{url}")
                expect(page.locator("body")).to_be_visible()
                no_sideways_scroll(page)
                name = url.strip("/").replace("/", "_").replace("?", "_").replace("=", "-")[:60]
                page.screenshot(path=f"{SHOTS}/zoom200_{username}_{name}.png", full_page=True)
    finally:
        clock.pin(None)
