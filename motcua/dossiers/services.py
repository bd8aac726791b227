"""Writes on dossiers: creating them (at the counter or online) and attaching documents.
State changes go through workflow.dossier_apply."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from motcua.catalog.models import FormField, OnlineLevel, Procedure
from motcua.core.dates import parse_date
from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.core.text import clean_text, fold
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .documents import store_upload
from .models import Channel, DocumentKind, Dossier, DossierDocument
from .workflow import dossier_apply

_PHONE = re.compile(r"^0\d{9,10}$")
_CCCD = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Applicant:
    name: str
    phone: str
    citizen_id: str = ""
    email: str = ""
    address: str = ""


def _clean_applicant(a: Applicant) -> tuple[Applicant, list[str]]:
    errors = []
    a = Applicant(**{k: clean_text(v) for k, v in a.__dict__.items()})
    name = " ".join((a.name or "").split())
    phone = re.sub(r"[\s.\-]", "", a.phone or "")
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    cid = re.sub(r"\s", "", a.citizen_id or "")
    if not name:
        errors.append("Họ và tên người nộp: bắt buộc.")
    if not _PHONE.match(phone):
        errors.append("Số điện thoại: 10 hoặc 11 chữ số, bắt đầu bằng 0.")
    if cid and not _CCCD.match(cid):
        errors.append("Số định danh cá nhân (CCCD): phải gồm đúng 12 chữ số.")
    email = (a.email or "").strip()
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        errors.append("Thư điện tử không hợp lệ.")
    cleaned = Applicant(name=name[:150], phone=phone, citizen_id=cid, email=email,
                        address=" ".join((a.address or "").split())[:300])  # fmt: skip
    return cleaned, errors


def clean_form_data(*, procedure: Procedure, raw: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Check the declaration against the procedure's form fields; dates as dd/mm/yyyy."""
    data: dict[str, str] = {}
    errors: list[str] = []
    for f in procedure.form_fields.all():
        value = " ".join(clean_text(str(raw.get(f.key, "") or "")).split())
        if not value:
            if f.required:
                errors.append(f"{f.label}: bắt buộc.")
            continue
        if f.kind == FormField.Kind.DATE:
            parsed = parse_date(value)
            if parsed is None:
                errors.append(f"{f.label}: ngày phải có dạng dd/mm/yyyy.")
                continue
            value = parsed.strftime("%d/%m/%Y")
        elif f.kind == FormField.Kind.NUMBER and not re.fullmatch(r"-?\d+([.,]\d+)?", value):
            errors.append(f"{f.label}: phải là số.")
            continue
        elif f.kind == FormField.Kind.CITIZEN_ID and not _CCCD.match(value):
            errors.append(f"{f.label}: phải gồm đúng 12 chữ số.")
            continue
        elif f.kind == FormField.Kind.CHOICE:
            options = [o.strip() for o in f.choices.split("|") if o.strip()]
            if options and value not in options:
                errors.append(f"{f.label}: hãy chọn một trong: {', '.join(options)}.")
                continue
        data[f.key] = value[:2000]
    return data, errors


def _attach_all(
    *, dossier: Dossier, files: Iterable[tuple[int | None, UploadedFile]], actor: User | None, now: dt.datetime,
    kind: str = DocumentKind.INPUT,
) -> None:  # fmt: skip
    files = list(files)
    if not files:
        return
    valid_items = set(dossier.procedure.checklist.values_list("id", flat=True))
    for item_id, upload in files:
        fields = store_upload(upload=upload, commune_code=dossier.commune_id)
        DossierDocument.objects.create(
            dossier=dossier,
            checklist_item_id=item_id if item_id in valid_items else None,
            kind=kind,
            uploaded_by=actor,
            uploaded_at=now,
            **fields,
        )


def dossier_create_draft(
    *,
    commune: Commune,
    procedure: Procedure,
    applicant: Applicant,
    form_data: Mapping[str, Any],
    channel: str,
    now: dt.datetime,
    files: Iterable[tuple[int | None, UploadedFile]] = (),
    checklist_ticked: Iterable[int] = (),
    assisted_by_volunteer: bool = False,
    volunteer_name: str = "",
    actor: User | None = None,
) -> Dossier:
    """A new dossier in DRAFT: an online submission, or a walk-in before the desk decides."""
    if not procedure.is_active:
        raise ValidationFailed("Thủ tục này hiện không tiếp nhận.", code="procedure_inactive")
    if channel == Channel.ONLINE and procedure.online_level == OnlineLevel.NONE:
        raise ValidationFailed("Thủ tục này không nộp trực tuyến được.", code="not_online")
    applicant, errors = _clean_applicant(applicant)
    data, form_errors = clean_form_data(procedure=procedure, raw=form_data)
    errors += form_errors
    if errors:
        raise ValidationFailed("Thông tin chưa hợp lệ, hãy sửa các mục sau.", details=errors)
    valid_items = {i.id for i in procedure.checklist.all()}  # prefetched by procedure_get
    with transaction.atomic():
        dossier = Dossier.objects.create(
            commune=commune,
            procedure=procedure,
            channel=channel,
            applicant_name=applicant.name,
            applicant_name_folded=fold(applicant.name),
            applicant_phone=applicant.phone,
            applicant_citizen_id=applicant.citizen_id,
            applicant_email=applicant.email,
            applicant_address=applicant.address,
            form_data=data,
            checklist_ticked=sorted({int(i) for i in checklist_ticked if int(i) in valid_items}),
            assisted_by_volunteer=assisted_by_volunteer,
            volunteer_name=volunteer_name.strip()[:150],
            created_at=now,
        )
        _attach_all(dossier=dossier, files=files, actor=actor, now=now)
    return dossier


def dossier_intake(
    *,
    actor: User,
    procedure: Procedure,
    applicant: Applicant,
    form_data: Mapping[str, Any],
    checklist_ticked: Iterable[int],
    outcome: str,
    now: dt.datetime | None = None,
    files: Iterable[tuple[int | None, UploadedFile]] = (),
    missing_items: Iterable[str] = (),
    reason: str = "",
    channel: str = Channel.IN_PERSON,
) -> Dossier:
    """A walk-in at the counter, ending in receipt (Mẫu 01), supplementation (Mẫu 02) or
    refusal (Mẫu 03). One transaction: a failed receipt leaves no dossier and no number."""
    if not actor.has_role(Role.COUNTER_OFFICER) or actor.commune is None:
        raise NotAllowed("Chỉ cán bộ một cửa của xã/phường mới tiếp nhận hồ sơ.")
    action = {"receive": "receive", "supplement": "request_supplement", "refuse": "refuse"}.get(outcome)
    if action is None:
        raise ValidationFailed("Kết quả tiếp nhận không hợp lệ.", code="bad_outcome")
    now = now or timezone.now()
    ticked = list(checklist_ticked)
    with transaction.atomic():
        dossier = dossier_create_draft(
            commune=actor.commune,
            procedure=procedure,
            applicant=applicant,
            form_data=form_data,
            channel=channel,
            now=now,
            files=files,
            checklist_ticked=ticked,
            actor=actor,
        )
        return dossier_apply(
            dossier=dossier,
            action=action,
            actor=actor,
            now=now,
            reason=reason,
            data={"checklist_ticked": ticked, "items": list(missing_items)},
        )


def dossier_attach_documents(
    *, dossier: Dossier, actor: User, files: Iterable[tuple[int | None, UploadedFile]],
    kind: str = DocumentKind.INPUT, now: dt.datetime | None = None,
) -> None:  # fmt: skip
    if actor.commune_id != dossier.commune_id or dossier.is_final:
        raise NotAllowed("Không thể thêm tài liệu vào hồ sơ này.")
    _attach_all(dossier=dossier, files=files, actor=actor, now=now or timezone.now(), kind=kind)
