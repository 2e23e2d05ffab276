#!/usr/bin/env bash
# Builds Bursar in release mode and runs `bursar bench` on a fresh SQLite
# store, then (when BURSAR_BENCH_POSTGRES_URL names an empty database) on
# Postgres. Extra arguments go to the bench, e.g. --store-events 10000000
# (see BENCHMARKS.md for what it measures and the figures).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup-tools.sh
cargo leptos build --release
"$CARGO_TARGET_DIR/release/bursar" bench "$@"
if [ -n "${BURSAR_BENCH_POSTGRES_URL:-}" ]; then
  "$CARGO_TARGET_DIR/release/bursar" bench --database-url "$BURSAR_BENCH_POSTGRES_URL" "$@"
fi
