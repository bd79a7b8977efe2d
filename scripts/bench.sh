#!/usr/bin/env bash
# `npm run bench`: builds the bundle and the reference server, then measures what the badge costs
# a page: transfer sizes, time to ready, layout shift and heap, in Debian's Chromium.
# Usage: scripts/bench.sh [--runs N]   (report in target/bench/report.{json,md})
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_node_modules
ensure_chromium
ensure_twiggy
bash "$ROOT/scripts/build.sh"

# The shipped wasm has no function names. For twiggy's table, optimise the named build the
# same way but keep the names (-g), so the sizes it reports are the shipped ones.
"$ROOT/node_modules/.bin/wasm-opt" -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
  "$WASM_TARGET_DIR/lojal_named.wasm" -o "$WASM_TARGET_DIR/lojal_named_opt.wasm"

log "benchmark: sizes, then the demo page in headless Chromium"
node tests/bench/bench.mjs "$@"
