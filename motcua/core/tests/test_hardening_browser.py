"""Issue 7 §3.10 in Chromium: under the Content-Security-Policy the pages still work (htmx search,
the print button, the printed form's @page style) and the browser reports no violation."""

import pytest
from playwright.sync_api import expect

from motcua.dossiers.models import Dossier
from motcua.testing import land_procedure, make_commune, make_staff

pytestmark = pytest.mark.browser

# Runs before the page's own scripts (DevTools protocol, not governed by the page's policy).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
  e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber));
window.print = () => { window.__printed = (window.__printed || 0) + 1; };
"""


def test_pages_work_under_the_policy_without_any_violation(live_server, browser):
    commune = make_commune()
    make_staff(commune)
    land = land_procedure()
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    visited: list[str] = []

    def violations() -> list[str]:
        return page.evaluate("window.__csp || []")

    try:
        page.goto(f"{live_server.url}/")
        visited.append(page.url)
        assert violations() == []
        page.goto(f"{live_server.url}/dang-nhap/")
        page.get_by_label("Tên đăng nhập").fill("motcua")
        page.get_by_label("Mật khẩu").fill("matkhau-thu-nghiem")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
        assert violations() == []

        # htmx (vendored) runs: the procedure search fills the results as the officer types.
        page.goto(f"{live_server.url}/ho-so/tiep-nhan/")
        page.get_by_label("Tìm thủ tục").fill("giay chung nhan")
        page.locator("#procedure-results a", has_text="quyền sử dụng đất").first.click()
        page.get_by_label("Họ và tên").fill("Trần Thị Bích")
        page.get_by_label("Số điện thoại").fill("0905111222")
        for box in page.locator("input[name=checklist]").all():
            box.check()
        assert violations() == []
        page.get_by_role("button", name="Tiếp nhận").first.click()
        expect(page.get_by_text("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")).to_be_visible()
        assert Dossier.objects.filter(procedure=land).exists()

        # The printed form: its @page style (nonce) applies, and the print button works.
        assert page.evaluate(
            "[...document.styleSheets].some(s => { try { return [...s.cssRules].some("
            "r => r.type === CSSRule.PAGE_RULE && r.cssText.toLowerCase().includes('size: a5')) }"
            " catch (e) { return false } })"
        ), "the @page rule with the nonce is applied"
        page.get_by_role("button", name="In phiếu").click()
        assert page.evaluate("window.__printed") == 1
        assert violations() == []
        assert not [m for m in console if "Content Security Policy" in m], console
    finally:
        context.close()
