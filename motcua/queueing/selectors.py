"""The queue's reads. Staff reads take the acting user and see their own commune only."""

from __future__ import annotations

import datetime as dt
import hmac
import math
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q

from motcua.core.errors import NotFound, ValidationFailed
from motcua.geo.models import Commune
from motcua.org.models import User

from .estimate import ESTIMATORS, LIVE_ESTIMATOR, CounterNow, Done, QueueState
from .models import Counter, CounterHours, ServiceGroup, Ticket, TicketState

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
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
    """The ticket's place in its line (1: called next), None when it no longer waits. The line
    is ordered as counter_call_next calls: priority first, then appointments checked in within
    their window (booked), then order of issue. Tickets transferred to one counter wait in
    that counter's line: they are not ahead of the group's others, and a directed ticket counts
    those directed to the same counter and the group's undirected ones."""
    if ticket.state != TicketState.WAITING:
        return None
    earlier = Q(issued_at__lt=ticket.issued_at) | Q(issued_at=ticket.issued_at, id__lt=ticket.pk)
    same_rank = Q(priority=ticket.priority, booked=ticket.booked)
    ahead = same_rank & earlier
    if not ticket.priority:
        ahead |= Q(priority=True)
        if not ticket.booked:
            ahead |= Q(booked=True)
    else:
        ahead |= Q(priority=True, booked=True) if not ticket.booked else Q(pk__in=[])
    line = Q(directed_counter__isnull=True)
    if ticket.directed_counter_id is not None:
        line |= Q(directed_counter_id=ticket.directed_counter_id)
    waiting = Ticket.objects.filter(
        line,
        commune_id=ticket.commune_id,
        day=ticket.day,
        queue_group_id=ticket.queue_group_id,
        state=TicketState.WAITING,
    ).exclude(pk=ticket.pk)
    return waiting.filter(ahead).count() + 1


# Fewer finished counter occupations than this today: the day's times say too little yet, and
# the estimate uses MOTCUA_QUEUE_AVG_SERVICE_SECONDS for every counter time.
MIN_HISTORY = 3
# The last occupations read for the weighted counter times (weights older than ~60 are < 0.1 %).
HISTORY_READ = 60
_AT_COUNTER = (TicketState.CALLED, TicketState.SERVING)


def _seconds(moment: dt.datetime | None) -> float:
    assert moment is not None  # filtered on, or defaulted, by the caller
    return moment.timestamp()


def queue_state(ticket: Ticket, *, position: int, now: dt.datetime) -> QueueState:
    """What the estimator sees for a waiting ticket at `now`, read from the database in a
    handful of queries: the people ahead (`position` − 1), the counters open for its group now
    (active, an officer sitting there, serving the group at this hour, and the one it was
    transferred to if any), what each of them is busy with, who waits in every group, and the
    day's last finished counter occupations (call → finish or no-show)."""
    group = ticket.queue_group
    at = now.astimezone(LOCAL_TZ).time()
    counters_q = Counter.objects.filter(commune_id=ticket.commune_id, active=True, officer__isnull=False)
    if ticket.directed_counter_id is not None:
        counters_q = counters_q.filter(pk=ticket.directed_counter_id)
    open_now: list[tuple[int, int, tuple[str, ...]]] = []  # (pk, number, letters served now)
    for c in counters_q.prefetch_related("groups", "hours"):
        hours: dict[int, list[CounterHours]] = {}
        for h in c.hours.all():
            hours.setdefault(h.group_id, []).append(h)
        letters = tuple(
            g.letter
            for g in c.groups.all()
            if g.active and (g.pk not in hours or any(h.starts <= at < h.ends for h in hours[g.pk]))
        )
        if group.letter in letters or (ticket.directed_counter_id == c.pk and letters):
            open_now.append(
                (c.pk, c.number, letters if group.letter in letters else (*letters, group.letter))
            )
    today = Ticket.objects.filter(commune_id=ticket.commune_id, day=ticket.day)
    busy: dict[int, tuple[str, dt.datetime]] = {}
    for counter_id, letter, called in (
        today.filter(state__in=_AT_COUNTER, counter_id__in=[pk for pk, _, _ in open_now])
        .order_by("called_at")
        .values_list("counter_id", "queue_group__letter", "called_at")
    ):
        busy[counter_id] = (letter, called or now)
    waiting = dict(
        today.filter(state=TicketState.WAITING)
        .exclude(pk=ticket.pk)
        .values_list("queue_group__letter")
        .annotate(n=Count("id"))
        .values_list("queue_group__letter", "n")
    )
    done = list(
        today.filter(finished_at__isnull=False, called_at__isnull=False, finished_at__lte=now)
        .order_by("-finished_at", "-id")
        .values_list("queue_group__letter", "counter__number", "called_at", "served_at", "finished_at")[
            :HISTORY_READ
        ]
    )
    history = [
        Done(letter, number or 0, _seconds(called), _seconds(served) if served else None, _seconds(finished))
        for letter, number, called, served, finished in reversed(done)
    ]
    counters = tuple(
        CounterNow(
            number=number,
            groups=letters,
            busy_group=busy[pk][0] if pk in busy else None,
            busy_since=_seconds(busy[pk][1]) if pk in busy else None,
        )
        for pk, number, letters in open_now
    )
    if not counters:
        # Nobody serves the group now (before opening, a break, no officer yet): assume one
        # counter that has just begun a ticket, so the wait is the place in line × a counter time.
        counters = (
            CounterNow(number=0, groups=(group.letter,), busy_group=group.letter, busy_since=_seconds(now)),
        )
    return QueueState(
        now=_seconds(now),
        group=group.letter,
        ahead=max(0, position - 1),
        counters=counters,
        waiting=waiting,
        history=history if len(history) >= MIN_HISTORY else (),
        priority=ticket.priority,
        default_s=float(settings.MOTCUA_QUEUE_AVG_SERVICE_SECONDS),
    )


def estimated_wait_s(ticket: Ticket, *, position: int | None, now: dt.datetime) -> int | None:
    """Seconds until a counter calls the ticket, by the estimator that won on the simulated
    day (estimate.LIVE_ESTIMATOR, "projected"); None when the ticket no longer waits."""
    if position is None:
        return None
    wait = ESTIMATORS[LIVE_ESTIMATOR](queue_state(ticket, position=position, now=now))
    return round(wait) if math.isfinite(wait) else None


def groups_with_waiting(*, commune: Commune, day: dt.date) -> list[ServiceGroup]:
    """The center's active groups, each with `waiting`: how many of the day's tickets wait in its
    line now."""
    waiting = Count(
        "queued_tickets", filter=Q(queued_tickets__day=day, queued_tickets__state=TicketState.WAITING)
    )
    return list(
        ServiceGroup.objects.filter(commune=commune, active=True).annotate(waiting=waiting).order_by("letter")
    )
