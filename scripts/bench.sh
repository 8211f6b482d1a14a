#!/usr/bin/env bash
# `npm run bench`: starts the test environment, builds, and runs the benchmarks in bench/
# (compiled to out/bench/main.js) against the real libvirtd, with the LIBVIRT_TEST_* exports of
# scripts/testenv.sh. Arguments are passed to the benchmark program.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"
ensure_node_modules
bash scripts/testenv.sh install
bash scripts/testenv.sh start
eval "$(bash scripts/testenv.sh env)"
npx tsc -p .
# Measured as shipped: the minified bundle `npm run package` builds (the tests use the plain one).
node esbuild.mjs --production
if [ ! -f out/bench/main.js ]; then
  echo "[bench] ERROR: out/bench/main.js is missing: there is no bench/main.ts to run" >&2
  exit 1
fi
exec node out/bench/main.js "$@"
