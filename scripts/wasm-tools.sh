# Sourced by the build scripts: installs, only when missing, what the wasm builds need on a
# fresh machine (rustup, cargo and node/npm are there already).

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
}

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  local want have
  want="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/"/, "", $3); print $3 }' "$root/Cargo.lock")"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $NF }' || true)"
  if [ "$have" != "$want" ]; then
    echo "installing wasm-bindgen-cli $want (found: ${have:-none})"
    # --locked when the index has every pinned version; without it when it lags behind.
    cargo install --locked wasm-bindgen-cli --version "$want" || cargo install wasm-bindgen-cli --version "$want"
  fi
}

# The npm dev tooling of package.json: wasm-opt (binaryen), wrangler, playwright-core, the
# Segment SDK used by the end-to-end tests, typescript and esbuild for the packed-package test,
# dayjs for the agreement with Node.
ensure_node_tools() {
  local bin missing=""
  for bin in wasm-opt wrangler tsc esbuild; do
    [ -x "$root/node_modules/.bin/$bin" ] || missing=1
  done
  if [ -n "$missing" ] || [ ! -d "$root/node_modules/dayjs" ] \
     || [ "$root/package.json" -nt "$root/node_modules/.package-lock.json" ]; then
    (cd "$root" && npm install --no-audit --no-fund)
  fi
}

# worker-build turns the Worker's wasm into a module workerd can load; it must not download
# wasm-bindgen or wasm-opt (these machines cannot), so it is pointed at the installed ones.
ensure_worker_build() {
  local want="0.8.7"
  if [ "$(worker-build --version 2>/dev/null | awk '{ print $NF }')" != "$want" ]; then
    echo "installing worker-build $want"
    cargo install --locked worker-build --version "$want" || cargo install worker-build --version "$want"
  fi
}

wasm_opt() {
  "$root/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue "$@"
}
