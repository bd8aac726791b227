"""Feedback photos (issue 9 §1): checked by content, size- and pixel-limited, stripped of
metadata and of anything after the image, written only on commit, content-addressed."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404
from django.test import override_settings

from motcua.core.errors import ValidationFailed
from motcua.feedback import photos
from motcua.feedback.models import Channel, FeedbackPhoto
from motcua.feedback.services import feedback_create

from .conftest import NOW


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def make_png(
    width: int = 2, height: int = 2, extra: bytes = b"", rgb: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A real (decodable) RGB PNG."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        photos._PNG_SIGNATURE
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + extra
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def exif(orientation: int = 6, gps: bytes = b"GPS 16.0544 108.2022") -> bytes:
    tiff = b"MM\x00*\x00\x00\x00\x08" + struct.pack(">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0) + gps
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def make_jpeg(width: int = 640, height: int = 480, app1: bytes = b"", tail: bytes = b"") -> bytes:
    segments = [
        b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        app1,
        b"\xff\xfe" + struct.pack(">H", 2 + 11) + b"Canon EOS 5",
        b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(range(1, 65)),
        b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00",
        b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00" + b"\x12\x34\x56" * 20,
    ]
    return b"\xff\xd8" + b"".join(segments) + b"\xff\xd9" + tail


def webp_chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def make_webp(width: int = 300, height: int = 200, metadata: bool = False) -> bytes:
    bits = (width - 1) | ((height - 1) << 14) | (1 << 28)
    vp8l = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 8
    if metadata:
        vp8x = (
            bytes([0x08 | 0x04 | 0x10, 0, 0, 0])
            + (width - 1).to_bytes(3, "little")
            + (height - 1).to_bytes(3, "little")
        )
        body = (
            webp_chunk(b"VP8X", vp8x)
            + webp_chunk(b"VP8L", vp8l)
            + webp_chunk(b"EXIF", b"GPS 16.05")
            + webp_chunk(b"XMP ", b"<x:xmpmeta/>")
        )
    else:
        body = webp_chunk(b"VP8L", vp8l)
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def upload(data: bytes, name: str = "anh.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


# ------------------------------------------------------------------ checking


@pytest.mark.parametrize(
    ("data", "kind", "size"),
    [(make_png(3, 2), photos.PNG, (3, 2)), (make_jpeg(640, 480), photos.JPEG, (640, 480)),
     (make_webp(300, 200), photos.WEBP, (300, 200)), (make_webp(30, 20, metadata=True), photos.WEBP, (30, 20))],
)  # fmt: skip
def test_good_photos(data, kind, size):
    checked = photos.check_photo(upload(data))
    assert (checked.content_type, (checked.width, checked.height)) == (kind, size)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"GIF89a" + b"\x00" * 40, "không phải ảnh JPEG, PNG hoặc WebP"),
        (b"%PDF-1.4\n%%EOF", "không phải ảnh JPEG, PNG hoặc WebP"),
        (b"<html><script>alert(1)</script>", "không phải ảnh"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<script>alert(1)</script>", "HTML"),
        (make_png()[:-12], "thiếu phần kết thúc"),  # no IEND
        (make_png()[:29] + b"\x00\x00\x00\x00" + make_png()[33:], "sai mã kiểm tra"),
        (
            photos._PNG_SIGNATURE
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + png_chunk(b"IEND", b""),
            "không có dữ liệu ảnh",
        ),
        (make_jpeg()[:-2].replace(b"\xff\xd9", b""), "thiếu phần kết thúc"),
        (b"\xff\xd8\xff\xe1\x7f\xffExif\x00\x00", "dài hơn tệp"),
        (make_jpeg().replace(b"\xff\xc0", b"\xff\xc4"), "không có kích thước"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8L\x04\x00\x00\x00\x00", "WebP hỏng"),
        (b"RIFF\xff\xff\x00\x00WEBP" + b"\x00" * 20, "thiếu dữ liệu"),
    ],
)
def test_refused_by_content(data, says):
    with pytest.raises(ValidationFailed) as exc:
        photos.check_photo(upload(data, "anh.jpg"))
    assert says in exc.value.message and "«anh.jpg»" in exc.value.message


@pytest.mark.parametrize("make", [lambda w, h: make_png(w, h), make_jpeg, make_webp])
def test_pixel_limit(make):
    assert photos.check_photo(upload(make(8000, 8000) if make is not make_png else make(8000, 1)))
    with pytest.raises(ValidationFailed) as exc:
        photos.check_photo(upload(make(8001, 10)))
    assert "quá lớn" in exc.value.message
    with pytest.raises(ValidationFailed):
        photos.check_photo(upload(make(10, 8001)))


def test_png_bomb_header_refused_before_decoding():
    """A PNG declaring 100000×100000 pixels (a decompression bomb) is refused by its header."""
    with pytest.raises(ValidationFailed) as exc:
        photos.check_photo(
            upload(make_png(2, 2).replace(struct.pack(">II", 2, 2), struct.pack(">II", 100000, 100000)))
        )
    # Its CRC no longer matches, so build it honestly:
    bomb = (photos._PNG_SIGNATURE + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b""))  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        photos.check_photo(upload(bomb))
    assert "100000×100000" in exc.value.message


@override_settings(MOTCUA_FEEDBACK_PHOTO_MAX_BYTES=1000)
def test_byte_limit():
    with pytest.raises(ValidationFailed) as exc:
        photos.check_photo(upload(make_png(2, 2, extra=png_chunk(b"tEXt", b"x" * 2000))))
    assert "lớn hơn" in exc.value.message
    with pytest.raises(ValidationFailed):
        photos.check_photo(upload(b""))


def test_at_most_three_and_all_named():
    with pytest.raises(ValidationFailed) as exc:
        photos.check_photos([upload(make_png())] * 4)
    assert "Tối đa 3 ảnh" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        photos.check_photos([upload(make_png()), upload(b"GIF89a", "a.gif"), upload(b"xx", "b.png")])
    assert len(exc.value.details) == 2


# ------------------------------------------------------------------ stripping


def test_jpeg_loses_metadata_keeps_orientation_and_drops_trailer():
    data = make_jpeg(app1=exif(6), tail=b"<?php system($_GET['c']); ?>")
    checked = photos.inspect(data)
    assert b"GPS" not in checked.data and b"Canon" not in checked.data and b"php" not in checked.data
    assert checked.data.endswith(b"\xff\xd9")
    assert photos._exif_orientation(checked.data[checked.data.index(b"Exif") :]) == 6
    assert photos.inspect(checked.data).data == checked.data  # stable


def test_jpeg_without_orientation_has_no_exif():
    checked = photos.inspect(make_jpeg(app1=exif(1)))
    assert b"Exif" not in checked.data


def test_png_loses_text_chunks_and_trailer():
    data = (
        make_png(extra=png_chunk(b"tEXt", b"Comment\x00GPS 16.05") + png_chunk(b"eXIf", b"MM"))
        + b"PK\x03\x04zip"
    )
    checked = photos.inspect(data)
    assert checked.data == make_png()


def test_webp_loses_exif_and_xmp():
    checked = photos.inspect(make_webp(30, 20, metadata=True))
    assert b"EXIF" not in checked.data and b"XMP" not in checked.data and b"GPS" not in checked.data
    assert checked.data[12:16] == b"VP8X" and checked.data[20] & 0x0C == 0
    assert struct.unpack("<I", checked.data[4:8])[0] == len(checked.data) - 8
    assert photos.inspect(checked.data).data == checked.data


# ------------------------------------------------------------------ storing and serving


@pytest.fixture
def item(ward, setup, staff):
    return feedback_create(commune=ward, channel=Channel.WALK_IN, category=setup["categories"]["khac"],
                           title="Ổ gà", now=NOW, actor=staff["counter"])  # fmt: skip


def _attach(item, staff, data):
    return photos.photos_attach(item=item, photos=[photos.inspect(data)], actor=staff["counter"], now=NOW)


@pytest.mark.django_db(transaction=True)
def test_written_only_on_commit(item, staff):
    data = make_png(4, 4, rgb=(1, 2, 3))
    target = Path(settings.UPLOAD_ROOT) / "feedback" / hashlib.sha256(data).hexdigest()
    target.unlink(missing_ok=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        _attach(item, staff, data)
        raise RuntimeError("rolled back")
    assert not target.exists() and not FeedbackPhoto.objects.exists()
    with transaction.atomic():
        (row,) = _attach(item, staff, data)
    assert target.read_bytes() == data
    assert (row.storage_path, row.size, row.width, row.content_type) == (
        f"feedback/{row.sha256}", len(data), 4, "image/png")  # fmt: skip
    response = photos.photo_response(row)
    assert b"".join(response.streaming_content) == data  # type: ignore[arg-type]
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_refused(item, staff):
    with pytest.raises(RuntimeError):
        photos.photos_attach(item=item, photos=[], actor=None, now=NOW)


def test_tampered_file_not_served(item, staff, django_capture_on_commit_callbacks):
    data = make_png(5, 5, rgb=(9, 9, 9))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (row,) = _attach(item, staff, data)
    path = Path(settings.UPLOAD_ROOT) / row.storage_path
    path.write_bytes(b"<html><script>alert(1)</script></html>")
    with pytest.raises(Http404):
        photos.photo_response(row)
    path.write_bytes(make_png(6, 6))  # an image, but not this one
    with pytest.raises(Http404):
        photos.photo_response(row)
    path.unlink()
    with pytest.raises(Http404):
        photos.photo_response(row)
    row.storage_path = "../../etc/passwd"
    with pytest.raises(Http404):
        photos.photo_response(row)


# ------------------------------------------------------------------ walking a JPEG to its first end


def segment(marker: int, payload: bytes) -> bytes:
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def make_progressive_jpeg(metadata: bool = False) -> bytes:
    """A real progressive 64×8 grey JPEG (decodable): a DC scan whose entropy-coded data holds a
    stuffed 0xFF (FF 00), a Huffman table defined between the scans, then an AC scan with a
    restart interval of 4 blocks (an RST0 marker in its data). With `metadata`, an EXIF/GPS
    APP1, an XMP, a non-ICC APP2 and a comment between the scans, all to be dropped."""
    dc_table = segment(0xC4, b"\x00" + bytes([1, 1] + [0] * 14) + b"\x00\x07")  # '0' → 0, '10' → 7
    ac_table = segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00")  # '0' → EOB
    # DC: six blocks of difference 0 ('0'), two of +127 ('10' + '1111111'): 02 FF(00) 7F.
    dc_scan = segment(0xDA, b"\x01\x01\x00\x00\x00\x00") + b"\x02\xff\x00\x7f"
    # AC 1–63: an EOB per block, padded with ones; restart after 4 blocks.
    ac_scan = segment(0xDD, struct.pack(">H", 4)) + segment(0xDA, b"\x01\x01\x00\x01\x3f\x00")
    ac_scan += b"\x0f\xff\xd0\x0f"
    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    head = [jfif]
    between = b""
    if metadata:
        head += [exif(1, gps=b"GPSLAT=16.0544N"), segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x/>"),
                 segment(0xE2, b"MPF\x00" + b"GPSLAT")]  # fmt: skip
        between = segment(0xFE, b"Canon EOS 5")
    return (
        b"\xff\xd8"
        + b"".join(head)
        + segment(0xDB, b"\x00" + b"\x01" * 64)
        + segment(0xC2, b"\x08" + struct.pack(">HH", 8, 64) + b"\x01\x01\x11\x00")
        + dc_table
        + dc_scan
        + between
        + ac_table
        + ac_scan
        + b"\xff\xd9"
    )


def test_progressive_jpeg_kept_whole_through_its_scans():
    data = make_progressive_jpeg()
    checked = photos.inspect(data)
    assert (checked.data, checked.width, checked.height) == (data, 64, 8)
    assert photos.inspect(make_progressive_jpeg(metadata=True)).data == data


def test_jpeg_ends_at_its_first_end_marker():
    """An appended second JPEG (an MPF preview with its own EXIF/GPS) and a PHP/ZIP polyglot
    payload are dropped: the stripped photo ends at the first real end-of-image."""
    second = b"\xff\xd8" + segment(0xE1, b"Exif\x00\x00MM\x00*\x00\x00\x00\x08GPSLAT=16.0544N") + b"\xff\xd9"
    payload = b"<?php system($_GET['c']); ?>PK\x03\x04zipzip"
    for image in (make_jpeg(), make_progressive_jpeg()):
        checked = photos.inspect(image + payload + second)
        assert checked.data == photos.inspect(image).data
        assert b"GPSLAT" not in checked.data and b"php" not in checked.data and b"PK" not in checked.data
    # A scan that never ends is refused, not cut at a later image's end.
    with pytest.raises(photos.BadImage, match="thiếu phần kết thúc"):
        photos.inspect(make_progressive_jpeg()[:-2])


@pytest.mark.parametrize(
    ("marker", "payload", "kept"),
    [
        (0xE0, b"JFXX\x00\x10", True),
        (0xE0, b"AVI1\x00", False),
        (0xE2, b"ICC_PROFILE\x00\x01\x01" + b"\x00" * 20, True),
        (0xE2, b"MPF\x00MM\x00*", False),
        (0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01", True),
        (0xEE, b"Other", False),
        (0xED, b"Photoshop 3.0\x00", False),
        (0xF7, b"\x00\x01", False),  # an extension marker
    ],
)
def test_jpeg_app_segments_kept_only_when_known(marker, payload, kept):
    data = make_jpeg()
    data = data[:2] + segment(marker, payload) + data[2:]
    assert (segment(marker, payload) in photos.inspect(data).data) is kept


def test_html_deep_in_a_kept_colour_profile_refused():
    app2 = segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + b"A" * 1100 + b"<html><script>alert(1)</script>")
    data = make_jpeg()
    with pytest.raises(photos.BadImage, match="HTML"):
        photos.inspect(data[:2] + app2 + data[2:])
    with pytest.raises(photos.BadImage, match="HTML"):
        photos.inspect(make_png(extra=png_chunk(b"iCCP", b"A" * 1100 + b"<script>\x00\x00x")))


def test_webp_keeps_only_image_chunks():
    vp8l = webp_chunk(b"VP8L", b"\x2f" + struct.pack("<I", 29 | (19 << 14) | (1 << 28)) + b"\x00" * 8)
    vp8x = webp_chunk(
        b"VP8X", bytes([0x10, 0, 0, 0]) + (29).to_bytes(3, "little") + (19).to_bytes(3, "little")
    )
    body = (
        vp8x
        + webp_chunk(b"ALPH", b"\x00\x01")
        + vp8l
        + webp_chunk(b"ZZZZ", b"GPSLAT <?php")
        + webp_chunk(b"META", b"x")
    )
    checked = photos.inspect(b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body)
    assert (
        checked.data
        == b"RIFF"
        + struct.pack("<I", len(vp8x + vp8l) + 14)
        + b"WEBP"
        + vp8x
        + webp_chunk(b"ALPH", b"\x00\x01")
        + vp8l
    )
    assert b"GPSLAT" not in checked.data and b"META" not in checked.data


@pytest.mark.browser
def test_stripped_progressive_jpeg_still_decodes(browser):
    """Chromium draws the stripped progressive JPEG: grey 128 for the six blocks of DC 0, 144 and
    160 for the blocks of DC 127 and 254 (so both scans, the stuffed byte and the restart were
    read)."""
    data = photos.inspect(make_progressive_jpeg(metadata=True)).data
    page = browser.new_page()
    try:
        page.set_content(
            f'<img id="i" alt="" src="data:image/jpeg;base64,{base64.b64encode(data).decode()}">'
        )
        page.wait_for_function("document.getElementById('i').complete")
        greys = page.evaluate(
            """() => { const img = document.getElementById('i'), c = document.createElement('canvas');
            c.width = 64; c.height = 8; const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            return [img.naturalWidth, img.naturalHeight,
                    Array.from(g.getImageData(0, 4, 64, 1).data).filter((_, k) => k % 32 === 0)]; }"""
        )
    finally:
        page.close()
    assert greys == [64, 8, [128, 128, 128, 128, 128, 128, 144, 160]]
