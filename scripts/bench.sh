#!/usr/bin/env bash
# `npm run bench`: builds the bundle and the reference server, then measures what each kind of
# page downloads of lojal, what the badge costs a page (transfer sizes, time to ready, layout
# shift and heap, in Debian's Chromium), the carousel next to embla-carousel, swiper and Splide,
# the wheel and scratch card next to spin-wheel and scratchcard-js (tests/bench/peers/, installed into target/bench/peers), and the reference
# API under load with wrk.
# Usage: scripts/bench.sh [--runs N] [--api-seconds S] [--parts badge,carousel,games,api]
#   (report in target/bench/report.{json,md})
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The HTTP load generator for the API part, from Debian's packages.
ensure_wrk() {
  if ! command -v wrk >/dev/null; then
    log "installing Debian's wrk"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
  command -v wrk >/dev/null || die "no wrk on PATH"
}

ensure_node_modules
ensure_chromium
ensure_twiggy
ensure_wrk
bash "$ROOT/scripts/build.sh"

# The shipped wasm has no function names. For twiggy's table, optimise each family's named build
# the same way but keep the names (-g), so the sizes it reports are the shipped ones.
for family in badge carousel feedback games; do
  "$ROOT/node_modules/.bin/wasm-opt" -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
    "$WASM_TARGET_DIR/lojal_${family}_named.wasm" -o "$WASM_TARGET_DIR/lojal_${family}_named_opt.wasm"
done

log "benchmark: sizes, the demo page, the carousels and the games in headless Chromium, then the API"
node tests/bench/bench.mjs "$@"
