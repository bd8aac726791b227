"""The commune administrator sets up the hall's queue (issue 8 §1, §3): service groups, counters
and their hours, kiosks.

Every write takes the acting user (a commune administrator: `org.selectors.commune_admin`, else
403), touches only objects of that user's commune (another commune's object is "not found") and
`now`. Text is cleaned (NFC) and refused, not silently changed, when it holds a control character
(a NUL, which PostgreSQL refuses) or is too long. Nothing history needs is deleted: a group or a
counter is paused, never removed (tickets and events point at them). CounterHours rows are
configuration, not history: they are removed.

Hours of one group at one counter are kept as disjoint ranges: a new range that overlaps or
touches existing ones of the same group is merged with them into one row (serving is the union of
the rows anyway, see workflow.serves), so the list always reads as the counter really serves.

Every change is written to the `motcua.audit` logger at INFO, enabled by default (who, which
commune, what, when; never a kiosk token): the organisation has no audit table yet.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from motcua.core.audit import audit_log
from motcua.core.errors import Conflict, NotFound, ValidationFailed
from motcua.core.text import form_int, form_text
from motcua.geo.models import Commune
from motcua.org.models import User
from motcua.org.selectors import commune_admin, commune_of

from .kiosks import kiosk_create, kiosk_revoke
from .models import Counter, CounterHours, KioskDevice, ServiceGroup, Ticket, TicketState
from .services import counter_free, parse_letter
from .workflow import local_day

NAME_MAX = 100
CAPACITY_MIN, CAPACITY_MAX = 0, 50
SLOT_MIN, SLOT_MAX = 5, 240
COUNTER_MIN, COUNTER_MAX = 1, 99
_MAX_ID = 2**31 - 1
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _log(actor: User, action: str, what: str, now: dt.datetime) -> None:
    audit_log(area="queue-setup", actor=actor, action=action, what=what, now=now)


# ------------------------------------------------------------------------------- input


def _text(value: object, *, label: str, max_length: int = NAME_MAX, required: bool = False) -> str:
    return form_text(value, label=label, max_length=max_length, required=required)


def _int(value: object, *, label: str, low: int, high: int) -> int:
    return form_int(value, label=label, low=low, high=high)


def _letter(value: object) -> str:
    return parse_letter("" if value is None else str(value))


def parse_time(value: object, *, label: str) -> dt.time:
    """ "HH:MM" (24 h, 00:00–23:59), else a 422 naming the field."""
    raw = ("" if value is None else str(value)).strip()
    match = _TIME.fullmatch(raw) if len(raw) <= 5 else None
    if match is None:
        raise ValidationFailed(
            f"{label.capitalize()} phải có dạng giờ:phút, từ 00:00 đến 23:59 (ví dụ 07:30).", code="bad_time"
        )
    return dt.time(int(match.group(1)), int(match.group(2)))


def _pk(value: object) -> int | None:
    raw = ("" if value is None else str(value)).strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= _MAX_ID:
        return None
    return int(raw)


# ------------------------------------------------------------------------------- reads


def _commune(actor: User) -> Commune:
    admin = commune_admin(actor)
    return Commune.objects.get(pk=commune_of(admin))


def groups_for(*, user: User, now: dt.datetime) -> list[ServiceGroup]:
    """The commune's groups, each with `waiting`: its tickets waiting today."""
    admin = commune_admin(user)
    waiting = Count(
        "queued_tickets",
        filter=Q(queued_tickets__day=local_day(now), queued_tickets__state=TicketState.WAITING),
    )
    return list(
        ServiceGroup.objects.filter(commune_id=commune_of(admin)).annotate(waiting=waiting).order_by("letter")
    )


def group_get_for(*, user: User, pk: int) -> ServiceGroup:
    admin = commune_admin(user)
    group = (
        ServiceGroup.objects.filter(pk=pk, commune_id=commune_of(admin)).first()
        if 0 < pk <= _MAX_ID
        else None
    )
    if group is None:
        raise NotFound("Không tìm thấy nhóm dịch vụ này.", code="group_not_found")
    return group


def counters_for(*, user: User) -> list[Counter]:
    """The commune's counters with their groups, hours and who sits there."""
    admin = commune_admin(user)
    return list(
        Counter.objects.filter(commune_id=commune_of(admin))
        .select_related("officer")
        .prefetch_related("groups", "hours__group")
        .order_by("number")
    )


def counter_get_for(*, user: User, pk: int) -> Counter:
    admin = commune_admin(user)
    counter = (
        Counter.objects.filter(pk=pk, commune_id=commune_of(admin)).first() if 0 < pk <= _MAX_ID else None
    )
    if counter is None:
        raise NotFound("Không tìm thấy quầy.", code="counter_not_found")
    return counter


def kiosks_for(*, user: User) -> list[KioskDevice]:
    admin = commune_admin(user)
    return list(
        KioskDevice.objects.filter(commune_id=commune_of(admin))
        .select_related("created_by")
        .order_by("revoked_at", "-created_at", "pk")
    )


# ------------------------------------------------------------------------------- groups


def group_create(
    *, actor: User, letter: str, name: str, capacity: object, slot_minutes: object, now: dt.datetime
) -> ServiceGroup:
    """A new group of the commune's center: letter A–Z unique in the commune, a name."""
    commune = _commune(actor)
    letter = _letter(letter)
    name = _text(name, label="tên nhóm", required=True)
    cap = _int(capacity, label="số chỗ đặt lịch mỗi khung giờ", low=CAPACITY_MIN, high=CAPACITY_MAX)
    minutes = _int(slot_minutes, label="độ dài khung giờ (phút)", low=SLOT_MIN, high=SLOT_MAX)
    taken = Conflict(f"Chữ {letter} đã dùng cho một nhóm khác của trung tâm.", code="letter_taken")
    if ServiceGroup.objects.filter(commune=commune, letter=letter).exists():
        raise taken
    try:
        with transaction.atomic():
            group = ServiceGroup.objects.create(
                commune=commune,
                letter=letter,
                name=name,
                appointment_capacity=cap,
                appointment_slot_minutes=minutes,
            )
    except IntegrityError:
        raise taken from None
    _log(actor, "group_create", f"{letter} «{name}» capacity {cap}/{minutes} min", now)
    return group


def group_update(
    *, actor: User, group_id: int, name: str, capacity: object, slot_minutes: object, now: dt.datetime
) -> ServiceGroup:
    """Rename a group, change its booking capacity per slot and the slot's length."""
    group = group_get_for(user=actor, pk=group_id)
    name = _text(name, label="tên nhóm", required=True)
    cap = _int(capacity, label="số chỗ đặt lịch mỗi khung giờ", low=CAPACITY_MIN, high=CAPACITY_MAX)
    minutes = _int(slot_minutes, label="độ dài khung giờ (phút)", low=SLOT_MIN, high=SLOT_MAX)
    before = f"«{group.name}» {group.appointment_capacity}/{group.appointment_slot_minutes} min"
    group.name, group.appointment_capacity, group.appointment_slot_minutes = name, cap, minutes
    group.save(update_fields=["name", "appointment_capacity", "appointment_slot_minutes"])
    _log(actor, "group_update", f"{group.letter}: {before} → «{name}» {cap}/{minutes} min", now)
    return group


def group_set_active(*, actor: User, group_id: int, active: bool, now: dt.datetime) -> ServiceGroup:
    """Pause a group (no new numbers, no bookings) or resume it. A group is never deleted.

    Pausing is refused while numbers of today wait in its line: counters call only active
    groups, so they would wait for nothing (transfer or serve them first)."""
    group = group_get_for(user=actor, pk=group_id)
    if not active:
        waiting = Ticket.objects.filter(
            queue_group=group, day=local_day(now), state=TicketState.WAITING
        ).count()
        if waiting:
            raise Conflict(
                f"Nhóm {group.letter} còn {waiting} số đang chờ hôm nay: hãy phục vụ hoặc chuyển "
                "các số này sang nhóm khác trước khi tạm ngừng.",
                code="group_has_waiting",
            )
    if group.active != active:
        group.active = active
        group.save(update_fields=["active"])
        _log(actor, "group_resume" if active else "group_pause", group.letter, now)
    return group


# ------------------------------------------------------------------------------- counters


def _groups_of(commune_id: int, raw_ids: Iterable[object]) -> list[ServiceGroup]:
    ids = []
    for raw in raw_ids:
        pk = _pk(raw)
        if pk is None:
            raise ValidationFailed("Nhóm dịch vụ đã chọn không hợp lệ.", code="bad_group")
        ids.append(pk)
    groups = list(ServiceGroup.objects.filter(commune_id=commune_id, pk__in=ids))
    if len(groups) != len(set(ids)):
        raise ValidationFailed("Nhóm dịch vụ đã chọn không có ở trung tâm này.", code="bad_group")
    return groups


def counter_create(
    *, actor: User, number: object, name: str, group_ids: Iterable[object], now: dt.datetime
) -> Counter:
    """A new counter: number 1–99 unique in the commune, an optional name, the groups it serves."""
    commune = _commune(actor)
    num = _int(number, label="số quầy", low=COUNTER_MIN, high=COUNTER_MAX)
    label = _text(name, label="tên quầy")
    groups = _groups_of(commune.pk, group_ids)
    taken = Conflict(f"Quầy số {num} đã có.", code="counter_number_taken")
    if Counter.objects.filter(commune=commune, number=num).exists():
        raise taken
    try:
        with transaction.atomic():
            counter = Counter.objects.create(commune=commune, number=num, name=label)
            counter.groups.set(groups)
    except IntegrityError:
        raise taken from None
    _log(actor, "counter_create", f"{num} «{label}» groups {''.join(sorted(g.letter for g in groups))}", now)
    return counter


def counter_update(
    *, actor: User, counter_id: int, number: object, name: str, group_ids: Iterable[object], now: dt.datetime
) -> Counter:
    """Change a counter's number, name and groups. The hours of a group it no longer serves are
    removed with it (they would apply again, unseen, if the group came back)."""
    counter = counter_get_for(user=actor, pk=counter_id)
    num = _int(number, label="số quầy", low=COUNTER_MIN, high=COUNTER_MAX)
    label = _text(name, label="tên quầy")
    groups = _groups_of(counter.commune_id, group_ids)
    taken = Conflict(f"Quầy số {num} đã có.", code="counter_number_taken")
    if Counter.objects.filter(commune_id=counter.commune_id, number=num).exclude(pk=counter.pk).exists():
        raise taken
    before = f"{counter.number} «{counter.name}» groups {''.join(g.letter for g in counter.groups.all())}"
    try:
        with transaction.atomic():
            counter.number, counter.name = num, label
            counter.save(update_fields=["number", "name"])
            counter.groups.set(groups)
            CounterHours.objects.filter(counter=counter).exclude(group__in=groups).delete()
    except IntegrityError:
        raise taken from None
    after = f"{num} «{label}» groups {''.join(sorted(g.letter for g in groups))}"
    _log(actor, "counter_update", f"{before} → {after}", now)
    return counter


def counter_set_active(*, actor: User, counter_id: int, active: bool, now: dt.datetime) -> Counter:
    """Pause a counter (not on the board, not callable) or resume it; never deleted. Pausing is
    refused while an officer sits there («Giải phóng quầy» first)."""
    counter = counter_get_for(user=actor, pk=counter_id)
    with transaction.atomic():
        counter = Counter.objects.select_for_update().get(pk=counter.pk)
        if not active and counter.officer_id is not None:
            raise Conflict(
                f"Quầy số {counter.number} đang có cán bộ ngồi: hãy giải phóng quầy trước khi tạm ngừng.",
                code="counter_taken",
            )
        if counter.active != active:
            counter.active = active
            counter.save(update_fields=["active"])
            _log(actor, "counter_resume" if active else "counter_pause", str(counter.number), now)
    return counter


def counter_hours_add(
    *, actor: User, counter_id: int, group_id: object, starts: object, ends: object, now: dt.datetime
) -> CounterHours:
    """The counter serves the group from `starts` to `ends` (local time; the end excluded).
    Overlapping or touching ranges of the same group are merged into one row."""
    counter = counter_get_for(user=actor, pk=counter_id)
    pk = _pk(group_id)
    group = counter.groups.filter(pk=pk).first() if pk is not None else None
    if group is None:
        raise ValidationFailed(
            "Hãy chọn một nhóm mà quầy đang phục vụ (đánh dấu nhóm ở phần «Nhóm phục vụ» trước).",
            code="bad_group",
        )
    start = parse_time(starts, label="giờ bắt đầu")
    end = parse_time(ends, label="giờ kết thúc")
    if not start < end:
        raise ValidationFailed("Giờ bắt đầu phải trước giờ kết thúc.", code="hours_reversed")
    with transaction.atomic():
        Counter.objects.select_for_update().filter(pk=counter.pk).first()
        touching = list(
            CounterHours.objects.filter(counter=counter, group=group, starts__lte=end, ends__gte=start)
        )
        for row in touching:
            start, end = min(start, row.starts), max(end, row.ends)
        CounterHours.objects.filter(pk__in=[r.pk for r in touching]).delete()
        hours = CounterHours.objects.create(counter=counter, group=group, starts=start, ends=end)
    merged = f" (merged {len(touching)})" if touching else ""
    _log(
        actor, "hours_add", f"counter {counter.number} {group.letter} {start:%H:%M}–{end:%H:%M}{merged}", now
    )
    return hours


def counter_hours_remove(*, actor: User, counter_id: int, hours_id: int, now: dt.datetime) -> None:
    counter = counter_get_for(user=actor, pk=counter_id)
    row = (
        CounterHours.objects.select_related("group").filter(pk=hours_id, counter=counter).first()
        if 0 < hours_id <= _MAX_ID
        else None
    )
    if row is None:
        raise NotFound("Không tìm thấy khung giờ này.", code="hours_not_found")
    row.delete()
    _log(
        actor,
        "hours_remove",
        f"counter {counter.number} {row.group.letter} {row.starts:%H:%M}–{row.ends:%H:%M}",
        now,
    )


def counter_release(*, actor: User, counter_id: int, now: dt.datetime) -> Counter:
    """«Giải phóng quầy» from the set-up screen: services.counter_free (its tickets stay)."""
    counter = counter_get_for(user=actor, pk=counter_id)
    officer = counter.officer.username if counter.officer else ""
    counter = counter_free(actor=actor, counter=counter, now=now)
    _log(actor, "counter_free", f"counter {counter.number} (was {officer})", now)
    return counter


# ------------------------------------------------------------------------------- kiosks


def kiosk_add(*, actor: User, name: str, now: dt.datetime) -> tuple[KioskDevice, str]:
    """A new kiosk of the commune and its token (shown once, never stored)."""
    commune = _commune(actor)
    label = _text(name, label="tên máy lấy số")
    device, token = kiosk_create(commune=commune, now=now, name=label, created_by=actor)
    _log(actor, "kiosk_create", f"{device.pk} «{device.name}»", now)
    return device, token


def kiosk_withdraw(*, actor: User, kiosk_id: int, now: dt.datetime) -> KioskDevice:
    """«Thu hồi»: the kiosk's token stops working at once."""
    admin = commune_admin(actor)
    exists = (
        0 < kiosk_id <= _MAX_ID
        and KioskDevice.objects.filter(pk=kiosk_id, commune_id=commune_of(admin)).exists()
    )
    if not exists:
        raise NotFound("Không tìm thấy máy lấy số này.", code="kiosk_not_found")
    device = kiosk_revoke(pk=kiosk_id, now=now)
    _log(actor, "kiosk_revoke", f"{device.pk} «{device.name}»", now)
    return device
