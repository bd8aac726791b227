# Sourced: ensure_debs PKG... installs Debian packages that are missing, non-interactively.
# apt-get update runs at most once per shell, and only when something is to be installed.

_APT_UPDATED=${_APT_UPDATED:-0}

ensure_debs() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "tools: need root to install ${missing[*]} (apt-get); install them and re-run." >&2
      return 1
    }
    sudo=(sudo -n)
  fi
  echo "tools: installing Debian packages: ${missing[*]} (first time only, may take minutes)"
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y
    -o DPkg::Lock::Timeout=600
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if [ "$_APT_UPDATED" != 1 ]; then
    "${sudo[@]}" "${apt[@]}" update </dev/null >/dev/null || return 1
    _APT_UPDATED=1
  fi
  "${sudo[@]}" "${apt[@]}" install --no-install-recommends "${missing[@]}" </dev/null >/dev/null || return 1
}
