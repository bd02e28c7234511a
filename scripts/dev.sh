#!/usr/bin/env bash
# Runs the Worker locally with `wrangler dev` (workerd) on http://127.0.0.1:8787, building it
# first. Offline by default: NUDGE_ENDPOINT points at a local Nudge stand-in started here, which
# prints each request it receives. Set NUDGE_ENDPOINT (and NUDGE_API_KEY) to reach the real API.
# Queue mode by default (DELIVERY=direct to send within each request): wrangler dev runs the
# deliveries and dead-letter queues and the dead-letter KV store locally; the admin routes take
# `Authorization: Bearer local-admin-key` (ADMIN_KEY).
#
#   bash scripts/dev.sh
#   curl -u local-write-key: -H 'content-type: application/json' \
#        -d '{"userId":"u1","event":"Signed Up","timestamp":"2025-05-14T07:30:00Z"}' \
#        http://127.0.0.1:8787/v1/track
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-worker.sh

export WRANGLER_SEND_METRICS=false
vars=(--var "NUDGE_API_KEY:${NUDGE_API_KEY:-local-nudge-key}" --var "WRITE_KEYS:${WRITE_KEYS:-local-write-key}"
  --var "DELIVERY:${DELIVERY:-queue}" --var "ADMIN_KEY:${ADMIN_KEY:-local-admin-key}")
if [ -n "${MAPPINGS:-}" ]; then vars+=(--var "MAPPINGS:$MAPPINGS"); fi
if [ -z "${NUDGE_ENDPOINT:-}" ]; then
  node tests/worker/nudge-stand-in.mjs "${STAND_IN_PORT:-8788}" &
  stand_in=$!
  trap 'kill "$stand_in" 2>/dev/null || true' EXIT
  NUDGE_ENDPOINT="http://127.0.0.1:${STAND_IN_PORT:-8788}"
fi
vars+=(--var "NUDGE_ENDPOINT:$NUDGE_ENDPOINT")
echo "Worker on http://127.0.0.1:8787 → Nudge at $NUDGE_ENDPOINT (write key: ${WRITE_KEYS:-local-write-key}, delivery: ${DELIVERY:-queue})"
node_modules/.bin/wrangler dev --ip 127.0.0.1 --port 8787 --show-interactive-dev-session=false "${vars[@]}"
