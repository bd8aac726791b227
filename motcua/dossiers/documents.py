"""Digitised documents: type checked by content (not by name), size-limited, stored outside
the web root under UPLOAD_ROOT with a random name."""

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from motcua.core.errors import ValidationFailed

# Magic numbers of the only types a one-stop desk scans: PDF, JPEG, PNG.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


def sniff_type(head: bytes) -> tuple[str, str] | None:
    for magic, mime, ext in _SIGNATURES:
        if head.startswith(magic):
            return mime, ext
    return None


def store_upload(*, upload: UploadedFile, commune_code: int) -> dict[str, object]:
    """Check and store one upload; return the fields of a DossierDocument (minus relations)."""
    limit = settings.MOTCUA_MAX_UPLOAD_BYTES
    name = upload.name or "tep"
    if upload.size is None or upload.size > limit:
        raise ValidationFailed(f"Tệp «{name}» lớn hơn {limit // (1024 * 1024)} MB.", code="file_too_large")
    if upload.size == 0:
        raise ValidationFailed(f"Tệp «{name}» rỗng.", code="file_empty")
    upload.seek(0)
    head = upload.read(16)
    kind = sniff_type(head)
    if kind is None:
        raise ValidationFailed(
            f"Tệp «{name}» không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).",
            code="file_type",
        )
    mime, ext = kind
    relative = Path(str(commune_code)) / f"{uuid.uuid4().hex}.{ext}"
    target = Path(settings.UPLOAD_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    upload.seek(0)
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    return {
        "original_name": name[:255],
        "storage_path": str(relative),
        "content_type": mime,
        "size": upload.size,
        "sha256": digest.hexdigest(),
    }


def stored_path(storage_path: str) -> Path:
    root = Path(settings.UPLOAD_ROOT).resolve()
    path = (root / storage_path).resolve()
    if root not in path.parents:
        raise ValidationFailed("Đường dẫn tệp không hợp lệ.", code="bad_path")
    return path
