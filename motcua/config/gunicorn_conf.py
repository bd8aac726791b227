"""gunicorn hooks of `motcua serve`: the background task worker runs beside the web workers.

The register merge runs as a task (django-tasks, queued in the database). `motcua serve` starts
one `motcua db_worker` process when gunicorn's master starts and stops it when the master exits,
so a ward's single machine needs one service. MOTCUA_TASK_WORKER=0 leaves it out, for an
installation that runs `motcua db_worker` as its own service (docs/operations.md).

The workers are gunicorn's sync workers serving Django's WSGI application, except that they hand
the hall's event streams to the stream server (motcua.config.handoff): this module starts that
process with the master (when the worker class is HandoffWorker) and tells the workers where it
listens (MOTCUA_STREAM_HANDOFF). The uvicorn workers (`Worker` below, serving motcua.config.asgi)
can be chosen instead with `-k motcua.config.gunicorn_conf.Worker` (docs/decisions.md). uvicorn's
own access log (it prints query strings) is off; motcua.config.asgi writes gunicorn's line, path
only, to the `motcua.access` logger. uvicorn does not rewrite the client's address from
X-Forwarded-For (proxy_headers off): REMOTE_ADDR is the socket's address, as under a sync gunicorn
worker, and motcua.core.ratelimit.client_key reads the trusted proxy header itself
(MOTCUA_TRUSTED_PROXY_HEADER).

The access log goes through `RedactingLogger`: the QR secret of a resident's status link
(`/tra-cuu/<code>/<secret>/`) and second factors in a query string are masked in every field
(request line, path, query, referer, headers), whatever access-log format is configured.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

from gunicorn.glogging import Logger
from uvicorn_worker import UvicornWorker

from motcua.config.handoff import HANDOFF_ENV
from motcua.portal.redact import redact

HANDOFF_WORKER = "motcua.config.handoff.HandoffWorker"

_worker: subprocess.Popen[bytes] | None = None


def worker_argv() -> list[str]:
    # No autoreload: it forks a child that SIGTERM to the parent would leave behind.
    return [sys.executable, "-m", "motcua.cli", "db_worker", "--interval", "1", "--no-reload"]


def on_starting(server: Any) -> None:
    global _worker
    _start_stream_server(server)
    if os.environ.get("MOTCUA_TASK_WORKER", "1") == "0":
        server.log.info("MOTCUA_TASK_WORKER=0: no task worker started")
        return
    _worker = subprocess.Popen(worker_argv())  # noqa: S603 - our own interpreter and module
    server.log.info("task worker started (pid %s)", _worker.pid)


def on_exit(server: Any) -> None:
    global _worker
    _stop(server, _streams, "stream server", timeout=10)
    if _stream_dir is not None:
        shutil.rmtree(_stream_dir, ignore_errors=True)
    # The task worker finishes its current task first (SIGTERM is graceful).
    _stop(server, _worker, "task worker", timeout=25)
    _worker = None


def _stop(server: Any, process: subprocess.Popen[bytes] | None, name: str, *, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
    server.log.info("%s stopped", name)


# The stream server (motcua.config.streamserver) beside the sync workers, when they are ours
# (motcua.config.handoff.HandoffWorker): its Unix socket lives in a private folder, and the
# workers, forked after this hook, find it in MOTCUA_STREAM_HANDOFF.
_streams: subprocess.Popen[bytes] | None = None
_stream_dir: str | None = None


def stream_server_argv(path: str) -> list[str]:
    return [sys.executable, "-m", "motcua.config.streamserver", path]


def _start_stream_server(server: Any) -> None:
    global _streams, _stream_dir
    if server.cfg.worker_class_str != HANDOFF_WORKER:
        os.environ.pop(HANDOFF_ENV, None)
        return
    _stream_dir = tempfile.mkdtemp(prefix="motcua-streams-")  # mode 0700
    path = os.path.join(_stream_dir, "handoff.sock")
    _streams = subprocess.Popen(stream_server_argv(path))  # noqa: S603 - our own interpreter and module
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and _streams.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not os.path.exists(path):
        server.log.error("the stream server did not start: event streams are served as replays")
        os.environ.pop(HANDOFF_ENV, None)
        return
    os.environ[HANDOFF_ENV] = path
    server.log.info("stream server started (pid %s) on %s", _streams.pid, path)


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
