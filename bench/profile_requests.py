"""Where a request's time goes, in one process, without the HTTP server or the load generator.

    tools/pg.sh .venv/bin/python bench/profile_requests.py [N]

Migrates and seeds a throwaway database (as bench/run.sh does), then sends N requests of each
kind (bare view, status lookup page, receipt through the API) through Django's test client with
the benchmark settings, and prints for each: the mean wall time per request, the SQL queries
per request, and cProfile's top functions. Not a benchmark: cProfile slows Python down, so
read the shares, not the absolute times.
"""

from __future__ import annotations

import atexit
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
os.environ.setdefault("MOTCUA_SECRET_KEY", "bench-profile-only")
os.environ.setdefault("MOTCUA_SSL_REDIRECT", "0")
os.environ.setdefault("MOTCUA_ALLOWED_HOSTS", "127.0.0.1")
WORK = Path(tempfile.mkdtemp(prefix="motcua-profile."))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
os.environ.setdefault("MOTCUA_VAR_DIR", str(WORK / "var"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.seed import seed  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    assert connection.vendor == "postgresql", "run under tools/pg.sh"
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    seed(WORK, 2000)
    targets = [line.split() for line in (WORK / "lookup.txt").read_text().split("\n") if line]
    head, *tokens = (WORK / "intake.txt").read_text().split("\n")
    proc, *items = head.split()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_ENCODING="gzip")
    rng = random.Random(1)

    def bare() -> None:
        assert client.get("/bench/bare/").status_code == 200

    def lookup() -> None:
        code, phone = rng.choice(targets)
        assert client.get("/tra-cuu/", {"ma": code, "sdt": phone}).status_code == 200

    def intake() -> None:
        body = {"procedure_code": proc, "applicant": {"name": "Nguyễn Văn Thử", "phone": f"09{rng.randrange(10**8):08d}"},
                "checklist_ticked": [int(i) for i in items], "outcome": "receive"}  # fmt: skip
        r = client.post("/api/dossiers/intake", json.dumps(body), content_type="application/json",
                        headers={"Authorization": f"Bearer {rng.choice([t for t in tokens if t])}"})  # fmt: skip
        assert r.status_code == 201, r.content[:300]

    for name, fn in (("bare", bare), ("lookup", lookup), ("intake", intake)):
        for _ in range(100):
            fn()  # warm caches, connections, templates
        queries: list[str] = []

        def log(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(log):
            fn()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        plain = (time.perf_counter() - t0) / n
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            fn()
        prof.disable()
        print(f"\n===== {name}: {plain * 1000:.2f} ms/request without profiler, {len(queries)} SQL queries")
        for sql in queries:
            print("   SQL:", sql[:200])
        for order in ("tottime", "cumulative"):
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats(order).print_stats(25)
            print("\n".join(s.getvalue().splitlines()[6:36]))


if __name__ == "__main__":
    main()
