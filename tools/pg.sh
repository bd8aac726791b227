#!/usr/bin/env bash
# tools/pg.sh COMMAND [ARGS...]
#
# Runs COMMAND against a throwaway PostgreSQL server and removes the server afterwards:
#   - installs Debian's `postgresql` if no /usr/lib/postgresql/*/bin/initdb is present;
#   - initdb into a fresh temp dir (as the `postgres` system user when run as root, because
#     initdb and postgres refuse to run as root);
#   - listens on 127.0.0.1 only, on a free port; its unix socket lives in the temp dir;
#   - fsync stays on (the durability tests need real flushes);
#   - exports DATABASE_URL=postgres://motcua@127.0.0.1:PORT/motcua (superuser `motcua`, trust
#     auth on loopback; the role may create the test database pytest-django needs);
#   - stops the server and deletes the temp dir on exit, Ctrl-C or TERM (trap).
# Exit status is COMMAND's.
#
# Example: tools/pg.sh .venv/bin/pytest -m postgres
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/_apt.sh
source "$HERE/_apt.sh"

if [ $# -eq 0 ]; then
  echo "usage: tools/pg.sh COMMAND [ARGS...]" >&2
  exit 2
fi

find_pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

PGBIN="$(find_pg_bin)" || {
  ensure_debs postgresql
  PGBIN="$(find_pg_bin)" || { echo "tools/pg.sh: PostgreSQL binaries still missing after install" >&2; exit 1; }
}

PGTMP="$(mktemp -d "${TMPDIR:-/tmp}/motcua-pg.XXXXXX")"
AS=()
if [ "$(id -u)" -eq 0 ]; then
  PGUSER_OS=postgres
  if ! id "$PGUSER_OS" >/dev/null 2>&1; then
    PGUSER_OS=motcua-pg
    id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
  fi
  chown "$PGUSER_OS" "$PGTMP"
  AS=(runuser -u "$PGUSER_OS" --)
fi
chmod 700 "$PGTMP"
DATA="$PGTMP/data"
LOG="$PGTMP/server.log"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -f "$DATA/postmaster.pid" ]; then
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 || {
      # Last resort: the postmaster's pid is the first line of postmaster.pid.
      kill -KILL "$(head -1 "$DATA/postmaster.pid" 2>/dev/null)" 2>/dev/null || true
    }
  fi
  rm -rf "$PGTMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --no-sync only skips initdb's final flush of a cluster we throw away; the server runs with fsync=on.
"${AS[@]}" "$PGBIN/initdb" -D "$DATA" -U motcua --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >"$PGTMP/initdb.log" 2>&1 || {
  cat "$PGTMP/initdb.log" >&2
  echo "tools/pg.sh: initdb failed" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

started=0
for _attempt in 1 2 3; do
  PORT="$(free_port)"
  if "${AS[@]}" "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$PGTMP -c fsync=on -c max_connections=200" \
    start >/dev/null; then
    started=1
    break
  fi
done
if [ "$started" != 1 ]; then
  cat "$LOG" >&2 || true
  echo "tools/pg.sh: PostgreSQL did not start" >&2
  exit 1
fi

"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U motcua motcua
export DATABASE_URL="postgres://motcua@127.0.0.1:$PORT/motcua"
echo "tools/pg.sh: PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PORT (data in $DATA)"

set +e
"$@"
rc=$?
set -e
exit "$rc"
