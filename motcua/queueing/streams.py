"""The hall's events fanned out to the open event streams of one process (issue 8 §6).

One `Hub` per event loop (a uvicorn worker has one: so one per process). It starts with its
first subscriber and stops when it has had none for `IDLE_SECONDS`:

- on PostgreSQL, ONE psycopg AsyncConnection in autocommit does `LISTEN motcua_queue` and a task
  reads `conn.notifies()` (events.publish sends them when the writing transaction commits). When
  that connection breaks, it reconnects with a growing pause and then tells every subscriber to
  re-read from the database what it missed (each stream knows the last id it sent);
- on SQLite (development, the README's `tools/run`) there is no NOTIFY: the hub reads the
  TicketEvent rows above the last id it saw every MOTCUA_SSE_POLL_SECONDS — one query per
  process, not per client — and builds the same payload with `events.message`.

Each subscriber has a bounded asyncio.Queue; a client too slow to drain it is dropped (its stream
ends, and the browser reconnects with Last-Event-ID, which replays from the database).

Database reads of the hub and of the streams (replay, SQLite poll) run in one thread of the hub,
so they hold one Django connection per process, closed when the hub stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections

from .events import CHANNEL, last_event_id, messages_after

log = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds without any subscriber after which the hub closes its connection and task.
IDLE_SECONDS = 30.0
# The pause before reconnecting to PostgreSQL grows from the first to the last value.
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0


class Subscriber:
    """One open stream's mailbox: the events of its center, in the order they arrived."""

    def __init__(self, center: int, size: int) -> None:
        self.center = center
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=max(size, 1))
        self.dropped = False  # it could not keep up: the stream ends, the client reconnects
        self.resync = False  # the hub may have missed events: re-read from the database

    def offer(self, message: dict[str, Any] | None) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped = True


class Hub:
    def __init__(self) -> None:
        self.subscribers: dict[int, set[Subscriber]] = {}
        self.count = 0
        self.ready = asyncio.Event()  # listening (PostgreSQL) or polling (SQLite)
        self._task: asyncio.Task[None] | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._executor: ThreadPoolExecutor | None = None

    # ---- subscribers ------------------------------------------------------------------------

    def subscribe(self, center: int) -> Subscriber:
        sub = Subscriber(center, settings.MOTCUA_SSE_QUEUE_SIZE)
        self.subscribers.setdefault(center, set()).add(sub)
        self.count += 1
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if self._task is None or self._task.done():
            self.ready.clear()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="motcua-queue-hub")
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self.subscribers.get(sub.center)
        if subs is None or sub not in subs:
            return
        subs.discard(sub)
        if not subs:
            del self.subscribers[sub.center]
        self.count -= 1
        if self.count == 0 and self._idle is None:
            loop = asyncio.get_running_loop()
            self._idle = loop.call_later(IDLE_SECONDS, lambda: loop.create_task(self._stop_if_idle()))

    def dispatch(self, message: dict[str, Any]) -> None:
        for sub in list(self.subscribers.get(message.get("center"), ())):  # type: ignore[arg-type]
            sub.offer(message)

    def _resync_all(self) -> None:
        for subs in self.subscribers.values():
            for sub in list(subs):
                sub.resync = True
                sub.offer(None)  # wakes the stream up

    async def wait_ready(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # ---- the database -----------------------------------------------------------------------

    async def db(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a Django ORM read in the hub's database thread."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="motcua-queue-db")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(_fresh, fn, kwargs))

    async def _run(self) -> None:
        if connections["default"].vendor == "postgresql":
            await self._listen()
        else:
            await self._poll()

    async def _listen(self) -> None:
        import psycopg

        params = await self.db(_listen_params)
        backoff, first = BACKOFF_FIRST, True
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(**params, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if not first:
                        self._resync_all()
                    first, backoff = False, BACKOFF_FIRST
                    self.ready.set()
                    async for note in conn.notifies():
                        try:
                            message = json.loads(note.payload)
                        except ValueError:
                            continue
                        if isinstance(message, dict):
                            self.dispatch(message)
            except (psycopg.Error, OSError) as exc:
                log.warning("queue events: LISTEN connection lost (%s); retrying in %.1f s", exc, backoff)
            self.ready.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def _poll(self) -> None:
        last = None
        while last is None:
            try:
                last = await self.db(last_event_id)
            except DatabaseError as exc:
                log.warning("queue events: cannot read the events (%s)", exc)
                await asyncio.sleep(BACKOFF_MAX)
        self.ready.set()
        while True:
            await asyncio.sleep(settings.MOTCUA_SSE_POLL_SECONDS)
            try:
                found = await self.db(messages_after, after=last, limit=1000)
            except DatabaseError as exc:
                log.warning("queue events: cannot read the events (%s)", exc)
                continue
            for message in found:
                last = max(last, message["id"])
                self.dispatch(message)

    # ---- stopping ---------------------------------------------------------------------------

    async def _stop_if_idle(self) -> None:
        self._idle = None
        if self.count == 0:
            await self.stop()

    async def stop(self) -> None:
        """Stop listening and close the hub's database connections (it restarts on demand)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.ready.clear()
        executor, self._executor = self._executor, None
        if executor is not None:
            loop = asyncio.get_running_loop()
            with contextlib.suppress(Exception):
                await loop.run_in_executor(executor, connections.close_all)
            executor.shutdown(wait=False)


def _fresh(fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
    """As a request would: drop the thread's connection if it broke or outlived CONN_MAX_AGE
    (a restarted PostgreSQL), so the next read connects again instead of failing for ever."""
    close_old_connections()
    return fn(**kwargs)


def _listen_params() -> dict[str, Any]:
    """psycopg.connect's arguments for the default database, as Django would connect."""
    params = dict(connections["default"].get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding", "pool"):
        params.pop(key, None)
    return params


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop (a worker process has one loop)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found


async def stop_hub() -> None:
    """Stop the running loop's hub, if any (tests, shutdown)."""
    found = _hubs.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.stop()


# ---- the caps on open streams (per process, whatever the loop) -------------------------------
# `motcua serve` hands every stream to one stream server process, so these counts are the
# server's: MOTCUA_SSE_MAX_STREAMS in all, MOTCUA_SSE_MAX_STREAMS_PER_CLIENT per client address
# (ratelimit.client_key: a hall's TV, a few phones behind one NAT, the officers' consoles).

_open_lock = threading.Lock()
_open = 0
_per_client: dict[str, int] = {}

TOO_MANY = "total"  # the process holds MOTCUA_SSE_MAX_STREAMS
TOO_MANY_OF_CLIENT = "client"  # this client holds MOTCUA_SSE_MAX_STREAMS_PER_CLIENT


def stream_refusal(client: str) -> str | None:
    """Why one more stream of `client` would be refused now (TOO_MANY…), or None."""
    if _open >= settings.MOTCUA_SSE_MAX_STREAMS:
        return TOO_MANY
    if _per_client.get(client, 0) >= settings.MOTCUA_SSE_MAX_STREAMS_PER_CLIENT:
        return TOO_MANY_OF_CLIENT
    return None


def acquire_stream(client: str = "") -> bool:
    """Count one more open stream of `client`, unless a cap is reached (checked and counted
    under one lock: simultaneous requests of one client cannot all slip under it)."""
    global _open
    with _open_lock:
        if stream_refusal(client) is not None:
            return False
        _open += 1
        _per_client[client] = _per_client.get(client, 0) + 1
        return True


def release_stream(client: str = "") -> None:
    global _open
    with _open_lock:
        _open = max(_open - 1, 0)
        left = _per_client.get(client, 0) - 1
        if left > 0:
            _per_client[client] = left
        else:
            _per_client.pop(client, None)


def open_streams(client: str | None = None) -> int:
    """The open streams of the process, or of one client."""
    return _open if client is None else _per_client.get(client, 0)
