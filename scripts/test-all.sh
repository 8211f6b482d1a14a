#!/usr/bin/env bash
# The single test command (`npm test`, also what CI runs through .ci/run):
#   dependencies -> test environment (libvirtd, sshd) -> guest image -> VS Code (code-server, Chromium) ->
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
  record_stage "$name" "$limit" "$rc" $((SECONDS - t0))
  return 0
}

# record_stage NAME TIMEOUT EXIT_CODE SECONDS: one line of the summary's stage table.
record_stage() {
  local name="$1" limit="$2" rc="$3" dt="$4"
  if [ "$rc" -eq 0 ]; then
    STAGE_LINES+=("$(printf '%-14s ok      %4ss' "$name" "$dt")")
  else
    [ "$rc" -eq 124 ] && echo "stage $name timed out after ${limit}s"
    STAGE_LINES+=("$(printf '%-14s FAILED  %4ss  (exit %s, log test-results/logs/%s.log)' "$name" "$dt" "$rc" "$name")")
    FAILED_STAGES=$((FAILED_STAGES + 1))
  fi
}

# bg_stage NAME TIMEOUT COMMAND...: a stage that runs in the background while the next ones run
# in the foreground (for one that waits on the network, not the CPU); its output goes to its log
# only, and join_stage NAME waits for it, shows the log and records it. Its time in the table is
# its own run time, not the time until the join.
declare -A BG_PIDS=()
bg_stage() {
  local name="$1" limit="$2"
  shift 2
  printf '\n===== %s (in the background, shown when done) =====\n' "$name"
  (
    t0=$(date +%s)
    timeout --kill-after=30 "$limit" bash -c '"$@"' stage "$@" </dev/null >"$LOGS/$name.log" 2>&1
    rc=$?
    echo "$rc $(($(date +%s) - t0))" >"$LOGS/$name.result"
  ) &
  BG_PIDS[$name]=$!
}

join_stage() {
  local name="$1" limit="$2" rc dt
  wait "${BG_PIDS[$name]}"
  printf '\n===== %s =====\n' "$name"
  cat "$LOGS/$name.log"
  read -r rc dt <"$LOGS/$name.result" 2>/dev/null || { rc=1; dt=0; }
  rm -f "$LOGS/$name.result"
  record_stage "$name" "$limit" "$rc" "$dt"
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

# The Debian guest the guest-OS suites boot (scripts/guest-image.sh): cached per machine, so this
# takes a second when warm and about 3 minutes when the cache is empty or the recipe changed.
# Debian's netboot installer is fetched too: the New VM network-install test boots it.
guest_image() {
  bash scripts/guest-image.sh ensure && bash scripts/guest-image.sh netboot
}

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
  # The shared Debian guest boots in the background from the start (test/guestVm.ts).
  LIBVIRT_VMS_GUEST_PREBOOT=1 harness mocha --name integration --dir out/test/integration --timeout 120000 --stats "$STATS/integration.json"
}

export ROOT STATS STARTED_FILE
export -f deps testenv compile harness integration guest_image

export -f restart_check

stage deps 900 deps
# code-server's install (about 35 s on a fresh clone, mostly the npm registry) overlaps the stages
# up to the extension host's; apt calls of both stages wait for each other's lock.
bg_stage vscode-env 900 bash scripts/vscode-env.sh install
stage testenv 1200 testenv
# The guest image (about 90 s when the cache is empty, mostly the Debian archive) is built while
# the compile, lint and unit stages run; the integration stage needs it.
bg_stage guest-image 1800 guest_image
stage tsc 600 compile
stage eslint 600 npx eslint .
stage esbuild 300 node esbuild.mjs
stage unit 900 harness mocha --name unit --dir out/test/unit --timeout 10000 --stats "$STATS/unit.json"
join_stage guest-image 1800
stage integration 1800 integration
eval "$(bash scripts/testenv.sh env)"
join_stage vscode-env 900
# No early guest boot here (LIBVIRT_VMS_GUEST_PREBOOT): booting beside the alert suite, whose
# extension waits for a VM's stop event, once left that event unanswered for a minute.
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
    for (const f of s.failed ?? []) console.log(`  failed: ${f}`);
  ' "$STATS/$s.json"
done
# Where the time went: each file's wall time, hooks (guest boots, workbench pages) included.
harness slowest --dir "$STATS" --count 10 || true
[ "$FAILED_STAGES" -gt 0 ] && echo "$FAILED_STAGES stage(s) failed"
echo "$PASSED passed, $FAILED failed"
if [ "$FAILED" -gt 0 ] || [ "$FAILED_STAGES" -gt 0 ]; then exit 1; fi
exit 0
