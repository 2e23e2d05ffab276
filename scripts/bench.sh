#!/usr/bin/env bash
# Builds Bursar in release mode and runs `bursar bench` on a fresh SQLite
# store, then (when BURSAR_BENCH_POSTGRES_URL names an empty database) on
# Postgres. Extra arguments go to the bench, e.g. --events 100000 --query-events 1000000.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup-tools.sh
cargo leptos build --release
"$CARGO_TARGET_DIR/release/bursar" bench "$@"
if [ -n "${BURSAR_BENCH_POSTGRES_URL:-}" ]; then
  "$CARGO_TARGET_DIR/release/bursar" bench --database-url "$BURSAR_BENCH_POSTGRES_URL" "$@"
fi
