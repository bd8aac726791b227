"""A receipt the server acknowledged survives the server process being killed (SIGKILL), on
PostgreSQL behind the production server."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from motcua.core import clock
from motcua.dossiers.models import Dossier
from motcua.org.models import ApiToken
from motcua.testing import land_procedure, make_commune, make_staff


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_acknowledged_receipt_survives_a_killed_server():
    ward = make_commune()
    staff = make_staff(ward)
    land = land_procedure()
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=staff["counter"], name="t", key_hash=ApiToken.hash(raw), created_at=clock.now()
    )
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings.production",
        "DATABASE_URL": url,
        "MOTCUA_SECRET_KEY": "durability-test-" + "x" * 40,
        "MOTCUA_SSL_REDIRECT": "0",
        "MOTCUA_BIND": f"127.0.0.1:{port}",
        "MOTCUA_WORKERS": "2",
    }
    motcua = Path(sys.executable).with_name("motcua")
    server = subprocess.Popen([str(motcua), "serve"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        body = json.dumps({
            "procedure_code": land.code, "applicant": {"name": "Bùi Thị Hạnh", "phone": "0905777666"},
            "checklist_ticked": [i.id for i in land.checklist.all()], "outcome": "receive",
        }).encode()  # fmt: skip
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/dossiers/intake", data=body, method="POST",
            headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json", "Host": "localhost"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback only
            assert response.status == 201
            code = json.loads(response.read())["code"]
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    connection.close()
    assert Dossier.objects.filter(code=code, state="RECEIVED").exists()
