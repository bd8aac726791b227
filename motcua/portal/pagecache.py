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

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation

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
