# Shared by the build, start and test scripts: paths, logging, and the toolchain bootstrap.
# Sourced, not run. Every step is idempotent and cached, so a second run costs seconds.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Outside the work tree on purpose: a fresh clone on the same machine (CI does exactly that)
# reuses the bootstrapped compiler and wasm-bindgen instead of spending ten minutes on them.
CACHE="${LOJAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lojal-toolchain}"
WASM_TARGET=wasm32-unknown-unknown
WASM_TARGET_DIR="$ROOT/target/wasm"
DIST="$ROOT/pkg/dist"

# Minutes and seconds since the outermost script started, so a slow stage shows in the log.
export LOJAL_T0="${LOJAL_T0:-$(date +%s)}"
log() {
  local t=$(($(date +%s) - LOJAL_T0))
  printf '\033[1mlojal:\033[0m [%dm%02ds] %s\n' $((t / 60)) $((t % 60)) "$*" >&2
}
die() { printf 'lojal: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_update_once() {
  [ -n "$apt_updated" ] && return
  log "apt-get update"
  as_root apt-get update -qq >/dev/null
  apt_updated=1
}

# Debian's rustc-web 1.96, unpacked (not installed) into the cache, for machines whose rustup
# has no wasm32 standard library and cannot download one. std is built from source with
# -Zbuild-std; RUSTC_BOOTSTRAP unlocks that flag on this stable compiler.
DEBIAN_RUST_VERSION=1.96.0+dfsg1-1~deb12u2
DEBIAN_RUST_PACKAGES=(
  "rustc-web=$DEBIAN_RUST_VERSION" "libstd-rust-web-dev=$DEBIAN_RUST_VERSION"
  libstd-rust-web-1.96 "rust-web-src=$DEBIAN_RUST_VERSION" libllvm22 lld-22 liblld-22
)

bootstrap_debian_rust() {
  local root="$CACHE/rustc-web-$DEBIAN_RUST_VERSION"
  if [ ! -x "$root/usr/bin/rustc" ]; then
    log "no $WASM_TARGET std in rustup: unpacking Debian's rustc-web into $root (once)"
    command -v apt-get >/dev/null || die "rustup lacks $WASM_TARGET and this is not a Debian machine: run 'rustup target add $WASM_TARGET'"
    apt_update_once
    local debs; debs="$(mktemp -d)"
    (cd "$debs" && apt-get download "${DEBIAN_RUST_PACKAGES[@]}" >/dev/null 2>&1) \
      || (cd "$debs" && as_root apt-get download "${DEBIAN_RUST_PACKAGES[@]}") \
      || die "apt-get download of ${DEBIAN_RUST_PACKAGES[*]} failed"
    rm -rf "$root.partial" && mkdir -p "$root.partial"
    for deb in "$debs"/*.deb; do dpkg -x "$deb" "$root.partial"; done
    rm -rf "$debs" "$root" && mv "$root.partial" "$root"
  fi
  export RUSTC="$root/usr/bin/rustc"
  export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export RUSTC_BOOTSTRAP=1
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$root/usr/lib/llvm-22/bin/wasm-ld"
  WASM_BUILD_STD=(-Zbuild-std=std,panic_abort)
  # Only possible when std is built here too: a panic traps at once instead of formatting a
  # message nobody sees (wasm32-unknown-unknown has no stderr), and panics carry no source
  # paths. Together 15 KB of brotli off the bundle. The release build alone uses them.
  WASM_SIZE_RUSTFLAGS="-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort"
}

# Sets WASM_BUILD_STD and, for the Debian path, RUSTC and friends. Only the wasm build sees them:
# callers run it in a subshell so native builds and `cargo test` keep the rustup toolchain.
use_wasm_toolchain() {
  WASM_BUILD_STD=()
  WASM_SIZE_RUSTFLAGS=
  if [ -z "${LOJAL_FORCE_DEBIAN_RUST:-}" ] && rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    return
  fi
  bootstrap_debian_rust
}

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
ensure_wasm_bindgen() {
  local version
  version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  [ -n "$version" ] || die "wasm-bindgen is not in Cargo.lock"
  local root="$CACHE/wasm-bindgen-$version"
  if [ ! -x "$root/bin/wasm-bindgen" ]; then
    log "installing wasm-bindgen-cli $version into $root (once, several minutes)"
    # Not --locked: one dependency version that 0.2.130's lock file names is gone from crates.io.
    cargo install wasm-bindgen-cli --version "$version" --root "$root.partial" --quiet
    rm -rf "$root" && mv "$root.partial" "$root"
  fi
  WASM_BINDGEN="$root/bin/wasm-bindgen"
  export WASM_BINDGEN_TEST_RUNNER="$root/bin/wasm-bindgen-test-runner"
}

# twiggy (wasm code-size profiler) for the benchmark's "what costs the most bytes" table.
TWIGGY_VERSION=0.8.0
ensure_twiggy() {
  local root="$CACHE/twiggy-$TWIGGY_VERSION"
  if [ ! -x "$root/bin/twiggy" ]; then
    log "installing twiggy $TWIGGY_VERSION into $root (once)"
    cargo install twiggy --version "$TWIGGY_VERSION" --root "$root.partial" --quiet
    rm -rf "$root" && mv "$root.partial" "$root"
  fi
  export LOJAL_TWIGGY="$root/bin/twiggy"
}

# playwright-core drives the browser, binaryen provides a wasm-opt new enough for rustc 1.96.
ensure_node_modules() {
  command -v npm >/dev/null || die "npm is missing: install Node.js 20 or newer"
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

CHROMIUM="${LOJAL_CHROMIUM:-/usr/bin/chromium}"
ensure_chromium() {
  if [ ! -x "$CHROMIUM" ]; then
    log "installing Debian's chromium"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  [ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM"
  export LOJAL_CHROMIUM="$CHROMIUM"
}

# php-cli runs the docs pages' WooCommerce snippets against the API (tests/e2e/signing.test.mjs).
ensure_php() {
  if ! command -v php >/dev/null; then
    log "installing Debian's php-cli"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli >/dev/null
  fi
  command -v php >/dev/null || die "no php after apt-get install php-cli"
}

# wasm-bindgen-test drives Chromium through chromedriver, with the flags of tests/webdriver.json.
run_wasm_browser_tests() {
  ensure_chromium
  ensure_wasm_bindgen
  (
    use_wasm_toolchain
    cd "$ROOT"
    export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
    export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$ROOT/tests/webdriver.json"
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$WASM_BINDGEN_TEST_RUNNER"
    CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo test --target "$WASM_TARGET" --test browser "${WASM_BUILD_STD[@]}"
  )
}

# A throwaway PostgreSQL for the shop-api tests: Debian's server (installed when missing), a
# data directory under /tmp, a free loopback port, trust authentication, stopped when the calling
# script exits. PostgreSQL refuses to run as root, so under root it runs as the `postgres` user
# (or `nobody`). Sets TEST_DATABASE_URL; any failure ends the script.
postgres_bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  done
}

free_port() {
  local port
  for _ in $(seq 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free loopback port found for PostgreSQL"
}

as_postgres_user() {
  if [ -n "$PG_TEST_USER" ]; then runuser -u "$PG_TEST_USER" -- "$@"; else "$@"; fi
}

start_test_postgres() {
  local bin
  bin="$(postgres_bin_dir)"
  if [ -z "$bin" ]; then
    log "no PostgreSQL server binaries: installing Debian's postgresql"
    apt_update_once
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin="$(postgres_bin_dir)"
  fi
  [ -n "$bin" ] || die "no initdb and pg_ctl under /usr/lib/postgresql/*/bin, even after apt-get install postgresql"
  PG_TEST_USER=
  if [ "$(id -u)" = 0 ]; then
    PG_TEST_USER=postgres
    id -u postgres >/dev/null 2>&1 || PG_TEST_USER=nobody
  fi
  PG_TEST_DIR="$(mktemp -d /tmp/lojal-postgres.XXXXXX)"
  [ -z "$PG_TEST_USER" ] || chown "$PG_TEST_USER" "$PG_TEST_DIR"
  trap stop_test_postgres EXIT
  local port
  port="$(free_port)"
  as_postgres_user "$bin/initdb" -D "$PG_TEST_DIR/data" -U lojal -A trust --no-locale -E UTF8 \
    >"$PG_TEST_DIR/initdb.log" 2>&1 || { cat "$PG_TEST_DIR/initdb.log" >&2; die "initdb failed"; }
  # fsync off: the data is thrown away, and the tests check locking, not crash safety.
  as_postgres_user "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" \
    start >/dev/null || { cat "$PG_TEST_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  TEST_DATABASE_URL="postgres://lojal@127.0.0.1:$port/postgres"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests at $TEST_DATABASE_URL"
}

# A new, empty database on the test server; prints its URL. shop-api migrates it on start.
test_postgres_database() {
  local bin port
  bin="$(postgres_bin_dir)"
  port="${TEST_DATABASE_URL##*:}"
  port="${port%%/*}"
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U lojal "$1" || die "createdb $1 failed"
  echo "${TEST_DATABASE_URL%/*}/$1"
}

stop_test_postgres() {
  if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR" ]; then
    as_postgres_user "$(postgres_bin_dir)/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
