"""The demonstration of issue 7 §3.3 on the production server: gunicorn with 4 workers on
PostgreSQL. 20 wrong second factors for one code from one address, then the right digits: refused
(the code is locked, whichever worker answers); the receipt's QR link still opens the page."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from motcua.core import clock
from motcua.core.models import RateCounter
from motcua.dossiers.services import Applicant, dossier_intake
from motcua.testing import make_commune, make_procedure, make_staff


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": "127.0.0.1"})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _children(pid: int) -> int:
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += fields[1] == str(pid)
    return count


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_lock_a_code_after_wrong_digits_and_the_qr_link_still_answers(tmp_path):
    ward = make_commune()
    staff = make_staff(ward)
    proc = make_procedure()
    dossier = dossier_intake(actor=staff["counter"], procedure=proc, applicant=Applicant(name="Võ Thị Mai", phone="0905123456"),
                             form_data={}, checklist_ticked=[i.id for i in proc.checklist.all()], outcome="receive", now=clock.now())  # fmt: skip
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.config.settings.production",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MOTCUA_SECRET_KEY": "lookup-lock-test-" + "x" * 40,
        "MOTCUA_SSL_REDIRECT": "0",
        "MOTCUA_VAR_DIR": str(tmp_path),
        "MOTCUA_BIND": f"127.0.0.1:{port}",
        "MOTCUA_WORKERS": "4",
        "MOTCUA_TASK_WORKER": "0",
        # The production defaults of the limiter, said out loud.
        "MOTCUA_LOOKUP_RATE": "20/600",
        "MOTCUA_LOOKUP_CODE_FAILURES": "5",
        "MOTCUA_LOOKUP_CODE_LOCK_SECONDS": "900",
        "MOTCUA_TRUSTED_PROXY_HEADER": "",
    }
    motcua = Path(sys.executable).with_name("motcua")
    subprocess.run([str(motcua), "collectstatic", "--noinput", "-v0"], env=env, check=True, timeout=120)
    server = subprocess.Popen([str(motcua), "serve"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        # gunicorn's master has 4 workers and the stream server (motcua.config.streamserver).
        while _children(server.pid) < 5 or _get(f"{base}/tra-cuu/")[0] != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError("gunicorn did not start 4 workers answering in 30 s")
            time.sleep(0.2)
        assert _children(server.pid) == 5

        def lookup(digits: str) -> tuple[int, str]:
            return _get(f"{base}/tra-cuu/?" + urllib.parse.urlencode({"ma": dossier.code, "sdt": digits}))

        answers = [lookup(f"{i:04d}") for i in range(20)]
        assert [status for status, _ in answers[:5]] == [404] * 5
        assert all(status == 429 and "tạm khóa" in body for status, body in answers[5:])
        status, body = lookup("3456")
        assert status == 429 and "tạm khóa" in body and "Võ Thị Mai" not in body
        # Every worker counted in the same row: 21 attempts of this client, 5 failures of the code.
        assert RateCounter.objects.get(key="lookup:127.0.0.1").count == 21
        assert RateCounter.objects.get(key=f"lookup-code:{dossier.code}").count == 5

        status, body = _get(f"{base}/tra-cuu/{dossier.code}/{dossier.secret}/")
        assert status == 200 and "Võ Thị Mai" in body and dossier.code in body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    connection.close()
