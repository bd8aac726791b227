"""Review finding 5 (issue 8 hardening): one client cannot exhaust the stream server
(MOTCUA_SSE_MAX_STREAMS_PER_CLIENT, keyed by ratelimit.client_key), and a reconnecting client's
replay is the center's events of today only (as well as the newest MOTCUA_SSE_REPLAY)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

from django.test import Client

from motcua.core import clock
from motcua.queueing import streams
from motcua.queueing.api_events import _live, start_of_day
from motcua.queueing.models import TicketEvent
from motcua.queueing.services import ticket_issue

from .conftest import NOW
from .test_streams_server import SSE

YESTERDAY = NOW - dt.timedelta(days=1)


def _issue(ward, letter: str, now: dt.datetime = NOW):
    return ticket_issue(commune=ward, group_letter=letter, priority=False, now=now)


def _path(ward) -> str:
    return f"/api/queue/centers/{ward.code}/events"


def _wait(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _started(stream: SSE) -> None:
    while "retry: 3000" not in stream.text():  # the stream runs (and is counted)
        stream._recv()


# ---- the per-client cap ----------------------------------------------------------------------


def test_a_client_past_its_cap_gets_429_with_retry_after_and_others_still_connect(
    asgi_live_server, ward, settings
):
    settings.MOTCUA_SSE_MAX_STREAMS_PER_CLIENT = 2
    settings.MOTCUA_SSE_HEARTBEAT_SECONDS = 0.2  # a closed stream is noticed soon
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "X-Forwarded-For"  # two clients behind "our proxy"
    settings.MOTCUA_TRUSTED_PROXY_COUNT = 1
    phone = {"X-Forwarded-For": "203.0.113.7"}
    tv = {"X-Forwarded-For": "198.51.100.20"}
    mine = [SSE(asgi_live_server.url, _path(ward), phone) for _ in range(2)]
    others: list[SSE] = []
    try:
        for stream in mine:
            assert stream.status == 200
            _started(stream)
        assert streams.open_streams("203.0.113.7") == 2
        third = SSE(asgi_live_server.url, _path(ward), phone)
        assert third.status == 429
        assert "retry-after: 30" in third.head.lower()
        deadline = time.monotonic() + 3
        while "quá nhiều luồng" not in third.text() and time.monotonic() < deadline:
            third._recv()
        assert "Địa chỉ của bạn đang mở quá nhiều luồng sự kiện" in third.text()
        third.close()
        # another address is not refused
        others.append(SSE(asgi_live_server.url, _path(ward), tv))
        assert others[0].status == 200
        # a closed stream gives its place back
        mine.pop().close()
        assert _wait(lambda: streams.open_streams("203.0.113.7") == 1)
        again = SSE(asgi_live_server.url, _path(ward), phone)
        others.append(again)
        assert again.status == 200
    finally:
        for stream in mine + others:
            stream.close()
    assert _wait(lambda: streams.open_streams() == 0)


def test_simultaneous_acquisitions_of_one_client_never_pass_its_cap(settings):
    settings.MOTCUA_SSE_MAX_STREAMS_PER_CLIENT = 3
    settings.MOTCUA_SSE_MAX_STREAMS = 1000
    got: list[bool] = []
    barrier = threading.Barrier(20)

    def take() -> None:
        barrier.wait()
        got.append(streams.acquire_stream("192.0.2.1"))

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert got.count(True) == 3
        assert streams.open_streams("192.0.2.1") == 3
        assert streams.stream_refusal("192.0.2.1") == streams.TOO_MANY_OF_CLIENT
        assert streams.stream_refusal("192.0.2.2") is None
    finally:
        for _ in range(got.count(True)):
            streams.release_stream("192.0.2.1")
    assert streams.open_streams("192.0.2.1") == 0 and "192.0.2.1" not in streams._per_client
    assert streams.open_streams() == 0


def test_a_stream_that_lost_the_race_for_the_last_place_ends_at_once_with_a_slow_retry(settings):
    settings.MOTCUA_SSE_MAX_STREAMS_PER_CLIENT = 1
    assert streams.acquire_stream("192.0.2.9")
    try:

        async def run() -> list[str]:
            return [part async for part in _live(h=None, center=1, last=None, client="192.0.2.9")]  # type: ignore[arg-type]

        assert asyncio.run(run()) == ["retry: 30000\n\n"]
        assert streams.open_streams("192.0.2.9") == 1  # nothing counted for it, nothing released
    finally:
        streams.release_stream("192.0.2.9")


# ---- the replay is today's ---------------------------------------------------------------------


def test_the_replay_holds_only_todays_events_of_the_center(ward, groups, settings):
    old = _issue(ward, "A", YESTERDAY)
    _issue(ward, "B", YESTERDAY)
    with clock.pinned(NOW):
        today = [_issue(ward, letter) for letter in "AC"]  # also closes yesterday's (LEFT, today)
        body = Client().get(_path(ward), HTTP_LAST_EVENT_ID="0").content.decode()
    midnight = start_of_day(NOW)
    assert midnight.isoformat() == "2026-02-10T00:00:00+07:00"
    expected = list(TicketEvent.objects.filter(at__gte=midnight).order_by("pk").values_list("pk", flat=True))
    assert TicketEvent.objects.filter(at__lt=midnight).count() == 2  # yesterday's two issues
    replayed = [int(line[4:]) for line in body.splitlines() if line.startswith("id: ")]
    assert replayed == expected and len(expected) >= 2
    assert f'"kind":"ISSUED","ticket":{old.pk},' not in body
    assert f'"number":"{today[1].number}"' in body
    # still the newest MOTCUA_SSE_REPLAY of them
    settings.MOTCUA_SSE_REPLAY = 1
    with clock.pinned(NOW):
        body = Client().get(f"{_path(ward)}?last=0").content.decode()
    assert [line for line in body.splitlines() if line.startswith("id: ")] == [f"id: {expected[-1]}"]


def test_the_open_stream_replays_only_todays_events_too(asgi_live_server, ward, groups):
    _issue(ward, "A", YESTERDAY)
    with clock.pinned(NOW):
        mine = _issue(ward, "B")
        first = TicketEvent.objects.order_by("pk").values_list("pk", flat=True).first()
        stream = SSE(asgi_live_server.url, _path(ward), {"Last-Event-ID": str(first - 1)})
        try:
            events = stream.events(5, timeout=1.5)
        finally:
            stream.close()
    assert events and all(e["at"].startswith("2026-02-10") for e in events)
    assert [e["number"] for e in events if e["kind"] == "ISSUED"] == [mine.number]
