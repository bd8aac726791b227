# Sourced by tools/run and tools/test (not executed): makes sure .venv exists with Python 3.11
# and holds the project installed in editable mode with its [dev] extras, then puts .venv/bin
# first on PATH. pip runs only when pyproject.toml (or the interpreter) changed since the last
# successful install, so a re-run costs a second, not a minute.
#
# Sets ROOT (the repository) and VENV. Safe under `set -euo pipefail`.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
_STAMP="$VENV/.motcua-install-stamp"

_venv_python_ok() {
  [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null
}

_find_python311() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if ! _venv_python_ok; then
  _py="$(_find_python311)" || {
    echo "tools: Python 3.11 is needed (python3.11 not found on PATH)." >&2
    return 1 2>/dev/null || exit 1
  }
  echo "tools: creating $VENV with $_py"
  rm -rf "$VENV"
  "$_py" -m venv "$VENV"
fi

_want="$(cd "$ROOT" && sha256sum pyproject.toml | cut -d' ' -f1) $("$VENV/bin/python" -V 2>&1)"
if [ ! -f "$_STAMP" ] || [ "$(cat "$_STAMP")" != "$_want" ] || [ ! -x "$VENV/bin/motcua" ]; then
  echo "tools: installing the project into .venv (pip install -e '.[dev]')"
  (cd "$ROOT" && PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q -e '.[dev]') || {
    echo "tools: pip install -e '.[dev]' failed" >&2
    return 1 2>/dev/null || exit 1
  }
  printf '%s\n' "$_want" >"$_STAMP"
fi

export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
unset _py _want
