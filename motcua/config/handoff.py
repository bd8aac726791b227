"""The gunicorn worker of `motcua serve`: a sync worker that hands event streams to the stream
server (issue 8 §6; docs/decisions.md).

The pages are served by gunicorn's sync workers, as before issue 8: a worker takes a connection
only when it is free, so the kernel's accept queue spreads the load (measured: lookup p99 18 ms;
uvicorn workers that accept while busy: 52–340 ms). An open event stream must not hold such a
worker for an hour, so before gunicorn reads a request the worker peeks at its first line
(MSG_PEEK: nothing is consumed); a `GET /api/queue/centers/<code>/events` is passed, socket and
all, to the stream server (motcua.config.streamserver: one asyncio process running uvicorn with
the Django ASGI application) over a Unix socket with SCM_RIGHTS, and the worker is free at once.
The stream server reads the request itself from the socket and answers it. Everything else, and
any stream when the stream server is not there (or TLS is done by gunicorn), is served here; the
stream view then answers a finite replay with a slow retry, as under any WSGI server.
"""

from __future__ import annotations

import os
import re
import socket
import time
from typing import Any

from gunicorn.workers.sync import SyncWorker

HANDOFF_ENV = "MOTCUA_STREAM_HANDOFF"
# The request line of an event stream, as the browser's EventSource sends it.
STREAM_REQUEST = re.compile(rb"^GET /api/queue/centers/[0-9]{1,9}/events/?(?:\?[^ ]*)? HTTP/1\.[01]\r\n")
PEEK_BYTES = 1024
PEEK_SECONDS = 2.0


def peek_request_line(client: socket.socket, *, limit: float = PEEK_SECONDS) -> bytes:
    """The bytes the client has sent so far, without consuming them, once they hold the request
    line (or PEEK_BYTES, or `limit` seconds passed, or the client closed)."""
    deadline = time.monotonic() + limit
    previous = client.gettimeout()
    data = b""
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return data
            client.settimeout(remaining)
            try:
                data = client.recv(PEEK_BYTES, socket.MSG_PEEK)
            except (TimeoutError, OSError):
                return data
            if not data or b"\r\n" in data or len(data) >= PEEK_BYTES:
                return data
            time.sleep(0.002)  # a request line split over packets: wait for the rest
    finally:
        client.settimeout(previous)


def is_stream_request(head: bytes) -> bool:
    return STREAM_REQUEST.match(head) is not None


class HandoffWorker(SyncWorker):
    """gunicorn's sync worker, except that event streams go to the stream server."""

    _channel: socket.socket | None = None

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        if self._hand_off(client):
            return
        super().handle(listener, client, addr)

    def _hand_off(self, client: socket.socket) -> bool:
        path = os.environ.get(HANDOFF_ENV, "")
        if not path or self.cfg.is_ssl:
            return False
        if not is_stream_request(peek_request_line(client)):
            return False
        try:
            if self._channel is None:
                channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                channel.connect(path)
                self._channel = channel
            socket.send_fds(self._channel, [b"s"], [client.fileno()])
        except OSError as exc:
            self.log.warning("stream server unreachable (%s): this stream is served as a replay", exc)
            if self._channel is not None:
                self._channel.close()
                self._channel = None
            return False
        client.close()  # the stream server holds its own copy of the connection
        return True
