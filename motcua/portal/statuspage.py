"""The residents' status page written without the template engine (issue 7 §4).

The status lookup is the most requested page and its template cost more CPU than the rest of the
view (docs/performance.md, "Issue 7"). For an anonymous resident with no pending messages (no
session or messages cookie: a signed-in user's page carries the staff navigation and flash
messages, and goes through the template), the page's layout (core/base.html through
portal/_resident_base.html) is rendered once per process, language and time zone by the template
itself, and only the dossier's part (portal/status.html's content block) is written here in
Python. test_status_page_fast.py checks that both give the same bytes for every shape of the
page. The limiter, the lockout and the second factor have run before (selectors.resident_lookup);
the middleware adds its headers (CSP, no-store, security headers) and gzip as to any page.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.html import escape

if TYPE_CHECKING:
    from .selectors import PublicStatus, ResidentStep


def applies(request: HttpRequest) -> bool:
    """An anonymous resident's request that no message can be waiting for."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


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
    """portal/status.html for an anonymous resident without messages (see `applies`)."""
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
