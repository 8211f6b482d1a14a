# Shared helpers for the scripts in this directory (sourced, not run).

# Runs `npm ci` when node_modules is missing or older than package-lock.json. A node_modules that
# is a symbolic link (a git worktree sharing another checkout's packages) is left alone: npm ci
# would empty the linked directory for every checkout that shares it and install into a new one.
ensure_node_modules() {
  if [ -L node_modules ]; then
    echo "node_modules is a symbolic link to $(readlink node_modules): not reinstalled here"
    return 0
  fi
  if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] ||
    [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "node_modules is missing or older than package-lock.json: npm ci"
    npm ci --no-audit --no-fund </dev/null
  else
    echo "node_modules is up to date"
  fi
}

# Installs the named Debian packages that are not installed yet; `apt-get update` only when the
# install fails on stale package lists. The caller defines log and die.
apt_install_missing() {
  local missing=() p
  for p in "$@"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  [ "$(id -u)" -eq 0 ] || die "packages missing (${missing[*]}) and not root: install them or run as root"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
  if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${apt[@]}" update >/dev/null
    "${apt[@]}" install --no-install-recommends "${missing[@]}"
  fi
}
