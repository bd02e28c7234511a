#!/usr/bin/env bash
# Runs every check of the project on a fresh machine (rustup, cargo, node/npm and apt only):
# installs what is missing, then formatting, lints, the Rust tests (unit, conformance, CLI,
# property tests, the CLI installed with `cargo install`), the npm package's tests (Node,
# property tests on the wasm build, headless Chromium, npm pack into an empty project), the
# differential test of @liquid against Segment's library, the Worker's end-to-end tests
# (workerd, a Nudge stand-in, Segment's SDKs for browsers, Node and Python, hostile senders and
# Nudges, the @liquid conformance cases) and a short coverage-guided fuzzing run.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain and the npm dev tooling (package.json)"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
# The Rust tests compare with Node (tests/node_agreement.rs needs dayjs) before any npm build.
source scripts/wasm-tools.sh
ensure_node_tools

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo test (unit, conformance, CLI, property tests, agreement with Node)"
cargo test
cargo test -q --test conformance -- --nocapture 2>&1 | grep 'cases pass'

step "the CLI as users install it: cargo install --path . into a temporary root"
cargo test --test install -- --ignored

step "npm and Worker shells build for wasm32-unknown-unknown (clippy, -D warnings)"
cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --features worker -- -D warnings

step "npm package: build (wasm-bindgen, wasm-opt -Oz)"
bash js/scripts/build.sh

step "browser for the demo-page and packed-package tests"
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

step "npm package: node --test (conformance, API, survival of hostile inputs, property tests on the wasm build, browser; npm pack installed into an empty project: require, import, tsc --strict, esbuild + Chromium)"
(cd js && node --test test/)

step "npm package against Segment's own libraries: differential test, fixed seed (tests/differential)"
TZ=UTC node tests/differential/run.mjs --seed 1 --cases 2000

step "@liquid against Segment's own engine: differential test, fixed seed (tests/liquid/differential.mjs)"
TZ=UTC node tests/liquid/differential.mjs --seed 1 --cases 2000

step "Python SDKs for the Worker's end-to-end tests (segment-analytics-python and rudder-sdk-python, pinned, in .venv/)"
python_sdk=2.4.0
rudder_python_sdk=2.1.9
if ! .venv/bin/python -c "import segment.analytics.version as v, rudderstack.analytics.version as r; assert (v.VERSION, r.VERSION) == ('$python_sdk', '$rudder_python_sdk')" 2>/dev/null; then
  if ! python3 -m venv .venv 2>/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    python3 -m venv .venv
  fi
  .venv/bin/pip install -q "segment-analytics-python==$python_sdk" "rudder-sdk-python==$rudder_python_sdk"
fi

step "Worker: build (worker-build), then end-to-end tests in workerd with a Nudge stand-in"
bash scripts/build-worker.sh
WRANGLER_SEND_METRICS=false node --test tests/worker/

step "fuzzing: 5 s for each target (cargo-fuzz on nightly; bash fuzz/run.sh SECONDS for longer)"
bash fuzz/run.sh 5
