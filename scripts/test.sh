#!/usr/bin/env bash
# `npm test`: every check the project has, cheapest first. Installs what it needs.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

log "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "native tests: the pure core without any browser crate, then the reference API"
cargo test -p lojal --no-default-features --quiet
cargo test -p lojal-console --quiet
cargo test -p shop-api --quiet
log "the reference API again on PostgreSQL: the same tests, plus two instances on one database"
start_test_postgres
DATABASE_URL="$TEST_DATABASE_URL" cargo test -p shop-api --quiet
# Every fuzz input saved so far (seed corpus and past crashes) through the fuzz targets' checks.
cargo fmt --manifest-path fuzz/Cargo.toml --check
CARGO_TARGET_DIR="$ROOT/target/fuzz-replay" cargo test --manifest-path fuzz/Cargo.toml --lib --quiet

log "wasm-bindgen tests: DOM behaviour in headless Chromium"
run_wasm_browser_tests

bash "$ROOT/scripts/build.sh"

log "package checks: custom-elements.json against the code, and the size budget"
node --test --test-reporter=spec tests/package/

log "browser tests: Playwright in Chromium against the demo and a real shop-api"
ensure_php
# Two files at a time: each starts its own Chromium and shop-api on free ports and shares nothing,
# and most of a browser test is waiting (timeouts, retries, animations), not computing.
node --test --test-concurrency=2 --test-reporter=spec tests/e2e/

log "the durability and integration tests again, with the API on PostgreSQL (two processes on one queue)"
durability_url="$(test_postgres_database durability)"
DATABASE_URL="$durability_url" node --test --test-reporter=spec tests/e2e/durability.test.mjs
integrations_url="$(test_postgres_database integrations)"
DATABASE_URL="$integrations_url" node --test --test-reporter=spec tests/e2e/integrations.test.mjs
stop_test_postgres
log "every test passed"
