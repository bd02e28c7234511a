#!/usr/bin/env bash
# Load test of the Worker in workerd (wrangler dev) with a quiet Nudge stand-in, on loopback
# only: wrk for 10 s per case, 2 threads, 16 connections. Prints wrk's requests/s and latency
# percentiles. Track events are batched (batch_size 100), as a deployment expecting volume
# would configure it.
#   direct mode: 1-event /v1/track and 100-event /v1/batch (one Nudge request per Worker
#                request);
#   queue mode:  1-event /v1/track, then, once the queue has drained, the Nudge requests the
#                stand-in received per 1,000 events.
# BENCH_PORT (default 18787) moves the Worker; the stand-in and inspector take the next ports.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash scripts/build-worker.sh >/dev/null

port="${BENCH_PORT:-18787}"
stand_in_port=$((port + 1))
inspector_port=$((port + 2))
work="$(mktemp -d)"
node tests/worker/nudge-stand-in.mjs "$stand_in_port" --quiet > "$work/stand-in.log" 2>&1 &
stand_in=$!
wrangler=""
stop_worker() { if [ -n "$wrangler" ]; then kill -- "-$wrangler" 2>/dev/null || true; wait "$wrangler" 2>/dev/null || true; wrangler=""; fi; }
trap 'stop_worker; kill $stand_in 2>/dev/null || true; rm -rf "$work"' EXIT

start_worker() { # DELIVERY mode
  # In a process group of its own, so that stopping it stops its workerd and nothing else.
  WRANGLER_SEND_METRICS=false setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" \
    --inspector-port "$inspector_port" --show-interactive-dev-session=false \
    --var "DELIVERY:$1" --var "NUDGE_ENDPOINT:http://127.0.0.1:$stand_in_port" \
    --var NUDGE_API_KEY:bench-nudge-key --var WRITE_KEYS:bench-write-key \
    --var 'MAPPINGS:[{"action":"identifyUser"},{"action":"trackEvent","enable_batching":true,"batch_size":100}]' \
    > "$work/wrangler-$1.log" 2>&1 &
  wrangler=$!
  for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && return; sleep 0.5; done
  echo "wrangler dev did not start" >&2; cat "$work/wrangler-$1.log" >&2; exit 1
}

load() { # body-file path
  echo "== POST $2 ($1)"
  WRK_BODY="$work/$1" wrk -t2 -c16 -d10s --timeout 10s --latency -s benches/wrk-post.lua "http://127.0.0.1:$port$2" \
    | tee "$work/wrk.txt" | grep -E "Requests/sec|Latency|50%|75%|90%|99%|requests in|Non-2xx"
}

node -e '
const ev = (i) => ({ type: "track", userId: `User ${i}`, event: "Order Completed", timestamp: "2025-05-14T07:30:00+05:30",
  properties: { order_id: `o-${i}`, total: 99.5, currency: "EUR" }, context: { library: { name: "analytics-node" } } });
const fs = require("fs");
fs.writeFileSync(process.argv[1] + "/one.json", JSON.stringify(ev(0)));
fs.writeFileSync(process.argv[1] + "/batch.json", JSON.stringify({ batch: Array.from({ length: 100 }, (_, i) => ev(i)) }));
' "$work"
export WRK_AUTH="$(printf 'bench-write-key:' | base64)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(node_modules/.bin/wrangler --version | head -n1)"

echo "=== direct mode"
start_worker direct
load one.json /v1/track
load batch.json /v1/batch
stop_worker

echo "=== queue mode"
curl -s -o /dev/null -X POST "http://127.0.0.1:$stand_in_port/__control/reset"
start_worker queue
load one.json /v1/track
accepted="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
# The consumer delivers in batches of up to 100 messages (a partial one after 5 s).
node -e '
const [url, accepted] = [process.argv[1], Number(process.argv[2])];
const delivered = async () => {
  const requests = (await (await fetch(url + "/__control/requests")).json()).filter((r) => r.answeredWith === "ok");
  return { requests: requests.length, events: requests.reduce((n, r) => n + JSON.parse(r.body).length, 0) };
};
(async () => {
  let d = await delivered();
  for (let i = 0; i < 240 && d.events < accepted; i++) { await new Promise((r) => setTimeout(r, 500)); d = await delivered(); }
  console.log(`queue drained: ${d.events} of ${accepted} accepted events delivered in ${d.requests} Nudge requests, ` +
    `${(1000 * d.requests / Math.max(d.events, 1)).toFixed(1)} Nudge requests per 1,000 events`);
})();
' "http://127.0.0.1:$stand_in_port" "$accepted"
