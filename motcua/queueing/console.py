"""The officer's console (issue 8 §4): pick a counter to sit at, then call, recall, mark no-show,
start, hold, transfer, finish and receive a dossier, with the held tickets of the counter, the
waiting count of each group it serves now and the next numbers.

Server-rendered; the state block re-reads itself every 5 s with htmx and on the center's event
stream (static/queueing/console.js). Every step is a POST (CSRF) through the queue's services,
which check the officer, the counter and the ticket; a counter of another commune is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from motcua.catalog import selectors as catalog
from motcua.catalog.models import Procedure
from motcua.core import clock
from motcua.core.errors import DomainError, NotAllowed, NotFound
from motcua.core.text import clean_text
from motcua.org.models import Role, User

from .models import Counter, EventKind, ServiceGroup, Ticket, TicketEvent, TicketState
from .selectors import counter_get_for, ticket_get_for
from .services import (
    LOCAL_TZ,
    callable_now,
    counter_call_next,
    counter_free,
    counter_leave,
    counter_sit,
    local_day,
    ticket_finish,
    ticket_hold,
    ticket_no_show,
    ticket_recall,
    ticket_resume,
    ticket_start,
    ticket_transfer,
    transfer_targets,
)
from .workflow import serves

S = TicketState
NEXT_SHOWN = 5
_OPEN = (S.CALLED, S.SERVING)


# Who may free a counter another officer holds («Giải phóng quầy»): see services.counter_free.
MANAGERS = (Role.ADMIN, Role.COMMUNE_LEADER)


def _officer(request: HttpRequest, *roles: str) -> User:
    """The signed-in counter officer (or one of `roles` instead) of a commune; else 403."""
    user = request.user
    assert isinstance(user, User)
    if not user.has_role(Role.COUNTER_OFFICER, *roles) or user.commune_id is None:
        raise NotAllowed("Trang này dành cho cán bộ bộ phận một cửa.")
    return user


def _manager(request: HttpRequest) -> User:
    """The signed-in administrator or leader of a commune; else 403."""
    user = request.user
    assert isinstance(user, User)
    if not user.has_role(*MANAGERS) or user.commune_id is None:
        raise NotAllowed("Chỉ quản trị hoặc lãnh đạo xã, phường mới giải phóng được quầy.")
    return user


def _counter(user: User, pk: int) -> Counter:
    return counter_get_for(user=user, pk=pk)


def _minutes(since: dt.datetime | None, until: dt.datetime) -> int | None:
    return None if since is None else max(0, int((until - since).total_seconds() // 60))


@dataclass
class Current:
    ticket: Ticket
    waited_min: int | None
    dossiers: list[str] = field(default_factory=list)


@dataclass
class ConsoleState:
    counter: Counter
    now: dt.datetime
    current: Current | None
    others_open: list[Ticket]
    held: list[Ticket]
    groups: list[ServiceGroup]
    directed_waiting: int
    next_tickets: list[Ticket]
    transfer_groups: list[ServiceGroup]
    transfer_counters: list[Counter]
    max_recalls: int
    mine: bool


def console_state(*, user: User, counter: Counter, now: dt.datetime) -> ConsoleState:
    """What the counter's console shows now (reads only)."""
    day = local_day(now)
    today = Ticket.objects.filter(commune_id=counter.commune_id, day=day).select_related(
        "group", "queue_group", "dossier"
    )
    open_ = list(today.filter(counter=counter, state__in=_OPEN).order_by("-called_at", "-id"))
    current = None
    if open_:
        t = open_[0]
        codes = list(
            TicketEvent.objects.filter(ticket=t, kind=EventKind.DOSSIER)
            .order_by("id")
            .values_list("note", flat=True)
        )
        if t.dossier is not None and t.dossier.code and t.dossier.code not in codes:
            codes.append(t.dossier.code)
        current = Current(ticket=t, waited_min=_minutes(t.issued_at, t.called_at or now), dossiers=codes)
    held = list(today.filter(counter=counter, state=S.HELD).order_by("called_at", "id"))
    at = now.astimezone(LOCAL_TZ).time()
    groups = [
        g for g in counter.groups.filter(active=True).order_by("letter") if serves(counter, g.pk, at=at)
    ]
    waiting = today.filter(state=S.WAITING)
    for g in groups:
        g.waiting = waiting.filter(queue_group=g, directed_counter__isnull=True).count()  # type: ignore[attr-defined]
    line = waiting.filter(callable_now(counter, now)).order_by("-priority", "-booked", "issued_at", "id")
    return ConsoleState(
        counter=counter,
        now=now,
        current=current,
        others_open=open_[1:],
        held=held,
        groups=groups,
        directed_waiting=waiting.filter(directed_counter=counter).count(),
        next_tickets=list(line[:NEXT_SHOWN]),
        transfer_groups=list(ServiceGroup.objects.filter(commune_id=counter.commune_id, active=True)),
        transfer_counters=list(
            Counter.objects.filter(commune_id=counter.commune_id, active=True).exclude(pk=counter.pk)
        ),
        max_recalls=settings.MOTCUA_QUEUE_MAX_RECALLS,
        mine=counter.officer_id == user.pk,
    )


@login_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    """The commune's counters: who sits where; sit at one or leave it. The commune's administrator
    and leader see it too, to free a counter an officer left held («Giải phóng quầy»)."""
    user = _officer(request, *MANAGERS)
    assert user.commune_id is not None
    counters = (
        Counter.objects.filter(commune_id=user.commune_id)
        .select_related("officer")
        .prefetch_related("groups")
        .order_by("number")
    )
    return render(
        request,
        "queueing/console.html",
        {
            "counters": counters,
            "me": user,
            "can_sit": user.has_role(Role.COUNTER_OFFICER),
            "can_free": user.has_role(*MANAGERS),
        },
    )


def _render_counter(request: HttpRequest, user: User, counter: Counter, *, error: str = "") -> HttpResponse:
    state = console_state(user=user, counter=counter, now=clock.now())
    template = (
        "queueing/console_state.html"
        if request.headers.get("HX-Request")
        else "queueing/console_counter.html"
    )
    return render(
        request,
        template,
        {
            "s": state,
            "error": error,
            "events_url": f"/api/queue/centers/{counter.commune.code}/events",
        },
    )


@login_required
@require_GET
def console_counter(request: HttpRequest, pk: int) -> HttpResponse:
    user = _officer(request)
    return _render_counter(request, user, _counter(user, pk))


@login_required
@require_GET
def console_state_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The state block alone (htmx's every-5-s and on-event re-read)."""
    user = _officer(request)
    counter = _counter(user, pk)
    state = console_state(user=user, counter=counter, now=clock.now())
    return render(request, "queueing/console_state.html", {"s": state, "error": ""})


def _ticket(request: HttpRequest, user: User) -> Ticket:
    raw = request.POST.get("ticket", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise NotFound("Không tìm thấy số thứ tự.", code="ticket_not_found")
    return ticket_get_for(user=user, pk=int(raw))


def _number(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 5):
        return -1  # refused by transfer_targets, in Vietnamese
    return int(raw)


def _step(request: HttpRequest, user: User, counter: Counter, action: str) -> str:
    """Run one step; returns what to tell the officer."""
    now = clock.now()
    kw: dict[str, Any] = {"actor": user, "counter": counter, "now": now}
    if action == "sit":
        counter_sit(actor=user, counter=counter, now=now)
        return f"Bạn đang ngồi quầy số {counter.number}."
    if action == "free":
        counter_free(actor=user, counter=counter, now=now)
        return f"Đã giải phóng quầy số {counter.number}."
    if action == "leave":
        counter_leave(actor=user, counter=counter)
        return f"Bạn đã rời quầy số {counter.number}."
    if action == "call":
        called = counter_call_next(**kw)
        return f"Đã gọi số {called.number}." if called else "Không còn ai chờ ở các nhóm quầy này phục vụ."
    t = _ticket(request, user)
    if action == "recall":
        t = ticket_recall(**kw, ticket=t)
        if t.state == S.NO_SHOW:
            return f"Số {t.number} vắng mặt sau {settings.MOTCUA_QUEUE_MAX_RECALLS} lần gọi lại."
        return f"Đã gọi lại số {t.number} (lần {t.recalls})."
    simple = {
        "no-show": (ticket_no_show, "Số {} vắng mặt."),
        "start": (ticket_start, "Bắt đầu phục vụ số {}."),
        "finish": (ticket_finish, "Đã hoàn thành số {}."),
        "resume": (ticket_resume, "Tiếp tục phục vụ số {}."),
    }
    if action in simple:
        step, said = simple[action]
        return said.format(step(**kw, ticket=t).number)
    if action == "hold":
        t = ticket_hold(**kw, ticket=t, reason=request.POST.get("reason", ""))
        return f"Đã tạm hoãn số {t.number}."
    if action == "transfer":
        group, to_counter = transfer_targets(
            commune_id=counter.commune_id,
            group_letter=request.POST.get("group", "")[:10].strip() or None,
            counter_number=_number(request.POST.get("counter", "")[:10]),
        )
        t = ticket_transfer(**kw, ticket=t, to_group=group, to_counter=to_counter)
        return f"Đã chuyển số {t.number}."
    raise NotFound("Thao tác không tồn tại.")


ACTIONS = {
    "sit",
    "leave",
    "free",
    "call",
    "recall",
    "no-show",
    "start",
    "finish",
    "resume",
    "hold",
    "transfer",
}


@login_required
@require_POST
def console_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step at the counter. htmx gets the state block back (with the refusal in it, if any);
    without JavaScript the page is shown again (POST, then redirect)."""
    user = _manager(request) if action == "free" else _officer(request)
    counter = _counter(user, pk)
    if action not in ACTIONS:
        raise NotFound("Thao tác không tồn tại.")
    htmx = bool(request.headers.get("HX-Request"))
    try:
        said = _step(request, user, counter, action)
    except NotFound:
        raise
    except DomainError as exc:  # refused: said on the page, nothing changed
        if htmx:
            counter.refresh_from_db()
            return _render_counter(request, user, counter, error=exc.message)
        messages.error(request, exc.message)
    else:
        if htmx:
            counter.refresh_from_db()
            response = _render_counter(request, user, counter)
            response["HX-Trigger"] = "console-said"
            return response
        messages.success(request, said)
    if action in ("leave", "free"):
        return redirect("queueing:console")
    return redirect("queueing:console_counter", pk=counter.pk)


@login_required
@require_GET
def console_intake(request: HttpRequest, pk: int) -> HttpResponse:
    """«Tiếp nhận hồ sơ»: pick the procedure; the intake form opens with the ticket carried along
    (?so=<ticket>), and the dossier it creates is linked to the ticket."""
    user = _officer(request)
    counter = _counter(user, pk)
    raw = request.GET.get("so", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise NotFound("Không tìm thấy số thứ tự.", code="ticket_not_found")
    ticket = ticket_get_for(user=user, pk=int(raw))
    q = clean_text(request.GET.get("q", ""))[:100].strip()
    results = catalog.procedure_search(query=q, limit=15) if q else Procedure.objects.none()
    context = {"counter": counter, "ticket": ticket, "q": q, "results": results}
    if request.headers.get("HX-Request"):
        return render(request, "queueing/console_intake_results.html", context)
    return render(request, "queueing/console_intake.html", context)
