"""The resident's notices about their dossier (issue 9 §6), called by dossiers.workflow.dossier_apply
inside its transaction, after the control-sheet entry and the code are written: received (Mẫu 01:
the code and the return date), a supplementation request, the apology with a new date, the
result ready. To the dossier's notify_phone (else the applicant's phone) and notify_email; one
notice per control-sheet entry (dedupe key dossier:<pk>:<action>:<entry id>)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from . import texts
from .services import notify

if TYPE_CHECKING:
    from motcua.dossiers.models import ControlEntry, Dossier

_SUBJECTS = {
    "receive": "Hồ sơ đã được tiếp nhận",
    "request_supplement": "Hồ sơ cần bổ sung",
    "extend": "Thư xin lỗi và hẹn lại ngày trả kết quả",
    "result_ready": "Hồ sơ đã có kết quả",
}


def _day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def dossier_text(dossier: Dossier, action: str, to_state: str) -> tuple[str, str] | None:
    """(kind, text) of the notice this step gives the resident, or None."""
    code = dossier.code or "của ông/bà"
    if action == "receive":
        return "receive", texts.dossier_received(code, _day(dossier.effective_due_at))
    if action == "request_supplement":
        return "request_supplement", texts.dossier_supplement(code)
    if action == "extend":
        return "extend", texts.dossier_delayed(code, _day(dossier.extended_due_at))
    if to_state == "RESULT_READY":
        return "result_ready", texts.dossier_result_ready(code)
    return None


def result_ready_texts(dossier: Dossier) -> tuple[str, str]:
    """(SMS, e-mail) of «result ready» with the rating link (issue 10 §1, `?nguon=thong-bao`):
    the e-mail always carries it; the SMS only when the shorter wording with it fits one SMS
    (a long public address leaves the SMS as it was: the receipt's QR still leads there)."""
    from motcua.quality.ratings import rating_url_of_dossier

    code = dossier.code or "của ông/bà"
    url = rating_url_of_dossier(dossier, source="thong-bao")
    email = f"{texts.dossier_result_ready(code)} Mời ông/bà đánh giá sự hài lòng: {url}"
    short = f"Hồ sơ {code} đã có kết quả, mời đến nhận. Đánh giá: {url}"
    return (short if texts.sms_fits(short) else texts.dossier_result_ready(code)), email


def notify_dossier_event(dossier: Dossier, entry: ControlEntry, now: dt.datetime) -> None:
    notice = dossier_text(dossier, str(entry.action), str(entry.to_state))
    phone = dossier.notify_phone or dossier.applicant_phone
    email = dossier.notify_email
    if notice is None or not (phone or email):
        return
    kind, text = notice
    sends = [(text, phone, email)]
    if kind == "result_ready":
        sms, mail = result_ready_texts(dossier)
        sends = [(sms, phone, ""), (mail, "", email)]
    for body, to_phone, to_email in sends:
        if not (to_phone or to_email):
            continue
        notify(
            topic=f"dossier.{kind}", subject_ref=f"dossiers.dossier:{dossier.pk}", commune=dossier.commune,
            text=body, now=now, dedupe_key=f"dossier:{dossier.pk}:{entry.action}:{entry.pk}",
            phone=to_phone, email=to_email,
            email_subject=f"{_SUBJECTS[kind]}: {dossier.code or ''}".rstrip(": "),
        )  # fmt: skip
