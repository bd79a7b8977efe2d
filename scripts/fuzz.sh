#!/usr/bin/env bash
# `npm run fuzz`: coverage-guided fuzzing of the pure core with cargo-fuzz (libFuzzer) on the
# nightly toolchain, each target for a bounded time. New interesting inputs go to a working
# corpus under target/; a crash is copied to fuzz/regressions/<target>/, where `npm test`
# replays it from then on. Usage: scripts/fuzz.sh [seconds per target, default 60]
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SECONDS_PER_TARGET="${1:-60}"
CARGO_FUZZ_VERSION=0.13.1

rustup toolchain list | grep -q '^nightly' || die "cargo fuzz needs the nightly toolchain: rustup toolchain install nightly"
fuzz_root="$CACHE/cargo-fuzz-$CARGO_FUZZ_VERSION"
if [ ! -x "$fuzz_root/bin/cargo-fuzz" ]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $fuzz_root (once)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --root "$fuzz_root.partial" --quiet
  rm -rf "$fuzz_root" && mv "$fuzz_root.partial" "$fuzz_root"
fi
export PATH="$fuzz_root/bin:$PATH"

failed=()
for target in $(cd fuzz && cargo +nightly fuzz list); do
  work="$ROOT/target/fuzz-corpus/$target"
  mkdir -p "$work" "fuzz/artifacts/$target"
  log "fuzzing $target for ${SECONDS_PER_TARGET}s"
  if ! (cd fuzz && cargo +nightly fuzz run --features libfuzzer "$target" "$work" "corpus/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -print_final_stats=1); then
    mkdir -p "fuzz/regressions/$target"
    cp fuzz/artifacts/"$target"/* "fuzz/regressions/$target/" 2>/dev/null || true
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  die "crashes in: ${failed[*]}; inputs saved under fuzz/regressions/ (commit them with the fix)"
fi
log "no crashes"
