"""Smoke test of the browser tooling: Debian's Chromium via Playwright, live_server, axe-core.

`live_server` gives the test transactional database access by itself (pytest-django), so the
server thread and the test share committed data; no `django_db` marker is needed.
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_login_page_shows_heading_and_passes_axe(live_server, page, axe_scan, axe_report):
    page.goto(f"{live_server.url}/dang-nhap/")

    expect(page.get_by_role("heading", name="Đăng nhập cán bộ")).to_be_visible()
    violations = axe_scan(page)
    assert not violations, axe_report(violations)
