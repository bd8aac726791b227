"""The event stream over real HTTP: uvicorn serving motcua.config.asgi (the `asgi_live_server`
fixture), and `motcua serve` itself in a subprocess. Runs on SQLite (the poll path) and on
PostgreSQL (LISTEN/NOTIFY)."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connections

from motcua.queueing.services import counter_call_next, ticket_issue

from .conftest import NOW

ROOT = Path(__file__).resolve().parents[3]


class SSE:
    """A plain-socket event-stream reader (no client library: what a TV browser sees)."""

    def __init__(self, url: str, path: str, headers: dict[str, str] | None = None) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n{extra}\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.head = head.decode("latin-1")
        self.status = int(self.head.split()[1])

    def _recv(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("stream closed")
        self.buffer += chunk

    def text(self) -> str:
        # Chunked transfer encoding: drop the chunk-size lines, keep the payload.
        return re.sub(rb"(?m)^[0-9a-fA-F]+\r\n", b"", self.buffer).replace(b"\r\n", b"").decode()

    def events(self, count: int, timeout: float = 3.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            found = [json.loads(m) for m in re.findall(r"event: ticket\ndata: (\{.*?\})\n\n", self.text())]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                self._recv()
            except (TimeoutError, EOFError):
                return found

    def close(self) -> None:
        self.sock.close()


def _get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


def test_a_call_reaches_an_open_stream_over_http(asgi_live_server, ward, groups, counter1, staff):
    stream = SSE(asgi_live_server.url, f"/api/queue/centers/{ward.code}/events")
    try:
        assert stream.status == 200
        assert "text/event-stream" in stream.head
        assert "no-store" in stream.head.lower()
        assert "x-accel-buffering: no" in stream.head.lower()
        time.sleep(0.3)  # the hub is listening (PostgreSQL) or has read its starting id (SQLite)
        ticket = ticket_issue(commune=ward, group_letter="A", priority=False, now=NOW)
        counter_call_next(actor=staff["counter"], counter=counter1, now=NOW)
        issued, called = stream.events(2)
        assert "retry: 3000" in stream.text()
        assert (issued["kind"], issued["number"], issued["center"]) == ("ISSUED", "A001", ward.code)
        assert (called["kind"], called["ticket"], called["counter"]) == ("CALLED", ticket.pk, 1)
        assert f"id: {called['id']}\n" in stream.text()
    finally:
        stream.close()


def test_pages_go_through_wsgi_and_an_unknown_center_is_a_404_in_vietnamese(asgi_live_server, ward):
    status, _headers, body = _get(asgi_live_server.url, "/api/queue/centers/999999/events")
    assert status == 404
    assert "Không tìm thấy trung tâm" in json.loads(body)["message"]
    status, _headers, body = _get(asgi_live_server.url, "/api/openapi.json")
    assert status == 200 and b"/api/queue/centers/{code}/events" in body


def _database_url() -> str:
    d = connections["default"].settings_dict
    if connections["default"].vendor == "sqlite":
        return f"sqlite:///{d['NAME']}"
    auth = (
        f"{d['USER']}:{d['PASSWORD']}@" if d.get("PASSWORD") else (f"{d['USER']}@" if d.get("USER") else "")
    )
    return f"postgres://{auth}{d.get('HOST') or 'localhost'}:{d.get('PORT') or 5432}/{d['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_motcua_serve_streams_events_and_logs_paths_without_the_query(
    transactional_db, ward, groups, tmp_path
):
    """The production command: one sync worker hands the streams to the stream server and stays
    free — three streams open, a page still answers at once — the events arrive pushed, and the
    access log has no `?sdt=` digits."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings.test",
        "DATABASE_URL": _database_url(),
        "MOTCUA_BIND": f"127.0.0.1:{port}",
        "MOTCUA_WORKERS": "1",
        "MOTCUA_TASK_WORKER": "0",
        "MOTCUA_VAR_DIR": str(tmp_path),
    }
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "motcua.cli", "serve"], env=env, stdout=log, stderr=log, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "motcua serve did not start"
                time.sleep(0.2)
        status, _, _ = _get(url, "/tra-cuu/?sdt=0912345678", {"X-Forwarded-For": "203.0.113.9"})
        assert status < 500
        streams = [SSE(url, f"/api/queue/centers/{ward.code}/events") for _ in range(3)]
        try:
            assert [s.status for s in streams] == [200, 200, 200]
            started = time.monotonic()
            status, _, _ = _get(url, f"/lay-so/{ward.code}/")
            assert status == 200 and time.monotonic() - started < 2, "the one sync worker is not held"
            time.sleep(0.8)
            ticket_issue(commune=ward, group_letter="B", priority=False, now=NOW)
            for stream in streams:
                (issued,) = stream.events(1, timeout=5)
                assert (issued["kind"], issued["number"]) == ("ISSUED", "B001")
        finally:
            for stream in streams:
                stream.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert "127.0.0.1 [" in output and '"GET /tra-cuu/ HTTP/1.1"' in output
    # Neither gunicorn nor the stream server's uvicorn (proxy_headers off) rewrites the client's
    # address from X-Forwarded-For: client_key reads the trusted proxy header itself.
    assert "203.0.113.9" not in output
    assert "0912345678" not in output and "sdt" not in output
    assert output.count(f'GET /api/queue/centers/{ward.code}/events HTTP/1.1" 200') == 3
    assert "stream server started" in output
