#!/usr/bin/env bash
# Builds the npm package in js/: the core compiled to wasm32, bound with wasm-bindgen for Node
# (js/pkg/node, ready on require) and for browsers (js/pkg/web, `await init()`), then shrunk
# with wasm-opt -Oz. Installs the exact wasm-bindgen CLI of Cargo.lock when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
want="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (found: ${have:-none})"
  cargo install wasm-bindgen-cli --version "$want"
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
[ -x js/node_modules/.bin/wasm-opt ] || (cd js && npm install --no-audit --no-fund)

cargo build --lib --target wasm32-unknown-unknown --profile wasm-release
wasm="target/wasm32-unknown-unknown/wasm-release/nudge_edge.wasm"

rm -rf js/pkg
wasm-bindgen --target nodejs --out-dir js/pkg/node --out-name nudge_edge "$wasm"
wasm-bindgen --target web --out-dir js/pkg/web --out-name nudge_edge "$wasm"
for out in js/pkg/node/nudge_edge_bg.wasm js/pkg/web/nudge_edge_bg.wasm; do
  js/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out" -o "$out"
done
raw=$(stat -c %s js/pkg/web/nudge_edge_bg.wasm)
gz=$(gzip -9 -c js/pkg/web/nudge_edge_bg.wasm | wc -c)
echo "nudge_edge_bg.wasm after wasm-opt -Oz: $raw bytes raw, $gz bytes gzipped"
