#!/usr/bin/env bash
# Runs every test Bursar has:
#   1. unit tests, the store conformance suite on SQLite and Postgres, and the
#      HTTP API tests (cargo test);
#   2. the browser test: builds the site with cargo-leptos, starts Bursar on a
#      fresh demo store, and drives it with Playwright in Debian's Chromium;
#   3. the OTLP real-client tests: OpenTelemetry's Python SDK exports GenAI
#      spans to that server, and the spend API must attribute them to the cent;
#      then OpenLLMetry, OpenInference, OpenLIT and OpenTelemetry's OpenAI
#      instrumentation wrap the anthropic and openai SDKs (talking to a local
#      server with the providers' documented responses) and their spans must
#      come out with every token and the exact cost;
#   4. the dependency audit: cargo-deny over licenses, versions, sources and
#      (where the RustSec database can be fetched) advisories;
#   5. the structure check: no two source files import each other in a loop.
# cargo test includes the reliability suite: kill -9 during ingest on both
# backends, overload, reconciliation, a short fuzz run over the checked-in
# corpus (BURSAR_FUZZ_CASES), security, and the hot queries' EXPLAIN plans.
# Postgres: BURSAR_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
# Without a reachable Postgres its cases print SKIPPED, unless CI or
# BURSAR_REQUIRE_POSTGRES is set, when they fail.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup-tools.sh test

LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

echo "== import cycles between files (scripts/imports.py)"
python3 scripts/imports.py 2>&1 | tee "$LOG"

echo "== dependency audit (cargo deny)"
bash scripts/audit.sh 2>&1 | tee -a "$LOG"

echo "== cargo test (domain, store on SQLite + Postgres, the services, app, server, bursar)"
# Tests run one at a time: side by side in one process (each on its own
# runtime) a server request occasionally never finished; see the notes in
# server/tests/pg_matrix.rs.
LEPTOS_JS_MINIFY=false RUSTFLAGS="--cfg erase_components" \
  cargo test -p domain -p store -p accounts -p budgets -p catalog -p ingest -p signals -p app -p server -p bursar -- --test-threads=1 2>&1 | tee -a "$LOG"
cargo_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$LOG" | awk '{s+=$4} END {print s+0}')
skipped=$(grep -c '^SKIPPED' "$LOG" || true)

echo "== cargo leptos build"
cargo leptos build 2>&1 | tail -n 5

echo "== browser test"
E2E_DIR="$ROOT/end2end/.tmp"
rm -rf "$E2E_DIR" && mkdir -p "$E2E_DIR"
BIN="$CARGO_TARGET_DIR/debug/bursar"
PORT="${BURSAR_E2E_PORT:-3917}"
if (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "error: port $PORT is taken (a leftover server?); set BURSAR_E2E_PORT to a free port" >&2
  exit 1
fi
export BURSAR_DATABASE_URL="sqlite:$E2E_DIR/e2e.db"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
# The browser test's webhook receiver listens on this machine, an internal
# address Bursar refuses unless the operator allows it.
export BURSAR_WEBHOOK_ALLOWED_HOSTS=127.0.0.1
if ! "$BIN" demo --days 30 --scale 0.25 >"$E2E_DIR/demo.log" 2>&1; then
  cat "$E2E_DIR/demo.log" >&2
  exit 1
fi
KEY="$("$BIN" keys create --name e2e --scopes read,ingest 2>"$E2E_DIR/keys.log" | tail -n 1)" || { cat "$E2E_DIR/keys.log" >&2; exit 1; }
export BURSAR_E2E_KEY="$KEY"
ADMIN_KEY="$("$BIN" keys create --name e2e-admin --scopes admin 2>>"$E2E_DIR/keys.log" | tail -n 1)" || { cat "$E2E_DIR/keys.log" >&2; exit 1; }
export BURSAR_E2E_ADMIN_KEY="$ADMIN_KEY"
export BURSAR_E2E_EMAIL="e2e-admin@example.com"
export BURSAR_E2E_PASSWORD="e2e-password-$RANDOM$RANDOM"
echo "$BURSAR_E2E_PASSWORD" | "$BIN" users create --email "$BURSAR_E2E_EMAIL" --role admin --password-stdin >>"$E2E_DIR/keys.log" 2>&1 \
  || { cat "$E2E_DIR/keys.log" >&2; exit 1; }
export BURSAR_E2E_LEAD_EMAIL="e2e-lead@example.com"
export BURSAR_E2E_LEAD_PASSWORD="e2e-lead-$RANDOM$RANDOM"
echo "$BURSAR_E2E_LEAD_PASSWORD" | "$BIN" users create --email "$BURSAR_E2E_LEAD_EMAIL" --role lead --teams e2e-team \
  --password-stdin >>"$E2E_DIR/keys.log" 2>&1 || { cat "$E2E_DIR/keys.log" >&2; exit 1; }
"$BIN" serve >"$E2E_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true; rm -f "$LOG"' EXIT
ready=""
for _ in $(seq 1 150); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
  if curl -fs "http://$LEPTOS_SITE_ADDR/api/v1/health" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "error: the server did not come up on $LEPTOS_SITE_ADDR; its log:" >&2
  cat "$E2E_DIR/server.log" >&2
  exit 1
fi
export BURSAR_E2E_URL="http://$LEPTOS_SITE_ADDR"
set +e
(cd end2end && npx playwright test) 2>&1 | tee -a "$LOG"
e2e_status=${PIPESTATUS[0]}
set -e
if [ "$e2e_status" -ne 0 ]; then
  kill $SERVER_PID 2>/dev/null || true
  echo "the browser test failed; the server's log is in $E2E_DIR/server.log" >&2
  exit "$e2e_status"
fi
e2e_passed=$(grep -Eo '^ *[0-9]+ passed' "$LOG" | tail -n 1 | awk '{print $1}')

echo "== OTLP real-client test (OpenTelemetry Python SDK)"
set +e
"$BURSAR_TOOLS/otel-venv/bin/python" end2end/otlp_client.py 2>&1 | tee -a "$LOG"
otlp_status=${PIPESTATUS[0]}
set -e
echo "== instrumentation real-client tests (OpenLLMetry, OpenInference, OpenLIT, OpenTelemetry's OpenAI instrumentation)"
inst_failed=0
for lib in openllmetry openinference openlit otel-openai-v2; do
  set +e
  "$BURSAR_TOOLS/inst-$lib/bin/python" end2end/instrumentations_client.py "$lib" 2>&1 | tee -a "$LOG"
  [ "${PIPESTATUS[0]}" -eq 0 ] || inst_failed=1
  set -e
done
kill $SERVER_PID 2>/dev/null || true
if [ "$inst_failed" -ne 0 ]; then
  echo "an instrumentation real-client test failed; the server's log is in $E2E_DIR/server.log" >&2
  exit 1
fi
if [ "$otlp_status" -ne 0 ]; then
  echo "the OTLP real-client test failed; the server's log is in $E2E_DIR/server.log" >&2
  exit "$otlp_status"
fi
otlp_passed=$(grep -c '^otlp real-client test: 1 passed' "$LOG" || true)
inst_passed=$(grep -c '^instrumentation real-client test (.*): 1 passed' "$LOG" || true)

total=$((cargo_passed + ${e2e_passed:-0} + otlp_passed + inst_passed))
echo "bursar: $total passed, 0 failed, $skipped skipped"
