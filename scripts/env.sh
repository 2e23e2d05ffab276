# Sourced by the scripts: tool paths, and the settings cargo-leptos compiles
# with, so that `cargo test` and `cargo leptos build` share compiled crates
# instead of rebuilding each other's.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BURSAR_TOOLS="${BURSAR_TOOLS:-$HOME/.cache/bursar/tools}"
export PATH="$BURSAR_TOOLS/bin:$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export LEPTOS_OUTPUT_NAME=bursar
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_LIB_DIR=frontend
export LEPTOS_BIN_DIR=bursar
export LEPTOS_HASH_FILES=false
