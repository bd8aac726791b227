"""The queue's writes. Keyword-only; `now` comes from the interface (motcua.core.clock)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from motcua.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from motcua.core.text import clean_text
from motcua.geo.models import Commune
from motcua.notify.queue_notices import notify_queue_almost
from motcua.org.models import Role, User

from .events import publish
from .holders import lock_holders
from .models import (
    Counter,
    EventKind,
    KioskDevice,
    ServiceGroup,
    Ticket,
    TicketEvent,
    TicketSequence,
    TicketSource,
    TicketState,
)
from .numbering import ticket_number, ticket_seq_next
from .workflow import (
    LOCAL_TZ,
    Action,
    apply_locked,
    apply_system_locked,
    check_officer,
    local_day,
    serves,
    ticket_apply,
)

_LETTER = re.compile(r"[A-Z]")


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


LIVE_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.HELD)


def ticket_issue(
    *,
    commune: Commune,
    group_letter: str,
    priority: bool,
    now: dt.datetime,
    source: str = TicketSource.PHONE,
    kiosk: KioskDevice | None = None,
    holder: str = "",
    address: str = "",
    booked: bool = False,
    priority_reason: str = "",
) -> Ticket:
    """Give the next number of the group today. The number is taken last in the transaction.

    A phone (`holder`: the SHA-256 of its device cookie) holds at most
    MOTCUA_QUEUE_PHONE_MAX_LIVE live tickets of the day at this center, and a client address
    (`address`: holders.address_of) at most MOTCUA_QUEUE_ADDRESS_MAX_LIVE; both counted under
    the holders' lock (holders.lock_holders); a kiosk has no cap. The center's first ticket of a
    day first closes the earlier days' live tickets (close_earlier_days)."""
    group = active_group(commune=commune, letter=group_letter)
    if kiosk is not None and kiosk.commune_id != commune.pk:
        raise NotAllowed("Máy lấy số này thuộc trung tâm khác.", code="kiosk_other_center")
    day = local_day(now)
    if not TicketSequence.objects.filter(commune=commune, day=day).exists():
        # The center's first number today: yesterday's tickets still waiting are closed first.
        close_earlier_days(commune=commune, now=now)
    with transaction.atomic():
        lock_holders(holder, address)
        caps = (
            (holder, "holder", settings.MOTCUA_QUEUE_PHONE_MAX_LIVE, "Điện thoại này"),
            (address, "address", settings.MOTCUA_QUEUE_ADDRESS_MAX_LIVE, "Địa chỉ mạng này"),
        )
        for value, field, cap, who in caps:
            if not value:
                continue
            live = Ticket.objects.filter(
                commune=commune, day=day, state__in=LIVE_STATES, **{field: value}
            ).count()
            if live >= cap:
                raise Conflict(
                    f"{who} đang giữ {live} số chưa được phục vụ; "
                    "vui lòng chờ đến lượt hoặc huỷ bớt số trước khi lấy thêm.",
                    code="too_many_live_tickets",
                )
        seq = ticket_seq_next(group=group, day=day)
        ticket = Ticket.objects.create(
            commune=commune, group=group, queue_group=group, day=day, seq=seq,
            number=ticket_number(group.letter, seq), priority=bool(priority), issued_at=now,
            source=source, kiosk=kiosk, holder=holder, address=address, booked=booked,
        )  # fmt: skip
        why = f"Ưu tiên: {priority_reason[:80]}" if priority_reason else "Ưu tiên"
        notes = [label for flag, label in ((priority, why), (booked, "Đặt lịch")) if flag]
        event = TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.ISSUED, at=now, note=", ".join(notes)
        )
        publish(event, ticket=ticket)
    return ticket


def callable_now(counter: Counter, now: dt.datetime) -> Q:
    """The waiting tickets this counter may call at `now`: those directed to it, and those of
    the groups it serves at this hour that are not directed to another counter."""
    at = now.astimezone(LOCAL_TZ).time()
    served = [g.pk for g in counter.groups.filter(active=True) if serves(counter, g.pk, at=at)]
    return Q(directed_counter=counter) | Q(queue_group_id__in=served, directed_counter__isnull=True)


def counter_call_next(*, actor: User, counter: Counter, now: dt.datetime) -> Ticket | None:
    """Call the next ticket of today to this counter: among the groups it serves at this hour
    and the tickets transferred to it, priority first, then appointments checked in within
    their window, then order of issue. Rows another officer is calling at this moment are skipped
    (SKIP LOCKED), so two officers never get the same ticket. None when nobody waits.
    An officer calling at a free counter sits there. A counter with a ticket called or being served
    is refused (Conflict `counter_busy`): finish, hold or transfer it first."""
    with transaction.atomic():
        locked_counter = Counter.objects.select_for_update().get(pk=counter.pk)
        check_officer(actor=actor, counter=locked_counter)
        _check_not_busy(counter=locked_counter, now=now)
        if not locked_counter.groups.filter(active=True).exists():
            raise ValidationFailed(
                f"Quầy số {locked_counter.number} chưa được gán nhóm dịch vụ nào.", code="no_groups"
            )
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("group", "queue_group", "commune")
            .filter(callable_now(locked_counter, now), commune_id=locked_counter.commune_id,
                    day=local_day(now), state=TicketState.WAITING)
            .order_by("-priority", "-booked", "issued_at", "id")
            .first()
        )  # fmt: skip
        if ticket is None:
            return None
        if locked_counter.officer_id is None:
            _sit(actor=actor, counter=locked_counter, now=now)
        called = apply_locked(ticket=ticket, action=Action.CALL, actor=actor, counter=locked_counter, now=now)
        # «Nhắn tin cho tôi khi sắp đến lượt»: the line's tickets now near the front (notify app).
        notify_queue_almost(called, now)
        return called


def ticket_set_notify_phone(*, ticket: Ticket, phone: str, now: dt.datetime) -> Ticket:
    """«Nhắn tin cho tôi khi sắp đến lượt»: the phone (cleaned by appointments.clean_phone; empty
    removes it) of a ticket still waiting today. Already near the front: told at once."""
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.state != TicketState.WAITING or locked.day != local_day(now):
            raise Conflict(
                f"Số {locked.number} không còn chờ, không nhận tin nhắn được nữa.", code="not_waiting"
            )
        locked.notify_phone = phone
        locked.save(update_fields=["notify_phone"])
        if phone:
            notify_queue_almost(locked, now)
    return locked


def ticket_recall(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    """Call the ticket again. After MOTCUA_QUEUE_MAX_RECALLS recalls nobody came: this press
    marks it no-show instead (the counter then calls the next)."""
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.state == TicketState.CALLED and locked.recalls >= settings.MOTCUA_QUEUE_MAX_RECALLS:
            return apply_locked(
                ticket=locked, action=Action.NO_SHOW, actor=actor, counter=counter, now=now,
                data={"note": f"Sau {locked.recalls} lần gọi lại"},
            )  # fmt: skip
        return apply_locked(ticket=locked, action=Action.RECALL, actor=actor, counter=counter, now=now)


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("group", "queue_group", "commune")
        .get(pk=ticket.pk)
    )


def ticket_no_show(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    return ticket_apply(ticket=ticket, action=Action.NO_SHOW, actor=actor, counter=counter, now=now)


def ticket_start(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    return ticket_apply(ticket=ticket, action=Action.START, actor=actor, counter=counter, now=now)


def ticket_finish(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    return ticket_apply(ticket=ticket, action=Action.FINISH, actor=actor, counter=counter, now=now)


def ticket_transfer(
    *,
    actor: User,
    counter: Counter,
    ticket: Ticket,
    now: dt.datetime,
    to_group: ServiceGroup | None = None,
    to_counter: Counter | None = None,
) -> Ticket:
    """Send the ticket back into a line: another group's, and/or one counter's (that counter
    alone calls it). At least one of `to_group`, `to_counter`."""
    if to_group is None and to_counter is None:
        raise ValidationFailed("Hãy chọn nhóm dịch vụ hoặc quầy để chuyển số đến.", code="no_target")
    return ticket_apply(
        ticket=ticket, action=Action.TRANSFER, actor=actor, counter=counter, now=now,
        data={"to_group": to_group, "to_counter": to_counter},
    )  # fmt: skip


def transfer_targets(
    *, commune_id: int, group_letter: str | None, counter_number: int | None
) -> tuple[ServiceGroup | None, Counter | None]:
    """The group (by letter) and the counter (by number) of the center a ticket is transferred
    to, as an officer names them; an unknown one is a 422 in Vietnamese."""
    group = to_counter = None
    if group_letter:
        group = ServiceGroup.objects.filter(
            commune_id=commune_id, letter=parse_letter(group_letter), active=True
        ).first()
        if group is None:
            raise ValidationFailed(
                "Nhóm dịch vụ chuyển đến không tồn tại hoặc đang tạm ngừng.", code="bad_group"
            )
    if counter_number is not None:
        if 0 < counter_number <= 32767:
            to_counter = Counter.objects.filter(commune_id=commune_id, number=counter_number).first()
        if to_counter is None:
            raise ValidationFailed("Quầy chuyển đến không tồn tại.", code="bad_counter")
    return group, to_counter


HOLD_REASON_MAX = 200


def ticket_hold(
    *, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime, reason: str = ""
) -> Ticket:
    """Put the ticket aside (the resident fetches a copy, a missing paper): it stays with this
    counter, which calls the next and resumes it later. `reason` is optional, at most 200
    characters (control characters dropped)."""
    reason = " ".join(clean_text(reason).split())
    if len(reason) > HOLD_REASON_MAX:
        raise ValidationFailed(f"Lý do tạm hoãn dài quá {HOLD_REASON_MAX} ký tự.", code="reason_too_long")
    return ticket_apply(
        ticket=ticket, action=Action.HOLD, actor=actor, counter=counter, now=now, data={"reason": reason}
    )


def ticket_resume(*, actor: User, counter: Counter, ticket: Ticket, now: dt.datetime) -> Ticket:
    """Serve a held ticket again; refused while the counter has another ticket called or being
    served (Conflict `counter_busy`)."""
    with transaction.atomic():
        locked_counter = Counter.objects.select_for_update().get(pk=counter.pk)
        check_officer(actor=actor, counter=locked_counter)
        locked = _locked(ticket)
        if locked.state == TicketState.HELD:  # else apply_locked says why it cannot resume
            _check_not_busy(counter=locked_counter, now=now)
        return apply_locked(ticket=locked, action=Action.RESUME, actor=actor, counter=locked_counter, now=now)


_OPEN_STATES = (TicketState.CALLED, TicketState.SERVING)


def _open_ticket(*, counter: Counter, now: dt.datetime) -> Ticket | None:
    """Today's ticket called to or being served at `counter` (held ones do not count)."""
    return (
        Ticket.objects.filter(counter=counter, day__gte=local_day(now), state__in=_OPEN_STATES)
        .order_by("called_at", "id")
        .first()
    )


def _check_not_busy(*, counter: Counter, now: dt.datetime) -> None:
    busy = _open_ticket(counter=counter, now=now)
    if busy is not None:
        raise Conflict(
            f"Quầy số {counter.number} đang phục vụ số {busy.number}: "
            "hãy hoàn thành, tạm hoãn hoặc chuyển số đó trước.",
            code="counter_busy",
        )


def ticket_link_dossier(
    *, actor: User, counter: Counter, ticket: Ticket, dossier: Any, now: dt.datetime
) -> Ticket:
    """The dossier received at the counter for this ticket (its intake ran with the ticket)."""
    return ticket_apply(
        ticket=ticket, action=Action.DOSSIER, actor=actor, counter=counter, now=now, data={"dossier": dossier}
    )


def ticket_leave(*, ticket: Ticket, now: dt.datetime) -> Ticket:
    """The resident's own «Tôi không chờ nữa»: the ticket leaves the line (from waiting, called
    or held); one LEFT event with no officer (and the counter it was called to, if any, so that
    the board clears it). The caller has checked the ticket's secret."""
    return ticket_apply(ticket=ticket, action=Action.LEAVE, actor=None, counter=None, now=now)


def _sit(*, actor: User, counter: Counter, now: dt.datetime) -> None:
    """`actor` sits at `counter` (locked, free or theirs) and leaves any other counter: one officer,
    one counter. Refused (Conflict `seat_busy`) while the counter they leave has a ticket called or
    being served: it would be left with nobody to finish it."""
    others = list(Counter.objects.select_for_update().filter(officer=actor).exclude(pk=counter.pk))
    for other in others:
        busy = _open_ticket(counter=other, now=now)
        if busy is not None:
            raise Conflict(
                f"Quầy số {other.number} còn số {busy.number} đang phục vụ: hãy hoàn thành hoặc chuyển trước.",
                code="seat_busy",
            )
    Counter.objects.filter(pk__in=[o.pk for o in others]).update(officer=None)
    if counter.officer_id != actor.pk:
        counter.officer = actor
        counter.save(update_fields=["officer"])


def counter_sit(*, actor: User, counter: Counter, now: dt.datetime) -> Counter:
    """«Ngồi quầy này»: the officer takes a free counter of their commune (and leaves the one they
    sat at). A counter another officer holds is refused; they must leave it first."""
    with transaction.atomic():
        locked = Counter.objects.select_for_update().get(pk=counter.pk)
        check_officer(actor=actor, counter=locked)
        _sit(actor=actor, counter=locked, now=now)
    return locked


def counter_leave(*, actor: User, counter: Counter) -> Counter:
    """«Rời quầy»: the officer sitting at the counter leaves it. Its called and held tickets stay
    with the counter for whoever sits there next."""
    with transaction.atomic():
        locked = Counter.objects.select_for_update().get(pk=counter.pk)
        if locked.officer_id != actor.pk:
            raise Conflict(f"Bạn không ngồi ở quầy số {locked.number}.", code="not_seated")
        locked.officer = None
        locked.save(update_fields=["officer"])
    return locked


def counter_free(*, actor: User, counter: Counter, now: dt.datetime) -> Counter:
    """«Giải phóng quầy»: the commune's administrator or leader frees a counter another officer
    holds (who went home without «Rời quầy»). Its tickets are not touched: the called, served and
    held ones stay with the counter for whoever sits there next. `now` is unused (no ticket
    changes, so no event); taken as every step does."""
    del now
    if (
        not actor.is_active
        or actor.commune_id != counter.commune_id
        or not actor.has_role(Role.ADMIN, Role.COMMUNE_LEADER)
    ):
        raise NotAllowed("Chỉ quản trị hoặc lãnh đạo xã, phường mới giải phóng được quầy.")
    with transaction.atomic():
        locked = Counter.objects.select_for_update().get(pk=counter.pk)
        if locked.officer_id is None:
            raise Conflict(f"Quầy số {locked.number} đang trống.", code="counter_not_taken")
        locked.officer = None
        locked.save(update_fields=["officer"])
    return locked


def counters_free_for(*, officer: User) -> int:
    """The officer has logged out or been deactivated: the counters they sat at are free again
    (their tickets stay with the counters). Returns how many."""
    return Counter.objects.filter(officer_id=officer.pk).update(officer=None)


DAY_OVER_NOTE = "Hết ngày làm việc"


def close_earlier_days(*, commune: Commune, now: dt.datetime) -> int:
    """The commune's tickets of days before today still live are closed: a served one is DONE
    (finished at `now`), a waiting, called or held one LEFT; one event each with no officer and
    the note «Hết ngày làm việc», announced to the streams. Returns how many were closed."""
    with transaction.atomic():
        tickets = list(
            Ticket.objects.select_for_update(of=("self",))
            .select_related("queue_group", "commune", "counter")
            .filter(commune=commune, day__lt=local_day(now), state__in=LIVE_STATES)
            .order_by("id")
        )
        apply_system_locked(
            tickets=tickets,
            action=lambda t: Action.FINISH if t.state == TicketState.SERVING else Action.LEAVE,
            now=now,
            note=DAY_OVER_NOTE,
        )
    return len(tickets)


def ticket_for_intake(*, actor: User, raw: str, now: dt.datetime) -> tuple[Ticket, Counter]:
    """The ticket a dossier intake runs for (`?so=<ticket id>`): a ticket of the officer's commune,
    of today, called or being served at a counter where this officer sits. Else NotFound /
    Conflict."""
    ticket = None
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and actor.commune_id is not None:
        ticket = (
            Ticket.objects.select_related("group", "queue_group", "counter")
            .filter(pk=int(raw), commune_id=actor.commune_id)
            .first()
        )
    if ticket is None:
        raise NotFound("Không tìm thấy số thứ tự.", code="ticket_not_found")
    if ticket.day < local_day(now):
        raise Conflict(
            f"Số {ticket.number} là của ngày {ticket.day:%d/%m/%Y}, đã hết hiệu lực.", code="ticket_expired"
        )
    counter = ticket.counter
    if ticket.state not in (TicketState.CALLED, TicketState.SERVING) or counter is None:
        raise Conflict(
            f"Số {ticket.number} không còn ở quầy để tiếp nhận hồ sơ.", code="ticket_not_at_counter"
        )
    if counter.officer_id != actor.pk:
        raise Conflict(
            f"Bạn không ngồi ở quầy số {counter.number}, nơi số {ticket.number} được gọi.", code="not_seated"
        )
    return ticket, counter
