"""The small registers under tests/data, as uploads."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

DATA = Path(__file__).parent / "data"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes(), content_type="text/csv")
