"""Shared pytest setup for the whole suite (pytest-django; settings from pyproject.toml).

Markers (declared in pyproject.toml, --strict-markers is on):

- ``@pytest.mark.postgres`` — needs a real PostgreSQL server (locking, concurrency, durability).
  Skipped, with the reason shown, when the configured database is not PostgreSQL. tools/test runs
  the suite a second time on a throwaway PostgreSQL with MOTCUA_REQUIRE_POSTGRES=1: then these
  tests are never skipped — a skip (from any cause) is turned into a failure, and the run refuses
  to start at all if DATABASE_URL is not PostgreSQL.
- ``@pytest.mark.browser`` — drives Debian's Chromium through Playwright. Added automatically to
  every test that uses the ``browser``, ``page`` or ``axe_scan`` fixtures, so
  ``-m "not browser"`` always leaves them out. Browser tests run last (see below).

Browser fixtures: ``browser`` (session), ``page`` (per test: fresh context in vi-VN /
Asia/Ho_Chi_Minh, screenshot saved to var/screenshots/<test name>.png at teardown) and
``axe_scan`` (call ``axe_scan(page)`` to get axe-core's serious/critical violations).

A browser test normally takes pytest-django's ``live_server`` fixture; that fixture already
gives the test transactional database access (``transactional_db``), which is what lets the
server thread see rows the test created — no ``django_db`` marker is needed with it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent
SCREENSHOT_DIR = ROOT / "var" / "screenshots"
DEFAULT_AXE_JS = ROOT / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# The background-networking flags matter here: the machine has no network but the package
# registries, and without them Chromium keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BROWSER_FIXTURES = {"browser", "page", "axe_scan"}
AXE_BLOCKING_IMPACTS = {"serious", "critical"}


# --------------------------------------------------------------------------------------------
# postgres marker
# --------------------------------------------------------------------------------------------


def _require_postgres() -> bool:
    return os.environ.get("MOTCUA_REQUIRE_POSTGRES") == "1"


def _database_is_postgres() -> bool:
    from django.conf import settings

    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


def pytest_sessionstart(session: pytest.Session) -> None:
    if _require_postgres() and not _database_is_postgres():
        raise pytest.UsageError(
            "MOTCUA_REQUIRE_POSTGRES=1 but the configured database is not PostgreSQL: "
            "set DATABASE_URL=postgres://… (tools/pg.sh does) or unset MOTCUA_REQUIRE_POSTGRES."
        )


def pytest_itemcollected(item: pytest.Item) -> None:
    # Runs before -m selection, so `-m "not browser"` also leaves out unmarked tests using `page`.
    if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.browser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _require_postgres() and not _database_is_postgres():
        skip = pytest.mark.skip(
            reason="needs PostgreSQL (DATABASE_URL is not postgres://…); tools/test runs it on a real server"
        )
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)
    # Browser tests go last (a stable sort keeps pytest-django's ordering otherwise). Once the
    # session-wide Playwright driver is started, its event loop counts as "running" in the main
    # thread for the rest of the session; keeping the other tests before it means they run
    # exactly as they would without any browser test.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if (
        _require_postgres()
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("postgres")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"postgres-marked test was skipped during the PostgreSQL run "
            f"(MOTCUA_REQUIRE_POSTGRES=1), which is not allowed. Skip reason: {reason}"
        )
    return report


# --------------------------------------------------------------------------------------------
# browser fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright's sync API (one for the session)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests use Debian's chromium (tools/test installs it with "
            "apt-get install chromium). Playwright's own browser download does not work here."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio event loop in this (the test) thread, so Django sees
    # a "running event loop" and raises SynchronousOnlyOperation on any ORM call from the test
    # (creating users, fixtures, transactional_db's flush at teardown). The test code itself is
    # plain synchronous code, so Django's documented escape hatch is the standard remedy. It is
    # set for the rest of the session because the loop stays "running" until Playwright stops.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page in a new context (vi-VN, Asia/Ho_Chi_Minh); screenshot kept at teardown."""
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        try:
            if not new_page.is_closed():
                SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^\w.\-\[\]]+", "_", request.node.name)
                new_page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
        finally:
            context.close()


@pytest.fixture
def axe_scan() -> Callable[..., list[dict[str, Any]]]:
    """``axe_scan(page)`` → axe-core violations of impact serious or critical (list of dicts).

    axe-core comes from the npm registry (tools/test: ``npm install --prefix var/node axe-core@4``);
    MOTCUA_AXE_JS may point to another axe.min.js.
    """
    path = Path(os.environ.get("MOTCUA_AXE_JS") or DEFAULT_AXE_JS)
    if not path.is_file():
        pytest.fail(
            f"axe-core not found at {path}: run tools/test, or npm install --prefix var/node axe-core@4"
        )
    source = path.read_text(encoding="utf-8")

    def scan(target_page: Any, *, context: Any = None, options: dict[str, Any] | None = None) -> list[dict]:
        if not target_page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Run through the DevTools protocol, which the page's Content-Security-Policy does not
            # govern: an inline <script> tag (add_script_tag) is refused by script-src 'self'.
            target_page.evaluate(f"() => {{ {source}\n}}")
        results = target_page.evaluate(
            "([context, options]) => axe.run(context || document, options || {})",
            [context, options or {"resultTypes": ["violations"]}],
        )
        return [v for v in results["violations"] if v.get("impact") in AXE_BLOCKING_IMPACTS]

    return scan


def format_axe_violations(violations: list[dict[str, Any]]) -> str:
    """A readable assertion message: one line per violation and the first offending nodes."""
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} — {v['help']} ({v.get('helpUrl', '')})")
        for node in v.get("nodes", [])[:5]:
            lines.append(f"    {node.get('target')}: {node.get('html', '')[:160]}")
    return "\n".join(lines)


@pytest.fixture
def axe_report() -> Callable[[list[dict[str, Any]]], str]:
    """``axe_report(violations)`` → readable text, for ``assert not v, axe_report(v)``."""
    return format_axe_violations


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Per-process caches (calendar, catalogue for receipts) are cleared by signals on a change,
    but a rolled-back test transaction sends no signal: start every test with them empty."""
    from django.core.cache import cache

    from motcua.calendar.selectors import _forget as forget_calendars
    from motcua.catalog.selectors import _forget_procedures

    forget_calendars()
    _forget_procedures()
    cache.clear()  # e.g. the alerts' detection throttle, keyed by commune code (the same in every test)
    yield
    forget_calendars()
    _forget_procedures()
