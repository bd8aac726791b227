"""The stream server of `motcua serve`: one asyncio process that answers the hall's event
streams handed over by the sync workers (motcua.config.handoff; issue 8 §6).

`python -m motcua.config.streamserver <path>` supervises the server (started again if it dies);
the server binds a Unix datagram socket at `path` and receives
client connections on it (SCM_RIGHTS), each with its request still unread; every connection is
given to uvicorn's HTTP protocol as if uvicorn had accepted it, running motcua.config.asgi's
application (the async stream view; any other request that arrives on such a connection is
served too). Responses carry `Connection: close`: a connection handed over is never reused
for a page, which belongs to the sync workers. gunicorn's master starts this process when it
starts and stops it when it stops (motcua.config.gunicorn_conf); the workers find it through
MOTCUA_STREAM_HANDOFF. One process holds thousands of idle streams; its one LISTEN connection
feeds them all (motcua.queueing.streams).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import MutableMapping
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings.production")

import uvicorn

log = logging.getLogger("motcua.streamserver")
MAX_FDS = 16  # connections read per datagram at most (a worker sends one)

Message = MutableMapping[str, Any]


def closing(app: Any) -> Any:
    """The application with `Connection: close` on every response."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await app(scope, receive, send_closing)

    return wrapped


class StreamServer(uvicorn.Server):
    """uvicorn with no listening socket of its own: its connections arrive at `path`."""

    def __init__(self, config: uvicorn.Config, *, path: str) -> None:
        super().__init__(config)
        self.path = path
        self.channel: socket.socket | None = None
        self.adopted = 0

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        loop = asyncio.get_running_loop()
        if os.path.exists(self.path):
            os.unlink(self.path)
        channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        channel.bind(self.path)
        os.chmod(self.path, 0o600)
        channel.setblocking(False)
        self.channel = channel
        loop.add_reader(channel.fileno(), self._receive)
        log.info("stream server ready on %s", self.path)

    def _protocol(self) -> asyncio.Protocol:
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )

    def _receive(self) -> None:
        assert self.channel is not None
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(self.channel, 16, MAX_FDS)
            except (BlockingIOError, InterruptedError):
                return
            for fd in fds:
                self._adopt(fd)

    def _adopt(self, fd: int) -> None:
        try:
            conn = socket.socket(fileno=fd)
            conn.setblocking(False)
        except OSError:
            os.close(fd)
            return
        if self.should_exit:
            conn.close()
            return
        self.adopted += 1
        loop = asyncio.get_running_loop()
        task = loop.create_task(loop.connect_accepted_socket(self._protocol, conn))
        task.add_done_callback(_report)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.channel is not None:
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
            self.channel.close()
            self.channel = None
            if os.path.exists(self.path):
                os.unlink(self.path)
        await super().shutdown(sockets=[])
        from motcua.queueing.streams import stop_hub

        await stop_hub()


def _report(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a handed-over connection failed: %s", task.exception())


def config(*, threads: int = 2) -> uvicorn.Config:
    from motcua.config.asgi import build

    return uvicorn.Config(
        closing(build(threads=threads)), lifespan="off", access_log=False, proxy_headers=False,
        log_level="info", timeout_graceful_shutdown=5,
    )  # fmt: skip


def serve(path: str) -> None:
    """Run the stream server in this process until SIGTERM/SIGINT."""
    access = logging.getLogger("motcua.access")
    if not access.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    StreamServer(config(), path=path).run()


RESTART_DELAY = 1.0


def supervise(path: str, *, child: list[str] | None = None) -> int:
    """Keep a stream server running: start it as a child process and start it again when it dies
    (a crash must not leave the hall's boards on the 15 s fallback until someone restarts the
    service). SIGTERM/SIGINT stop the child and return."""
    argv = child or [sys.executable, "-m", "motcua.config.streamserver", "--child", path]
    stopping = False
    proc: subprocess.Popen[bytes] | None = None

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if proc is not None and proc.poll() is None:
            proc.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        proc = subprocess.Popen(argv)  # noqa: S603 - our own interpreter and module
        code = proc.wait()
        if stopping:
            return 0
        log.error("the stream server exited (%s); starting it again", code)
        time.sleep(RESTART_DELAY)


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "--child":
        serve(argv[1])
        return
    if len(argv) != 1:
        print("usage: python -m motcua.config.streamserver <unix socket path>", file=sys.stderr)
        sys.exit(2)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.exit(supervise(argv[0]))


if __name__ == "__main__":
    main(sys.argv[1:])
