#!/usr/bin/env bash
# `npm run bench`: builds the bundle and the reference server, then measures what the badge costs
# a page: transfer sizes, time to ready, layout shift and heap, in Debian's Chromium.
# Usage: scripts/bench.sh [--runs N]   (report in target/bench/report.{json,md})
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_node_modules
ensure_chromium
bash "$ROOT/scripts/build.sh"

log "benchmark: sizes, then the demo page in headless Chromium"
node tests/bench/bench.mjs "$@"
