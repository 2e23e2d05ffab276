#!/usr/bin/env bash
# Builds Bursar (release) and runs it on SQLite at ./data/bursar.db. On the
# first run the store is empty, so it loads the demo organisation's 90 days
# of traffic and prints a demo API key. Then open http://127.0.0.1:3000.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup-tools.sh demo
cargo leptos build --release
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
echo "Bursar will serve on http://$LEPTOS_SITE_ADDR"
exec "$CARGO_TARGET_DIR/release/bursar" serve --demo-if-empty "$@"
