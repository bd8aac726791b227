"""Scans are checked by content, deeper than the magic number, and served so that a browser
never runs what a hostile file hides (issue 7 §3.10)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.dossiers.documents import (
    check_upload,
    check_uploads,
    content_problem,
    staging_root,
    sweep_staging,
)
from motcua.dossiers.models import DossierDocument
from motcua.dossiers.services import Applicant, dossier_intake

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
    b"\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PDF_HTML = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"


def verdict(data: bytes):
    return content_problem(data[:1024], data[-2048:], len(data))


@pytest.mark.parametrize(
    ("data", "expected"),
    [(PDF, ("application/pdf", "pdf")), (PNG, ("image/png", "png")), (JPEG, ("image/jpeg", "jpg"))],
)
def test_real_scans_pass(data, expected):
    assert verdict(data) == expected


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (PDF_HTML, "HTML"),
        (b"%PDF-1.4\n<!DOCTYPE html><p>hi</p>\n%%EOF", "HTML"),
        (b"%PDF-1.7\n1 0 obj<<>>endobj\n", "%%EOF"),  # cut short, or not a PDF at all
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),  # magic number only
        (PNG[:29] + b"\x00\x00\x00\x00" + PNG[33:], "PNG"),  # IHDR with a wrong CRC
        (b"\xff\xd8\xff\xe0" + b"0" * 20, "JPEG"),  # APP0 that is not JFIF
        (b"\xff\xd8\xff\xe1\x7f\xffExif\x00\x00", "JPEG"),  # segment longer than the file
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<script>alert(1)</script>", "HTML"),
        (b"GIF89a....", "không phải PDF, JPEG hoặc PNG"),
    ],
)
def test_hostile_or_broken_files_are_refused_with_a_reason(data, why):
    result = verdict(data)
    assert isinstance(result, str) and why in result, result


def test_check_upload_names_the_file_in_vietnamese():
    with pytest.raises(ValidationFailed) as exc:
        check_upload(upload=SimpleUploadedFile("don.pdf", PDF_HTML))
    assert "«don.pdf»" in exc.value.message and "HTML" in exc.value.message


def test_every_file_is_checked_and_every_bad_one_named(settings):
    settings.MOTCUA_SUBMIT_MAX_FILES = 5
    files = [(None, SimpleUploadedFile("a.pdf", PDF)), (None, SimpleUploadedFile("b.pdf", b"x" * 10)),
             (None, SimpleUploadedFile("c.png", PDF_HTML))]  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        check_uploads(files)
    assert "chưa lưu tệp nào" in exc.value.message
    assert any("«b.pdf»" in d for d in exc.value.details) and any("«c.png»" in d for d in exc.value.details)


def test_caps_on_files_and_bytes(settings):
    settings.MOTCUA_SUBMIT_MAX_FILES = 2
    with pytest.raises(ValidationFailed, match="tối đa 2 tệp"):
        check_uploads([(None, SimpleUploadedFile(f"{i}.pdf", PDF)) for i in range(3)])
    settings.MOTCUA_SUBMIT_MAX_FILES = 10
    settings.MOTCUA_SUBMIT_MAX_BYTES = len(PDF) * 2
    with pytest.raises(ValidationFailed, match="Tổng dung lượng"):
        check_uploads([(None, SimpleUploadedFile(f"{i}.pdf", PDF)) for i in range(3)])


def test_stale_staged_files_are_swept(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "up"
    root = staging_root()
    assert root == tmp_path / "up-staging"
    root.mkdir()
    (root / "old.pdf").write_bytes(PDF)
    (root / "new.pdf").write_bytes(PDF)
    import os
    import time

    os.utime(root / "old.pdf", (time.time() - 3 * settings.MOTCUA_PENDING_UPLOAD_SECONDS,) * 2)
    assert sweep_staging() == 1
    assert [p.name for p in root.iterdir()] == ["new.pdf"]


# ----------------------------------------------------------------------------- serving


@pytest.fixture
def stored(staff, land, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.UPLOAD_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        d = dossier_intake(
            actor=staff["counter"], procedure=land, applicant=Applicant(name="Lê Thị Hoa", phone="0912345678"),
            form_data={}, checklist_ticked=[i.id for i in land.checklist.all()], outcome="receive",
            files=[(None, SimpleUploadedFile("don.pdf", PDF)), (None, SimpleUploadedFile("anh.png", PNG))], now=clock.now(),
        )  # fmt: skip
    return {d.content_type: d for d in d.documents.all()}


def test_verified_pdf_and_image_are_shown_inline_without_cache(client, staff, stored):
    client.force_login(staff["counter"])
    for mime, doc in stored.items():
        resp = client.get(reverse("dossiers:document", args=[doc.pk]))
        assert resp.status_code == 200 and resp["Content-Type"] == mime
        assert resp["Content-Disposition"].startswith("inline;")
        assert resp["X-Content-Type-Options"] == "nosniff" and "no-store" in resp["Cache-Control"]


def test_a_stored_pdf_with_html_inside_is_only_downloaded(client, staff, stored, tmp_path):
    """A file stored before the deeper checks (or changed on disk) is not trusted by its record."""
    doc = stored["application/pdf"]
    (tmp_path / doc.storage_path).write_bytes(PDF_HTML)
    client.force_login(staff["counter"])
    resp = client.get(reverse("dossiers:document", args=[doc.pk]))
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith("attachment;")
    assert resp["Content-Type"] == "application/octet-stream"
    assert resp["X-Content-Type-Options"] == "nosniff" and "no-store" in resp["Cache-Control"]


def test_a_pdf_with_html_is_refused_at_the_counter(client, staff, land, settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path
    client.force_login(staff["counter"])
    data = {"applicant_name": "Trần Văn Bình", "applicant_phone": "0905111222", "outcome": "receive",
            "checklist": [str(i.id) for i in land.checklist.all()],
            f"doc_{land.checklist.first().id}": SimpleUploadedFile("don.pdf", PDF_HTML)}  # fmt: skip
    resp = client.post(reverse("dossiers:intake", args=[land.code]), data)
    assert resp.status_code == 422 and "HTML" in resp.content.decode()
    assert not DossierDocument.objects.exists() and not any(tmp_path.rglob("*"))
