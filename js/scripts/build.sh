#!/usr/bin/env bash
# Builds the npm package in js/: the core compiled to wasm32, bound with wasm-bindgen for Node
# (js/pkg/node, ready on require) and for browsers (js/pkg/web, `await init()`), then shrunk
# with wasm-opt -Oz.
set -euo pipefail
source "$(dirname "$0")/../../scripts/wasm-tools.sh"
cd "$root"
ensure_wasm_target
ensure_wasm_bindgen
ensure_node_tools

cargo build --lib --target wasm32-unknown-unknown --profile wasm-release
wasm="target/wasm32-unknown-unknown/wasm-release/nudge_edge.wasm"

rm -rf js/pkg
wasm-bindgen --target nodejs --out-dir js/pkg/node --out-name nudge_edge "$wasm"
wasm-bindgen --target web --out-dir js/pkg/web --out-name nudge_edge "$wasm"
# wasm-bindgen declares `[Symbol.dispose]()` on the Planner class, which TypeScript only knows
# with `lib: esnext`: a project on an older `lib` would fail to compile against the package.
# `free()` stays declared; the method itself stays in the JavaScript for `using`.
sed -i '/\[Symbol\.dispose\]()/d' js/pkg/node/nudge_edge.d.ts js/pkg/web/nudge_edge.d.ts
# The `producers` and `target_features` sections name the tools and the features the wasm was
# built with: wasm-bindgen has read them, and no runtime does (about 200 bytes gzipped).
for out in js/pkg/node/nudge_edge_bg.wasm js/pkg/web/nudge_edge_bg.wasm; do
  wasm_opt "$out" -o "$out" --strip-producers --strip-target-features
done
raw=$(stat -c %s js/pkg/web/nudge_edge_bg.wasm)
gz=$(gzip -9 -c js/pkg/web/nudge_edge_bg.wasm | wc -c)
echo "nudge_edge_bg.wasm after wasm-opt -Oz: $raw bytes raw, $gz bytes gzipped"
