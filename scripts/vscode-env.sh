#!/usr/bin/env bash
# A real VS Code for tests and for `npm start`: code-server (VS Code 1.100.3 served to a browser,
# with a Node extension host) installed from the npm registry into .tools/code-server, and
# Debian's Chromium, which the test harness drives through playwright-core.
#
#   scripts/vscode-env.sh install   install what is missing (idempotent; seconds when present)
#   scripts/vscode-env.sh path      print the code-server entry point
#
# Nothing is downloaded from outside the npm registry and Debian's archive: ripgrep comes from
# apt and is handed to @vscode/ripgrep's postinstall through its tarball cache.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CODE_SERVER_VERSION="4.100.3"
RIPGREP_PKG_VERSION="1.15.11"
RIPGREP_TARBALL="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
DIR="$ROOT/.tools/code-server"
ENTRY="$DIR/node_modules/code-server/out/node/entry.js"

log() { printf '[vscode-env] %s\n' "$*" >&2; }
die() { printf '[vscode-env] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"

installed_version() {
  node -p "require('$DIR/node_modules/code-server/package.json').version" 2>/dev/null || true
}

cmd_install() {
  # libkrb5-dev: headers for a native module of code-server; ripgrep: see above.
  apt_install_missing libkrb5-dev ripgrep chromium build-essential python3
  if [ -f "$ENTRY" ] && [ "$(installed_version)" = "$CODE_SERVER_VERSION" ]; then
    return 0
  fi
  log "installing code-server@$CODE_SERVER_VERSION into $DIR (about 1.5 min)"
  mkdir -p "$DIR"
  local tmp="$DIR/tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION" "$tmp/rg"
  cp /usr/bin/rg "$tmp/rg/rg"
  tar -C "$tmp/rg" -czf "$tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION/$RIPGREP_TARBALL" rg
  [ -f "$DIR/package.json" ] || printf '{ "name": "code-server-install", "private": true }\n' >"$DIR/package.json"
  # unsafe_perm: code-server's postinstall refuses to run as root otherwise.
  # yes: node-pty's postinstall runs `npx node-gyp`, which would otherwise wait for a prompt.
  (
    cd "$DIR"
    TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true npm_config_fund=false \
      npm_config_audit=false npm_config_update_notifier=false \
      npm install --no-save --no-package-lock "code-server@$CODE_SERVER_VERSION" </dev/null
  ) || die "npm install code-server@$CODE_SERVER_VERSION failed"
  rm -rf "$tmp"
  [ -f "$ENTRY" ] || die "code-server entry point missing after install: $ENTRY"
  log "code-server $(installed_version) installed"
}

case "${1:-}" in
  install) cmd_install ;;
  path) echo "$ENTRY" ;;
  *) echo "usage: $0 {install|path}" >&2; exit 2 ;;
esac
