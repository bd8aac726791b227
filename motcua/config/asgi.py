"""The ASGI application of the stream server (motcua.config.streamserver, beside `motcua
serve`'s sync workers, which hand it the event streams; issue 8 §6), of the test fixture
`asgi_live_server`, and of the uvicorn workers one may choose instead
(`motcua serve -k motcua.config.gunicorn_conf.Worker`; measured, not the default: docs/decisions.md).

A small router in front of two Django handlers:

- the hall's event streams (`/api/queue/centers/<digits>/events`) go to Django's ASGI handler:
  the view is async, so an open stream is an asyncio task and never holds a thread;
- everything else goes to Django's WSGI handler through a2wsgi, in a pool of MOTCUA_THREADS
  threads per worker process: the pages keep the sync stack they were written for (Django's ASGI
  handler for every page measured 283 req/s against 984 through a2wsgi; docs/decisions.md).

uvicorn's own access log prints the query string (lookups carry phone digits in `?sdt=`), so
`motcua serve` turns it off and this router writes gunicorn's line itself, path only and with
residents' secrets redacted, to the `motcua.access` logger (gunicorn's access log handlers).
Lifespan events are answered (nothing to start: the event hub starts with its first stream).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.production")

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

from motcua.portal.redact import redact

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STREAM_PATH = re.compile(r"^/api/queue/centers/[0-9]{1,9}/events/?$")
access_log = logging.getLogger("motcua.access")


def is_stream(path: str) -> bool:
    return STREAM_PATH.match(path) is not None


class Router:
    def __init__(self, *, streams: ASGIApp, pages: ASGIApp) -> None:
        self.streams = streams
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # no WebSockets: the streams are server-sent events
            await send({"type": "websocket.close", "code": 1003})
            return
        app = self.streams if is_stream(scope.get("path", "")) else self.pages
        if not access_log.isEnabledFor(logging.INFO):
            await app(scope, receive, send)
            return
        started, seen = time.monotonic(), {"status": 0, "bytes": 0}

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, receive, logged_send)
        finally:
            access_log.info(access_line(scope, seen["status"], seen["bytes"], time.monotonic() - started))


def log_atom(text: str) -> str:
    """One atom of a log line: `scope["path"]` is percent-decoded, so a `%0A` in a request would
    be a real newline (a forged line) and `%22` a quote closing the request's field. Control and
    other non-printable characters (line separators, bidi overrides) become backslash escapes
    (`\\n`, `\\x00`, `\\u202e`), as do the quote and the backslash itself."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return text
    return "".join(_escape(c) for c in text)


def _escape(c: str) -> str:
    if c in '"\\':
        return "\\" + c
    if c.isprintable():
        return c
    return c.encode("unicode_escape").decode("ascii")  # \n, \x1b, \u2028 (never a raw control)


def access_line(scope: Scope, status: int, size: int, seconds: float) -> str:
    """gunicorn's `%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss`: the path without the query,
    each atom escaped (log_atom)."""
    client = scope.get("client") or ("-", 0)
    when = time.strftime("[%d/%b/%Y:%H:%M:%S %z]")
    method, path = log_atom(str(scope.get("method", "-"))), log_atom(str(scope.get("path", "")))
    request = f"{method} {path} HTTP/{log_atom(str(scope.get('http_version', '1.1')))}"
    return redact(f'{client[0]} {when} "{request}" {status} {size or "-"} {seconds:.6f}s')


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build(*, threads: int | None = None) -> Router:
    streams = get_asgi_application()  # sets Django up
    pages = WSGIMiddleware(get_wsgi_application(), workers=threads or settings.MOTCUA_THREADS)  # type: ignore[arg-type]
    return Router(streams=streams, pages=pages)  # type: ignore[arg-type]


application = build()
