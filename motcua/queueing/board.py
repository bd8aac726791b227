"""The hall's TV board (issue 8 §5): what it shows, read in three queries whatever the size of
the hall, and the page and its state fragment. Public on purpose (the TV has no login): numbers,
letters and counters only, never a name or a phone.

The page listens to the center's event stream (board.js) and re-reads the state fragment on each
event; without EventSource it re-reads it every 15 s. Each call in "last calls" carries its event
id, so the page speaks a call once, whichever way it learnt of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from motcua.core import clock
from motcua.core.errors import NotFound, ValidationFailed
from motcua.geo.models import Commune

from .models import Counter, EventKind, ServiceGroup, Ticket, TicketEvent, TicketState
from .selectors import center_by_code
from .services import local_day
from .voice import CHIME, CLIPS

LAST_CALLS = 6
_ON_COUNTER = (TicketState.CALLED, TicketState.SERVING)


@dataclass(frozen=True)
class CounterRow:
    number: int
    name: str
    open: bool  # an officer sits there, or it still has a called or served ticket
    ticket: str | None  # the number called or served there now
    state: str | None  # CALLED or SERVING


@dataclass(frozen=True)
class Call:
    event: int  # the TicketEvent's id
    number: str
    counter: int | None
    recall: bool
    at: dt.datetime


@dataclass(frozen=True)
class GroupRow:
    letter: str
    name: str
    waiting: int


@dataclass(frozen=True)
class BoardState:
    counters: list[CounterRow]
    calls: list[Call]
    groups: list[GroupRow]

    @property
    def last_event(self) -> int:
        return max((c.event for c in self.calls), default=0)


def board_state(*, commune: Commune, day: dt.date) -> BoardState:
    """The center's counters with the ticket each calls or serves now, the last calls of the day
    (newest first) and how many wait in each active group's line. Three queries."""
    on_counter = Ticket.objects.filter(
        counter=OuterRef("pk"), commune_id=commune.pk, day=day, state__in=_ON_COUNTER
    ).order_by("-called_at", "-pk")
    counters = (
        Counter.objects.filter(commune=commune, active=True)
        .annotate(
            now_number=Subquery(on_counter.values("number")[:1]),
            now_state=Subquery(on_counter.values("state")[:1]),
        )
        .order_by("number")
        .values("number", "name", "officer_id", "now_number", "now_state")
    )
    calls = (
        TicketEvent.objects.filter(
            ticket__commune_id=commune.pk,
            ticket__day=day,
            kind__in=(EventKind.CALLED, EventKind.RECALLED),
        )
        .order_by("-at", "-pk")
        .values("pk", "kind", "at", "ticket__number", "counter__number")[:LAST_CALLS]
    )
    waiting = Count(
        "queued_tickets", filter=Q(queued_tickets__day=day, queued_tickets__state=TicketState.WAITING)
    )
    groups = (
        ServiceGroup.objects.filter(commune=commune, active=True)
        .annotate(waiting=waiting)
        .order_by("letter")
        .values("letter", "name", "waiting")
    )
    return BoardState(
        counters=[
            CounterRow(
                number=c["number"],
                name=c["name"] or f"Quầy {c['number']}",
                open=c["officer_id"] is not None or c["now_number"] is not None,
                ticket=c["now_number"],
                state=c["now_state"],
            )
            for c in counters
        ],
        calls=[
            Call(
                event=e["pk"],
                number=e["ticket__number"],
                counter=e["counter__number"],
                recall=e["kind"] == EventKind.RECALLED,
                at=e["at"],
            )
            for e in calls
        ],
        groups=[GroupRow(letter=g["letter"], name=g["name"], waiting=g["waiting"]) for g in groups],
    )


def voice_config() -> dict[str, dict[str, str]]:
    """What board.js needs to speak: every clip's static URL by name (hashed names in production;
    a ward's own recordings, MOTCUA_VOICE_DIR, at the same names) and the words each one says
    (the sentence for a Vietnamese speech-synthesis voice)."""
    return {
        "urls": {name: static(f"queueing/voice/{name}.ogg") for name in [CHIME, *CLIPS]},
        "words": CLIPS,
    }


def take_qr_svg(commune: Commune) -> tuple[str, str]:
    """The address of the center's take-a-number page (the public URL) and its QR code (SVG)."""
    url = settings.MOTCUA_PUBLIC_URL + reverse("queueing:take", args=[commune.code])
    # No width/height, a viewBox: the stylesheet sizes it to the screen.
    svg = segno.make(url, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", omitsize=True, title="Mã QR lấy số thứ tự"
    )
    return url, svg


def _center(code: str) -> Commune | None:
    try:
        return center_by_code(code)
    except (NotFound, ValidationFailed):
        return None


def _not_found(request: HttpRequest) -> HttpResponse:
    message = "Không tìm thấy trung tâm này. Kiểm tra lại mã xã, phường trong địa chỉ của màn hình."
    return render(request, "queueing/not_found.html", {"message": message}, status=404)


@never_cache
@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """The hall's TV: /lay-so/<commune code>/bang/."""
    commune = _center(code)
    if commune is None:
        return _not_found(request)
    now = clock.now()
    take_url, qr_svg = take_qr_svg(commune)
    context = {
        "commune": commune,
        "state": board_state(commune=commune, day=local_day(now)),
        "now": now,
        "take_url": take_url,
        "qr_svg": qr_svg,
        "clips": voice_config(),
        "events_url": f"/api/queue/centers/{commune.code}/events",
        "state_url": reverse("queueing:board_state", args=[commune.code]),
    }
    return render(request, "queueing/board.html", context)


@never_cache
@require_GET
def board_state_fragment(request: HttpRequest, code: str) -> HttpResponse:
    """The board's changing part, re-read by the page on each event (or every 15 s)."""
    commune = _center(code)
    if commune is None:
        return _not_found(request)
    now = clock.now()
    context = {"commune": commune, "state": board_state(commune=commune, day=local_day(now)), "now": now}
    return render(request, "queueing/board_state.html", context)
