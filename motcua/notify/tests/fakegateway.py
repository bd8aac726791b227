"""A fake SMS / Zalo gateway on loopback for the tests (and for trying a ward's settings by
hand: `python -m motcua.notify.tests.fakegateway 8025` prints every request).

Every request is recorded (path, headers, JSON body); the answers are scripted: a queue of
(status, JSON) pairs or "timeout" (the answer comes after the client gave up); when the queue is
empty it answers `default`.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, Any] | str


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any


@dataclass
class FakeGateway:
    default: Answer = (200, {"ok": True, "id": "gw-1", "error": 0, "data": {"msg_id": "zalo-1"}})
    answers: list[Answer] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    delay: float = 0.0  # seconds before every answer (races)
    timeout_sleep: float = 1.5
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> FakeGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode(errors="replace")
                with gateway.lock:
                    gateway.requests.append(
                        Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    answer = gateway.answers.pop(0) if gateway.answers else gateway.default
                if gateway.delay:
                    time.sleep(gateway.delay)
                if answer == "timeout":
                    time.sleep(gateway.timeout_sleep)
                    answer = (200, {"ok": True, "id": "late"})
                status, payload = answer  # type: ignore[misc]
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                if __name__ == "__main__":
                    print(self.requestline, file=sys.stderr)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


if __name__ == "__main__":
    gw = FakeGateway()
    gw.start(int(sys.argv[1]) if len(sys.argv) > 1 else 8025)
    print(f"Fake gateway at {gw.url} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(1)
            while gw.requests:
                r = gw.requests.pop(0)
                print(r.path, json.dumps(r.body, ensure_ascii=False))
    except KeyboardInterrupt:
        gw.stop()
