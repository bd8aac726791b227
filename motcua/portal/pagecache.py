"""The residents' status page, rendered once per process for each state of a dossier.

The status lookup is the most requested page and its template costs more CPU than the rest of the
request (docs/performance.md, "Issue 7"). A page is kept here under the dossier's `version`: every
value the page shows, read in the same statement that counts the client's attempt and checks the
code's lockout (`selectors.resident_lookup`), plus the language and time zone it was rendered in.
A step, a new due date or a renamed procedure changes the version, so the next lookup misses and
renders the new state: no invalidation message between workers is needed and no page is ever
stale. The limiter, the lockout and the second factor run on every lookup before the cache is
consulted; the cache holds only the page's body, so the middleware still adds its headers (CSP,
no-store, security headers) and gzip to each response.

Only pages for anonymous residents without pending messages are kept (no session or messages
cookie): a signed-in user's page carries the staff navigation and flash messages.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.html import escape

if TYPE_CHECKING:
    from .selectors import PublicStatus, ResidentStep

MAX_PAGES = 4096  # ~1.4 KB of page + its key each: a few MB per worker at most

_pages: OrderedDict[Hashable, bytes] = OrderedDict()
_lock = threading.Lock()


def cacheable(request: HttpRequest) -> bool:
    """An anonymous resident's request that no message can be waiting for."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def page(version: tuple[object, ...], render: Callable[[], bytes]) -> bytes:
    """The page for `version` in the active language and time zone: kept, or `render()`ed."""
    key = (version, translation.get_language(), timezone.get_current_timezone_name())
    with _lock:
        body = _pages.get(key)
        if body is not None:
            _pages.move_to_end(key)
            return body
    body = render()
    with _lock:
        _pages[key] = body
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)
    return body


def clear() -> None:
    with _lock:
        _pages.clear()


# ---- the page without the template engine ----------------------------------------------------
# The status page's layout (core/base.html through portal/_resident_base.html) is the same for
# every anonymous resident: it is rendered once per process, language and time zone by the
# template itself, and only the dossier's part (portal/status.html's content block) is written
# here. test_lookup_cache.py checks that the two give the same bytes for every kind of dossier.

_MARK = "\x00MOTCUA-CODE\x00"
_shells: dict[tuple[str, str], tuple[str, str]] = {}


def _shell(request: HttpRequest) -> tuple[str, str]:
    """The page before and after the dossier's part, with _MARK where the title's code goes."""
    key = (translation.get_language(), timezone.get_current_timezone_name())
    shell = _shells.get(key)
    if shell is None:
        from django.template.loader import render_to_string

        from .selectors import PublicStatus

        probe = PublicStatus(
            code=_MARK, state="RECEIVED", applicant_name="", due_at=None, extended_due_at=None,
            supplement_items=[], procedure=SimpleNamespace(name=""), commune=SimpleNamespace(name=""), steps=[],
        )  # fmt: skip
        html = render_to_string("portal/status.html", {"d": probe, "steps": []}, request)
        start = html.index('\n<section class="card">\n<h1>')  # where the content block begins
        end = html.index("\n</main>")
        shell = _shells[key] = (html[:start], html[end:])
    return shell


def _date(value: dt.datetime, fmt: str) -> str:
    return escape(date_format(timezone.localtime(value), fmt))


def render_status(request: HttpRequest, d: PublicStatus, steps: list[ResidentStep]) -> bytes:
    """portal/status.html for an anonymous resident without messages (see `cacheable`)."""
    head, tail = _shell(request)
    code = escape(d.code) if d.code else ""
    out = [head.replace(_MARK, code or "trực tuyến", 1), '\n<section class="card">\n<h1>']
    out.append(f"Hồ sơ {code}" if d.code else "Hồ sơ nộp trực tuyến")
    out.append(
        f'</h1>\n<p class="state-now">Tình trạng: <strong data-testid="state">{escape(d.get_state_display())}'
        f'</strong></p>\n<dl class="facts">\n  <dt>Thủ tục</dt><dd>{escape(d.procedure.name)}</dd>\n'
        f"  <dt>Người nộp</dt><dd>{escape(d.applicant_name)}</dd>\n"
        f"  <dt>Nơi giải quyết</dt><dd>{escape(d.commune.name)}</dd>\n  "
    )
    if d.effective_due_at:
        out.append(f"<dt>Ngày hẹn trả</dt><dd><strong>{_date(d.effective_due_at, 'd/m/Y')}</strong></dd>")
    out.append("\n  ")
    if d.supplement_items and d.state == "SUPPLEMENT_REQUESTED":
        items = "".join(f"<li>{escape(i)}</li>" for i in d.supplement_items)
        out.append(f"<dt>Cần bổ sung</dt><dd><ul>{items}</ul></dd>")
    out.append("\n</dl>\n")
    if not d.code:
        out.append(
            '<p class="hint">Hãy lưu lại địa chỉ trang này để theo dõi. Khi cán bộ tiếp nhận, hồ sơ sẽ có mã'
            " và ngày hẹn trả.</p>"
        )
    out.append('\n</section>\n<section class="card">\n<h2>Các bước đã làm</h2>\n<ol class="timeline">\n')
    for s in steps:
        note = f"<br>{escape(s.note)}" if s.note else ""
        out.append(f"<li><strong>{_date(s.at, 'd/m/Y H:i')}</strong> — {escape(s.label)}{note}</li>\n")
    if not steps:
        out.append("<li>Hồ sơ đã được gửi, đang chờ cán bộ kiểm tra và tiếp nhận.</li>")
    out.append("\n</ol>\n</section>\n")
    out.append(tail)
    return "".join(out).encode()
