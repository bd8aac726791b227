"""Digitised documents: type checked by content (not by name), size-limited, stored outside
the web root under UPLOAD_ROOT with a random name.

All or nothing: every file of a submission is checked before any is written; accepted files
are first written to a staging folder beside UPLOAD_ROOT (never inside it) and moved to
UPLOAD_ROOT only when the transaction that records them commits. A refused or rolled-back
submission leaves nothing under UPLOAD_ROOT, and its staged files are removed at once (or,
if the process dies, by the sweep of stale staging files).

The staff intake form and the residents' online submission also keep the scans of a form
rejected for another field in the staging folder, listed in the officer's (or the anonymous
resident's) session (`pending_*` below), so the re-shown form still has them; they expire after
MOTCUA_PENDING_UPLOAD_SECONDS.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import struct
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from motcua.core.errors import ValidationFailed
from motcua.core.text import clean_text

log = logging.getLogger(__name__)

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
# Magic numbers of the only types a one-stop desk scans: PDF, JPEG, PNG.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", PDF, "pdf"),
    (b"\xff\xd8\xff", JPEG, "jpg"),
    (b"\x89PNG\r\n\x1a\n", PNG, "png"),
)
_EXTENSIONS = {mime: ext for _, mime, ext in _SIGNATURES}
# What makes a browser (or a careless viewer) treat a file as a web page.
_HTML_MARKERS = re.compile(rb"<\s*(html|script|body|head|iframe|svg|object|embed|meta|!doctype)\b", re.I)
_HEAD_BYTES = 1024
_TAIL_BYTES = 2048


def sniff_type(head: bytes) -> tuple[str, str] | None:
    for magic, mime, ext in _SIGNATURES:
        if head.startswith(magic):
            return mime, ext
    return None


def _png_header_ok(data: bytes) -> bool:
    """Signature, then an IHDR chunk of 13 bytes with sane values and a correct CRC."""
    if len(data) < 33:
        return False
    length, tag = struct.unpack(">I4s", data[8:16])
    if length != 13 or tag != b"IHDR":
        return False
    body = data[16:29]
    width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    (crc,) = struct.unpack(">I", data[29:33])
    return (
        width > 0
        and height > 0
        and depth in {1, 2, 4, 8, 16}
        and colour in {0, 2, 3, 4, 6}
        and zlib.crc32(tag + body) == crc
    )


def _jpeg_header_ok(data: bytes, size: int) -> bool:
    """SOI, then a real segment: an APP0 JFIF/JFXX, an APP1 Exif/XMP, or another marker with a
    length that fits in the file."""
    if len(data) < 11 or data[3] not in {*range(0xC0, 0xF0), 0xFE, 0xDB}:
        return False
    (length,) = struct.unpack(">H", data[4:6])
    if length < 2 or 4 + length > size:
        return False
    payload = data[6:16]
    if data[3] == 0xE0:
        return payload.startswith((b"JFIF\x00", b"JFXX\x00"))
    if data[3] == 0xE1:
        return payload.startswith((b"Exif\x00", b"http:"))
    return True


def _pillow_verifies(path_or_file: Any) -> bool | None:
    """True/False when Pillow is installed (it parses the whole image), None when it is not."""
    try:
        from PIL import Image  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    try:
        with Image.open(path_or_file) as image:
            image.verify()
    except Exception:
        return False
    return True


def content_problem(head: bytes, tail: bytes, size: int, opener: Any = None) -> tuple[str, str] | str:
    """(mime, ext) of a file that is what it claims to be, or a Vietnamese sentence saying why not.

    `head` is the first KB (or more), `tail` the last 2 KB; `opener()` returns a file object
    for Pillow, when installed."""
    kind = sniff_type(head)
    if kind is None:
        return "không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp)"
    if _HTML_MARKERS.search(head[:_HEAD_BYTES]):
        return "có mã trang web (HTML) bên trong, không phải bản quét"
    mime, _ = kind
    if mime == PDF:
        if b"%%EOF" not in tail:
            return "không phải PDF hoàn chỉnh (thiếu phần kết thúc %%EOF)"
    else:
        header_ok = _png_header_ok(head) if mime == PNG else _jpeg_header_ok(head, size)
        if not header_ok:
            return "không phải ảnh " + ("PNG" if mime == PNG else "JPEG") + " hợp lệ"
        if opener is not None:
            with opener() as handle:
                if _pillow_verifies(handle) is False:
                    return "là ảnh hỏng hoặc không đọc được"
    return kind


@dataclass(frozen=True)
class CheckedUpload:
    item_id: int | None
    upload: UploadedFile
    name: str
    content_type: str
    ext: str
    size: int


@dataclass(frozen=True)
class StagedFile:
    """An accepted file in the staging folder, not yet part of any dossier."""

    item_id: int | None
    staged_name: str  # file name inside the staging folder
    original_name: str
    content_type: str
    ext: str
    size: int
    sha256: str

    @property
    def path(self) -> Path:
        return staging_root() / self.staged_name


def _display_name(upload: UploadedFile) -> str:
    name = clean_text(upload.name or "").strip() or "tep"
    return name[-255:]


def _read_ends(upload: UploadedFile) -> tuple[bytes, bytes]:
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    size = upload.size or 0
    if size > _TAIL_BYTES:
        upload.seek(size - _TAIL_BYTES)
        tail = upload.read(_TAIL_BYTES)
    else:
        upload.seek(0)
        tail = upload.read()
    upload.seek(0)
    return head, tail


def check_upload(*, upload: UploadedFile, item_id: int | None = None) -> CheckedUpload:
    """Check one upload by content; raise ValidationFailed with a sentence naming the file."""
    limit = settings.MOTCUA_MAX_UPLOAD_BYTES
    name = _display_name(upload)
    if upload.size is None or upload.size > limit:
        raise ValidationFailed(f"Tệp «{name}» lớn hơn {limit // (1024 * 1024)} MB.", code="file_too_large")
    if upload.size == 0:
        raise ValidationFailed(f"Tệp «{name}» rỗng.", code="file_empty")
    head, tail = _read_ends(upload)

    @contextlib.contextmanager
    def opener() -> Iterator[Any]:
        upload.seek(0)
        yield upload
        upload.seek(0)

    verdict = content_problem(head, tail, upload.size, opener)
    if isinstance(verdict, str):
        raise ValidationFailed(f"Tệp «{name}» {verdict}.", code="file_type")
    mime, ext = verdict
    return CheckedUpload(
        item_id=item_id, upload=upload, name=name, content_type=mime, ext=ext, size=upload.size
    )


def sort_uploads(
    files: Iterable[tuple[int | None, UploadedFile]], *, already: int = 0, already_bytes: int = 0
) -> tuple[list[CheckedUpload], list[str]]:
    """Check the submission's caps, then every file by content: (accepted, problems). Over a
    cap, nothing is accepted. `already`/`already_bytes`: files kept from an earlier attempt."""
    files = list(files)
    max_files = settings.MOTCUA_SUBMIT_MAX_FILES
    max_bytes = settings.MOTCUA_SUBMIT_MAX_BYTES
    problems: list[str] = []
    if len(files) + already > max_files:
        problems.append(f"Mỗi hồ sơ nộp tối đa {max_files} tệp (đang có {len(files) + already} tệp).")
    if already_bytes + sum(upload.size or 0 for _, upload in files) > max_bytes:
        problems.append(f"Tổng dung lượng các tệp vượt quá {max_bytes // (1024 * 1024)} MB.")
    if problems:
        return [], problems
    checked: list[CheckedUpload] = []
    for item_id, upload in files:
        try:
            checked.append(check_upload(upload=upload, item_id=item_id))
        except ValidationFailed as exc:
            problems.append(exc.message)
    return checked, problems


def refusal(problems: list[str]) -> ValidationFailed:
    if len(problems) == 1:
        return ValidationFailed(problems[0], code="file_refused")
    return ValidationFailed(
        "Có tệp đính kèm không hợp lệ; chưa lưu tệp nào.", code="file_refused", details=problems
    )


def check_uploads(
    files: Iterable[tuple[int | None, UploadedFile]], *, already: int = 0, already_bytes: int = 0
) -> list[CheckedUpload]:
    """Every file checked before anything is written; one ValidationFailed names every bad file."""
    checked, problems = sort_uploads(files, already=already, already_bytes=already_bytes)
    if problems:
        raise refusal(problems)
    return checked


def staging_root() -> Path:
    """Beside UPLOAD_ROOT (same disk, so moving a file is a rename), never inside it."""
    configured = getattr(settings, "MOTCUA_UPLOAD_STAGING_ROOT", None)
    if configured:
        return Path(configured)
    root = Path(settings.UPLOAD_ROOT)
    return root.with_name(root.name + "-staging")


def stage(checked: CheckedUpload) -> StagedFile:
    """Write one checked upload to the staging folder (hashing it on the way)."""
    root = staging_root()
    root.mkdir(parents=True, exist_ok=True)
    staged_name = f"{uuid.uuid4().hex}.{checked.ext}"
    digest = hashlib.sha256()
    checked.upload.seek(0)
    with open(root / staged_name, "xb") as out:
        for chunk in checked.upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    return StagedFile(
        item_id=checked.item_id,
        staged_name=staged_name,
        original_name=checked.name,
        content_type=checked.content_type,
        ext=checked.ext,
        size=checked.size,
        sha256=digest.hexdigest(),
    )


def discard(staged: Iterable[StagedFile]) -> None:
    for f in staged:
        with contextlib.suppress(FileNotFoundError):
            f.path.unlink()


@contextlib.contextmanager
def staged_uploads(checked: Iterable[CheckedUpload]) -> Iterator[list[StagedFile]]:
    """Stage the checked files for the duration of the block; on any exception they are removed."""
    staged: list[StagedFile] = []
    try:
        for c in checked:
            staged.append(stage(c))
        yield staged
    except BaseException:
        discard(staged)
        raise


@contextlib.contextmanager
def claimed(files: Iterable[StagedFile]) -> Iterator[list[StagedFile]]:
    """Take staged files kept from an earlier attempt for this request alone: each is renamed
    (atomic), so of two requests holding the same pending token (two tabs of one session) one
    gets the file and the other a clear refusal, never a dossier naming a file that went to
    another. On any exception the files get their names back (the form keeps them pending)."""
    taken: list[tuple[StagedFile, StagedFile]] = []
    try:
        for f in files:
            mine = replace(f, staged_name=f"{uuid.uuid4().hex}.{f.ext}")
            try:
                os.rename(f.path, mine.path)
            except FileNotFoundError:
                raise ValidationFailed(
                    f"Bản chụp «{f.original_name}» đã được dùng cho một hồ sơ khác (có thể ở một thẻ khác "
                    "của trình duyệt). Hãy kiểm tra lại và đính kèm lại nếu cần.",
                    code="scan_already_used",
                ) from None
            taken.append((f, mine))
        yield [mine for _, mine in taken]
    except BaseException:
        for f, mine in taken:
            with contextlib.suppress(FileNotFoundError):
                os.rename(mine.path, f.path)
        raise


def place_on_commit(staged: StagedFile, *, commune_code: int) -> dict[str, object]:
    """Choose the file's place under UPLOAD_ROOT and move it there when the current transaction
    commits; return the fields of a DossierDocument (minus relations)."""
    relative = Path(str(commune_code)) / f"{uuid.uuid4().hex}.{staged.ext}"

    def move() -> None:
        target = Path(settings.UPLOAD_ROOT) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.move(staged.path, target)
        except OSError:
            log.exception("Could not move a committed document into place: %s", relative)

    transaction.on_commit(move)
    return {
        "original_name": staged.original_name,
        "storage_path": str(relative),
        "content_type": staged.content_type,
        "size": staged.size,
        "sha256": staged.sha256,
    }


def sweep_staging(*, now_ts: float | None = None) -> int:
    """Remove staged files older than twice the pending lifetime (a crashed request, an
    abandoned form). Returns how many were removed."""
    root = staging_root()
    if not root.is_dir():
        return 0
    horizon = (now_ts if now_ts is not None else time.time()) - 2 * settings.MOTCUA_PENDING_UPLOAD_SECONDS
    removed = 0
    with os.scandir(root) as entries:
        for entry in entries:
            try:
                if entry.is_file() and entry.stat().st_mtime < horizon:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
    return removed


# ----------------------------------------------------------------------------- serving


def stored_path(storage_path: str) -> Path:
    root = Path(settings.UPLOAD_ROOT).resolve()
    path = (root / storage_path).resolve()
    if root not in path.parents:
        raise ValidationFailed("Đường dẫn tệp không hợp lệ.", code="bad_path")
    return path


def verified_type(path: Path) -> str | None:
    """The type of a stored file if it passes today's content checks (old files were stored
    under weaker ones), else None: only such files are shown inline."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read(_TAIL_BYTES)
    except OSError:
        return None

    def opener() -> Any:
        return open(path, "rb")

    verdict = content_problem(head, tail, size, opener)
    return None if isinstance(verdict, str) else verdict[0]


# ----------------------------------------------------------------------------- pending (intake, online form)

_SESSION_KEY = "motcua_pending_uploads"


@dataclass(frozen=True)
class PendingOwner:
    """Whose pending files these are: one officer, of one commune, at one procedure's form; or
    an anonymous resident (user_id 0, in their own session) at one procedure's online form, for
    the commune they chose (0 when none yet)."""

    user_id: int
    commune_id: int
    procedure_code: str


def _pending_entries(session: MutableMapping[str, Any]) -> dict[str, dict[str, Any]]:
    entries = session.get(_SESSION_KEY)
    return entries if isinstance(entries, dict) else {}


def pending_keep(
    session: MutableMapping[str, Any], *, staged: Iterable[StagedFile], owner: PendingOwner, now_ts: float
) -> list[str]:
    """Remember staged files for this officer's next attempt at the same form; return their tokens."""
    entries = _pending_entries(session)
    tokens = []
    for f in staged:
        token = uuid.uuid4().hex
        entries[token] = {**asdict(f), **asdict(owner), "at": now_ts}
        tokens.append(token)
    session[_SESSION_KEY] = entries
    return tokens


def pending_expire(session: MutableMapping[str, Any], *, now_ts: float) -> None:
    """Forget (and delete) pending files older than MOTCUA_PENDING_UPLOAD_SECONDS."""
    entries = _pending_entries(session)
    horizon = now_ts - settings.MOTCUA_PENDING_UPLOAD_SECONDS
    old = [t for t, e in entries.items() if float(e.get("at", 0)) < horizon]
    for token in old:
        _forget(entries, token)
    if old:
        session[_SESSION_KEY] = entries


def _forget(entries: dict[str, dict[str, Any]], token: str) -> None:
    entry = entries.pop(token, None)
    if entry and re.fullmatch(r"[0-9a-f]{32}\.(pdf|jpg|png)", str(entry.get("staged_name", ""))):
        with contextlib.suppress(FileNotFoundError):
            (staging_root() / entry["staged_name"]).unlink()


def _staged_from(entry: dict[str, Any]) -> StagedFile:
    return StagedFile(**{k: entry[k] for k in StagedFile.__dataclass_fields__})


def pending_for(
    session: MutableMapping[str, Any],
    *,
    owner: PendingOwner,
    tokens: Iterable[str] | None = None,
    any_commune: bool = False,
) -> list[tuple[str, StagedFile]]:
    """This officer's pending files for this form (all of them, or those among `tokens`) whose
    file still exists. Another user's, another commune's or another form's are never returned.
    `any_commune`: the online form, whose resident may choose another commune between attempts
    (their session and the procedure still have to match)."""
    entries = _pending_entries(session)
    wanted = None if tokens is None else set(tokens)
    result = []
    for token, entry in entries.items():
        if wanted is not None and token not in wanted:
            continue
        if (entry.get("user_id"), entry.get("procedure_code")) != (owner.user_id, owner.procedure_code):
            continue
        if not any_commune and entry.get("commune_id") != owner.commune_id:
            continue
        staged = _staged_from(entry)
        if staged.path.is_file():
            result.append((token, staged))
    return result


def pending_drop(session: MutableMapping[str, Any], tokens: Iterable[str]) -> None:
    """Forget these pending files and delete whichever are still staged (those placed into a
    dossier have been moved already)."""
    entries = _pending_entries(session)
    for token in list(tokens):
        _forget(entries, token)
    session[_SESSION_KEY] = entries


def pending_release(session: MutableMapping[str, Any], tokens: Iterable[str]) -> None:
    """Forget these pending files without deleting them (they now belong to a dossier's commit)."""
    entries = _pending_entries(session)
    for token in tokens:
        entries.pop(token, None)
    session[_SESSION_KEY] = entries
