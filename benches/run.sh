#!/usr/bin/env bash
# Every benchmark, in one run on one machine (the figures in BENCHMARKS.md come from it):
# criterion on the native core, the npm package next to Segment's own pipeline in Node, what
# the SDK plugin costs per event and in bytes, the Worker's CPU per request in an isolate, and
# a load test of the Worker in workerd. Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_node_tools

echo "== cargo bench (native core; plan vs the serde_json floor)"
cargo bench --bench core 2>&1 | grep -E "^(plan|fql|js|datetime|worker|delivery)|time:" | grep -v "change:"

echo "== npm package vs Segment's pipeline (Node $(node --version))"
bash js/scripts/build.sh | tail -n 1
node benches/node-bench.mjs

echo "== nudge-edge/plugin: per event in Node and Chromium, bytes added to a bundle"
node benches/plugin-bench.mjs

echo "== the Worker's CPU per request: the built Worker in a V8 isolate (headless Chromium)"
bash scripts/build-worker.sh | tail -n 1
node benches/worker-isolate.mjs 200

echo "== Worker load test (wrk against wrangler dev, Nudge stand-in on loopback)"
bash benches/worker-load.sh
