"""The hall's event stream: `GET /api/queue/centers/{code}/events` (issue 8 §6).

An async view: under `motcua serve` (uvicorn workers, motcua.config.asgi) an open stream is an
asyncio task waiting on its mailbox in the process's hub (streams.py), not a thread. Under a
WSGI server (Django's runserver, pytest's live_server) an endless stream would hold a thread for
an hour, so there the response is finite: the replay and a `retry:` of 15 s, i.e. a slow poll.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from ninja import Router

from motcua.core import clock
from motcua.core.ratelimit import client_key
from motcua.dossiers.schemas import ErrorOut

from .events import last_event_id, messages_after
from .selectors import center_by_code
from .streams import TOO_MANY, Hub, acquire_stream, hub, release_stream, stream_refusal
from .workflow import LOCAL_TZ, local_day

router = Router(tags=["Xếp hàng"])

RETRY_MS = 3000  # the browser's pause before it reconnects
WSGI_RETRY_MS = 15000  # the slow poll when the server cannot hold a stream open
READY_TIMEOUT = 5.0
REFUSED_RETRY_S = 30  # Retry-After of a stream refused by a cap
_MAX_ID = 2**62

DESCRIPTION = """Luồng sự kiện (server-sent events, `text/event-stream`) của trung tâm: bảng gọi số
và điện thoại của người dân nghe luồng này thay vì hỏi lại liên tục. Không cần đăng nhập: chỉ có
số thứ tự và số quầy, những gì bảng gọi số trong sảnh vẫn hiển thị.

Mỗi sự kiện của một số thứ tự:

    id: 1234
    event: ticket
    data: {"id": 1234, "center": 20209, "kind": "CALLED", "ticket": 88, "number": "B012",
           "group": "B", "counter": 3, "state": "CALLED", "at": "2026-11-30T08:01:02+07:00"}

`kind`: ISSUED, CALLED, RECALLED, STARTED, FINISHED, NO_SHOW, TRANSFERRED, HELD, RESUMED,
DOSSIER, LEFT. Khi nhận sự kiện, trang đọc lại trạng thái của mình.

Luồng bắt đầu bằng `retry: 3000`; cứ 15 giây có một dòng chú thích (`: …`) giữ kết nối; luồng
đóng sau MOTCUA_SSE_MAX_SECONDS giây (mặc định 3600) để trình duyệt kết nối lại. Khi kết nối lại,
trình duyệt gửi `Last-Event-ID` (hoặc `?last=<id>` cho máy khách không đặt được tiêu đề): các sự
kiện trong ngày sau mã đó (tối đa 200 sự kiện gần nhất) được gửi lại trước. Quá nhiều luồng đang
mở trên máy chủ: 503; quá nhiều luồng của cùng một địa chỉ (MOTCUA_SSE_MAX_STREAMS_PER_CLIENT,
mặc định 20): 429; cả hai kèm `Retry-After`."""


def _error(status: int, code: str, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse(
        {"code": code, "message": message, "details": {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _last_id(request: HttpRequest) -> int | None:
    """The last event the client saw: the Last-Event-ID header, else `?last=`; junk is ignored."""
    for raw in (request.headers.get("Last-Event-ID", ""), request.GET.get("last", "")):
        raw = raw.strip()
        if raw and len(raw) <= 18 and raw.isascii() and raw.isdigit() and int(raw) < _MAX_ID:
            return int(raw)
    return None


def frame(message: dict[str, Any]) -> str:
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return f"id: {message['id']}\nevent: ticket\ndata: {data}\n\n"


def start_of_day(now: dt.datetime) -> dt.datetime:
    """Local midnight of `now`'s day: a replay never reaches into an earlier day."""
    return dt.datetime.combine(local_day(now), dt.time.min, tzinfo=LOCAL_TZ)


def _replay(*, center: int, after: int) -> list[dict[str, Any]]:
    """The center's events of today after `after`, the newest MOTCUA_SSE_REPLAY of them."""
    return messages_after(
        after=after, center=center, limit=settings.MOTCUA_SSE_REPLAY, since=start_of_day(clock.now())
    )


async def _live(*, h: Hub, center: int, last: int | None, client: str) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.MOTCUA_SSE_MAX_SECONDS
    heartbeat = settings.MOTCUA_SSE_HEARTBEAT_SECONDS
    # Counted here, where `finally` is sure to run (a view's response may never be iterated).
    # Simultaneous requests may all pass the view's check: those beyond a cap end here at once,
    # asking the browser to wait before it tries again.
    if not acquire_stream(client):
        yield f"retry: {REFUSED_RETRY_S * 1000}\n\n"
        return
    sub = h.subscribe(center)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        await h.wait_ready(READY_TIMEOUT)
        # Subscribed (and listening) before reading: nothing committed from here on is missed.
        if last is not None:
            backlog = await h.db(_replay, center=center, after=last)
            seen = {m["id"] for m in backlog}
            for message in backlog:
                yield frame(message)
            newest = max(seen, default=last)
        else:
            seen = set()
            newest = await h.db(last_event_id)
        while not sub.dropped:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                got: Any = await asyncio.wait_for(sub.queue.get(), min(heartbeat, remaining))
            except TimeoutError:
                if loop.time() < deadline:
                    yield ": keep-alive\n\n"
                continue
            if sub.resync:
                # The hub's connection broke and came back: read what it may have missed.
                sub.resync = False
                for missed in await h.db(_replay, center=center, after=newest):
                    if missed["id"] not in seen:
                        seen.add(missed["id"])
                        newest = max(newest, missed["id"])
                        yield frame(missed)
            if got is None or got["id"] in seen:
                continue
            newest = max(newest, got["id"])
            yield frame(got)
    finally:
        h.unsubscribe(sub)
        release_stream(client)


def _finite(*, center: int, last: int | None) -> str:
    """Under WSGI: what an open stream would have sent first, then the end (a slow poll)."""
    parts = [f"retry: {WSGI_RETRY_MS}\n\n"]
    if last is not None:
        parts += [frame(message) for message in _replay(center=center, after=last)]
    else:
        # An id the client keeps: its next request replays what happened in between.
        parts.append(f"id: {last_event_id()}\n\n")
    return "".join(parts)


@router.get(
    "/centers/{code}/events",
    auth=None,
    response={200: None, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    summary="Luồng sự kiện của trung tâm (server-sent events)",
    description=DESCRIPTION,
    openapi_extra={
        "responses": {
            200: {
                "description": "Luồng sự kiện `text/event-stream`",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
async def center_events(request: HttpRequest, code: str) -> HttpResponseBase:
    last = _last_id(request)
    if isinstance(request, ASGIRequest):
        h = hub()
        # Read in the hub's thread: Django runs a request's sync code in a thread of its own whose
        # connection stays open until the response ends, i.e. one per open stream (an hour).
        commune = await h.db(center_by_code, code=code)  # 404 (or 422) before the stream starts
        center = commune.code
        client = client_key(request)
        refusal = stream_refusal(client)
        if refusal == TOO_MANY:
            return _error(
                503, "too_many_streams", "Máy chủ đang phục vụ quá nhiều luồng sự kiện; vui lòng thử lại sau.",
                Retry_After=str(REFUSED_RETRY_S),
            )  # fmt: skip
        if refusal is not None:
            return _error(
                429, "too_many_client_streams",
                "Địa chỉ của bạn đang mở quá nhiều luồng sự kiện; vui lòng đóng bớt trang đang mở "
                "hoặc thử lại sau.",
                Retry_After=str(REFUSED_RETRY_S),
            )  # fmt: skip
        response: HttpResponseBase = StreamingHttpResponse(
            _live(h=h, center=center, last=last, client=client),
            content_type="text/event-stream; charset=utf-8",
        )
    else:
        commune = await sync_to_async(center_by_code)(code)
        center = commune.code
        text = await sync_to_async(_finite)(center=center, last=last)
        response = HttpResponse(text, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    # GZipMiddleware would hold the small events in its buffer: this response is never compressed.
    request.META.pop("HTTP_ACCEPT_ENCODING", None)
    return response
