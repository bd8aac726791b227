"""The hall's event stream (issue 8 §6): the ASGI router, the stream's contract (replay, other
centers, the cap, heartbeat and maximum age, no gzip), the WSGI fallback, and on PostgreSQL the
LISTEN/NOTIFY path (commit → event within 1 s, rollback → nothing, a lost connection)."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from motcua.config.asgi import Router, is_stream
from motcua.core import clock
from motcua.queueing.models import TicketEvent
from motcua.queueing.services import ticket_issue
from motcua.queueing.streams import Subscriber

from .conftest import NOW
from .test_streams_server import SSE


def _issue(ward, letter="A"):
    return ticket_issue(commune=ward, group_letter=letter, priority=False, now=NOW)


def _events_path(ward) -> str:
    return f"/api/queue/centers/{ward.code}/events"


@pytest.fixture
def today_is_now():
    """The tickets are issued at NOW and a replay is of the day's events: the clock reads NOW."""
    with clock.pinned(NOW):
        yield


# ---- the router ------------------------------------------------------------------------------


def test_the_router_sends_the_event_stream_to_asgi_and_everything_else_to_wsgi():
    seen: list[tuple[str, str]] = []

    def app(name):
        async def handle(scope, receive, send):
            seen.append((name, scope["path"]))

        return handle

    router = Router(streams=app("asgi"), pages=app("wsgi"))

    async def call(path):
        await router({"type": "http", "path": path, "method": "GET"}, None, None)

    for path in ("/api/queue/centers/20209/events", "/api/queue/centers/20209/events/", "/", "/lay-so/20209/",
                 "/api/queue/centers/abc/events", "/api/queue/centers/20209/events/x", "/api/queue/tickets"):  # fmt: skip
        asyncio.run(call(path))
    assert seen == [
        ("asgi", "/api/queue/centers/20209/events"),
        ("asgi", "/api/queue/centers/20209/events/"),
        ("wsgi", "/"),
        ("wsgi", "/lay-so/20209/"),
        ("wsgi", "/api/queue/centers/abc/events"),
        ("wsgi", "/api/queue/centers/20209/events/x"),
        ("wsgi", "/api/queue/tickets"),
    ]
    assert is_stream("/api/queue/centers/1/events") and not is_stream("/api/queue/centers/1/events?x")


def test_the_router_answers_lifespan_events():
    sent = []
    inbox = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive():
        return next(inbox)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(Router(streams=None, pages=None)({"type": "lifespan"}, receive, send))  # type: ignore[arg-type]
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_slow_subscriber_is_dropped_when_its_mailbox_is_full():
    async def fill():
        sub = Subscriber(20209, size=2)
        for i in range(3):
            sub.offer({"id": i, "center": 20209})
        return sub

    sub = asyncio.run(fill())
    assert sub.dropped and sub.queue.qsize() == 2


# ---- the stream over HTTP (SQLite: the poll; PostgreSQL: LISTEN) ------------------------------


def test_last_event_id_replays_what_the_client_missed(asgi_live_server, ward, groups, today_is_now):
    first, second, third = (_issue(ward, letter) for letter in "ABC")
    ids = list(TicketEvent.objects.order_by("pk").values_list("pk", flat=True))
    stream = SSE(asgi_live_server.url, _events_path(ward), {"Last-Event-ID": str(ids[0])})
    try:
        assert [e["number"] for e in stream.events(2)] == [second.number, third.number]
    finally:
        stream.close()
    # `?last=` for clients that cannot set the header; junk is ignored (a live stream, no replay)
    stream = SSE(asgi_live_server.url, f"{_events_path(ward)}?last={ids[1]}")
    try:
        assert [e["number"] for e in stream.events(1)] == [third.number]
    finally:
        stream.close()
    stream = SSE(asgi_live_server.url, f"{_events_path(ward)}?last=%00abc")
    try:
        assert stream.status == 200 and stream.events(1, timeout=0.7) == []
    finally:
        stream.close()
    assert first.number == "A001"


def test_another_centers_events_never_arrive(asgi_live_server, ward, groups, other_ward):
    from motcua.testing import make_service_groups

    make_service_groups(other_ward)
    stream = SSE(asgi_live_server.url, _events_path(ward))
    try:
        time.sleep(0.7)
        _issue(other_ward, "A")
        _issue(other_ward, "B")
        mine = _issue(ward, "C")
        events = stream.events(3, timeout=2)
        assert [(e["center"], e["number"]) for e in events] == [(ward.code, mine.number)]
    finally:
        stream.close()


def test_a_rolled_back_transaction_sends_nothing(asgi_live_server, ward, groups):
    stream = SSE(asgi_live_server.url, _events_path(ward))
    try:
        time.sleep(0.7)
        with pytest.raises(RuntimeError), transaction.atomic():
            _issue(ward, "A")
            raise RuntimeError("rolled back")
        kept = _issue(ward, "B")
        assert [e["number"] for e in stream.events(2, timeout=2)] == [kept.number]
    finally:
        stream.close()


def test_too_many_open_streams_get_503_with_retry_after(asgi_live_server, ward, settings):
    settings.MOTCUA_SSE_MAX_STREAMS = 1
    first = SSE(asgi_live_server.url, _events_path(ward))
    try:
        assert first.status == 200
        while "retry: 3000" not in first.text():  # the stream has started (and is counted)
            first._recv()
        second = SSE(asgi_live_server.url, _events_path(ward))
        assert second.status == 503
        assert "retry-after: 30" in second.head.lower()
        deadline = time.monotonic() + 3
        while "quá nhiều luồng" not in second.text() and time.monotonic() < deadline:
            second._recv()
        assert "quá nhiều luồng" in second.text()
        second.close()
    finally:
        first.close()


def test_heartbeats_keep_the_stream_alive_and_it_ends_after_its_maximum_age(asgi_live_server, ward, settings):
    settings.MOTCUA_SSE_HEARTBEAT_SECONDS = 0.2
    settings.MOTCUA_SSE_MAX_SECONDS = 1
    stream = SSE(asgi_live_server.url, _events_path(ward), {"Accept-Encoding": "gzip"})
    try:
        started = time.monotonic()
        while not stream.buffer.endswith(b"\r\n0\r\n\r\n"):  # the last chunk: the stream ended
            assert time.monotonic() - started < 3
            stream._recv()
        assert "content-encoding" not in stream.head.lower()  # never gzipped (GZipMiddleware buffers)
        assert stream.text().count(": keep-alive\n\n") >= 2
    finally:
        stream.close()


# ---- under a WSGI server (runserver, live_server): a finite answer, a slow poll ----------------


def test_under_wsgi_the_stream_is_a_finite_replay_with_a_slow_retry(ward, groups, today_is_now):
    _issue(ward, "A")
    b = _issue(ward, "B")
    first_id = TicketEvent.objects.order_by("pk").values_list("pk", flat=True).first()
    response = Client().get(_events_path(ward), HTTP_LAST_EVENT_ID=str(first_id))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    body = response.content.decode()
    assert body.startswith("retry: 15000\n\n")
    assert f'"number":"{b.number}"' in body and '"number":"A001"' not in body
    fresh = Client().get(_events_path(ward)).content.decode()
    assert f"id: {TicketEvent.objects.order_by('-pk').first().pk}\n\n" in fresh


def test_an_unknown_or_malformed_center_is_refused_in_vietnamese(db):
    response = Client().get("/api/queue/centers/99999/events")
    assert response.status_code == 404
    assert response.json()["message"] == "Không tìm thấy trung tâm có mã này."
    assert Client().get("/api/queue/centers/1%002/events").status_code in (404, 422)
    assert Client().get("/api/queue/centers/" + "9" * 300 + "/events").status_code in (404, 422)


# ---- PostgreSQL: LISTEN/NOTIFY ---------------------------------------------------------------


@pytest.mark.postgres
def test_a_committed_call_reaches_a_subscriber_within_a_second(asgi_live_server, ward, groups):
    stream = SSE(asgi_live_server.url, _events_path(ward))
    try:
        time.sleep(0.5)
        started = time.monotonic()
        ticket = _issue(ward, "A")
        (event,) = stream.events(1, timeout=1)
        assert time.monotonic() - started < 1
        assert event["ticket"] == ticket.pk
    finally:
        stream.close()


@pytest.mark.postgres
def test_a_lost_listen_connection_comes_back_and_the_stream_reads_what_it_missed(
    asgi_live_server, ward, groups, today_is_now
):
    stream = SSE(asgi_live_server.url, _events_path(ward))
    try:
        time.sleep(0.5)
        before = _issue(ward, "A")
        assert [e["number"] for e in stream.events(1)] == [before.number]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query ILIKE 'LISTEN motcua_queue%%' AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone() is not None
        missed = _issue(ward, "B")  # committed while the hub has no connection
        events = stream.events(2, timeout=4)
        assert [e["number"] for e in events] == [before.number, missed.number]
    finally:
        stream.close()


@pytest.mark.postgres
def test_open_streams_hold_no_database_connection_each(asgi_live_server, ward, groups):
    """Django runs a request's sync code in a thread whose connection lives until the response
    ends: the stream reads through the hub's one thread instead (200 streams, not 200 connections)."""

    def connections_now() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            return cursor.fetchone()[0]

    first = SSE(asgi_live_server.url, _events_path(ward))
    first.events(0, timeout=0.5)
    before = connections_now()
    streams = [SSE(asgi_live_server.url, _events_path(ward)) for _ in range(10)]
    try:
        time.sleep(0.5)
        # 10 more streams: at most a transient connection or two (the hub's reads reconnect under
        # the fixture's CONN_MAX_AGE 0), not one per stream
        assert connections_now() <= before + 2
        _issue(ward, "A")
        assert all(len(s.events(1)) == 1 for s in [first, *streams])
    finally:
        for s in [first, *streams]:
            s.close()
