"""Feedback photos (issue 9 §1): checked by content, stripped, stored by their SHA-256, served
only through a view that checks the reader.

Pillow is not a dependency, so a photo is parsed here, structure by structure: JPEG markers through
every scan up to the first end-of-image, PNG chunks (every CRC checked) up to IEND, WebP's RIFF chunks
(only the image's own kept). A file that is not
entirely one of these is refused; one wider or taller than MOTCUA_FEEDBACK_PHOTO_MAX_SIDE pixels
(a decompression bomb) or larger than MOTCUA_FEEDBACK_PHOTO_MAX_BYTES is refused. What is kept is
rewritten without metadata — EXIF (the phone's GPS position, its serial), XMP, comments, text
chunks — and without anything after the image's end (polyglot payloads); a JPEG keeps only its
EXIF orientation, so portrait photos still stand up.

All or nothing: every photo of a form is checked before any row is written; the files are written
under UPLOAD_ROOT/feedback/<sha256> only when the transaction that records them commits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404

from motcua.core.errors import ValidationFailed
from motcua.org.models import User

from .models import FeedbackEvent, FeedbackItem, FeedbackPhoto, PhotoKind

log = logging.getLogger(__name__)

JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp"}
MAX_PHOTOS = 3
_HTML_MARKERS = re.compile(rb"<\s*(html|script|body|head|iframe|svg|object|embed|meta|!doctype)\b", re.I)


def max_bytes() -> int:
    return int(getattr(settings, "MOTCUA_FEEDBACK_PHOTO_MAX_BYTES", 5 * 1024 * 1024))


def max_side() -> int:
    return int(getattr(settings, "MOTCUA_FEEDBACK_PHOTO_MAX_SIDE", 8000))


class BadImage(Exception):
    """Why the bytes are not a photo we keep (a Vietnamese phrase)."""


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes  # the stripped image, as it will be stored
    content_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


# ----------------------------------------------------------------------------- JPEG

_SOF = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}
# Kept: the tables, frame and scan headers and restart interval the image needs (DQT, DHT, DAC,
# SOFn, SOS, DRI, DNL); APP0 only as JFIF/JFXX, APP2 only as an ICC colour profile, APP14 only as
# Adobe's (how to read CMYK): they are needed to show the colours right. Everything else — APP1
# (EXIF with the GPS position, XMP; its orientation is rewritten), the other APPn (Photoshop/IPTC,
# MPF), comments, extension markers — is dropped.
_JPEG_KEEP = {0xDB, 0xC4, 0xCC, 0xDA, 0xDD, 0xDC, *_SOF}
_JPEG_APP_KEEP = {0xE0: (b"JFIF\x00", b"JFXX\x00"), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}


def _no_html(payload: bytes) -> None:
    if _HTML_MARKERS.search(payload):
        raise BadImage("có mã trang web (HTML) bên trong, không phải ảnh")


def _jpeg_keeps(marker: int, payload: bytes) -> bool:
    if marker in _JPEG_APP_KEEP:
        if not payload.startswith(_JPEG_APP_KEEP[marker]):
            return False
        _no_html(payload)
        return True
    return marker in _JPEG_KEEP


def _scan_end(data: bytes, i: int) -> int:
    """Where the entropy-coded data starting at `i` ends: the first 0xFF that begins a marker
    (FF00 is a stuffed 0xFF byte, FFD0–FFD7 restart markers, FFFF fill before a marker)."""
    while True:
        j = data.find(b"\xff", i)
        if j < 0 or j + 1 >= len(data):
            raise BadImage("không phải ảnh JPEG hoàn chỉnh (thiếu phần kết thúc)")
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            i = j + 2
        elif following == 0xFF:
            i = j + 1
        else:
            return j


def _exif_orientation(payload: bytes) -> int | None:
    """The orientation tag (1–8) of an APP1 Exif payload, if any."""
    if not payload.startswith(b"Exif\x00\x00") or len(payload) < 14:
        return None
    tiff = payload[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    try:
        (offset,) = struct.unpack(order + "I", tiff[4:8])
        (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
        for n in range(min(count, 256)):
            entry = tiff[offset + 2 + 12 * n : offset + 14 + 12 * n]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag == 0x0112 and kind == 3:
                (value,) = struct.unpack(order + "H", entry[8:10])
                return value if 1 <= value <= 8 else None
    except struct.error:
        return None
    return None


def _orientation_app1(orientation: int) -> bytes:
    payload = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08" + struct.pack(
        ">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0
    )
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(data: bytes) -> tuple[bytes, int, int]:
    """Walked marker by marker — through every scan's entropy-coded data, so the tables and
    scans of a progressive JPEG are kept — up to the FIRST end-of-image marker; anything after it
    (an appended second JPEG such as an MPF preview with its own EXIF, a polyglot payload) is
    dropped."""
    if not data.startswith(b"\xff\xd8"):
        raise BadImage("không phải ảnh JPEG hợp lệ")
    kept = [b"\xff\xd8"]
    orientation: int | None = None
    width = height = 0
    scanned = False
    i = 2
    while True:
        while i < len(data) - 1 and data[i] == 0xFF and data[i + 1] == 0xFF:
            i += 1  # fill bytes
        if i + 2 > len(data) or data[i] != 0xFF:
            raise BadImage("là ảnh JPEG hỏng (cấu trúc không đọc được)")
        marker = data[i + 1]
        if marker == 0xD9:
            if not scanned:
                raise BadImage("là ảnh JPEG hỏng (kết thúc trước dữ liệu ảnh)")
            kept.append(b"\xff\xd9")
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker == 0xD8:
            raise BadImage("là ảnh JPEG hỏng (kết thúc trước dữ liệu ảnh)")
        if i + 4 > len(data):
            raise BadImage("không phải ảnh JPEG hoàn chỉnh (thiếu phần kết thúc)")
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2 or i + 2 + length > len(data):
            raise BadImage("là ảnh JPEG hỏng (đoạn dữ liệu dài hơn tệp)")
        segment = data[i : i + 2 + length]
        if marker in _SOF:
            if length < 8:
                raise BadImage("là ảnh JPEG hỏng")
            height, width = struct.unpack(">HH", segment[5:9])
        if marker == 0xE1 and orientation is None:
            orientation = _exif_orientation(segment[4:])
        if _jpeg_keeps(marker, segment[4:]):
            kept.append(segment)
        i += 2 + length
        if marker == 0xDA:  # start of scan: its entropy-coded data follows
            if not width or not height:
                raise BadImage("là ảnh JPEG hỏng (không có kích thước)")
            end = _scan_end(data, i)
            kept.append(data[i:end])
            i, scanned = end, True
    if not width or not height:
        raise BadImage("là ảnh JPEG hỏng (không có kích thước)")
    if orientation and orientation != 1:
        at = 2 if kept[1].startswith(b"\xff\xe0") else 1  # JFIF's APP0 stays first
        kept.insert(at, _orientation_app1(orientation))
    return b"".join(kept), width, height


# ----------------------------------------------------------------------------- PNG

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"iCCP",
    b"pHYs",
    b"sBIT",
    b"bKGD",
}


def _png(data: bytes) -> tuple[bytes, int, int]:
    if not data.startswith(_PNG_SIGNATURE):
        raise BadImage("không phải ảnh PNG hợp lệ")
    kept = [_PNG_SIGNATURE]
    i = len(_PNG_SIGNATURE)
    width = height = 0
    seen: set[bytes] = set()
    while True:
        if i + 12 > len(data):
            raise BadImage("không phải ảnh PNG hoàn chỉnh (thiếu phần kết thúc)")
        length, tag = struct.unpack(">I4s", data[i : i + 8])
        if i + 12 + length > len(data):
            raise BadImage("là ảnh PNG hỏng (đoạn dữ liệu dài hơn tệp)")
        body = data[i + 8 : i + 8 + length]
        (crc,) = struct.unpack(">I", data[i + 8 + length : i + 12 + length])
        if zlib.crc32(tag + body) != crc:
            raise BadImage("là ảnh PNG hỏng (sai mã kiểm tra)")
        if not seen and tag != b"IHDR":
            raise BadImage("không phải ảnh PNG hợp lệ")
        if tag == b"IHDR":
            if length != 13 or seen:
                raise BadImage("không phải ảnh PNG hợp lệ")
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth not in {1, 2, 4, 8, 16} or colour not in {0, 2, 3, 4, 6}:
                raise BadImage("không phải ảnh PNG hợp lệ")
        seen.add(tag)
        if tag == b"iCCP":
            _no_html(body)
        if tag in _PNG_KEEP:
            kept.append(data[i : i + 12 + length])
        i += 12 + length
        if tag == b"IEND":
            break  # anything after the end is dropped
    if b"IDAT" not in seen or not width or not height:
        raise BadImage("là ảnh PNG không có dữ liệu ảnh")
    return b"".join(kept), width, height


# ----------------------------------------------------------------------------- WebP


# Only the image's own chunks; EXIF, XMP and any unknown chunk are dropped, the RIFF size rewritten.
_WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}


def _webp(data: bytes) -> tuple[bytes, int, int]:
    if len(data) < 20 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise BadImage("không phải ảnh WebP hợp lệ")
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 > len(data) or riff_size < 12:
        raise BadImage("là ảnh WebP hỏng (thiếu dữ liệu)")
    end = 8 + riff_size
    chunks: list[tuple[bytes, bytes]] = []
    i = 12
    while i < end:
        if i + 8 > end:
            raise BadImage("là ảnh WebP hỏng")
        tag, size = data[i : i + 4], struct.unpack("<I", data[i + 4 : i + 8])[0]
        if i + 8 + size > end:
            raise BadImage("là ảnh WebP hỏng (đoạn dữ liệu dài hơn tệp)")
        chunks.append((tag, data[i + 8 : i + 8 + size]))
        i += 8 + size + (size & 1)
    if not chunks:
        raise BadImage("là ảnh WebP không có dữ liệu ảnh")
    first_tag, first = chunks[0]
    if first_tag == b"VP8 ":
        if len(first) < 10 or first[3:6] != b"\x9d\x01\x2a":
            raise BadImage("là ảnh WebP hỏng")
        width, height = (v & 0x3FFF for v in struct.unpack("<HH", first[6:10]))
    elif first_tag == b"VP8L":
        if len(first) < 5 or first[0] != 0x2F:
            raise BadImage("là ảnh WebP hỏng")
        (bits,) = struct.unpack("<I", first[1:5])
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif first_tag == b"VP8X":
        if len(first) < 10:
            raise BadImage("là ảnh WebP hỏng")
        width = int.from_bytes(first[4:7], "little") + 1
        height = int.from_bytes(first[7:10], "little") + 1
        # No EXIF (0x08) nor XMP (0x04) any more.
        chunks[0] = (first_tag, bytes([first[0] & ~0x0C & 0xFF]) + first[1:])
    else:
        raise BadImage("là ảnh WebP hỏng")
    if not any(tag in (b"VP8 ", b"VP8L", b"ANMF") for tag, _ in chunks):
        raise BadImage("là ảnh WebP không có dữ liệu ảnh")
    kept = [(tag, c) for tag, c in chunks if tag in _WEBP_KEEP]
    for tag, c in kept:
        if tag == b"ICCP":
            _no_html(c)
    body = b"".join(tag + struct.pack("<I", len(c)) + c + (b"\x00" if len(c) & 1 else b"") for tag, c in kept)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body, width, height


# ----------------------------------------------------------------------------- checking


def inspect(data: bytes) -> CheckedPhoto:
    """The photo these bytes are, stripped; raises BadImage."""
    if data.startswith(b"\xff\xd8\xff"):
        content_type, parse = JPEG, _jpeg
    elif data.startswith(_PNG_SIGNATURE):
        content_type, parse = PNG, _png
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        content_type, parse = WEBP, _webp
    else:
        raise BadImage("không phải ảnh JPEG, PNG hoặc WebP (kiểm tra theo nội dung tệp)")
    if _HTML_MARKERS.search(data[:1024]):
        raise BadImage("có mã trang web (HTML) bên trong, không phải ảnh")
    try:
        stripped, width, height = parse(data)
    except (struct.error, IndexError, ValueError):
        raise BadImage("là ảnh hỏng hoặc không đọc được") from None
    side = max_side()
    if width > side or height > side:
        raise BadImage(f"quá lớn ({width}×{height} điểm ảnh; tối đa {side}×{side})")
    return CheckedPhoto(data=stripped, content_type=content_type, width=width, height=height)


def _name(upload: UploadedFile) -> str:
    name = "".join(ch for ch in (upload.name or "") if ch.isprintable()).strip()
    return name[-80:] or "ảnh"


def check_photo(upload: UploadedFile) -> CheckedPhoto:
    """One uploaded photo, or ValidationFailed naming the file and what is wrong with it."""
    name, limit = _name(upload), max_bytes()
    if upload.size is None or upload.size > limit:
        raise ValidationFailed(f"Ảnh «{name}» lớn hơn {limit // (1024 * 1024)} MB.", code="photo_too_large")
    if upload.size == 0:
        raise ValidationFailed(f"Ảnh «{name}» rỗng.", code="photo_empty")
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    if len(data) > limit:
        raise ValidationFailed(f"Ảnh «{name}» lớn hơn {limit // (1024 * 1024)} MB.", code="photo_too_large")
    try:
        return inspect(data)
    except BadImage as exc:
        raise ValidationFailed(f"Ảnh «{name}» {exc}.", code="photo_refused") from None


def check_photos(uploads: Iterable[UploadedFile], *, limit: int = MAX_PHOTOS) -> list[CheckedPhoto]:
    """Every photo checked before anything is written; one ValidationFailed names every bad one."""
    uploads = [u for u in uploads if u is not None]
    if len(uploads) > limit:
        raise ValidationFailed(f"Tối đa {limit} ảnh (đang chọn {len(uploads)}).", code="too_many_photos")
    checked, problems = [], []
    for upload in uploads:
        try:
            checked.append(check_photo(upload))
        except ValidationFailed as exc:
            problems.append(exc.message)
    if len(problems) == 1:
        raise ValidationFailed(problems[0], code="photo_refused")
    if problems:
        raise ValidationFailed(
            "Có ảnh không hợp lệ; chưa lưu ảnh nào.", code="photo_refused", details=problems
        )
    return checked


# ----------------------------------------------------------------------------- storing, serving


def storage_path_for(sha256: str) -> str:
    return f"feedback/{sha256}"


def stored_path(storage_path: str) -> Path:
    root = Path(settings.UPLOAD_ROOT).resolve()
    path = (root / storage_path).resolve()
    if root not in path.parents:
        raise Http404
    return path


def _write(relative: str, data: bytes) -> None:
    """Content-addressed: the same photo twice is one file. Written whole, then renamed."""
    target = Path(settings.UPLOAD_ROOT) / relative
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except OSError:
        log.exception("Could not store a feedback photo: %s", relative)
        with contextlib.suppress(OSError):
            temporary.unlink()


def photos_attach(
    *,
    item: FeedbackItem,
    photos: Iterable[CheckedPhoto],
    kind: str = PhotoKind.REPORT,
    event: FeedbackEvent | None = None,
    actor: User | None,
    now: dt.datetime,
) -> list[FeedbackPhoto]:
    """Record checked photos of `item` inside the caller's transaction; the files are written
    when it commits (a rolled-back step leaves no file)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("photos_attach must run inside the transaction that records the step")
    rows = []
    for photo in photos:
        digest = photo.sha256
        relative = storage_path_for(digest)
        rows.append(
            FeedbackPhoto.objects.create(
                item=item,
                event=event,
                kind=kind,
                storage_path=relative,
                content_type=photo.content_type,
                size=photo.size,
                width=photo.width,
                height=photo.height,
                sha256=digest,
                uploaded_at=now,
                uploaded_by=actor,
            )
        )
        data = photo.data
        transaction.on_commit(lambda relative=relative, data=data: _write(relative, data))  # type: ignore[misc]
    return rows


def photo_response(photo: FeedbackPhoto) -> FileResponse:
    """The stored photo, re-checked by content (it must still be the image it was recorded as);
    the caller has checked that the reader may see it."""
    path = stored_path(photo.storage_path)
    try:
        data = path.read_bytes()
    except OSError:
        raise Http404 from None
    try:
        checked = inspect(data)
    except BadImage:
        raise Http404 from None
    if checked.content_type != photo.content_type or hashlib.sha256(data).hexdigest() != photo.sha256:
        raise Http404
    response = FileResponse(open(path, "rb"), content_type=photo.content_type)  # noqa: SIM115 — closed by Django
    response["Content-Disposition"] = f'inline; filename="anh-{photo.pk}.{EXTENSIONS[photo.content_type]}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
