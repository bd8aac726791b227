"""The feedback desk's writes (issue 9 §1): a hotline or walk-in item with its photos, a staff step
with its photos, and the reporter's notice — each in one transaction, so a refused photo or a
refused step leaves nothing behind (no item, no event, no message, no file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from motcua.core.errors import ValidationFailed
from motcua.geo.models import Commune
from motcua.notify import texts
from motcua.notify.services import notify
from motcua.org.models import User

from . import photos as photo_store
from .models import Category, Channel, FeedbackEvent, FeedbackItem, Neighbourhood, PhotoKind, State
from .services import Reporter, feedback_create
from .workflow import Action, feedback_apply

DESK_CHANNELS = (Channel.HOTLINE, Channel.WALK_IN)


def notify_reporter(*, item: FeedbackItem, event: FeedbackEvent, now: dt.datetime) -> None:
    """Tell the reporter (phone and/or e-mail, unless they opted out) the item's new state."""
    if item.notify_opt_out or not (item.reporter_phone or item.reporter_email):
        return
    if event.action == "create":
        text = texts.feedback_received(item.code)
    else:
        text = texts.feedback_changed(item.code, State(item.state).label)
    notify(
        topic=f"feedback.{event.action}",
        subject_ref=f"feedback.feedbackitem:{item.pk}",
        commune=item.commune,
        text=text,
        now=now,
        dedupe_key=f"feedback:{item.pk}:event:{event.pk}",
        phone=item.reporter_phone,
        email=item.reporter_email,
        email_subject=f"Phản ánh {item.code}",
    )


def desk_create(
    *,
    commune: Commune,
    actor: User,
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
    photos: Sequence[photo_store.CheckedPhoto] = (),
) -> FeedbackItem:
    """An item taken at the desk (hotline, walk-in), its photos, the reporter told its code."""
    if channel not in DESK_CHANNELS:
        raise ValidationFailed("Hãy chọn kênh: đường dây nóng hoặc trực tiếp.", code="bad_channel")
    if len(photos) > photo_store.MAX_PHOTOS:
        raise ValidationFailed(f"Tối đa {photo_store.MAX_PHOTOS} ảnh.", code="too_many_photos")
    with transaction.atomic():
        item = feedback_create(
            commune=commune, channel=channel, category=category, title=title, now=now, description=description,
            neighbourhood=neighbourhood, address=address, latitude=latitude, longitude=longitude,
            reporter=reporter, actor=actor,
        )  # fmt: skip
        first = item.events.get()
        photo_store.photos_attach(
            item=item, photos=photos, kind=PhotoKind.REPORT, event=first, actor=actor, now=now
        )
        notify_reporter(item=item, event=first, now=now)
    return item


def desk_step(
    *,
    item: FeedbackItem,
    action: str,
    actor: User,
    now: dt.datetime,
    data: dict[str, Any],
    photos: Sequence[photo_store.CheckedPhoto] = (),
) -> FeedbackEvent:
    """One staff step; a resolution may carry photos; the reporter is told of a new state."""
    if photos and action not in (Action.RESOLVE, Action.RESOLVE_ON_SPOT):
        raise ValidationFailed("Chỉ đính kèm ảnh khi báo đã giải quyết.", code="photos_not_here")
    if len(photos) > photo_store.MAX_PHOTOS:
        raise ValidationFailed(f"Tối đa {photo_store.MAX_PHOTOS} ảnh.", code="too_many_photos")
    with transaction.atomic():
        event = feedback_apply(item=item, action=action, actor=actor, now=now, data=data)
        fresh = FeedbackItem.objects.select_related("commune").get(pk=item.pk)
        photo_store.photos_attach(
            item=fresh, photos=photos, kind=PhotoKind.RESOLUTION, event=event, actor=actor, now=now
        )
        if event.from_state != event.to_state:
            notify_reporter(item=fresh, event=event, now=now)
    return event
