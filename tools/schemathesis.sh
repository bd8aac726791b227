#!/usr/bin/env bash
# tools/schemathesis.sh — Schemathesis's own command line (`st run`) against the live production
# server's OpenAPI document, on PostgreSQL, with a counter officer's API token (issue 7 §3.8).
#
# Run on purpose, not by tools/test (it takes a minute or two and its findings are a report):
#   1. a throwaway PostgreSQL (tools/pg.sh), migrate, collectstatic;
#   2. the demo ward (`motcua demo --force`: the production settings refuse it without the flag);
#   3. an API token for ST_USER (`motcua api_token create`), by default the demo's counter officer
#      `motcua1`; ST_USER=hethong (the demo's installation administrator) reaches the catalogue
#      import endpoints, which refuse commune staff;
#   4. `motcua serve` (gunicorn, production settings) on 127.0.0.1 with MOTCUA_PUBLIC_URL set;
#   5. `st run http://127.0.0.1:PORT/api/openapi.json --header "Authorization: Bearer …"
#      --checks not_a_server_error`, bounded by ST_MAX_EXAMPLES per operation and ST_MAX_TIME;
#      the residents' lookup gets a real dossier code (config file), so that the phone digits and
#      the secret st generates reach the comparison instead of stopping at "not found";
#   6. stops the server and PostgreSQL and deletes their files (trap, also on Ctrl-C).
# Exit status is st's: 0 when no server error was found.
#
# Environment:
#   ST_USER          the demo login whose token st sends (default motcua1, a counter officer)
#   ST_MAX_EXAMPLES  test cases per operation (default 100)
#   ST_MAX_TIME      time budget of the st run in seconds (default 120)
#   ST_WORKERS       st's concurrent workers (default 2)
#   ST_SEED          st's random seed (default: random; st prints the one it used)
#   ST_ARGS          more arguments for `st run` (e.g. "--phases examples,coverage,fuzzing")
#   ST_REPORT_DIR    keep st's JUnit report there (default: not kept)
#
# The residents' lookup limiter and the code lockout are raised so far that they never trip:
# a 429 after 20 lookups would hide what every later lookup does (the limiter still runs).
#
# Usage: tools/schemathesis.sh   (from anywhere)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "${1:-}" != "--inner" ]; then
  exec tools/pg.sh bash "$ROOT/tools/schemathesis.sh" --inner
fi

# ---- inside tools/pg.sh: DATABASE_URL points at the throwaway server --------------------------
case "${DATABASE_URL:-}" in
  postgres://*@127.0.0.1:*) ;;
  *) echo "schemathesis: DATABASE_URL must be a loopback PostgreSQL from tools/pg.sh" >&2; exit 2 ;;
esac

HOST=127.0.0.1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/motcua-st.XXXXXX")"
SERVER_PID=""
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
  stop_server
  if [ -f "$WORK/server.log" ]; then
    # The server's own account: its access log's 5xx, and the traceback of each error it logged
    # (Django also logs some refusals with a traceback, e.g. a malformed multipart body is a 400).
    local n5xx
    n5xx=$(grep -cE '" 5[0-9][0-9] ' "$WORK/server.log" || true)
    echo "schemathesis: $n5xx responses 5xx in the server's access log"
    if [ "$n5xx" -gt 0 ] || [ "$rc" -ne 0 ]; then
      echo "schemathesis: errors in the server log (each traceback with the exception it ended in):" >&2
      awk '/^Traceback/{p=1} p{print} p && /^[A-Za-z_][A-Za-z0-9_.]*(: |$)/ && !/^Traceback/{p=0; print "--"}' \
        "$WORK/server.log" | head -400 >&2
      [ "$n5xx" -gt 0 ] && grep -E '" 5[0-9][0-9] ' "$WORK/server.log" | head -20 >&2
      tail -5 "$WORK/server.log" >&2
    fi
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://$HOST:$PORT"

export DJANGO_SETTINGS_MODULE=motcua.config.settings.production
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" # this checkout's motcua, whatever .venv points at
MOTCUA_SECRET_KEY="st-$(python3 -c 'import secrets; print(secrets.token_urlsafe(40))')"
export MOTCUA_SECRET_KEY
export MOTCUA_SSL_REDIRECT=0 # plain HTTP on loopback; in production nginx terminates TLS
export MOTCUA_ALLOWED_HOSTS=$HOST
export MOTCUA_PUBLIC_URL=$BASE
export MOTCUA_VAR_DIR="$WORK/var"
export MOTCUA_LOG_LEVEL=WARNING
export MOTCUA_LOOKUP_RATE="100000000/60"
export MOTCUA_LOOKUP_CODE_FAILURES=100000000
export MOTCUA_SUBMIT_RATE="100000000/60"
MOTCUA=.venv/bin/motcua

t0=$(date +%s)
$MOTCUA migrate --noinput -v0
$MOTCUA collectstatic --noinput -v0
$MOTCUA demo --force >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log" >&2; exit 1; }
ST_USER=${ST_USER:-motcua1}
COUNTER_TOKEN="$($MOTCUA api_token create motcua1 schemathesis-setup | tail -1)"
TOKEN="$($MOTCUA api_token create "$ST_USER" schemathesis | tail -1)"
echo "schemathesis: database ready in $(($(date +%s) - t0)) s (demo ward, st calls with the token of $ST_USER)"

# `motcua serve` execs gunicorn in this very process, so $! is the gunicorn master.
MOTCUA_BIND="$HOST:$PORT" MOTCUA_WORKERS=${ST_SERVER_WORKERS:-3} $MOTCUA serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$BASE/api/openapi.json" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "schemathesis: the server exited" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/api/openapi.json" || { echo "schemathesis: no answer in 20 s" >&2; exit 1; }
curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/procedures" \
  || { echo "schemathesis: the token is refused" >&2; exit 1; }

# A real dossier code for the residents' lookup: with random codes every lookup stops at "not
# found" before the second factor (phone digits, secret) is ever compared.
CODE="$(curl -fsS -H "Authorization: Bearer $COUNTER_TOKEN" "$BASE/api/dossiers?limit=50" \
  | python3 -c 'import json, sys; print(next(d["code"] for d in json.load(sys.stdin) if d["code"]))')"
cat >"$WORK/schemathesis.toml" <<TOML
[[operations]]
include-path = "/api/public/lookup"
parameters = { "query.code" = "$CODE" }
TOML
echo "schemathesis: the lookup is sent the demo's dossier $CODE (its other parameters are generated)"

args=(
  --config-file "$WORK/schemathesis.toml"
  run "$BASE/api/openapi.json"
  --header "Authorization: Bearer $TOKEN"
  --checks not_a_server_error
  --max-examples "${ST_MAX_EXAMPLES:-100}"
  --max-time "${ST_MAX_TIME:-120}"
  --workers "${ST_WORKERS:-2}"
  --request-timeout 30
  --generation-database none
  --no-color
)
[ -n "${ST_SEED:-}" ] && args+=(--seed "$ST_SEED")
[ -n "${ST_REPORT_DIR:-}" ] && args+=(--report junit --report-dir "$ST_REPORT_DIR")
# shellcheck disable=SC2206 # ST_ARGS is meant to split into words
[ -n "${ST_ARGS:-}" ] && args+=($ST_ARGS)

echo "schemathesis: .venv/bin/st ${args[*]//$TOKEN/…}"
set +e
# From the throwaway folder: st keeps its crash cache (.schemathesis/) in the current directory.
(cd "$WORK" && "$ROOT/.venv/bin/st" "${args[@]}")
rc=$?
set -e
echo "schemathesis: st exited with $rc"
exit "$rc"
