"""bench/queue_events.py — the hall's pushed events and ticket issuing, behind `motcua serve`.

    bash tools/pg.sh .venv/bin/python bench/queue_events.py

On a throwaway PostgreSQL (tools/pg.sh), loopback only, stops by itself (about a minute):
  1. migrate; one center (Phường Thanh Khê, groups A–D), quầy 1 with its counter officer and an
     API token, BENCH_CALLS waiting tickets in group A;
  2. `motcua serve` (production settings + bench/settings_bench.py, BENCH_WORKERS sync workers
     that hand the streams to the stream server) on 127.0.0.1 and a free port;
  3. BENCH_STREAMS event streams open on the center (plain sockets, one asyncio task each);
  4. after 2 × BENCH_WORKERS warm-up calls, BENCH_CALLS calls, BENCH_SPACING seconds apart: POST /api/queue/counters/{id}/call-next as
     the officer (bearer token), then finish; for each call and each stream, the delay from the
     call's HTTP response (and from its request) to that stream's CALLED event: p50/p99/max;
  5. tickets per second: BENCH_ISSUERS clients POST /api/queue/tickets for BENCH_ISSUE_SECONDS
     (the per-client limit raised through MOTCUA_TICKET_RATE, as a kiosk has none);
  6. prints the figures and stops the server.

Knobs: BENCH_STREAMS 200, BENCH_CALLS 100, BENCH_SPACING 0.1, BENCH_WORKERS 2, BENCH_THREADS 4,
BENCH_ISSUERS 8, BENCH_ISSUE_SECONDS 10.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # the only address this benchmark ever sends to
STREAMS = int(os.environ.get("BENCH_STREAMS", "200"))
CALLS = int(os.environ.get("BENCH_CALLS", "100"))
SPACING = float(os.environ.get("BENCH_SPACING", "0.1"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
ISSUERS = int(os.environ.get("BENCH_ISSUERS", "8"))
ISSUE_SECONDS = float(os.environ.get("BENCH_ISSUE_SECONDS", "10"))
WARMUP_CALLS = 2 * WORKERS  # not measured: each worker's first requests import and connect


def _env(work: Path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres://") or "@127.0.0.1:" not in url:
        sys.exit("bench: DATABASE_URL must be a loopback PostgreSQL: run it with tools/pg.sh")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "PYTHONPATH": str(ROOT),
        "MOTCUA_SECRET_KEY": "bench-" + secrets.token_urlsafe(40),
        "MOTCUA_SSL_REDIRECT": "0",
        "MOTCUA_ALLOWED_HOSTS": HOST,
        "MOTCUA_VAR_DIR": str(work / "var"),
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_TICKET_RATE": "100000000/60",
        "MOTCUA_QUEUE_PHONE_MAX_LIVE": "100000000",
        "MOTCUA_QUEUE_ADDRESS_MAX_LIVE": "100000000",
        "MOTCUA_SSE_MAX_STREAMS_PER_CLIENT": "100000000",  # every stream comes from the bench's address
        "MOTCUA_THREADS": str(THREADS),
        "MOTCUA_TASK_WORKER": "0",
        "MOTCUA_WORKERS": str(WORKERS),
    }


def _seed() -> tuple[int, int, str]:
    """The center, its counter and the officer's raw API token; CALLS waiting tickets."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from motcua.core import clock
    from motcua.org.models import ApiToken
    from motcua.queueing.services import ticket_issue
    from motcua.testing import make_commune, make_counter, make_service_groups, make_staff

    commune = make_commune()
    make_service_groups(commune)
    staff = make_staff(commune)
    counter = make_counter(commune, 1, "A", officer=staff["counter"])
    raw = ApiToken.new_raw()
    ApiToken.objects.create(
        user=staff["counter"], name="bench", key_hash=ApiToken.hash(raw), created_at=clock.now()
    )
    for _ in range(CALLS + WARMUP_CALLS):
        ticket_issue(commune=commune, group_letter="A", priority=False, now=clock.now())
    return commune.code, counter.pk, raw


def _post(port: int, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, json.dumps(body), headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, (json.loads(data) if data else {})


async def _stream(
    port: int, path: str, arrivals: dict[int, list[float]], opened: asyncio.Event, n: list[int]
):
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    status = (await reader.readline()).split()[1]
    assert status == b"200", status
    n[0] += 1
    if n[0] == STREAMS:
        opened.set()
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                message = json.loads(line[6:])
                if message["kind"] == "CALLED":
                    arrivals.setdefault(message["ticket"], []).append(time.monotonic())
    finally:
        writer.close()


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def _events(port: int, center: int, counter: int, token: str) -> dict[str, float]:
    arrivals: dict[int, list[float]] = {}
    opened, n = asyncio.Event(), [0]
    path = f"/api/queue/centers/{center}/events"
    tasks = [asyncio.create_task(_stream(port, path, arrivals, opened, n)) for _ in range(STREAMS)]
    try:
        await asyncio.wait_for(opened.wait(), 60)
    except TimeoutError:
        failed = [t.exception() for t in tasks if t.done() and t.exception() is not None]
        raise SystemExit(
            f"bench: {n[0]} of {STREAMS} streams opened in 60 s; failures: {failed[:3]}"
        ) from None
    await asyncio.sleep(1.0)  # every worker's hub is listening
    calls: list[tuple[int, float, float]] = []
    for i in range(CALLS + WARMUP_CALLS):
        sent = time.monotonic()
        status, ticket = await asyncio.to_thread(
            _post, port, f"/api/queue/counters/{counter}/call-next", {}, token
        )
        answered = time.monotonic()
        if status != 200:
            raise SystemExit(f"bench: call-next answered {status} {ticket}")
        if i >= WARMUP_CALLS:
            calls.append((ticket["id"], sent, answered))
        await asyncio.to_thread(
            _post, port, f"/api/queue/counters/{counter}/finish", {"ticket": ticket["id"]}, token
        )
        await asyncio.sleep(SPACING)
    await asyncio.sleep(2.0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    from_response, from_request, missing = [], [], 0
    for ticket_id, sent, answered in calls:
        got = arrivals.get(ticket_id, [])
        missing += STREAMS - len(got)
        from_response += [max(t - answered, 0.0) for t in got]
        from_request += [t - sent for t in got]
    return {
        "deliveries": len(from_response),
        "missing": missing,
        "resp_p50_ms": 1000 * statistics.median(from_response),
        "resp_p99_ms": 1000 * _pct(from_response, 99),
        "resp_max_ms": 1000 * max(from_response),
        "req_p50_ms": 1000 * statistics.median(from_request),
        "req_p99_ms": 1000 * _pct(from_request, 99),
        "early": sum(
            1 for ticket_id, _s, answered in calls for t in arrivals.get(ticket_id, []) if t < answered
        ),
    }


def _issue_rate(port: int, center: int) -> dict[str, float]:
    stop = time.monotonic() + ISSUE_SECONDS
    counts = {"ok": 0, "other": 0}
    latencies: list[float] = []
    lock = threading.Lock()

    def client(letter: str) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        # Three groups: a group's day holds 999 numbers (B001…B999).
        body = json.dumps({"center": str(center), "group": letter, "priority": False})
        while time.monotonic() < stop:
            t0 = time.monotonic()
            conn.request("POST", "/api/queue/tickets", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            with lock:
                counts["ok" if resp.status == 201 else "other"] += 1
                latencies.append(time.monotonic() - t0)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=("BCD"[i % 3],)) for i in range(ISSUERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return {
        "tickets": counts["ok"],
        "refused": counts["other"],
        "per_s": counts["ok"] / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * _pct(latencies, 99),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="motcua-bench-queue.") as tmp:
        work = Path(tmp)
        env = _env(work)
        os.environ.update(env)
        motcua = [sys.executable, "-m", "motcua.cli"]
        subprocess.run([*motcua, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*motcua, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
        center, counter, token = _seed()
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        log = (work / "server.log").open("wb")
        server = subprocess.Popen(
            [*motcua, "serve"], env={**env, "MOTCUA_BIND": f"{HOST}:{port}"}, stdout=log, stderr=log, cwd=ROOT
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection((HOST, port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(
                            "bench: motcua serve did not start:\n" + (work / "server.log").read_text()
                        ) from None
                    time.sleep(0.2)
            print(f"bench: motcua serve, {WORKERS} sync workers + the stream server, on {HOST}:{port}")
            ev = asyncio.run(_events(port, center, counter, token))
            print(
                f"events: {STREAMS} streams × {CALLS} calls ({SPACING} s apart) = {ev['deliveries']} deliveries, "
                f"{ev['missing']} missing; delay from the call's HTTP response to the event: "
                f"p50 {ev['resp_p50_ms']:.1f} ms, p99 {ev['resp_p99_ms']:.1f} ms, max {ev['resp_max_ms']:.1f} ms "
                f"({ev['early']} arrived before the response); from the request: "
                f"p50 {ev['req_p50_ms']:.1f} ms, p99 {ev['req_p99_ms']:.1f} ms"
            )
            target = "met" if ev["resp_p99_ms"] <= 1000 and ev["missing"] == 0 else "NOT met"
            print(f"target p99 ≤ 1 s with every event delivered: {target}")
            rate = _issue_rate(port, center)
            print(
                f"tickets: {ISSUERS} clients for {ISSUE_SECONDS:.0f} s: {rate['tickets']} issued "
                f"({rate['refused']} refused), {rate['per_s']:.0f} tickets/s, "
                f"latency p50 {rate['p50_ms']:.1f} ms, p99 {rate['p99_ms']:.1f} ms"
            )
        except BaseException:
            print("bench: failed; the server log ends with:\n" + (work / "server.log").read_text()[-6000:])
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


if __name__ == "__main__":
    main()
