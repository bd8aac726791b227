"""Feedback's writes. Keyword-only; `now` comes from the interface (motcua.core.clock).

`feedback_create` is the one way an item is born — a leader's tablet at a dialogue session, the
hotline or walk-in form, the resident's online form, an Excel import line, an Open311 app —:
it cleans and checks every field, computes the deadline in working days on the commune's
calendar, takes the code and writes the first event (NEW). State changes go through
`workflow.feedback_apply`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.db import transaction

from motcua.calendar.selectors import calendar_for_province
from motcua.calendar.workdays import due_at
from motcua.core.errors import ValidationFailed
from motcua.core.text import clean_text
from motcua.geo.models import Commune
from motcua.org.models import User

from .models import (
    Category,
    Channel,
    DialogueSession,
    FeedbackEvent,
    FeedbackItem,
    Neighbourhood,
    Open311Key,
    State,
)
from .numbering import feedback_code_next

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_PHONE = re.compile(r"0[0-9]{9,10}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}")


def clean_field(raw: object, *, label: str, limit: int, required: bool = False) -> str:
    """A text field: NFC, no control characters; a NUL or an over-long value is refused (a
    Vietnamese 422), not silently cut."""
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        raise ValidationFailed(f"{label} không hợp lệ.", code="bad_text")
    if "\x00" in raw:
        raise ValidationFailed(f"{label} có ký tự không hợp lệ.", code="bad_text")
    value = clean_text(raw).strip()
    if len(value) > limit:
        raise ValidationFailed(f"{label}: tối đa {limit} ký tự.", code="too_long")
    if required and not value:
        raise ValidationFailed(f"Hãy nhập {label.lower()}.", code="required")
    return value


def clean_phone(raw: object) -> str:
    value = clean_field(raw, label="Số điện thoại", limit=20)
    digits = re.sub(r"[\s.\-]", "", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if digits and not _PHONE.fullmatch(digits):
        raise ValidationFailed("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0.", code="bad_phone")
    return digits


def clean_email(raw: object) -> str:
    value = clean_field(raw, label="Thư điện tử", limit=254)
    if value and not _EMAIL.fullmatch(value):
        raise ValidationFailed("Địa chỉ thư điện tử không hợp lệ.", code="bad_email")
    return value


def clean_point(lat: object, lng: object) -> tuple[Decimal | None, Decimal | None]:
    """A point in Viet Nam (lat 8–24, long 102–110), or none."""
    if lat in (None, "") and lng in (None, ""):
        return None, None
    try:
        la, lo = Decimal(str(lat)), Decimal(str(lng))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("Toạ độ không hợp lệ.", code="bad_point") from None
    if not (
        la.is_finite()
        and lo.is_finite()
        and Decimal(8) <= la <= Decimal(24)
        and Decimal(102) <= lo <= Decimal(110)
    ):
        raise ValidationFailed("Toạ độ phải nằm trong lãnh thổ Việt Nam.", code="bad_point")
    return la.quantize(Decimal("0.000001")), lo.quantize(Decimal("0.000001"))


def deadline_for(*, commune: Commune, category: Category, received_at: dt.datetime) -> dt.datetime:
    """The end of office hours on the category's n-th working day after receipt, on the commune's
    province's calendar (the same counting as dossiers)."""
    calendar = calendar_for_province(commune.province_id)
    return due_at(
        received_at=received_at, unit="WORKING_DAYS", value=category.deadline_days, calendar=calendar
    )


@dataclass(frozen=True)
class Reporter:
    name: str = ""
    phone: str = ""
    email: str = ""


def feedback_create(
    *,
    commune: Commune,
    channel: str,
    category: Category,
    title: str,
    now: dt.datetime,
    description: str = "",
    neighbourhood: Neighbourhood | None = None,
    address: str = "",
    latitude: object = None,
    longitude: object = None,
    reporter: Reporter | None = None,
    session: DialogueSession | None = None,
    actor: User | None = None,
    actor_label: str = "",
    attributes: dict[str, str] | None = None,
    import_ref: str = "",
    open311_key: Open311Key | None = None,
    open311_token: str | None = None,
) -> FeedbackItem:
    """A new item (state NEW) with its code, deadline and first event."""
    if channel not in Channel.values:
        raise ValidationFailed("Kênh tiếp nhận không hợp lệ.", code="bad_channel")
    if category.commune_id != commune.pk or not category.active:
        raise ValidationFailed("Lĩnh vực phản ánh không tồn tại hoặc đã ngừng.", code="bad_category")
    if neighbourhood is not None and (neighbourhood.commune_id != commune.pk or not neighbourhood.active):
        raise ValidationFailed("Tổ dân phố không thuộc xã, phường này.", code="bad_neighbourhood")
    if session is not None and session.commune_id != commune.pk:
        raise ValidationFailed("Buổi đối thoại không thuộc xã, phường này.", code="bad_session")
    if actor is not None and actor.commune_id not in (None, commune.pk):
        raise ValidationFailed("Cán bộ không thuộc xã, phường này.", code="bad_actor")
    reporter = reporter or Reporter()
    lat, lng = clean_point(latitude, longitude)
    fields = {
        "title": clean_field(title, label="Nội dung tóm tắt", limit=200, required=True),
        "description": clean_field(description, label="Mô tả", limit=4000),
        "address": clean_field(address, label="Địa chỉ", limit=300),
        "reporter_name": clean_field(reporter.name, label="Họ tên người phản ánh", limit=150),
        "reporter_phone": clean_phone(reporter.phone),
        "reporter_email": clean_email(reporter.email),
    }
    with transaction.atomic():
        code = feedback_code_next(commune_id=commune.pk, day=now.astimezone(LOCAL_TZ).date())
        item = FeedbackItem.objects.create(
            commune=commune, code=code, channel=channel, category=category, neighbourhood=neighbourhood,
            session=session, latitude=lat, longitude=lng, state=State.NEW, received_at=now,
            due_at=deadline_for(commune=commune, category=category, received_at=now),
            department=category.department, created_by=actor, attributes=attributes or {},
            import_ref=import_ref, open311_key=open311_key, open311_token=open311_token, **fields,
        )  # fmt: skip
        FeedbackEvent.objects.create(
            item=item, action="create", from_state="", to_state=State.NEW, actor=actor,
            actor_label=actor_label if actor is None else "", at=now, note=Channel(channel).label,
            department=item.department,
        )  # fmt: skip
    return item
