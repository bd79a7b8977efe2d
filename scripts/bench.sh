#!/usr/bin/env bash
# `npm run bench`: builds the bundle and the reference server, then measures what each kind of
# page downloads of lojal, what the badge costs a page (transfer sizes, time to ready, layout
# shift and heap, in Debian's Chromium), the carousel next to embla-carousel, swiper and Splide,
# the wheel and scratch card next to spin-wheel and scratchcard-js (tests/bench/peers/, installed into target/bench/peers), and the reference
# API under load with wrk.
# Usage: scripts/bench.sh [--runs N] [--api-seconds S] [--parts badge,carousel,games,api,recs]
#   (report in target/bench/report.{json,md}). With only api and recs, no bundle or browser is
#   built; the api part starts a throwaway PostgreSQL for its PostgreSQL rows.
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

parts=badge,carousel,games,api,recs
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --parts) parts="${args[i + 1]:-}" ;;
    --parts=*) parts="${args[i]#--parts=}" ;;
  esac
done
has_part() { [[ ",$parts," == *",$1,"* ]]; }

ensure_node_modules
ensure_wrk
if has_part badge || has_part carousel || has_part games; then
  ensure_chromium
  ensure_twiggy
  bash "$ROOT/scripts/build.sh"

  # The shipped wasm has no function names. For twiggy's table, optimise each family's named
  # build the same way but keep the names (-g), so the sizes it reports are the shipped ones.
  for family in badge carousel feedback games; do
    "$ROOT/node_modules/.bin/wasm-opt" -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
      "$WASM_TARGET_DIR/lojal_${family}_named.wasm" -o "$WASM_TARGET_DIR/lojal_${family}_named_opt.wasm"
  done
else
  log "only the server parts ($parts): building the reference server alone"
  cargo build --release -p shop-api --quiet
fi
if has_part api; then
  # The API's PostgreSQL rows: the tests' throwaway server (fsync off, as SQLite's WAL with
  # synchronous=NORMAL does not sync each commit either), with an empty database.
  start_test_postgres
  LOJAL_BENCH_DATABASE_URL="$(test_postgres_database bench)"
  export LOJAL_BENCH_DATABASE_URL
fi

log "benchmark: $parts"
node tests/bench/bench.mjs "$@"
