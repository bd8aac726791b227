"""gunicorn hooks of `motcua serve`: the background task worker runs beside the web workers.

The register merge runs as a task (django-tasks, queued in the database). `motcua serve` starts
one `motcua db_worker` process when gunicorn's master starts and stops it when the master exits,
so a ward's single machine needs one service. MOTCUA_TASK_WORKER=0 leaves it out, for an
installation that runs `motcua db_worker` as its own service (docs/operations.md).

The workers are uvicorn's (`Worker` below) serving motcua.config.asgi: the event streams are
asyncio tasks, the pages run Django's WSGI handler in a thread pool (docs/decisions.md). uvicorn's
own access log (it prints query strings) is off; motcua.config.asgi writes gunicorn's line, path
only, to the `motcua.access` logger, which goes to gunicorn's access log handlers. uvicorn does not
rewrite the client's address from X-Forwarded-For (proxy_headers off): REMOTE_ADDR is the socket's
address, as under a sync gunicorn worker, and motcua.core.ratelimit.client_key reads the trusted
proxy header itself (MOTCUA_TRUSTED_PROXY_HEADER).

The access log goes through `RedactingLogger`: the QR secret of a resident's status link
(`/tra-cuu/<code>/<secret>/`) and second factors in a query string are masked in every field
(request line, path, query, referer, headers), whatever access-log format is configured.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

from gunicorn.glogging import Logger
from uvicorn_worker import UvicornWorker

from motcua.portal.redact import redact

_worker: subprocess.Popen[bytes] | None = None


def worker_argv() -> list[str]:
    # No autoreload: it forks a child that SIGTERM to the parent would leave behind.
    return [sys.executable, "-m", "motcua.cli", "db_worker", "--interval", "1", "--no-reload"]


def on_starting(server: Any) -> None:
    global _worker
    if os.environ.get("MOTCUA_TASK_WORKER", "1") == "0":
        server.log.info("MOTCUA_TASK_WORKER=0: no task worker started")
        return
    _worker = subprocess.Popen(worker_argv())  # noqa: S603 - our own interpreter and module
    server.log.info("task worker started (pid %s)", _worker.pid)


def on_exit(server: Any) -> None:
    global _worker
    if _worker is None or _worker.poll() is not None:
        return
    _worker.terminate()  # the worker finishes its current task first (SIGTERM is graceful)
    try:
        _worker.wait(timeout=25)
    except subprocess.TimeoutExpired:
        _worker.kill()
    server.log.info("task worker stopped")
    _worker = None


class RedactingLogger(Logger):
    """gunicorn's logger with residents' secrets masked in the access log's atoms."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: redact(v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = RedactingLogger


class Worker(UvicornWorker):
    """uvicorn under gunicorn: no uvicorn access log, no proxy-header rewriting (see above)."""

    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        "lifespan": "off",
        "access_log": False,
        "proxy_headers": False,
        # On stop, open event streams are cut after this many seconds (the browsers reconnect to
        # the next server with Last-Event-ID) instead of holding the stop for gunicorn's 30 s.
        "timeout_graceful_shutdown": 5,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        access = logging.getLogger("motcua.access")
        access.handlers = self.log.access_log.handlers
        access.setLevel(self.log.access_log.level)
        access.propagate = False
