#!/usr/bin/env bash
# Runs every check of the project on a fresh machine (rustup, cargo, node/npm and apt only):
# installs what is missing, then formatting, lints, the Rust tests (unit, conformance, CLI,
# property tests), the npm package's tests (Node and headless Chromium) and the Worker's
# end-to-end tests (workerd, Segment's Node SDK, a Nudge stand-in).
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

step "npm and Worker shells build for wasm32-unknown-unknown (clippy, -D warnings)"
cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --features worker -- -D warnings

step "npm package: build (wasm-bindgen, wasm-opt -Oz)"
bash js/scripts/build.sh

step "browser for the demo-page and packed-package tests"
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

step "npm package: node --test (conformance, API, browser; npm pack installed into an empty project: require, import, tsc --strict, esbuild + Chromium)"
(cd js && node --test test/)

step "npm package against Segment's own libraries: differential test, fixed seed (tests/differential)"
TZ=UTC node tests/differential/run.mjs --seed 1 --cases 2000

step "Worker: build (worker-build), then end-to-end tests in workerd with a Nudge stand-in"
bash scripts/build-worker.sh
WRANGLER_SEND_METRICS=false node --test tests/worker/
