#!/usr/bin/env bash
# Load test of the Worker in workerd (wrangler dev) with a quiet Nudge stand-in, on loopback
# only: wrk for 10 s per case (1-event /v1/track and 100-event /v1/batch), 2 threads,
# 16 connections. Prints wrk's requests/s and latency percentiles. Track events are batched
# (batch_size 100), as a deployment expecting volume would configure it: one Nudge request
# per Worker request.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash scripts/build-worker.sh >/dev/null

work="$(mktemp -d)"
node tests/worker/nudge-stand-in.mjs 18788 --quiet > "$work/stand-in.log" 2>&1 &
stand_in=$!
# In a process group of its own, so that stopping it stops its workerd and nothing else.
WRANGLER_SEND_METRICS=false setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port 18787 --inspector-port 19229 \
  --show-interactive-dev-session=false --var NUDGE_ENDPOINT:http://127.0.0.1:18788 \
  --var NUDGE_API_KEY:bench-nudge-key --var WRITE_KEYS:bench-write-key \
  --var 'MAPPINGS:[{"action":"identifyUser"},{"action":"trackEvent","enable_batching":true,"batch_size":100}]' \
  > "$work/wrangler.log" 2>&1 &
wrangler=$!
trap 'kill -- -$wrangler $stand_in 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf -o /dev/null http://127.0.0.1:18787/health && break; sleep 0.5; done

node -e '
const ev = (i) => ({ type: "track", userId: `User ${i}`, event: "Order Completed", timestamp: "2025-05-14T07:30:00+05:30",
  properties: { order_id: `o-${i}`, total: 99.5, currency: "EUR" }, context: { library: { name: "analytics-node" } } });
const fs = require("fs");
fs.writeFileSync(process.argv[1] + "/one.json", JSON.stringify(ev(0)));
fs.writeFileSync(process.argv[1] + "/batch.json", JSON.stringify({ batch: Array.from({ length: 100 }, (_, i) => ev(i)) }));
' "$work"
export WRK_AUTH="$(printf 'bench-write-key:' | base64)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(node_modules/.bin/wrangler --version | head -n1)"
for case in "one.json /v1/track" "batch.json /v1/batch"; do
  set -- $case
  echo "== POST $2 ($1)"
  WRK_BODY="$work/$1" wrk -t2 -c16 -d10s --timeout 10s --latency -s benches/wrk-post.lua "http://127.0.0.1:18787$2" \
    | grep -E "Requests/sec|Latency|50%|75%|90%|99%|requests in|Non-2xx"
done
