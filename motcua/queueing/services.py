"""The queue's writes. Keyword-only; `now` comes from the interface (motcua.core.clock)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.db import transaction

from motcua.core.errors import NotFound, ValidationFailed
from motcua.geo.models import Commune
from motcua.org.models import User

from .models import Counter, EventKind, ServiceGroup, Ticket, TicketEvent, TicketState
from .numbering import ticket_number, ticket_seq_next
from .workflow import Action, apply_locked, check_officer, ticket_apply

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_LETTER = re.compile(r"[A-Z]")


def local_day(now: dt.datetime) -> dt.date:
    """The center's day of a moment: numbers start again at 001 at local midnight."""
    return now.astimezone(LOCAL_TZ).date()


def parse_letter(raw: str) -> str:
    """One letter A–Z (any case, surrounding spaces ignored), else a 422."""
    # A NUL or any other character is refused, not cleaned away: the resident meant something else.
    letter = raw.strip().upper() if len(raw) <= 10 else ""
    if not _LETTER.fullmatch(letter):
        raise ValidationFailed("Nhóm dịch vụ phải là một chữ cái từ A đến Z.", code="bad_group")
    return letter


def active_group(*, commune: Commune, letter: str) -> ServiceGroup:
    group = ServiceGroup.objects.filter(commune=commune, letter=parse_letter(letter), active=True).first()
    if group is None:
        raise NotFound("Nhóm dịch vụ này không có hoặc đang tạm ngừng lấy số.", code="group_not_found")
    return group


def ticket_issue(*, commune: Commune, group_letter: str, priority: bool, now: dt.datetime) -> Ticket:
    """Give the next number of the group today. The number is taken last in the transaction."""
    group = active_group(commune=commune, letter=group_letter)
    with transaction.atomic():
        day = local_day(now)
        seq = ticket_seq_next(group=group, day=day)
        ticket = Ticket.objects.create(
            commune=commune, group=group, queue_group=group, day=day, seq=seq,
            number=ticket_number(group.letter, seq), priority=bool(priority), issued_at=now,
        )  # fmt: skip
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.ISSUED, at=now, note="Ưu tiên" if priority else ""
        )
    return ticket


def counter_call_next(*, actor: User, counter: Counter, now: dt.datetime) -> Ticket | None:
    """Call the next ticket of today to this counter: among the groups it serves, priority
    first, then order of issue. Rows another officer is calling at this moment are skipped
    (SKIP LOCKED), so two officers never get the same ticket. None when nobody waits.
    An officer calling at a free counter sits there."""
    with transaction.atomic():
        locked_counter = Counter.objects.select_for_update().get(pk=counter.pk)
        check_officer(actor=actor, counter=locked_counter)
        groups = list(locked_counter.groups.filter(active=True).values_list("pk", flat=True))
        if not groups:
            raise ValidationFailed(
                f"Quầy số {locked_counter.number} chưa được gán nhóm dịch vụ nào.", code="no_groups"
            )
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("group", "queue_group")
            .filter(commune_id=locked_counter.commune_id, day=local_day(now), state=TicketState.WAITING,
                    queue_group_id__in=groups)
            .order_by("-priority", "issued_at", "id")
            .first()
        )  # fmt: skip
        if ticket is None:
            return None
        if locked_counter.officer_id is None:
            locked_counter.officer = actor
            locked_counter.save(update_fields=["officer"])
        return apply_locked(ticket=ticket, action=Action.CALL, actor=actor, counter=locked_counter, now=now)


def ticket_recall(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    return ticket_apply(ticket=ticket, action=Action.RECALL, actor=actor, counter=counter, now=now)


def ticket_no_show(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    return ticket_apply(ticket=ticket, action=Action.NO_SHOW, actor=actor, counter=counter, now=now)


def ticket_start(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    return ticket_apply(ticket=ticket, action=Action.START, actor=actor, counter=counter, now=now)


def ticket_finish(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    return ticket_apply(ticket=ticket, action=Action.FINISH, actor=actor, counter=counter, now=now)


def ticket_transfer(
    *, actor: User, counter: Counter, ticket: Ticket, to_group: ServiceGroup, now: dt.datetime
) -> Ticket:
    return ticket_apply(
        ticket=ticket,
        action=Action.TRANSFER,
        actor=actor,
        counter=counter,
        now=now,
        data={"to_group": to_group},
    )
