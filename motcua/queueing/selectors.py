"""The queue's reads. Staff reads take the acting user and see their own commune only."""

from __future__ import annotations

import datetime as dt
import hmac

from django.conf import settings
from django.db.models import Count, Q

from motcua.core.errors import NotFound, ValidationFailed
from motcua.geo.models import Commune
from motcua.org.models import User

from .models import Counter, ServiceGroup, Ticket, TicketState

_NO_TICKET = "Không tìm thấy số thứ tự."
_MAX_ID = 2**31 - 1


def center_by_code(code: str) -> Commune:
    """The center (commune) of a public request, by its official code (digits)."""
    raw = code.strip() if len(code) <= 20 else ""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValidationFailed("Mã trung tâm (mã xã, phường) phải là một dãy chữ số.", code="bad_center")
    commune = Commune.objects.filter(code=int(raw)).first()
    if commune is None:
        raise NotFound("Không tìm thấy trung tâm có mã này.", code="center_not_found")
    return commune


def counter_get_for(*, user: User, pk: int) -> Counter:
    """A counter of the user's own commune; any other is 'not found'."""
    counter = None
    if user.commune_id is not None and 0 < pk <= _MAX_ID:
        counter = Counter.objects.filter(pk=pk, commune_id=user.commune_id).first()
    if counter is None:
        raise NotFound("Không tìm thấy quầy.", code="counter_not_found")
    return counter


def ticket_get_for(*, user: User, pk: int) -> Ticket:
    """A ticket of the user's own commune; any other is 'not found'."""
    ticket = None
    if user.commune_id is not None and 0 < pk <= _MAX_ID:
        ticket = (
            Ticket.objects.select_related("group", "queue_group")
            .filter(pk=pk, commune_id=user.commune_id)
            .first()
        )
    if ticket is None:
        raise NotFound(_NO_TICKET, code="ticket_not_found")
    return ticket


def ticket_public(*, pk: int, secret: str) -> Ticket:
    """A resident's ticket by id and the secret of its status link (ids are guessable): a missing
    or wrong secret is 'not found', like an unknown id."""
    ticket = None
    if 0 < pk <= _MAX_ID and secret and len(secret) <= 64:
        ticket = Ticket.objects.select_related("group", "queue_group", "counter").filter(pk=pk).first()
    if ticket is None or not hmac.compare_digest(ticket.secret.encode(), secret.encode("utf-8", "replace")):
        raise NotFound(_NO_TICKET, code="ticket_not_found")
    return ticket


def ticket_position(ticket: Ticket) -> int | None:
    """The ticket's place in its group's line (1: called next in the group), None when it no
    longer waits. Priority tickets come first, then order of issue, as counter_call_next calls."""
    if ticket.state != TicketState.WAITING:
        return None
    earlier = Q(issued_at__lt=ticket.issued_at) | Q(issued_at=ticket.issued_at, id__lt=ticket.pk)
    ahead = Q(priority=True) & earlier if ticket.priority else Q(priority=True) | earlier
    waiting = Ticket.objects.filter(
        commune_id=ticket.commune_id,
        day=ticket.day,
        queue_group_id=ticket.queue_group_id,
        state=TicketState.WAITING,
    ).exclude(pk=ticket.pk)
    return waiting.filter(ahead).count() + 1


def estimated_wait_s(position: int | None) -> int | None:
    """Placeholder until the wait estimator (motcua/queueing/estimate.py, issue 8 §8) lands:
    the place in line times MOTCUA_QUEUE_AVG_SERVICE_SECONDS."""
    if position is None:
        return None
    return position * int(settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS)


def groups_with_waiting(*, commune: Commune, day: dt.date) -> list[ServiceGroup]:
    """The center's active groups, each with `waiting`: how many of the day's tickets wait in its
    line now."""
    waiting = Count(
        "queued_tickets", filter=Q(queued_tickets__day=day, queued_tickets__state=TicketState.WAITING)
    )
    return list(
        ServiceGroup.objects.filter(commune=commune, active=True).annotate(waiting=waiting).order_by("letter")
    )
