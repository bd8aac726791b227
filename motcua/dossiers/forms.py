"""Parsing the counter and online forms into service arguments (no business rules here).

Values are passed on as typed (the services clean and validate them); only identifiers are
filtered here: a checklist item id is 1–9 ASCII digits, or it is ignored ("²".isdigit() is
true in Python, int("²") is not)."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from motcua.catalog.models import Procedure

from .services import Applicant


def small_int(value: str | None) -> bool:
    """1 to 9 ASCII digits: safe for int() and for any database's integer column."""
    return value is not None and 0 < len(value) <= 9 and value.isascii() and value.isdigit()


def applicant_from(post: QueryDict) -> Applicant:
    return Applicant(
        name=post.get("applicant_name", ""),
        phone=post.get("applicant_phone", ""),
        citizen_id=post.get("applicant_citizen_id", ""),
        email=post.get("applicant_email", ""),
        address=post.get("applicant_address", ""),
    )


def form_data_from(post: QueryDict, procedure: Procedure) -> dict[str, str]:
    return {f.key: post.get(f"f_{f.key}", "") for f in procedure.form_fields.all()}


def ticked_from(post: QueryDict) -> list[int]:
    return [int(v) for v in post.getlist("checklist") if small_int(v)]


def files_from(files: MultiValueDict[str, UploadedFile]) -> list[tuple[int | None, UploadedFile]]:
    """Inputs are named `doc_<checklist item id>` or `doc_other`."""
    result: list[tuple[int | None, UploadedFile]] = []
    for name in files:
        if not name.startswith("doc_"):
            continue
        suffix = name[4:]
        item_id = int(suffix) if small_int(suffix) else None
        for upload in files.getlist(name):
            result.append((item_id, upload))
    return result


def pending_tokens_from(post: QueryDict) -> list[str]:
    """The intake and online forms' kept scans (checkboxes named `pending`, ticked = keep)."""
    return [t for t in post.getlist("pending") if len(t) == 32 and t.isascii() and t.isalnum()]


def lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in (text or "").splitlines() if line.strip(" -•\t")]
