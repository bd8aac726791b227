"""The province's answer to an escalated item (issue 9 §2): «Tỉnh đã giải quyết» or «Trả lời, xã
tiếp tục xử lý», through `workflow.feedback_apply(as_=Actor.PROVINCE)`, and the reporter told in
the same transaction (one message per event: a retried request queues nothing twice)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from motcua.core.errors import ValidationFailed
from motcua.notify.services import notify
from motcua.org.models import User

from .models import FeedbackEvent, FeedbackItem
from .workflow import Action, Actor, feedback_apply

ANSWERS = {
    "resolve": Action.PROVINCE_RESOLVE,
    "return": Action.PROVINCE_RETURN,
}
_TEXTS = {
    Action.PROVINCE_RESOLVE: "Phản ánh {code}: cấp tỉnh đã giải quyết. Cảm ơn ông/bà đã phản ánh.",
    Action.PROVINCE_RETURN: "Phản ánh {code}: cấp tỉnh đã trả lời, phường/xã tiếp tục xử lý.",
}


def province_answer(
    *, item: FeedbackItem, user: User, answer: str, note: object, now: dt.datetime
) -> FeedbackEvent:
    """Apply the province's answer (`resolve` or `return`) with its text; notify the reporter."""
    action = ANSWERS.get(answer)
    if action is None:
        raise ValidationFailed("Hãy chọn cách trả lời.", code="bad_answer")
    with transaction.atomic():
        event = feedback_apply(
            item=item, action=action, actor=user, now=now, data={"note": note}, as_=Actor.PROVINCE
        )
        locked = event.item
        if not locked.notify_opt_out and (locked.reporter_phone or locked.reporter_email):
            notify(
                topic="feedback.province_answer",
                subject_ref=locked.code,
                commune=locked.commune,
                text=_TEXTS[action].format(code=locked.code),
                now=now,
                dedupe_key=f"feedback:{locked.pk}:event:{event.pk}",
                phone=locked.reporter_phone,
                email=locked.reporter_email,
                email_subject=f"Phản ánh {locked.code}",
            )
    return event
