"""Writes on dossiers: creating them (at the counter or online) and attaching documents.
State changes go through workflow.dossier_apply."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from motcua.catalog.models import ChecklistItem, FormField, OnlineLevel, Procedure
from motcua.core.dates import parse_date
from motcua.core.errors import NotAllowed, ValidationFailed
from motcua.core.text import clean_text, fold
from motcua.geo.models import Commune
from motcua.org.models import Role, User

from .documents import CheckedUpload, StagedFile, check_uploads, claimed, place_on_commit, staged_uploads
from .models import Channel, DocumentKind, Dossier, DossierDocument
from .numbering import dossier_code_next
from .workflow import Action, dossier_apply

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
    address = " ".join((a.address or "").split())
    for label, value, limit in (("Họ và tên người nộp", name, 150), ("Địa chỉ", address, 300),
                                ("Thư điện tử", email, 254)):  # fmt: skip
        if len(value) > limit:
            errors.append(f"{label}: tối đa {limit} ký tự.")
    cleaned = Applicant(name=name[:150], phone=phone, citizen_id=cid, email=email,
                        address=" ".join((a.address or "").split())[:300])  # fmt: skip
    return cleaned, errors


_YEAR = re.compile(r"^(\d{4})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{4})$")


def declaration_date(value: str) -> str | None:
    """A date as the law's forms let people write it, normalised: a bare year ("1998", e.g. the
    start of land use), month/year ("3/1998" → "03/1998") or a full date ("1/2/1998" →
    "01/02/1998"; ISO accepted). None when it is none of these or does not exist."""
    value = value.strip()
    if m := _YEAR.match(value):
        year = int(m.group(1))
        return f"{year:04d}" if 1800 <= year <= 2200 else None
    if m := _MONTH_YEAR.match(value):
        month, year = int(m.group(1)), int(m.group(2))
        return f"{month:02d}/{year:04d}" if 1 <= month <= 12 and 1800 <= year <= 2200 else None
    parsed = parse_date(value)
    if parsed is None or not 1800 <= parsed.year <= 2200:
        return None
    return parsed.strftime("%d/%m/%Y")


def declaration_item(procedure: Procedure) -> ChecklistItem | None:
    """The checklist item that is the declaration itself (the "Tờ khai …" or "Đơn …" form),
    when the procedure has a typed declaration: filling it on screen satisfies that item."""
    if not procedure.form_fields.all():
        return None
    for item in procedure.checklist.all():
        name = fold(item.name)
        if name.startswith(("to khai", "don ")):
            return item
    return None


def clean_form_data(*, procedure: Procedure, raw: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Check the declaration against the procedure's form fields; dates as the law's forms
    allow (year, month/year or dd/mm/yyyy)."""
    data: dict[str, str] = {}
    errors: list[str] = []
    for f in procedure.form_fields.all():
        value = " ".join(clean_text(str(raw.get(f.key, "") or "")).split())
        if not value:
            if f.required:
                errors.append(f"{f.label}: bắt buộc.")
            continue
        if len(value) > 2000:
            errors.append(f"{f.label}: tối đa 2000 ký tự.")
            continue
        if f.kind == FormField.Kind.DATE:
            normalised = declaration_date(value)
            if normalised is None:
                errors.append(
                    f"{f.label}: ghi ngày dạng dd/mm/yyyy, hoặc tháng/năm (03/1998), hoặc năm (1998)."
                )
                continue
            value = normalised
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


FileInput = tuple[int | None, UploadedFile | StagedFile]


def _check_files(files: Iterable[FileInput]) -> tuple[list[CheckedUpload], list[StagedFile]]:
    """Uploads are checked here (all of them, with the submission's caps) before any is
    written; StagedFile are files an earlier attempt accepted (the intake and online forms'
    pending ones)."""
    files = list(files)
    kept = [
        StagedFile(**{**f.__dict__, "item_id": item_id}) for item_id, f in files if isinstance(f, StagedFile)
    ]
    raw = [(item_id, f) for item_id, f in files if not isinstance(f, StagedFile)]
    checked = check_uploads(raw, already=len(kept), already_bytes=sum(k.size for k in kept))
    return checked, kept


def _attach_all(
    *, dossier: Dossier, files: Iterable[StagedFile], actor: User | None, now: dt.datetime,
    kind: str = DocumentKind.INPUT,
) -> None:  # fmt: skip
    """Record the staged files; each moves under UPLOAD_ROOT when the transaction commits."""
    valid_items = {i.id for i in dossier.procedure.checklist.all()}
    for staged in files:
        fields = place_on_commit(staged, commune_code=dossier.commune_id)
        DossierDocument.objects.create(
            dossier=dossier,
            checklist_item_id=staged.item_id if staged.item_id in valid_items else None,
            kind=kind,
            uploaded_by=actor,
            uploaded_at=now,
            **fields,
        )


def _draft_fields(
    *, commune: Commune, procedure: Procedure, applicant: Applicant, form_data: Mapping[str, Any], channel: str,
    now: dt.datetime, checklist_ticked: Iterable[int], assisted_by_volunteer: bool, volunteer_name: str,
    notify_phone: str, notify_email: str,
) -> tuple[dict[str, Any], list[str]]:  # fmt: skip
    """Every check of a new dossier's fields (no file, no write): (model fields, problems)."""
    if not procedure.is_active:
        raise ValidationFailed("Thủ tục này hiện không tiếp nhận.", code="procedure_inactive")
    if channel == Channel.ONLINE and procedure.online_level == OnlineLevel.NONE:
        raise ValidationFailed("Thủ tục này không nộp trực tuyến được.", code="not_online")
    applicant, errors = _clean_applicant(applicant)
    data, form_errors = clean_form_data(procedure=procedure, raw=form_data)
    errors += form_errors
    volunteer = " ".join(clean_text(volunteer_name).split())
    if len(volunteer) > 150:
        errors.append("Tên tình nguyện viên: tối đa 150 ký tự.")
    phone = re.sub(r"[\s.\-]", "", clean_text(notify_phone))
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    if phone and not _PHONE.match(phone):
        errors.append("Số điện thoại nhận thông báo: 10 hoặc 11 chữ số, bắt đầu bằng 0.")
    email = clean_text(notify_email).strip()
    if email and (len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
        errors.append("Thư điện tử nhận thông báo không hợp lệ.")
    valid_items = {i.id for i in procedure.checklist.all()}  # prefetched by procedure_get
    ticked = {int(i) for i in checklist_ticked if int(i) in valid_items}
    declaration = declaration_item(procedure)
    if channel == Channel.ONLINE and declaration is not None:
        ticked.add(declaration.id)  # the declaration they typed is that paper
    fields = {
        "commune": commune,
        "procedure": procedure,
        "channel": channel,
        "applicant_name": applicant.name,
        "applicant_name_folded": fold(applicant.name),
        "applicant_phone": applicant.phone,
        "applicant_citizen_id": applicant.citizen_id,
        "applicant_email": applicant.email,
        "applicant_address": applicant.address,
        "form_data": data,
        "checklist_ticked": sorted(ticked),
        "assisted_by_volunteer": assisted_by_volunteer,
        "volunteer_name": volunteer,
        "notify_phone": phone,
        "notify_email": email,
        "created_at": now,
    }
    return fields, errors


def _checked(errors: list[str], files: Iterable[FileInput]) -> tuple[list[CheckedUpload], list[StagedFile]]:
    """Field problems and file problems reported together; nothing is written if there is any."""
    try:
        checked, kept = _check_files(files)
    except ValidationFailed as exc:
        if not errors:
            raise
        errors = errors + (exc.details or [exc.message])
    if errors:
        raise ValidationFailed("Thông tin chưa hợp lệ, hãy sửa các mục sau.", details=errors)
    return checked, kept


def dossier_create_draft(
    *,
    commune: Commune,
    procedure: Procedure,
    applicant: Applicant,
    form_data: Mapping[str, Any],
    channel: str,
    now: dt.datetime,
    files: Iterable[FileInput] = (),
    checklist_ticked: Iterable[int] = (),
    assisted_by_volunteer: bool = False,
    volunteer_name: str = "",
    notify_phone: str = "",
    notify_email: str = "",
    actor: User | None = None,
) -> Dossier:
    """A new dossier in DRAFT: an online submission, or a walk-in before the desk decides.
    Every file is checked before any is written; files land under UPLOAD_ROOT only on commit.

    An online submission takes its dossier code now, in the same transaction (the day of the
    code is the day it was sent): the resident leaves with it on screen, the desk's receipt keeps
    it, and a refused one keeps it too, so numbers are never reused or skipped (decisions.md)."""
    fields, errors = _draft_fields(
        commune=commune, procedure=procedure, applicant=applicant, form_data=form_data, channel=channel,
        now=now, checklist_ticked=checklist_ticked, assisted_by_volunteer=assisted_by_volunteer,
        volunteer_name=volunteer_name, notify_phone=notify_phone, notify_email=notify_email,
    )  # fmt: skip
    online = channel == Channel.ONLINE
    if online and not commune.agency_code:
        raise ValidationFailed("Xã/phường chưa được cấp mã cơ quan tiếp nhận.", code="no_agency_code")
    checked, kept = _checked(errors, files)
    with claimed(kept) as mine, staged_uploads(checked) as staged, transaction.atomic():
        dossier = Dossier.objects.create(**fields)
        _attach_all(dossier=dossier, files=mine + staged, actor=actor, now=now)
        if online:
            # Last, so that the agency's number row stays locked only for this UPDATE and the
            # commit, as in a receipt (numbering.py).
            dossier.code = dossier_code_next(
                agency_code=commune.agency_code, day=timezone.localtime(now).date()
            )
            Dossier.objects.filter(pk=dossier.pk).update(code=dossier.code)
    return dossier


# The counter's three outcomes of a walk-in (the intake form's and the API's `outcome`).
INTAKE_OUTCOMES: dict[str, Action] = {
    "receive": Action.RECEIVE,
    "supplement": Action.REQUEST_SUPPLEMENT,
    "refuse": Action.REFUSE,
}


def dossier_intake(
    *,
    actor: User,
    procedure: Procedure,
    applicant: Applicant,
    form_data: Mapping[str, Any],
    checklist_ticked: Iterable[int],
    outcome: str,
    now: dt.datetime,
    files: Iterable[FileInput] = (),
    missing_items: Iterable[str] = (),
    reason: str = "",
    channel: str = Channel.IN_PERSON,
    then: Callable[[Dossier], object] | None = None,
) -> Dossier:
    """A walk-in at the counter, ending in receipt (Mẫu 01), supplementation (Mẫu 02) or
    refusal (Mẫu 03). One transaction: a failed receipt leaves no dossier, no number and no
    file (files move under UPLOAD_ROOT only when it commits). `then(dossier)` runs in that
    transaction (the queue ticket's link, issue 8 §4)."""
    if not actor.has_role(Role.COUNTER_OFFICER) or actor.commune is None:
        raise NotAllowed("Chỉ cán bộ một cửa của xã/phường mới tiếp nhận hồ sơ.")
    action = INTAKE_OUTCOMES.get(outcome)
    if action is None:
        raise ValidationFailed("Kết quả tiếp nhận không hợp lệ.", code="bad_outcome")
    ticked = list(checklist_ticked)
    fields, errors = _draft_fields(
        commune=actor.commune, procedure=procedure, applicant=applicant, form_data=form_data, channel=channel,
        now=now, checklist_ticked=ticked, assisted_by_volunteer=False, volunteer_name="", notify_phone="",
        notify_email="",
    )  # fmt: skip
    checked, kept = _checked(errors, files)
    with claimed(kept) as mine, staged_uploads(checked) as staged, transaction.atomic():
        dossier = Dossier.objects.create(**fields)
        _attach_all(dossier=dossier, files=mine + staged, actor=actor, now=now)
        dossier = dossier_apply(
            dossier=dossier,
            action=action,
            actor=actor,
            now=now,
            reason=reason,
            data={"checklist_ticked": ticked, "items": list(missing_items)},
        )
        if then is not None:
            then(dossier)
        return dossier


def dossier_attach_documents(
    *, dossier: Dossier, actor: User, files: Iterable[FileInput],
    now: dt.datetime, kind: str = DocumentKind.INPUT,
) -> None:  # fmt: skip
    """Add documents to an open dossier of the actor's commune: all accepted or none written."""
    if actor.commune_id != dossier.commune_id or dossier.is_final:
        raise NotAllowed("Không thể thêm tài liệu vào hồ sơ này.")
    if kind not in DocumentKind.values:
        raise ValidationFailed("Loại tài liệu không hợp lệ.", code="bad_kind")
    checked, kept = _check_files(files)
    if not checked and not kept:
        raise ValidationFailed("Hãy chọn ít nhất một tệp.", code="no_file")
    with staged_uploads(checked) as staged, transaction.atomic():
        _attach_all(dossier=dossier, files=kept + staged, actor=actor, now=now, kind=kind)
