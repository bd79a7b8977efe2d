#!/usr/bin/env bash
# Builds the widget bundle into pkg/dist (one wasm per widget family, and bundles of several:
# wasm-bindgen --target web, wasm-opt -Oz; the loader), the merchant console into console/dist
# (its own wasm, never in pkg/dist) and the reference server. Usage: scripts/build.sh
source "$(dirname "$0")/lib.sh"

ensure_node_modules
ensure_wasm_bindgen

# One wasm per widget family (families/*): a page downloads only the families its elements
# belong to. And bundles of several families in one wasm, which the loader fetches instead when a
# page starts with elements of several families and that costs fewer bytes: `storefront`
# (families/storefront: the badge and the carousel, a shop's front and product pages), `order`
# (families/order: the badge and the feedback prompts, its order and thank-you page), `campaign`
# (families/campaign: the badge and the games, its campaign page) and `all` (families/all: every
# family). One cargo invocation builds all eight, so std, Leptos and the lojal crate compile
# once; each is then linked (and LTO-optimised) on its own.
FAMILIES=(badge carousel feedback games)
WASMS=("${FAMILIES[@]}" storefront order campaign all)
CONSOLE_DIST="$ROOT/console/dist"
log "building the widget bundle (wasm, one per family: ${FAMILIES[*]}; and the bundles storefront, order, campaign and all) and the merchant console"
(
  use_wasm_toolchain
  cd "$ROOT"
  # The console shares the build (std and Leptos compile once) and links on its own. Its
  # router's dependencies unify a few features into the families' (futures', gloo-net's
  # defaults); built apart, the families measured within 0.2 KB brotli of this, either way.
  packages=(-p lojal-console)
  for family in "${WASMS[@]}"; do packages+=(-p "lojal-$family"); done
  # Cargo's messages say where build.rs wrote the strings files (below). On a fresh clone
  # nothing has made the target directory yet, and the redirection needs it.
  mkdir -p "$WASM_TARGET_DIR"
  CARGO_TARGET_DIR="$WASM_TARGET_DIR" RUSTFLAGS="$WASM_SIZE_RUSTFLAGS" cargo build --quiet "${packages[@]}" \
    --target "$WASM_TARGET" --profile wasm-release "${WASM_BUILD_STD[@]}" \
    --message-format=json-render-diagnostics > "$WASM_TARGET_DIR/build-messages.json"
  # The size budget differs with how std was built (tests/package/size-budget.json).
  if [ ${#WASM_BUILD_STD[@]} -gt 0 ]; then echo built-here; else echo prebuilt; fi > "$WASM_TARGET_DIR/std-build"
)

rm -rf "$DIST" && mkdir -p "$DIST"
# Content-hashed names, so a CDN can cache the wasm and its glue forever; only the small loader,
# whose name merchants paste, is revalidated. Each rename is checked to have hit exactly once.
hash_of() { sha256sum "$1" | cut -c1-12; }
rename_reference() { # file, old name, new name
  [ "$(grep -c -F "'$2'" "$1")" = 1 ] || die "expected one reference to '$2' in $1"
  sed -i "s|'$2'|'$3'|" "$1"
}
# The JavaScript is minified last (terser may change the quotes the renames look for): the
# loader is what every page of a theme downloads, so its comments stay in src/mount/lojal.js.
minify() { "$ROOT/node_modules/.bin/terser" "$1" --module --compress --mangle --output "$1"; }
# The feature flags name what rustc 1.96 emits for wasm32 by default.
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-reference-types --enable-multivalue --enable-mutable-globals)
wasm_opt() { "$ROOT/node_modules/.bin/wasm-opt" -Oz "${WASM_FEATURES[@]}" "$@"; }
# leptos asks for server_fn's `browser` feature even for CSR, and that brings wasm-streams, whose
# stream adapters (IntoUnderlyingSource, IntoUnderlyingSink, IntoUnderlyingByteSource) every wasm
# exports and nothing in lojal uses; no cargo feature turns them off. This takes their classes out
# of the glue and their exports out of the wasm (wasm-metadce), before wasm-opt drops the code only
# they reached; it fails if their names change. Run right after wasm-bindgen.
drop_streams() { # glue, wasm
  node "$ROOT/scripts/drop-streams.mjs" "$1" "$2" "$ROOT/node_modules/.bin/wasm-metadce" "${WASM_FEATURES[@]}"
}

cp "$ROOT/src/mount/lojal.js" "$DIST/lojal.js"
# terser leaves a template string as it is: the placeholder's CSS loses its layout whitespace here
# (around braces, semicolons and commas, after colons, and a rule's last semicolon).
node -e 'const { readFileSync, writeFileSync } = require("node:fs");
  const file = process.argv[1], loader = readFileSync(file, "utf8");
  const squeezed = loader.replace(/(const PLACEHOLDER_CSS = `)([^`]*)/, (_, head, css) =>
    head + css.replace(/\s+/g, " ").replace(/ ?([{};,]) ?/g, "$1").replace(/: /g, ":").replace(/;}/g, "}").trim());
  if (squeezed === loader) throw new Error(`${file}: no PLACEHOLDER_CSS to squeeze`);
  writeFileSync(file, squeezed);' "$DIST/lojal.js"
# The same boxes for the page before the loader runs (server-rendered markup): `:not(:defined)`.
node "$ROOT/scripts/reserve-css.mjs" "$ROOT/src/mount/lojal.js" > "$DIST/lojal.css"
shipped=()
for family in "${WASMS[@]}"; do
  name="lojal_$family"
  "$WASM_BINDGEN" --target web --no-typescript --out-dir "$DIST" --out-name "$name" \
    "$WASM_TARGET_DIR/$WASM_TARGET/wasm-release/$name.wasm"
  drop_streams "$DIST/$name.js" "$DIST/${name}_bg.wasm"
  # wasm-opt drops the function names; twiggy (scripts/bench.sh, docs) needs them.
  cp "$DIST/${name}_bg.wasm" "$WASM_TARGET_DIR/${name}_named.wasm"
  wasm_opt "$DIST/${name}_bg.wasm" -o "$DIST/${name}_bg.wasm"
  wasm_name="${name}_bg.$(hash_of "$DIST/${name}_bg.wasm").wasm"
  mv "$DIST/${name}_bg.wasm" "$DIST/$wasm_name"
  rename_reference "$DIST/$name.js" "${name}_bg.wasm" "$wasm_name"
  minify "$DIST/$name.js"
  glue_name="$name.$(hash_of "$DIST/$name.js").js"
  mv "$DIST/$name.js" "$DIST/$glue_name"
  rename_reference "$DIST/lojal.js" "./$name.js" "./$glue_name"
  rename_reference "$DIST/lojal.js" "./${name}_bg.wasm" "./$wasm_name"
  log "$family: $(du -b "$DIST/$wasm_name" | cut -f1) bytes wasm ($wasm_name), $(du -b "$DIST/$glue_name" | cut -f1) bytes glue"
  shipped+=("$wasm_name" "$glue_name")
done
# Each family's strings in every shipped locale but English (which its wasm carries), as the lojal
# crate's build.rs cut them out of locales/: one file per family and locale, which the loader
# fetches beside the wasm for the locales a page speaks. Named with a hash of the family's files
# together, so that the loader's table of them, its `const strings = {};` line, stays small: a
# change in one renames its family's six.
strings_out=$(node -e 'const { readFileSync } = require("node:fs");
  const dirs = new Set(readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse)
    .filter((m) => m.reason === "build-script-executed" && /[\/]build[\/]lojal-[0-9a-f]{16}[\/]out$/.test(m.out_dir))
    .map((m) => m.out_dir));
  if (dirs.size === 0) throw new Error("cargo reported no build script output of the lojal crate");
  console.log(`${[...dirs][0]}/locales`);' "$WASM_TARGET_DIR/build-messages.json")
table=
for family in "${FAMILIES[@]}"; do
  tags=()
  for file in "$strings_out/$family"/*.json; do
    tag=$(basename "$file" .json)
    [ "$tag" = en ] || tags+=("$tag")
  done
  [ ${#tags[@]} -gt 0 ] || die "no strings files of the $family family in $strings_out"
  hash=$(for tag in "${tags[@]}"; do echo "$tag"; cat "$strings_out/$family/$tag.json"; done | sha256sum | cut -c1-12)
  entries=
  for tag in "${tags[@]}"; do
    name="lojal_$family.$tag.$hash.json"
    cp "$strings_out/$family/$tag.json" "$DIST/$name"
    shipped+=("$name")
    # `?no-inline`: Vite inlines files under 4 KB into the app's JavaScript otherwise, every
    # locale's; servers and CDNs ignore it.
    entries+="${entries:+, }'$tag': new URL('./$name?no-inline', import.meta.url)"
  done
  table+="${table:+, }$family: { $entries }"
done
[ "$(grep -c '^const strings = {};$' "$DIST/lojal.js")" = 1 ] || die "expected one 'const strings = {};' line in the loader"
sed -i "s|^const strings = {};\$|const strings = { $table };|" "$DIST/lojal.js"
log "strings: ${#tags[@]} locales besides English for each of ${FAMILIES[*]}"
# The loader chooses between the families' wasm and the bundles by what they cost a page: it gets
# each one's brotli bytes, glue and wasm together, as measured here (its `const bytes = …;` line).
node "$ROOT/scripts/precompress.mjs" "$DIST" "${shipped[@]}"
measured=
for family in "${WASMS[@]}"; do
  measured+="${measured:+, }$family: $(cat "$DIST/lojal_$family".*.js.br "$DIST/lojal_${family}_bg".*.wasm.br | wc -c)"
done
[ "$(grep -c '^const bytes = {.*};$' "$DIST/lojal.js")" = 1 ] || die "expected one 'const bytes = { … };' line in the loader"
sed -i "s|^const bytes = {.*};\$|const bytes = { $measured };|" "$DIST/lojal.js"
log "brotli bytes of glue and wasm: $measured"
minify "$DIST/lojal.js"

# What theme developers and their tools read: the element manifest and the TypeScript types
# generated from it, and the tag a merchant pastes.
cp "$ROOT/pkg/custom-elements.json" "$DIST/custom-elements.json"
cp "$ROOT/LICENSE" "$ROOT/pkg/LICENSE"
node "$ROOT/scripts/types.mjs" "$ROOT/pkg/custom-elements.json" > "$DIST/lojal.d.ts"
cat > "$DIST/snippet.html" <<'HTML'
<script type="module" src="https://YOUR-CDN/lojal/lojal.js" data-api="https://YOUR-SHOP/api/v1" data-locale="nb" async></script>
HTML
node "$ROOT/scripts/precompress.mjs" "$DIST" lojal.js

# The merchant console: its own folder, served by shop-api under /console/ to a signed-in
# merchant only. Content-hashed like the widgets' files; index.html names them.
rm -rf "$CONSOLE_DIST" && mkdir -p "$CONSOLE_DIST"
"$WASM_BINDGEN" --target web --no-typescript --out-dir "$CONSOLE_DIST" --out-name lojal_console \
  "$WASM_TARGET_DIR/$WASM_TARGET/wasm-release/lojal_console.wasm"
drop_streams "$CONSOLE_DIST/lojal_console.js" "$CONSOLE_DIST/lojal_console_bg.wasm"
wasm_opt "$CONSOLE_DIST/lojal_console_bg.wasm" -o "$CONSOLE_DIST/lojal_console_bg.wasm"
console_wasm="lojal_console_bg.$(hash_of "$CONSOLE_DIST/lojal_console_bg.wasm").wasm"
mv "$CONSOLE_DIST/lojal_console_bg.wasm" "$CONSOLE_DIST/$console_wasm"
rename_reference "$CONSOLE_DIST/lojal_console.js" lojal_console_bg.wasm "$console_wasm"
minify "$CONSOLE_DIST/lojal_console.js"
console_glue="lojal_console.$(hash_of "$CONSOLE_DIST/lojal_console.js").js"
mv "$CONSOLE_DIST/lojal_console.js" "$CONSOLE_DIST/$console_glue"
sed "s|CONSOLE_GLUE|$console_glue|" "$ROOT/console/static/boot.js" > "$CONSOLE_DIST/boot.js"
console_boot="boot.$(hash_of "$CONSOLE_DIST/boot.js").js"
mv "$CONSOLE_DIST/boot.js" "$CONSOLE_DIST/$console_boot"
console_css="console.$(hash_of "$ROOT/console/static/console.css").css"
cp "$ROOT/console/static/console.css" "$CONSOLE_DIST/$console_css"
sed -e "s|CONSOLE_BOOT|$console_boot|" -e "s|CONSOLE_CSS|$console_css|" \
  "$ROOT/console/static/index.html" > "$CONSOLE_DIST/index.html"
node "$ROOT/scripts/precompress.mjs" "$CONSOLE_DIST"
log "console: $(du -b "$CONSOLE_DIST/$console_wasm" | cut -f1) bytes wasm, $(du -b "$CONSOLE_DIST/$console_glue" | cut -f1) bytes glue"

log "building the reference server"
(cd "$ROOT" && cargo build --release --quiet -p shop-api)

log "bundle: $(cat "$DIST"/*.wasm | wc -c) bytes wasm in ${#FAMILIES[@]} families and $((${#WASMS[@]} - ${#FAMILIES[@]})) bundles of several, $(cat "$DIST"/*.js | wc -c) bytes js"
