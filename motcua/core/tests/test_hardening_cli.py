"""Issue 7 §3.10 and §1: `motcua serve` (and so tools/run) refuses DEBUG pages on a network address,
and in development the public URL follows the bind address."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from motcua.cli import binds, debug_bind_refusal, is_local_bind, serve_url

ROOT = Path(__file__).resolve().parents[3]
MOTCUA = str(Path(sys.executable).with_name("motcua"))


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "DJANGO_", "DATABASE_URL"))}
    env.update({"MOTCUA_VAR_DIR": str(tmp_path), **extra})
    return env


@pytest.mark.parametrize(
    ("bind", "local"),
    [
        ("127.0.0.1:8000", True),
        ("127.0.0.2:8000", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("unix:/run/motcua.sock", True),
        ("0.0.0.0:8000", False),
        ("[::]:8000", False),
        ("192.168.1.20:8000", False),
        ("motcua.local:8000", False),
    ],
)
def test_loopback_binds(bind, local):
    assert is_local_bind(bind) is local


def test_every_bind_gunicorn_gets_is_considered():
    env = {"MOTCUA_BIND": "127.0.0.1:8000"}
    assert binds(["--bind", "0.0.0.0:9000", "-b", "10.0.0.1:1", "--bind=[::]:2", "-b:3"], env) == [
        "127.0.0.1:8000",
        "0.0.0.0:9000",
        "10.0.0.1:1",
        "[::]:2",
        ":3",
    ]
    assert binds([], {}) == ["127.0.0.1:8000"]


def test_debug_on_a_network_address_is_refused_unless_asked_for():
    refusal = debug_bind_refusal(debug=True, binds=["0.0.0.0:8000"], env={})
    assert "0.0.0.0:8000" in refusal and "MOTCUA_ALLOW_DEBUG_ON_NETWORK=1" in refusal and "từ chối" in refusal
    assert debug_bind_refusal(debug=True, binds=["127.0.0.1:8000", ":3"], env={})
    assert not debug_bind_refusal(debug=True, binds=["127.0.0.1:8000"], env={})
    assert not debug_bind_refusal(debug=False, binds=["0.0.0.0:8000"], env={})
    assert not debug_bind_refusal(
        debug=True, binds=["0.0.0.0:8000"], env={"MOTCUA_ALLOW_DEBUG_ON_NETWORK": "1"}
    )


def test_serve_with_debug_on_all_interfaces_exits_before_starting(tmp_path):
    env = clean_env(tmp_path, DJANGO_SETTINGS_MODULE="motcua.config.settings.dev", MOTCUA_BIND="0.0.0.0:8765")
    try:
        result = subprocess.run(
            [MOTCUA, "serve"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:  # pragma: no cover - the server started: the refusal is missing
        pytest.fail("motcua serve started a DEBUG server on 0.0.0.0")
    assert result.returncode == 2
    assert "MOTCUA_ALLOW_DEBUG_ON_NETWORK" in result.stderr


def test_tools_run_refuses_a_network_bind_before_touching_anything(tmp_path):
    env = clean_env(tmp_path, MOTCUA_BIND="0.0.0.0:8766")
    result = subprocess.run(
        ["/bin/bash", str(ROOT / "tools" / "run")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "MOTCUA_ALLOW_DEBUG_ON_NETWORK=1" in result.stderr
    assert list(tmp_path.iterdir()) == [], "no database was created, no demo loaded"


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("localhost:9000", "http://localhost:9000"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("192.168.1.20:8000", "http://192.168.1.20:8000"),
    ],
)
def test_public_url_follows_the_bind_address(bind, url):
    assert serve_url(bind) == url


def test_a_wildcard_bind_gives_this_machines_address():
    url = serve_url("0.0.0.0:8000")
    assert url.startswith("http://") and url.endswith(":8000") and "0.0.0.0" not in url  # noqa: S104


PRINT_PUBLIC_URL = (
    "import sys, motcua.cli as cli\n"
    "from django.conf import settings\n"
    "cli._serve = lambda args: print(settings.MOTCUA_PUBLIC_URL)\n"
    "sys.argv = ['motcua', 'serve']\n"
    "cli.main()\n"
)


def test_serve_sets_the_development_public_url_from_its_bind(tmp_path):
    env = clean_env(
        tmp_path, DJANGO_SETTINGS_MODULE="motcua.config.settings.dev", MOTCUA_BIND="127.0.0.1:8123"
    )
    result = subprocess.run(
        [sys.executable, "-c", PRINT_PUBLIC_URL], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8123"
    env["MOTCUA_PUBLIC_URL"] = "https://motcua.thanhkhe.example.vn/"
    result = subprocess.run(
        [sys.executable, "-c", PRINT_PUBLIC_URL], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.stdout.strip() == "https://motcua.thanhkhe.example.vn", "an explicit URL wins"


def test_serve_never_gives_production_a_public_url(tmp_path):
    env = clean_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="motcua.config.settings.production",
        MOTCUA_SECRET_KEY="x" * 60,
        MOTCUA_BIND="127.0.0.1:8123",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRINT_PUBLIC_URL], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
