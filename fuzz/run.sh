#!/usr/bin/env bash
# Coverage-guided fuzzing of the core with cargo-fuzz (libFuzzer): the Worker's front door
# (ingest), planning from JSON text read in place (plan_text), configurations, FQL, mappings
# and dates. Installs what it needs when missing (the
# nightly toolchain, cargo-fuzz), seeds each corpus from tests/conformance, then runs every
# target for SECONDS (default 60) with a 1 MiB stack, wasm32's, so that recursion deep enough
# to overrun the npm package or the Worker crashes here too. Any crash, timeout (30 s for one
# input: wall-clock time, so generous on a busy machine; the summary gives the slowest input's
# time) or memory blow-up (2 GB) fails the run and leaves the input in fuzz/artifacts/TARGET/.
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]      e.g. bash fuzz/run.sh 5 (scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ingest plan_text config fql mapping dates)

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz 0.13.2" ]; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
node fuzz/seeds.mjs
cargo +nightly fuzz build 2>&1 | grep -v '^\s*Compiling' || true
bin=fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release

for target in "${targets[@]}"; do
  mkdir -p "fuzz/artifacts/$target"
  log="fuzz/artifacts/$target/last-run.log"
  status=0
  dict=()
  case $target in
    fql) dict=(-dict=fuzz/fql.dict) ;;
    mapping | config | plan_text) dict=(-dict=fuzz/mapping.dict) ;;
  esac
  (
    ulimit -s 1024
    exec "$bin/$target" "fuzz/corpus/$target" -max_total_time="$seconds" -timeout=30 \
      -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=32768 -print_final_stats=1 \
      -artifact_prefix="fuzz/artifacts/$target/" "${dict[@]}"
  ) >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -1)
  slowest=$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log")
  echo "fuzz $target: ${seconds}s, ${runs:-0} inputs, ${corpus:-corp: ?} in the corpus, slowest input ${slowest:-?} s, exit $status"
  if [ "$status" -ne 0 ]; then
    tail -40 "$log"
    exit "$status"
  fi
done
