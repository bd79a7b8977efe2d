#!/usr/bin/env bash
# Builds the widget bundle into pkg/dist (wasm-bindgen --target web, wasm-opt -Oz, the loader)
# and the reference server. Usage: scripts/build.sh
source "$(dirname "$0")/lib.sh"

ensure_node_modules
ensure_wasm_bindgen

log "building the widget bundle (wasm)"
(
  use_wasm_toolchain
  cd "$ROOT"
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build --lib --quiet \
    --target "$WASM_TARGET" --profile wasm-release "${WASM_BUILD_STD[@]}"
)

raw="$WASM_TARGET_DIR/$WASM_TARGET/wasm-release/lojal.wasm"
rm -rf "$DIST" && mkdir -p "$DIST"
"$WASM_BINDGEN" --target web --no-typescript --out-dir "$DIST" --out-name lojal_wasm "$raw"
# The feature flags name what rustc 1.96 emits for wasm32 by default.
"$ROOT/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
  "$DIST/lojal_wasm_bg.wasm" -o "$DIST/lojal_wasm_bg.wasm"
cp "$ROOT/src/mount/lojal.js" "$DIST/lojal.js"

log "building the reference server"
(cd "$ROOT" && cargo build --release --quiet -p shop-api)

log "bundle: $(du -b "$DIST/lojal_wasm_bg.wasm" | cut -f1) bytes wasm, $(cat "$DIST"/*.js | wc -c) bytes js"
