#!/usr/bin/env bash
# Every benchmark, in one run on one machine (the figures in BENCHMARKS.md come from it):
# criterion on the native core, the npm package next to Segment's own pipeline in Node, and
# a load test of the Worker in workerd. Loopback only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/wasm-tools.sh
ensure_node_tools

echo "== cargo bench (native core; plan vs the serde_json floor)"
cargo bench --bench core 2>&1 | grep -E "^(plan|fql)|time:" | grep -v "change:"

echo "== npm package vs Segment's pipeline (Node $(node --version))"
bash js/scripts/build.sh | tail -n 1
node benches/node-bench.mjs

echo "== Worker load test (wrk against wrangler dev, Nudge stand-in on loopback)"
bash benches/worker-load.sh
