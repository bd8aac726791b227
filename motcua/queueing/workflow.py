"""A ticket's life as data, and the one function that applies a step of it.

Every change of a ticket — call, recall, no-show, start, finish, transfer, left — goes through
`apply_locked` (or `ticket_apply`, which locks the row first), which
1. checks the step exists from the ticket's current state (the table below);
2. checks the actor: an active counter officer of the ticket's commune, at a counter of that
   commune that serves the ticket's group, where nobody else sits, and — after the call — the
   counter the ticket was called to;
3. runs the step's effect and writes exactly one `TicketEvent` (who, which counter, when).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from motcua.core.errors import Conflict, NotAllowed, ValidationFailed
from motcua.org.models import Role, User

from .events import publish, publish_many
from .models import Counter, CounterHours, EventKind, ServiceGroup, Ticket, TicketEvent, TicketState

S = TicketState
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_day(now: dt.datetime) -> dt.date:
    """The center's day of a moment: numbers start again at 001 at local midnight."""
    return now.astimezone(LOCAL_TZ).date()


class Action(StrEnum):
    CALL = "call"
    RECALL = "recall"
    NO_SHOW = "no_show"
    START = "start"
    FINISH = "finish"
    TRANSFER = "transfer"
    HOLD = "hold"
    RESUME = "resume"
    DOSSIER = "dossier"
    LEAVE = "leave"


@dataclass
class Context:
    ticket: Ticket
    # None only for the resident's own steps (RESIDENT_ACTIONS) and the system's (SYSTEM_ACTIONS);
    # then `counter` is the counter the ticket was called to, if any.
    actor: User | None
    counter: Counter | None
    now: dt.datetime
    data: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class Transition:
    action: Action
    label: str
    sources: tuple[str, ...]
    target: str
    event: str
    effect: Callable[[Context], None] | None = field(default=None, compare=False)


def _call(ctx: Context) -> None:
    t = ctx.ticket
    t.counter = ctx.counter
    t.called_at = ctx.now
    t.recalls = 0


def _recall(ctx: Context) -> None:
    ctx.ticket.recalls += 1
    ctx.note = f"Lần gọi lại thứ {ctx.ticket.recalls}"


def _start(ctx: Context) -> None:
    ctx.ticket.served_at = ctx.now


def _finish(ctx: Context) -> None:
    t = ctx.ticket
    t.served_at = t.served_at or ctx.now
    t.finished_at = ctx.now


def _close(ctx: Context) -> None:
    ctx.ticket.finished_at = ctx.now
    ctx.note = str(ctx.data.get("note") or "")[:200]


def _transfer(ctx: Context) -> None:
    """To another group (`to_group`) and/or one counter (`to_counter`, which must serve the
    group the ticket will wait in). Back in line in the order of issue: the resident has already
    waited."""
    t = ctx.ticket
    to_group = ctx.data.get("to_group") or t.queue_group
    to_counter = ctx.data.get("to_counter")
    if not isinstance(to_group, ServiceGroup) or to_group.commune_id != t.commune_id or not to_group.active:
        raise ValidationFailed("Nhóm dịch vụ chuyển đến không tồn tại hoặc đang tạm ngừng.", code="bad_group")
    if to_counter is not None:
        if (
            not isinstance(to_counter, Counter)
            or to_counter.commune_id != t.commune_id
            or not to_counter.active
        ):
            raise ValidationFailed("Quầy chuyển đến không tồn tại hoặc đang đóng.", code="bad_counter")
        if ctx.counter is not None and to_counter.pk == ctx.counter.pk:
            raise ValidationFailed("Không thể chuyển số về chính quầy này.", code="same_counter")
        if not serves(to_counter, to_group.pk):
            raise ValidationFailed(
                f"Quầy số {to_counter.number} không phục vụ nhóm {to_group.letter}.", code="group_not_served"
            )
        ctx.note = f"{t.queue_group.letter} → {to_group.letter}, quầy số {to_counter.number}"
    elif to_group.pk == t.queue_group_id:
        raise ValidationFailed("Số này đang ở đúng nhóm dịch vụ đó.", code="same_group")
    else:
        ctx.note = f"{t.queue_group.letter} → {to_group.letter}"
    t.queue_group = to_group
    t.directed_counter = to_counter
    t.counter = None
    t.called_at = None
    t.served_at = None
    t.recalls = 0


def _hold(ctx: Context) -> None:
    # The resident steps aside (a copy, a missing paper); the counter calls the next one and
    # resumes this ticket later. The ticket stays with its counter.
    ctx.note = str(ctx.data.get("reason") or "")[:200]


def _resume(ctx: Context) -> None:
    ctx.ticket.served_at = ctx.ticket.served_at or ctx.now


def _dossier(ctx: Context) -> None:
    dossier = ctx.data.get("dossier")
    if dossier is None or getattr(dossier, "commune_id", None) != ctx.ticket.commune_id:
        raise ValidationFailed("Hồ sơ không thuộc trung tâm của số này.", code="bad_dossier")
    ctx.ticket.dossier = dossier
    ctx.ticket.served_at = ctx.ticket.served_at or ctx.now
    ctx.note = str(getattr(dossier, "code", ""))[:200]


A = Action
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(A.CALL, "Gọi số", (S.WAITING,), S.CALLED, EventKind.CALLED, _call),
        Transition(A.RECALL, "Gọi lại", (S.CALLED,), S.CALLED, EventKind.RECALLED, _recall),
        Transition(A.NO_SHOW, "Vắng mặt", (S.CALLED,), S.NO_SHOW, EventKind.NO_SHOW, _close),
        Transition(A.START, "Bắt đầu phục vụ", (S.CALLED,), S.SERVING, EventKind.STARTED, _start),
        Transition(A.FINISH, "Hoàn thành", (S.CALLED, S.SERVING), S.DONE, EventKind.FINISHED, _finish),
        Transition(
            A.TRANSFER, "Chuyển", (S.CALLED, S.SERVING, S.HELD), S.WAITING, EventKind.TRANSFERRED, _transfer
        ),
        Transition(A.HOLD, "Tạm hoãn", (S.CALLED, S.SERVING), S.HELD, EventKind.HELD, _hold),
        Transition(A.RESUME, "Tiếp tục phục vụ", (S.HELD,), S.SERVING, EventKind.RESUMED, _resume),
        Transition(
            A.DOSSIER, "Tiếp nhận hồ sơ", (S.CALLED, S.SERVING), S.SERVING, EventKind.DOSSIER, _dossier
        ),
        Transition(A.LEAVE, "Công dân rời đi", (S.WAITING, S.CALLED, S.HELD), S.LEFT, EventKind.LEFT, _close),
    )
}

# Steps the resident takes alone ("Tôi không chờ nữa"): no officer, no counter checks.
RESIDENT_ACTIONS = frozenset({Action.LEAVE})
# Steps nobody takes: the end of a working day closes the tickets still live (apply_system_locked).
SYSTEM_ACTIONS = frozenset({Action.LEAVE, Action.FINISH})


def check_officer(*, actor: User, counter: Counter) -> None:
    """The actor may work at this counter: an active counter officer of its commune, and the
    counter is open and free or theirs. Raises NotAllowed / Conflict."""
    if (
        not actor.is_active
        or actor.commune_id != counter.commune_id
        or not actor.has_role(Role.COUNTER_OFFICER)
    ):
        raise NotAllowed("Bạn không có quyền làm việc tại quầy này.")
    if not counter.active:
        raise Conflict(f"Quầy số {counter.number} đang đóng.", code="counter_closed")
    if counter.officer_id is not None and counter.officer_id != actor.pk:
        raise NotAllowed(f"Quầy số {counter.number} đang do cán bộ khác phụ trách.", code="counter_taken")


def serves(counter: Counter, group_id: int, at: dt.time | None = None) -> bool:
    """The counter serves the group (at local time `at`, if given: see CounterHours)."""
    if not counter.groups.filter(pk=group_id).exists():
        return False
    if at is None:
        return True
    hours = CounterHours.objects.filter(counter=counter, group_id=group_id)
    return not hours.exists() or hours.filter(starts__lte=at, ends__gt=at).exists()


def apply_locked(
    *,
    ticket: Ticket,
    action: Action | str,
    actor: User | None,
    counter: Counter | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> Ticket:
    """Apply `action` to `ticket`, whose row the caller has locked in its open transaction.

    An officer's step needs `actor` and `counter`; a resident's step (RESIDENT_ACTIONS) takes
    neither, and its event names no officer and the counter the ticket was called to, if any."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_locked must run inside the transaction that locked the ticket")
    try:
        t = TRANSITIONS[Action(action)]
    except ValueError:
        raise ValidationFailed(f"Thao tác không tồn tại: {action}.", code="unknown_action") from None
    if t.action in RESIDENT_ACTIONS:
        if actor is not None or counter is not None:
            raise NotAllowed(f"Chỉ công dân giữ số mới có thể «{t.label}».")
        counter = ticket.counter
    else:
        if actor is None or counter is None:
            raise NotAllowed(f"Cần cán bộ tại quầy để «{t.label}».")
        _check_counter_step(ticket=ticket, t=t, actor=actor, counter=counter)
        if ticket.day < local_day(now):
            raise Conflict(
                f"Số {ticket.number} là của ngày {ticket.day:%d/%m/%Y}, đã hết hiệu lực.",
                code="ticket_expired",
            )
    if ticket.state not in t.sources:
        raise Conflict(
            f"Không thể «{t.label}» số {ticket.number} khi đang ở trạng thái «{ticket.get_state_display()}».",
            code="invalid_transition",
        )
    if (
        actor is not None
        and counter is not None
        and t.action != Action.CALL
        and ticket.counter_id != counter.pk
    ):
        raise Conflict(
            f"Số {ticket.number} không được gọi tới quầy số {counter.number}.", code="other_counter"
        )
    ctx = Context(ticket=ticket, actor=actor, counter=counter, now=now, data=data or {})
    if t.effect is not None:
        t.effect(ctx)
    ticket.state = t.target
    ticket.save()
    event = TicketEvent.objects.create(
        ticket=ticket, kind=t.event, at=now, officer=actor, counter=counter, note=ctx.note
    )
    publish(event, ticket=ticket, counter=counter)
    return ticket


def apply_system_locked(
    *, tickets: Sequence[Ticket], action: Callable[[Ticket], Action], now: dt.datetime, note: str
) -> list[TicketEvent]:
    """Apply a system step (SYSTEM_ACTIONS, chosen per ticket by `action`) to each of `tickets`,
    whose rows the caller has locked in its open transaction: no officer, no counter checks; one
    event each with `note`, naming the counter the ticket was at (so that the board clears it).
    The tickets and their events are written in bulk (a few statements for a few hundred rows).

    The tickets need `queue_group`, `commune` and `counter` loaded (select_related)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_system_locked must run inside the transaction that locked the tickets")
    events: list[TicketEvent] = []
    for ticket in tickets:
        t = TRANSITIONS[action(ticket)]
        if t.action not in SYSTEM_ACTIONS:
            raise NotAllowed(f"«{t.label}» cần cán bộ tại quầy.")
        if ticket.state not in t.sources:
            raise Conflict(
                f"Không thể «{t.label}» số {ticket.number} khi đang ở trạng thái «{ticket.get_state_display()}».",
                code="invalid_transition",
            )
        ctx = Context(ticket=ticket, actor=None, counter=ticket.counter, now=now, data={"note": note})
        if t.effect is not None:
            t.effect(ctx)
        ticket.state = t.target
        events.append(
            TicketEvent(
                ticket=ticket, kind=t.event, at=now, officer=None, counter=ticket.counter, note=note[:200]
            )
        )
    Ticket.objects.bulk_update(tickets, ["state", "served_at", "finished_at"], batch_size=500)
    TicketEvent.objects.bulk_create(events, batch_size=500)
    publish_many(events)
    return events


def _check_counter_step(*, ticket: Ticket, t: Transition, actor: User, counter: Counter) -> None:
    if ticket.commune_id != counter.commune_id:
        raise NotAllowed("Số này không thuộc trung tâm của quầy.")
    check_officer(actor=actor, counter=counter)
    if not serves(counter, ticket.queue_group_id) and not (
        t.action == Action.CALL and ticket.directed_counter_id == counter.pk
    ):
        raise ValidationFailed(
            f"Quầy số {counter.number} không phục vụ nhóm {ticket.queue_group.letter}.",
            code="group_not_served",
        )


def ticket_apply(
    *,
    ticket: Ticket,
    action: Action | str,
    actor: User | None,
    counter: Counter | None,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> Ticket:
    """Lock the ticket's row and apply `action` atomically; returns the ticket as saved.
    Raises NotAllowed, Conflict or ValidationFailed — and then changes nothing."""
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("group", "queue_group", "commune")
            .get(pk=ticket.pk)
        )
        return apply_locked(ticket=locked, action=action, actor=actor, counter=counter, now=now, data=data)
