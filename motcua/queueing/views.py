"""The resident's phone pages of the queue (issue 8 §2): the page a center's QR poster opens, and
the ticket. Server-rendered, no JavaScript, large touch targets."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from motcua.core import clock
from motcua.core.errors import NotFound, RateLimited, ValidationFailed
from motcua.core.ratelimit import client_key, hit

from .models import Ticket, TicketState
from .selectors import center_by_code, estimated_wait_s, groups_with_waiting, ticket_position, ticket_public
from .services import local_day, ticket_issue

_LIVE = {TicketState.WAITING, TicketState.CALLED, TicketState.SERVING}


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "queueing/not_found.html", {"message": message}, status=404)


@require_http_methods(["GET", "POST"])
def take(request: HttpRequest, code: str) -> HttpResponse:
    """The center's groups as big buttons; a POST takes a number of the group pressed, under the
    API's per-client limit (MOTCUA_TICKET_RATE, the same counter), and shows the ticket."""
    now = clock.now()
    try:
        commune = center_by_code(code)
    except (NotFound, ValidationFailed):
        return _not_found(request, "Không tìm thấy trung tâm này. Vui lòng quét lại mã QR tại trung tâm.")
    error, status = "", 200
    if request.method == "POST":
        try:
            hit(purpose="ticket", key=client_key(request), rate=settings.MOTCUA_TICKET_RATE, now=now)
            t = ticket_issue(
                commune=commune, group_letter=request.POST.get("group", ""), priority=False, now=now
            )
        except RateLimited as exc:
            error, status = exc.message, exc.status
        except (NotFound, ValidationFailed):
            return _not_found(request, "Nhóm dịch vụ này không có hoặc đang tạm ngừng lấy số.")
        else:
            return redirect("queueing:ticket", pk=t.pk, secret=t.secret)
    groups = groups_with_waiting(commune=commune, day=local_day(now))
    context = {"commune": commune, "groups": groups, "error": error}
    return render(request, "queueing/take.html", context, status=status)


def state_words(t: Ticket) -> str:
    """The ticket's state in plain words for the resident."""
    counter = t.counter.number if t.counter_id and t.counter else None
    if t.state == TicketState.CALLED and counter is not None:
        return f"Mời bạn đến quầy số {counter}"
    if t.state == TicketState.SERVING and counter is not None:
        return f"Đang được phục vụ tại quầy số {counter}"
    return {
        TicketState.WAITING: "Đang chờ",
        TicketState.CALLED: "Mời bạn đến quầy",
        TicketState.SERVING: "Đang được phục vụ",
        TicketState.DONE: "Đã xong",
        TicketState.NO_SHOW: "Đã qua lượt (vắng mặt khi được gọi)",
        TicketState.LEFT: "Đã rời hàng",
    }.get(TicketState(t.state), t.get_state_display())


@require_GET
def ticket(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """The ticket: its number, group, state, place in line and estimated wait. A wrong secret is
    'not found', like an unknown id."""
    try:
        t = ticket_public(pk=pk, secret=secret)
    except NotFound as exc:
        return _not_found(request, exc.message)
    position = ticket_position(t)
    wait_s = estimated_wait_s(t, position=position, now=clock.now())
    context = {
        "t": t,
        "commune": t.commune,
        "words": state_words(t),
        "called": t.state == TicketState.CALLED,
        "live": t.state in _LIVE,
        "position": position,
        "wait_min": math.ceil(wait_s / 60) if wait_s is not None else None,
    }
    return render(request, "queueing/ticket.html", context)
