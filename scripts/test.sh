#!/usr/bin/env bash
# Runs every check of the project on a fresh machine (rustup, cargo, node/npm and apt only):
# installs what is missing, then formatting, lints, the Rust tests (unit, conformance, CLI,
# property tests, the CLI installed with `cargo install`), the npm package's tests (Node,
# property tests on the wasm build, headless Chromium, npm pack into an empty project), the
# differential test of @liquid against Segment's library, the Worker's end-to-end tests
# (workerd, a Nudge stand-in, Segment's SDKs for browsers, Node and Python, hostile senders and
# Nudges, the @liquid conformance cases) and a short coverage-guided fuzzing run. Last, it checks
# that the run left the work tree as it found it: a test that rewrites a tracked file (a stale
# lock file, a regenerated fixture) fails here rather than in someone's next commit.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# `git status` apart from ignored files, each changed file with a digest of its content, so that
# a file already edited before the run and rewritten by it is caught too. On a fresh clone (CI)
# it is empty. safe.directory: a checkout owned by another user (a CI container) is still read.
git_() { git -c safe.directory="$PWD" "$@"; }
tree_state() {
  local line path
  git_ status --porcelain --untracked-files=all | while IFS= read -r line; do
    path=${line:3}
    path=${path##* -> }
    if [ -f "$path" ]; then
      printf '%s %s\n' "$line" "$(cksum <"$path")"
    else
      printf '%s\n' "$line"
    fi
  done
}
if git_ rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  tree_before=$(tree_state)
else
  tree_before=none
fi

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

step "the test run left the work tree as it found it (git status, ignored files apart)"
if [ "$tree_before" = none ]; then
  echo "skipped: this is no git work tree (or git is missing)"
else
  tree_after=$(tree_state)
  if [ "$tree_after" != "$tree_before" ]; then
    echo "the test run changed the work tree (a tracked file rewritten, or a new file that .gitignore" >&2
    echo "does not cover); before (<) and after (>), as 'git status --porcelain' with a checksum:" >&2
    diff <(printf '%s\n' "$tree_before") <(printf '%s\n' "$tree_after") | grep '^[<>]' >&2 || true
    exit 1
  fi
  echo "clean: the run changed no tracked file and left no file outside .gitignore"
fi
