"""The residents' status lookup under attack: code lockout from any address, the QR link while
locked, strict input, local times, no secrets in the logs (issue 7 §3.3, §3.8, §3.9, §3.10)."""

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from motcua.core import clock
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.testing import make_commune, make_procedure, make_staff

pytestmark = pytest.mark.django_db

# 08:30 in Đà Nẵng on a working Tuesday.
RECEIVED = dt.datetime(2026, 2, 10, 1, 30, tzinfo=dt.UTC)


@pytest.fixture
def received(settings):
    settings.MOTCUA_LOOKUP_RATE = "1000/600"
    settings.MOTCUA_LOOKUP_CODE_FAILURES = 5
    settings.MOTCUA_LOOKUP_CODE_LOCK_SECONDS = 900
    settings.MOTCUA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.MOTCUA_TRUSTED_PROXY_COUNT = 1
    ward = make_commune()
    staff = make_staff(ward)
    proc = make_procedure()
    return dossier_intake(actor=staff["counter"], procedure=proc, applicant=Applicant(name="Võ Thị Mai", phone="0905123456"),
                          form_data={}, checklist_ticked=[i.id for i in proc.checklist.all()], outcome="receive",
                          now=RECEIVED)  # fmt: skip


def _lookup(code: str, digits: str, address: str = "198.51.100.7"):
    return Client(REMOTE_ADDR="10.0.0.2").get(
        reverse("portal:lookup"), {"ma": code, "sdt": digits}, HTTP_X_FORWARDED_FOR=address
    )


def test_five_wrong_digits_from_five_addresses_lock_the_code_even_for_the_right_digits(received):
    for i in range(5):
        assert _lookup(received.code, f"000{i}", address=f"198.51.100.{i + 1}").status_code == 404
    resp = _lookup(received.code, "3456", address="203.0.113.50")
    body = resp.content.decode()
    assert resp.status_code == 429
    assert "tạm khóa" in body and "mã QR" in body and "Võ Thị Mai" not in body
    api = Client().get("/api/public/lookup", {"code": received.code, "phone_last4": "3456"})
    assert api.status_code == 429 and api.json()["code"] == "code_locked"
    # The receipt's QR link still opens the status page.
    qr = Client().get(reverse("portal:status", args=[received.code, received.secret]))
    assert qr.status_code == 200 and "Võ Thị Mai" in qr.content.decode()
    # Another dossier is not affected.
    assert _lookup(received.code[:-1] + "9", "3456").status_code == 404


def test_the_lock_ends_fifteen_minutes_after_the_fifth_failure(received):
    with clock.pinned(RECEIVED + dt.timedelta(hours=1)):
        for i in range(5):
            _lookup(received.code, "9999", address=f"198.51.100.{i + 1}")
        assert _lookup(received.code, "3456").status_code == 429
    with clock.pinned(RECEIVED + dt.timedelta(hours=1, minutes=14, seconds=59)):
        assert _lookup(received.code, "3456").status_code == 429
    with clock.pinned(RECEIVED + dt.timedelta(hours=1, minutes=15)):
        assert _lookup(received.code, "3456").status_code == 200


def test_wrong_digits_through_the_api_count_towards_the_same_lock(received):
    for _ in range(5):
        resp = Client().get("/api/public/lookup", {"code": received.code.lower(), "phone_last4": "1111"})
        assert resp.status_code == 404
    assert _lookup(received.code, "3456").status_code == 429


def test_a_code_that_does_not_exist_locks_the_same_way(received):
    """Otherwise the lock would tell an attacker which codes exist."""
    missing = "H48.20209-260210-0999"
    for _ in range(5):
        assert _lookup(missing, "3456").status_code == 404
    resp = _lookup(missing, "3456")
    assert resp.status_code == 429 and "tạm khóa" in resp.content.decode()


def test_client_limit_is_per_client_behind_the_proxy(received, settings):
    settings.MOTCUA_LOOKUP_RATE = "3/600"
    for _ in range(3):
        assert _lookup(received.code, "3456", address="198.51.100.7").status_code == 200
    assert _lookup(received.code, "3456", address="198.51.100.7").status_code == 429
    # Another resident behind the same proxy is not locked out.
    assert _lookup(received.code, "3456", address="198.51.100.8").status_code == 200


@pytest.mark.parametrize("digits", ["😀", "٣٤٥٦", "３４５６", "34\x0056", "345", "34567", "abcd"])
def test_bad_phone_digits_are_422_in_the_api_and_a_message_on_the_page(received, digits):
    api = Client().get("/api/public/lookup", {"code": received.code, "phone_last4": digits})
    assert api.status_code == 422
    assert api.json()["code"] == "validation_failed" and "4 chữ số" in api.json()["message"]
    page = _lookup(received.code, digits)
    assert page.status_code == 422 and "4 chữ số cuối" in page.content.decode()


@pytest.mark.parametrize("code", ["H48😀", "x" * 61, "H48.20209 260210", "H48\x00.1", "'; DROP TABLE x"])
def test_bad_codes_are_422(received, code):
    api = Client().get("/api/public/lookup", {"code": code, "phone_last4": "3456"})
    assert api.status_code == 422 and api.json()["code"] == "validation_failed"
    assert _lookup(code, "3456").status_code == 422


@pytest.mark.parametrize("secret", ["😀", "x" * 200, "a\x00b"])
def test_bad_secrets_are_not_found_not_errors(received, secret):
    api = Client().get("/api/public/lookup", {"code": received.code, "secret": secret})
    assert api.status_code == 404
    assert Client().get(reverse("portal:status", args=[received.code, secret])).status_code == 404
    assert Client().get(reverse("portal:status", args=["9" * 30, "abc"])).status_code == 404


def test_the_api_answers_the_qr_secret_while_the_code_is_locked(received):
    for _ in range(5):
        _lookup(received.code, "0000")
    resp = Client().get("/api/public/lookup", {"code": received.code, "secret": received.secret})
    assert resp.status_code == 200 and resp.json()["code"] == received.code


def test_times_are_local_on_the_page_and_carry_their_offset_in_the_api(received):
    page = _lookup(received.code, "3456").content.decode()
    assert "10/02/2026 08:30" in page and "10/02/2026 01:30" not in page
    data = Client().get("/api/public/lookup", {"code": received.code, "phone_last4": "3456"}).json()
    assert data["steps"][0]["at"] == "2026-02-10T08:30:00+07:00"
    assert data["due_at"] is None or data["due_at"].endswith("+07:00")
    qr = Client().get(reverse("portal:status", args=[received.code, received.secret])).content.decode()
    assert "10/02/2026 08:30" in qr


def test_the_qr_secret_never_reaches_djangos_request_log(received, caplog):
    path = reverse("portal:status", args=[received.code, "Sai-bi-mat_0123"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert Client().get(path).status_code == 404
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"/tra-cuu/{received.code}/***/" in logged
    assert "Sai-bi-mat_0123" not in logged


def test_the_console_handler_redacts_any_logger():
    """The filter sits on the console handler too, for whatever logger writes a status link."""
    handler = next(h for h in logging.getLogger().handlers if any(
        type(f).__name__ == "RedactSecrets" for f in h.filters))  # fmt: skip
    record = logging.LogRecord(
        "other", logging.WARNING, __file__, 1, "opened %s", ("/tra-cuu/A-1/s3cr3t/",), None
    )
    assert handler.filter(record)
    assert record.getMessage() == "opened /tra-cuu/A-1/***/"


def test_the_qr_secret_never_reaches_gunicorns_access_log():
    from gunicorn.config import Config

    from motcua.cli import gunicorn_argv
    from motcua.config import gunicorn_conf

    assert gunicorn_conf.logger_class is gunicorn_conf.RedactingLogger
    cfg = Config()
    argv = gunicorn_argv([])
    cfg.set("access_log_format", argv[argv.index("--access-logformat") + 1])
    cfg.set("accesslog", "-")
    logger = gunicorn_conf.RedactingLogger(cfg)
    lines: list[str] = []
    logger.access_log.handlers = []
    logger.access_log.addHandler(_ListHandler(lines))
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/tra-cuu/H48.20209-260210-0001/AbC-xyz_123/?x=1",
        "PATH_INFO": "/tra-cuu/H48.20209-260210-0001/AbC-xyz_123/", "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://motcua.example/tra-cuu/H48.20209-260210-0001/AbC-xyz_123/",
    }  # fmt: skip
    resp = SimpleNamespace(status="404 Not Found", sent=10, headers=[])
    logger.access(resp, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=3))
    assert lines and "/tra-cuu/H48.20209-260210-0001/***/" in lines[0]
    assert "AbC-xyz_123" not in lines[0]
    atoms = logger.atoms(resp, SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])]), environ,
                         dt.timedelta(milliseconds=3))  # fmt: skip
    assert not any("AbC-xyz_123" in str(v) for v in atoms.values())


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]):
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_right_lookup_is_one_round_trip_on_postgresql_two_on_sqlite(received):
    """§4: the limiter, the code's lock and the page's data in one statement on PostgreSQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from motcua.portal.selectors import resident_lookup

    with CaptureQueriesContext(connection) as queries:
        status = resident_lookup(code=received.code, phone_last4="3456", client="198.51.100.7", now=RECEIVED)
    assert status.code == received.code and status.applicant_name == "Võ Thị Mai"
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2), [q["sql"] for q in queries]
