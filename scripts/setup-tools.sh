#!/usr/bin/env bash
# Installs, once, the tools that building (and, with `test`, testing) Bursar needs.
#   setup-tools.sh demo   the build only: the wasm target, cargo-leptos, the
#                         wasm-bindgen CLI and wasm-opt (what ./scripts/demo.sh needs)
#   setup-tools.sh test   all of that, plus what the tests use: cargo-deny,
#                         Chromium, the end-to-end test's npm packages, the
#                         OpenTelemetry Python SDK and, each in a venv of its own,
#                         the LLM instrumentation libraries (the default)
# Each step is skipped when its tool is already present, so a second run costs nothing.
# Tools go into $BURSAR_TOOLS (default ~/.cache/bursar/tools); add its bin/ to PATH.
set -euo pipefail
MODE="${1:-test}"
case "$MODE" in
  demo|test) ;;
  *) echo "usage: setup-tools.sh [demo|test]" >&2; exit 2 ;;
esac

TOOLS="${BURSAR_TOOLS:-$HOME/.cache/bursar/tools}"
mkdir -p "$TOOLS/bin"
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

log() { echo "[setup] $*" >&2; }

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo-leptos --version 2>/dev/null | grep -q '0.3.10'; then
  log "installing cargo-leptos 0.3.10 (about 15 minutes on 2 cores)"
  env -u CARGO_TARGET_DIR cargo install cargo-leptos --locked --version 0.3.10 --features no_downloads --root "$TOOLS"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q '0.2.130'; then
  log "installing wasm-bindgen-cli 0.2.130"
  env -u CARGO_TARGET_DIR cargo install wasm-bindgen-cli --version 0.2.130 --root "$TOOLS"
fi

if [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
  log "installing wasm-opt (npm binaryen@132)"
  (cd "$TOOLS" && npm install --no-audit --no-fund --silent binaryen@132)
fi
ln -sf "$TOOLS/node_modules/.bin/wasm-opt" "$TOOLS/bin/wasm-opt"

if [ "$MODE" = demo ]; then
  log "build tools ready in $TOOLS/bin"
  exit 0
fi

if ! cargo-deny --version 2>/dev/null | grep -q '0.20.2'; then
  log "installing cargo-deny 0.20.2 (the dependency audit)"
  env -u CARGO_TARGET_DIR cargo install cargo-deny --locked --version 0.20.2 --root "$TOOLS" \
    || env -u CARGO_TARGET_DIR cargo install cargo-deny --version 0.20.2 --root "$TOOLS"
fi

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi

if [ -f "$ROOT/end2end/package.json" ] && [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
  log "installing the end-to-end test's npm packages"
  (cd "$ROOT/end2end" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi)
fi
# The real-client OTLP test runs OpenTelemetry's own Python SDK and OTLP/HTTP exporter.
OTEL_VENV="$TOOLS/otel-venv"
if ! "$OTEL_VENV/bin/python" -c 'import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http' 2>/dev/null; then
  log "installing the OpenTelemetry Python SDK and OTLP/HTTP exporter (PyPI)"
  python3 -m venv "$OTEL_VENV"
  "$OTEL_VENV/bin/pip" install --quiet --disable-pip-version-check \
    'opentelemetry-sdk>=1.27,<2' 'opentelemetry-exporter-otlp-proto-http>=1.27,<2'
fi
# The instrumentation real-client test: each library from PyPI in a venv of
# its own (their OpenTelemetry pins conflict), at versions that work together.
inst_venv() {
  local name="$1"; shift
  local dir="$TOOLS/inst-$name"
  if [ "$(cat "$dir/.spec" 2>/dev/null)" != "$*" ] || ! "$dir/bin/python" -c 'import opentelemetry.sdk' 2>/dev/null; then
    log "installing the $name instrumentation (PyPI): $*"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "$*" > "$dir/.spec"
  fi
}
OTEL_PINS="opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2"
# shellcheck disable=SC2086
inst_venv openllmetry opentelemetry-instrumentation-anthropic==0.62.4 opentelemetry-instrumentation-openai==0.62.4 \
  anthropic==2.14.0 openai==3.57.0 $OTEL_PINS
# shellcheck disable=SC2086
inst_venv openinference openinference-instrumentation-anthropic==3.1.0 anthropic==2.14.0 $OTEL_PINS
inst_venv openlit openlit==1.45.0 anthropic==0.125.0 openai==2.54.0 \
  opentelemetry-sdk==1.45.1 opentelemetry-exporter-otlp-proto-http==1.45.1
# shellcheck disable=SC2086
inst_venv otel-openai-v2 opentelemetry-instrumentation-openai-v2==2.4b0 opentelemetry-util-genai==1.1b0 \
  openai==3.57.0 httpx==0.28.1 $OTEL_PINS
log "tools ready in $TOOLS/bin"
