#!/usr/bin/env bash
# Builds the Cloudflare Worker into build/ (build/worker/shim.mjs, as wrangler.toml's `main`):
# the crate with the `worker` feature, through worker-build, pointed at the installed
# wasm-bindgen CLI and at wasm-opt from the npm package binaryen (these machines cannot
# download either).
set -euo pipefail
source "$(dirname "$0")/wasm-tools.sh"
cd "$root"
ensure_wasm_target
ensure_wasm_bindgen
ensure_node_tools
ensure_worker_build

export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
worker-build --profile worker-release --features worker
wasm="$(ls build/worker/*.wasm 2>/dev/null | head -n 1 || true)"
[ -n "$wasm" ] || wasm="$(ls build/*.wasm | head -n 1)"
# worker-build keeps the function names; -Oz drops them and shrinks the code further.
wasm_opt "$wasm" -o "$wasm"
echo "Worker wasm ($wasm): $(stat -c %s "$wasm") bytes raw, $(gzip -9 -c "$wasm" | wc -c) bytes gzipped"
