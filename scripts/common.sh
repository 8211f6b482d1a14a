# Shared helpers for the scripts in this directory (sourced, not run).

# Runs `npm ci` when node_modules is missing or older than package-lock.json.
ensure_node_modules() {
  if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] ||
    [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "node_modules is missing or older than package-lock.json: npm ci"
    npm ci --no-audit --no-fund </dev/null
  else
    echo "node_modules is up to date"
  fi
}
