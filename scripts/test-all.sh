#!/usr/bin/env bash
# The single test command (`npm test`, also what CI runs through .ci/run):
#   dependencies -> test environment (libvirtd, sshd) -> VS Code (code-server, Chromium) ->
#   tsc -> eslint -> esbuild -> unit -> integration -> extension host suites -> UI tests
# Every stage runs even when an earlier one failed, so one run shows everything that is wrong.
# Each test stage's mocha counts are summed; the last line is exactly "N passed, N failed".
# Exit status is non-zero when any test or any stage failed. Logs: test-results/.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
RESULTS="$ROOT/test-results"
LOGS="$RESULTS/logs"
STATS="$RESULTS/stats"
mkdir -p "$LOGS"
rm -rf "$STATS"
mkdir -p "$STATS"
STARTED_FILE="$RESULTS/testenv-started"
: >"$STARTED_FILE"

declare -a STAGE_LINES=()
FAILED_STAGES=0
RUN_START=$SECONDS

cleanup() {
  # Stop only the daemons this run started; a libvirtd/sshd that was already up stays up.
  local started
  started="$(sort -u "$STARTED_FILE" 2>/dev/null | tr '\n' ' ')"
  if [ -n "${started// /}" ]; then
    # shellcheck disable=SC2086
    bash "$ROOT/scripts/testenv.sh" stop $started >>"$LOGS/testenv-stop.log" 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stage NAME TIMEOUT_SECONDS COMMAND...: runs COMMAND with its output on the console and in
# test-results/logs/NAME.log; records its duration and result.
stage() {
  local name="$1" limit="$2"
  shift 2
  local t0=$SECONDS rc
  printf '\n===== %s =====\n' "$name"
  # Through bash -c so that the stage commands may be the exported functions below.
  timeout --kill-after=30 "$limit" bash -c '"$@"' stage "$@" </dev/null 2>&1 | tee "$LOGS/$name.log"
  rc="${PIPESTATUS[0]}"
  local dt=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then
    STAGE_LINES+=("$(printf '%-14s ok      %4ss' "$name" "$dt")")
  else
    [ "$rc" -eq 124 ] && echo "stage $name timed out after ${limit}s"
    STAGE_LINES+=("$(printf '%-14s FAILED  %4ss  (exit %s, log test-results/logs/%s.log)' "$name" "$dt" "$rc" "$name")")
    FAILED_STAGES=$((FAILED_STAGES + 1))
  fi
  return 0
}

deps() {
  # shellcheck source=scripts/common.sh
  source "$ROOT/scripts/common.sh"
  ensure_node_modules
}

testenv() {
  bash scripts/testenv.sh install && TESTENV_STARTED_FILE="$STARTED_FILE" bash scripts/testenv.sh start &&
    bash scripts/testenv.sh status
}

compile() {
  if [ "${CI:-}" = "true" ]; then rm -rf out; fi
  npx tsc -p .
}

harness() { node out/test/vscode/harness/main.js "$@"; }

# The integration suites include a daemon restart: make sure the daemon is back before the
# VS Code stages (a no-op when it answers). Only the daemon this run started is recorded.
restart_check() {
  TESTENV_STARTED_FILE="$STARTED_FILE" bash "$ROOT/scripts/testenv.sh" start && "$@"
}

integration() {
  # The exports for LIBVIRT_TEST_* (URI, sockets, TLS PKI, SSH) come from the test environment.
  if [ -z "${LIBVIRT_TEST_URI:-}" ]; then
    timeout 10 virsh -q -c qemu:///system list >/dev/null 2>&1 || {
      echo "libvirtd does not answer on qemu:///system: the integration tests cannot run"
      return 1
    }
  fi
  eval "$(bash scripts/testenv.sh env)"
  harness mocha --name integration --dir out/test/integration --timeout 120000 --stats "$STATS/integration.json"
}

export ROOT STATS STARTED_FILE
export -f deps testenv compile harness integration

export -f restart_check

stage deps 900 deps
stage testenv 1200 testenv
stage vscode-env 900 bash scripts/vscode-env.sh install
stage tsc 600 compile
stage eslint 600 npx eslint .
stage esbuild 300 node esbuild.mjs
stage unit 900 harness mocha --name unit --dir out/test/unit --timeout 10000 --stats "$STATS/unit.json"
stage integration 1800 integration
eval "$(bash scripts/testenv.sh env)"
stage vscode-host 1200 restart_check harness host --stats "$STATS/vscode-host.json"
stage vscode-ui 1200 restart_check harness ui --stats "$STATS/vscode-ui.json"

# A test stage that left no stats never got to run its tests: that is a failure, not zero tests.
for s in unit integration vscode-host vscode-ui; do
  if [ ! -s "$STATS/$s.json" ]; then
    echo "stage $s produced no test counts"
    FAILED_STAGES=$((FAILED_STAGES + 1))
  fi
done

read -r PASSED FAILED < <(node -e '
  const fs = require("fs"), path = require("path");
  let p = 0, f = 0;
  for (const n of fs.readdirSync(process.argv[1])) {
    const s = JSON.parse(fs.readFileSync(path.join(process.argv[1], n), "utf8"));
    p += s.passes; f += s.failures;
  }
  console.log(p, f);
' "$STATS" 2>/dev/null || echo "0 0")

printf '\n===== summary (%ss) =====\n' "$((SECONDS - RUN_START))"
printf '%s\n' "${STAGE_LINES[@]}"
for s in unit integration vscode-host vscode-ui; do
  [ -s "$STATS/$s.json" ] && node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${s.name}: ${s.passes} passed, ${s.failures} failed, ${s.pending} pending, ${s.files} file(s)`);
  ' "$STATS/$s.json"
done
[ "$FAILED_STAGES" -gt 0 ] && echo "$FAILED_STAGES stage(s) failed"
echo "$PASSED passed, $FAILED failed"
if [ "$FAILED" -gt 0 ] || [ "$FAILED_STAGES" -gt 0 ]; then exit 1; fi
exit 0
