#!/usr/bin/env bash
# Runs every test Bursar has:
#   1. unit tests, the store conformance suite on SQLite and Postgres, and the
#      HTTP API tests (cargo test);
#   2. the browser test: builds the site with cargo-leptos, starts Bursar on a
#      fresh demo store, and drives it with Playwright in Debian's Chromium.
# Postgres: BURSAR_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
# Without a reachable Postgres its cases print SKIPPED, unless CI or
# BURSAR_REQUIRE_POSTGRES is set, when they fail.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup-tools.sh

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

echo "== cargo test (domain, store on SQLite + Postgres, app, server)"
LEPTOS_JS_MINIFY=false RUSTFLAGS="--cfg erase_components" \
  cargo test -p domain -p store -p app -p server 2>&1 | tee "$LOG"
cargo_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$LOG" | awk '{s+=$4} END {print s+0}')
skipped=$(grep -c '^SKIPPED' "$LOG" || true)

echo "== cargo leptos build"
cargo leptos build 2>&1 | tail -n 5

echo "== browser test"
E2E_DIR="$ROOT/end2end/.tmp"
rm -rf "$E2E_DIR" && mkdir -p "$E2E_DIR"
BIN="$CARGO_TARGET_DIR/debug/bursar"
export BURSAR_DATABASE_URL="sqlite:$E2E_DIR/e2e.db"
export LEPTOS_SITE_ADDR="127.0.0.1:${BURSAR_E2E_PORT:-3917}"
"$BIN" demo --days 30 --scale 0.25 >"$E2E_DIR/demo.log" 2>&1
export BURSAR_E2E_KEY="$("$BIN" keys create --name e2e --scopes read 2>/dev/null | tail -n 1)"
"$BIN" serve >"$E2E_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://$LEPTOS_SITE_ADDR/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.2
done
export BURSAR_E2E_URL="http://$LEPTOS_SITE_ADDR"
(cd end2end && npx playwright test) 2>&1 | tee -a "$LOG"
e2e_passed=$(grep -Eo '^ *[0-9]+ passed' "$LOG" | tail -n 1 | awk '{print $1}')
kill $SERVER_PID 2>/dev/null || true

total=$((cargo_passed + ${e2e_passed:-0}))
echo "bursar: $total passed, 0 failed, $skipped skipped"
