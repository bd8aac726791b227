import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.org.models import Role
from motcua.testing import make_commune, make_counter, make_service_groups, make_staff, make_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 2, 10, 8, 0, tzinfo=VN)


@pytest.fixture
def ward(db):
    return make_commune()


@pytest.fixture
def staff(ward):
    return make_staff(ward)


@pytest.fixture
def groups(ward):
    return make_service_groups(ward)


@pytest.fixture
def officer2(ward):
    return make_user(ward, Role.COUNTER_OFFICER, "motcua2")


@pytest.fixture
def counter1(ward, groups, staff):
    """Quầy 1: civil status and land (A, B), the counter officer sits there."""
    return make_counter(ward, 1, "AB", officer=staff["counter"])


@pytest.fixture
def counter2(ward, groups):
    """Quầy 2: certification (C), nobody sits there yet."""
    return make_counter(ward, 2, "C")


@pytest.fixture
def other_ward(db):
    return make_commune(20305, "Phường An Khê", "H48.20305")


# ---- asgi_live_server: the production stack (motcua.config.asgi under uvicorn) on the test db --


class AsgiLiveServer:
    """uvicorn serving `motcua.config.asgi.application` in a thread (its own event loop), on a
    free loopback port: event streams stay open (Django's WSGI live_server cannot hold them)."""

    def __init__(self) -> None:
        import socket
        import threading

        import uvicorn

        from motcua.config.asgi import build

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            build(threads=4), lifespan="off", access_log=False, proxy_headers=False,
            log_level="warning", timeout_graceful_shutdown=1,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="asgi-live-server", daemon=True)

    def _run(self) -> None:
        import asyncio

        from motcua.queueing.streams import stop_hub

        async def serve() -> None:
            try:
                await self.server.serve(sockets=[self.socket])
            finally:
                await stop_hub()

        asyncio.run(serve())

    def start(self) -> None:
        import time

        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("asgi_live_server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=5)
        self.socket.close()

    def __str__(self) -> str:
        return self.url


@pytest.fixture
def asgi_live_server(transactional_db):
    """Like pytest-django's `live_server` (`.url`, str()), but the real ASGI stack of `motcua
    serve` — uvicorn, the router, a2wsgi for the pages, the async event stream — so that pushed
    events reach a browser. Gives the test transactional database access (rows the test creates
    are committed, and the server's threads see them). Connections are not kept between requests
    (CONN_MAX_AGE 0), so none is left open on the test database at teardown."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    previous = settings_dict.get("CONN_MAX_AGE")
    settings_dict["CONN_MAX_AGE"] = 0
    server = AsgiLiveServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        settings_dict["CONN_MAX_AGE"] = previous
