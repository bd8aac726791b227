"""Issue 7 §3.7, §3.10 and §1: SQLite durability, DEBUG never on in production, and the public URL
(required in production, used by Mẫu 01's QR code and link)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from motcua.core.checks import check_public_url
from motcua.dossiers.models import Dossier
from motcua.testing import land_procedure, make_commune, make_staff

ROOT = Path(__file__).resolve().parents[3]
MOTCUA = str(Path(sys.executable).with_name("motcua"))


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter with only the given settings environment (nothing from the test run)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "DJANGO_", "DATABASE_URL"))}
    base.update({"MOTCUA_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", code], env=base, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_new_sqlite_connection_syncs_every_commit(tmp_path):
    """synchronous=FULL (2), not NORMAL (1): a power cut cannot roll back a committed receipt."""
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA synchronous'); sync = c.fetchone()[0]\n"
        "    c.execute('PRAGMA journal_mode'); journal = c.fetchone()[0]\n"
        "print(connection.vendor, sync, journal)\n"
    )
    result = run_python(code, tmp_path, DJANGO_SETTINGS_MODULE="motcua.config.settings.dev")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sqlite", "2", "wal"]


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings.production",
        "MOTCUA_SECRET_KEY": "x" * 60,
        "DATABASE_URL": "postgres://motcua@127.0.0.1:5432/motcua",
        **extra,
    }


def test_production_never_runs_with_debug_and_has_no_default_public_url(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG, repr(settings.MOTCUA_PUBLIC_URL))"
    result = run_python(
        code, tmp_path, **production_env(MOTCUA_DEBUG="1", MOTCUA_SERVE_URL="http://127.0.0.1:8000")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ''"


def run_deploy_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "DJANGO_", "DATABASE_URL"))}
    base.update({"MOTCUA_VAR_DIR": str(tmp_path), **production_env(**extra)})
    return subprocess.run(
        [MOTCUA, "check", "--deploy"], env=base, cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def test_deploy_check_fails_without_the_public_url(tmp_path):
    result = run_deploy_check(tmp_path)
    assert result.returncode != 0
    assert "motcua.E001" in result.stderr and "MOTCUA_PUBLIC_URL" in result.stderr
    ok = run_deploy_check(tmp_path, MOTCUA_PUBLIC_URL="https://motcua.thanhkhe.example.vn")
    assert "motcua.E001" not in ok.stderr + ok.stdout
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize(
    ("url", "ids"),
    [
        ("", ["motcua.E001"]),
        ("motcua.example.vn", ["motcua.E002"]),
        ("ftp://motcua.example.vn", ["motcua.E002"]),
        ("http://127.0.0.1:8000", ["motcua.W001"]),
        ("http://localhost", ["motcua.W001"]),
        ("https://motcua.thanhkhe.example.vn", []),
        ("http://10.20.0.5:8000", []),
    ],
)
def test_public_url_check(settings, url, ids):
    settings.MOTCUA_PUBLIC_URL = url
    assert [m.id for m in check_public_url()] == ids


@pytest.mark.django_db
def test_receipt_qr_code_and_link_use_the_configured_public_url(client, settings, monkeypatch):
    import segno

    settings.MOTCUA_PUBLIC_URL = "https://motcua.thanhkhe.example.vn"
    staff = make_staff(make_commune())
    land = land_procedure()
    client.force_login(staff["counter"])
    resp = client.post(
        reverse("dossiers:intake", args=[land.code]),
        {
            "applicant_name": "Trần Văn Bình",
            "applicant_phone": "0905 111 222",
            "applicant_citizen_id": "048090001111",
            "applicant_address": "12 Hà Huy Tập, tổ 5",
            "checklist": [str(i.id) for i in land.checklist.all()],
            "outcome": "receive",
        },
    )
    assert resp.status_code == 302
    d = Dossier.objects.get()
    payloads: list[str] = []
    real_make = segno.make

    def spy(content, *args, **kwargs):
        payloads.append(content)
        return real_make(content, *args, **kwargs)

    monkeypatch.setattr(segno, "make", spy)
    body = client.get(reverse("dossiers:form", args=[d.pk, "01"])).content.decode()
    expected = "https://motcua.thanhkhe.example.vn" + reverse("portal:status", args=[d.code, d.secret])
    from motcua.quality.ratings import rating_path_of_dossier

    rating = "https://motcua.thanhkhe.example.vn" + rating_path_of_dossier(d, source="bien-nhan")
    assert payloads == [expected, rating], "the QR codes encode the public status and rating URLs"
    assert expected in body, "the printed lookup link is the same URL"
    assert "127.0.0.1" not in body
