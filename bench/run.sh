#!/usr/bin/env bash
# bench/run.sh — the speed benchmark of the resident status lookup and of receipts.
#
# One command, about 3.5 minutes, everything on this machine and on loopback only:
#   1. installs Debian's `wrk` if missing; starts a throwaway PostgreSQL (tools/pg.sh, 127.0.0.1);
#   2. migrate, collectstatic, seed (bench/seed.py: BENCH_DOSSIERS received dossiers);
#   3. for each server configuration in BENCH_CONFIGS: `motcua serve` (gunicorn, production
#      settings + bench/settings_bench.py) on 127.0.0.1, then wrk for BENCH_DURATION seconds per
#      phase after a BENCH_WARMUP warm-up, BENCH_CONNECTIONS connections, in the same run and
#      against the same server:
#        bare    GET /bench/bare/             the baseline: a bare Django view
#        lookup  GET /tra-cuu/?ma=…&sdt=…     the resident's status page, random seeded dossiers
#        intake  POST /api/dossiers/intake    a receipt at the counter (API, bearer token)
#      then stops that server;
#   4. prints req/s, latency p50/p90/p99/max, errors, CPU spent by the server, PostgreSQL, wrk
#      and the rest, and peak memory of the server processes, and checks the issue's targets;
#   5. stops gunicorn and PostgreSQL and deletes their files (trap, also on Ctrl-C).
#
# Knobs (environment):
#   BENCH_CONFIGS     "sync:4 sync:5 gthread:4x2" — space-separated gunicorn configurations, each
#                     serve:WORKERS (`motcua serve`'s default since issue 8: sync workers that
#                     hand event streams to the stream server), sync:WORKERS (plain sync),
#                     gthread:WORKERSxTHREADS, uvicorn:WORKERS (uvicorn workers serving the ASGI
#                     application, MOTCUA_THREADS WSGI threads each; measured and not chosen,
#                     docs/performance.md)
#   BENCH_CONNECTIONS 16    concurrent connections of wrk (1 wrk thread)
#   BENCH_DURATION    15    seconds measured per phase     BENCH_WARMUP 3  seconds of warm-up
#   BENCH_DOSSIERS    5000  seeded dossiers                BENCH_PHASES "bare lookup intake"
#   BENCH_CLIENTS     2000  client addresses the lookup phase sends in X-Forwarded-For (the
#                           server trusts it as behind nginx; the limiter counts per address)
#   BENCH_QUIET_WAIT  60    seconds to wait at most for other programs to leave the cores idle
#   BENCH_PROFILE_DIR       if set, py-spy records each measured phase there (speedscope JSON);
#                           the figures then include py-spy's own cost: use them to look only.
#
# Usage: bench/run.sh            (from anywhere; results on stdout)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "${1:-}" != "--inner" ]; then
  # shellcheck source=tools/_apt.sh
  source tools/_apt.sh
  command -v wrk >/dev/null 2>&1 || ensure_debs wrk
  if [ -n "${BENCH_PROFILE_DIR:-}" ] && ! [ -x .venv/bin/py-spy ]; then
    .venv/bin/pip install -q py-spy
  fi
  exec tools/pg.sh bash "$ROOT/bench/run.sh" --inner
fi

# ---- inside tools/pg.sh: DATABASE_URL points at the throwaway server --------------------------
case "${DATABASE_URL:-}" in
  postgres://*@127.0.0.1:*) ;;
  *) echo "bench: DATABASE_URL must be a loopback PostgreSQL from tools/pg.sh" >&2; exit 2 ;;
esac

CONFIGS=${BENCH_CONFIGS:-sync:4 sync:5 gthread:4x2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
DOSSIERS=${BENCH_DOSSIERS:-5000}
PHASES=${BENCH_PHASES:-bare lookup intake}
HOST=127.0.0.1 # the only address this benchmark ever sends to

WORK="$(mktemp -d "${TMPDIR:-/tmp}/motcua-bench.XXXXXX")"
SERVER_PID=""
SAMPLER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true # gunicorn's graceful stop of master + workers
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  stop_server
  if [ "$rc" -ne 0 ] && [ -f "$WORK/server.log" ]; then
    echo "bench: failed (exit $rc); last lines of the server log:" >&2
    tail -20 "$WORK/server.log" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DJANGO_SETTINGS_MODULE=bench.settings_bench
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
MOTCUA_SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(40))')"
export MOTCUA_SECRET_KEY
export MOTCUA_SSL_REDIRECT=0 # plain HTTP on loopback; in production nginx terminates TLS
export MOTCUA_ALLOWED_HOSTS=$HOST
export MOTCUA_VAR_DIR="$WORK/var"
export MOTCUA_LOG_LEVEL=WARNING
export BENCH_DATA="$WORK" BENCH_LUA_DIR="$ROOT/bench"
PY=.venv/bin/python
MOTCUA=.venv/bin/motcua

t0=$(date +%s)
$MOTCUA migrate --noinput -v0
$MOTCUA collectstatic --noinput -v0
$PY bench/seed.py "$WORK" "$DOSSIERS"
echo "bench: database ready in $(($(date +%s) - t0)) s"

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://$HOST:$PORT"

start_server() {
  local config=$1 kind spec workers threads args
  kind=${config%%:*}
  spec=${config#*:}
  case "$kind" in
    sync) workers=$spec; args=(--worker-class sync) ;;
    serve) workers=$spec; args=() ;; # motcua serve's default: HandoffWorker + the stream server
    uvicorn) workers=$spec; args=(--worker-class motcua.config.gunicorn_conf.Worker) ;;
    gthread) workers=${spec%x*}; threads=${spec#*x}; args=(--worker-class gthread --threads "$threads") ;;
    *) echo "bench: unknown configuration $config" >&2; exit 2 ;;
  esac
  # `motcua serve` execs gunicorn in this very process, so $! is the gunicorn master.
  MOTCUA_BIND="$HOST:$PORT" MOTCUA_WORKERS=$workers $MOTCUA serve "${args[@]}" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$BASE/bench/bare/" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "bench: gunicorn exited" >&2; exit 1; }
    sleep 0.2
  done
  echo "bench: gunicorn did not answer in 20 s" >&2
  exit 1
}

smoke_check() {
  # Each endpoint answers what it should before it is loaded.
  local code phone proc items token status
  read -r code phone <"$WORK/lookup.txt"
  status=$(curl -sS -o "$WORK/page.html" -w '%{http_code}' "$BASE/tra-cuu/?ma=$code&sdt=$phone")
  [ "$status" = 200 ] && grep -q "$code" "$WORK/page.html" || { echo "bench: lookup answered $status" >&2; exit 1; }
  read -r proc items < <(head -1 "$WORK/intake.txt")
  token=$(sed -n 2p "$WORK/intake.txt")
  status=$(curl -sS -o "$WORK/intake.json" -w '%{http_code}' -X POST "$BASE/api/dossiers/intake" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"procedure_code\": \"$proc\", \"applicant\": {\"name\": \"Thử\", \"phone\": \"0912345678\"},
         \"checklist_ticked\": [${items// /, }], \"outcome\": \"receive\"}")
  [ "$status" = 201 ] || { echo "bench: intake answered $status: $(head -c 300 "$WORK/intake.json")" >&2; exit 1; }
  PAGE_BYTES=$(wc -c <"$WORK/page.html")
  PAGE_GZ=$(curl -sS -H 'Accept-Encoding: gzip' "$BASE/tra-cuu/?ma=$code&sdt=$phone" | wc -c)
}

wait_quiet() {
  # Other programs on the machine share its cores with the server and wrk: wait (bounded) for
  # a quiet moment, and print how busy the machine was, so a disturbed run can be told apart.
  local start quiet
  start=$(date +%s)
  while :; do
    quiet=$(python3 -c 'import time
def busy():
    t = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(t) - t[3] - t[4], sum(t)
b0, a0 = busy(); time.sleep(2); b1, a1 = busy()
print(f"{(b1 - b0) / (a1 - a0):.2f}")')
    python3 -c "import sys; sys.exit(0 if $quiet < 0.10 else 1)" && break
    [ $(($(date +%s) - start)) -ge "${BENCH_QUIET_WAIT:-60}" ] && break
  done
  echo "bench: machine busy before the load (server idle): $quiet of all cores (other programs)"
}

run_phase() {
  local config=$1 name=$2 script="bench/$2.lua" before after
  if [ "$WARMUP" -gt 0 ]; then
    wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 5s -s "$script" "$BASE" >/dev/null
  fi
  before=$(python3 bench/procstat.py cpu "$SERVER_PID" before_ "$PG_PID")
  python3 bench/procstat.py mem "$SERVER_PID" "$DURATION" >"$WORK/mem" &
  SAMPLER_PID=$!
  local prof=()
  if [ -n "${BENCH_PROFILE_DIR:-}" ]; then
    mkdir -p "$BENCH_PROFILE_DIR"
    .venv/bin/py-spy record --subprocesses --nonblocking -r 200 -d "$DURATION" -f speedscope \
      -o "$BENCH_PROFILE_DIR/$config-$name.speedscope.json" -p "$SERVER_PID" >/dev/null 2>&1 &
    prof=($!)
  fi
  /usr/bin/time -f 'wrk_user=%U wrk_sys=%S' -o "$WORK/time" \
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency -s "$script" "$BASE" >"$WORK/wrk"
  after=$(python3 bench/procstat.py cpu "$SERVER_PID" after_ "$PG_PID")
  wait "$SAMPLER_PID" || true
  SAMPLER_PID=""
  if [ ${#prof[@]} -gt 0 ]; then wait "${prof[0]}" || true; fi
  echo "$config $name $(grep '^BENCH_RESULT' "$WORK/wrk" | cut -d' ' -f2-) $before $after" \
    "$(tail -1 "$WORK/time") $(cat "$WORK/mem")" >>"$WORK/results"
}

ROWS_SEEDED=$($PY -c 'import django; django.setup()
from motcua.dossiers.models import Dossier; print(Dossier.objects.count())')
# The postmaster of this run's PostgreSQL (its pid is line 1 of postmaster.pid in its data dir).
PG_PID=$($PY -c 'import django; django.setup()
from django.db import connection
with connection.cursor() as c:
    c.execute("SHOW data_directory")
    print(open(c.fetchone()[0] + "/postmaster.pid").readline().strip())')
echo "bench: wrk 1 thread, $CONNECTIONS connections, $DURATION s per phase after $WARMUP s warm-up;" \
  "server on $BASE"
for config in $CONFIGS; do
  start_server "$config"
  smoke_check
  echo "bench: [$config] status page $PAGE_BYTES bytes, $PAGE_GZ gzipped"
  wait_quiet
  for phase in $PHASES; do
    run_phase "$config" "$phase"
  done
  stop_server
  $PY bench/seed.py reset "$WORK"
done
$PY bench/report.py "$WORK/results" "$(nproc)" "$ROWS_SEEDED"
