#!/usr/bin/env bash
# `npm start`: builds everything it needs, then serves the demo shop and the reference API at
# http://127.0.0.1:8080 (LOJAL_ADDR changes that). Ctrl-C stops it.
source "$(dirname "$0")/lib.sh"

bash "$ROOT/scripts/build.sh"
addr="${LOJAL_ADDR:-127.0.0.1:8080}"
log "demo shop: http://$addr/  (API under /api/v1, database in shop-api/data/)"
cd "$ROOT"
exec "$ROOT/target/release/shop-api" --addr "$addr"
