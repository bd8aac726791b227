"""Open311 on PostgreSQL (which refuses NUL in text): a NUL, an over-long value and odd Unicode
in every parameter of every endpoint — the POST's form fields and attribute[…] values, every GET's
query parameters and path segments — give the error array (400/403/404), never a server error,
and write nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from motcua.core import clock
from motcua.feedback.models import FeedbackItem
from motcua.feedback.open311.keys import open311_key_create

from .conftest import NOW

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

VALUES = [
    "Nguyễn\x00Văn",
    "\x00",
    "ă" * 10_000,
    "😀\u202e\ufeffe\u0301\U0001d518",
    "٣٤",
    "\u200b",
    "-1",
    "1e999",
]
GET_PARAMS = ["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status"]
PATHS = [
    "/open311/v2/services.json",
    "/open311/v2/services/thoat-nuoc.json",
    "/open311/v2/requests.json",
    "/open311/v2/requests/PA-20209-260210-0001.json",
    "/open311/v2/tokens/abc.json",
    "/open311/v2/discovery.json",
]


def _form(key: str, setup) -> dict[str, str]:
    return {
        "api_key": key,
        "jurisdiction_id": "20209",
        "service_code": "thoat-nuoc",
        "lat": "16.0678",
        "long": "108.2208",
        "address_string": "Kiệt 45 Hà Huy Tập",
        "address_id": "",
        "description": "Cống bị tắc",
        "first_name": "Văn A",
        "last_name": "Nguyễn",
        "phone": "0905123456",
        "email": "a@example.vn",
        "device_id": "",
        "account_id": "",
        "media_url": "",
        "attribute[neighbourhood]": str(setup["neighbourhoods"][0].pk),
        "attribute[landmark]": "Gần chợ",
    }


def test_every_post_field_takes_nul_long_and_odd_values(ward, setup, settings):
    settings.MOTCUA_OPEN311_WRITE_RATE = "10000/60"
    client = Client()
    with clock.pinned(NOW):
        key = open311_key_create(commune=ward, name="Ứng dụng", now=NOW)
        created = 0
        for field in _form(key, setup):
            for value in VALUES:
                form = _form(key, setup) | {field: value}
                got = client.post("/open311/v2/requests.json", form)
                assert got.status_code in (200, 400, 403), (
                    field,
                    value[:20],
                    got.status_code,
                    got.content[:200],
                )
                if got.status_code == 200:
                    created += 1
                    assert "\x00" not in value and len(value) < 4000, (field, value[:20])
                else:
                    assert got.json()[0]["code"] == got.status_code
        # an odd key name, and odd attribute codes
        for name in ("attribute[\x00]", "attribute[" + "a" * 5000 + "]", "attribute[😀]", "attribute[[x]]"):
            got = client.post("/open311/v2/requests.json", _form(key, setup) | {name: "x"})
            assert got.status_code == 400, (name[:20], got.content[:200])
        assert FeedbackItem.objects.count() == created


def test_every_get_parameter_and_path_takes_nul_long_and_odd_values(ward, setup, settings):
    settings.MOTCUA_OPEN311_READ_RATE = "10000/60"
    client = Client()
    with clock.pinned(NOW):
        for path in PATHS:
            for param in GET_PARAMS:
                for value in VALUES:
                    got = client.get(path, {param: value})
                    assert got.status_code in (200, 400, 404), (path, param, value[:20], got.status_code)
                    assert got.status_code == 200 or got.json()[0]["code"] == got.status_code
        for value in VALUES:
            segment = quote(value, safe="")
            for path in (
                f"/open311/v2/services/{segment}.json",
                f"/open311/v2/requests/{segment}.json",
                f"/open311/v2/tokens/{segment}.xml",
            ):
                got = client.get(path, {"jurisdiction_id": "20209"})
                assert got.status_code in (400, 404), (path[:60], got.status_code)
