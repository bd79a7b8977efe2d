// What each kind of page downloads of lojal: the loader, and the glue and wasm of each family its
// elements belong to, or of a bundle of several (`storefront`, `order`, `campaign`, `all`) where the loader chooses that, and
// the strings file of each of those families in the page's locale unless it is English, in brotli
// bytes (quality 11, what a CDN uses for static files). Which files those are is read from the
// built loader itself, with the bytes it chooses by, and which family draws each element from the
// loader's source, so a page kind's figure is what a browser fetches. Shared by the size budget
// (size.test.mjs) and the benchmark (tests/bench/bench.mjs).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = join(ROOT, 'pkg', 'dist');

export const brotli = (file) =>
  brotliCompressSync(readFileSync(join(DIST, file)), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** The loader's `const familyOf = { 'tag': 'family', … }` table. */
export function familyOf() {
  const source = readFileSync(join(ROOT, 'src', 'mount', 'lojal.js'), 'utf8');
  const block = source.match(/const familyOf = \{([\s\S]*?)\n\};/);
  assert.ok(block, 'src/mount/lojal.js has no `const familyOf = { … };` table');
  return Object.fromEntries([...block[1].matchAll(/'([a-z-]+)':\s*'([a-z]+)'/g)].map((m) => [m[1], m[2]]));
}

/** The files of each family, and of each bundle, as the built loader names them: { badge: [glue, wasm], … }. */
export function familyFiles() {
  const loader = readFileSync(join(DIST, 'lojal.js'), 'utf8');
  const files = readdirSync(DIST);
  const found = {};
  for (const [, family, hash] of loader.matchAll(/\.\/lojal_([a-z]+)\.([0-9a-f]{12})\.js/g)) {
    const wasm = loader.match(new RegExp(`\\./(lojal_${family}_bg\\.[0-9a-f]{12}\\.wasm)`));
    assert.ok(wasm, `the built loader names no wasm for the ${family} family`);
    found[family] = [`lojal_${family}.${hash}.js`, wasm[1]];
    for (const file of found[family]) assert.ok(files.includes(file), `${file}, named by the built loader, is in ${DIST}`);
  }
  return found;
}

/** Each family's strings files as the built loader names them: { badge: { da: 'lojal_badge.da.<hash>.json', … }, … }. */
export function stringsFiles() {
  const loader = readFileSync(join(DIST, 'lojal.js'), 'utf8');
  const files = readdirSync(DIST);
  const found = {};
  for (const [name, family, tag] of loader.matchAll(/lojal_([a-z]+)\.([A-Za-z-]+)\.[0-9a-f]{12}\.json/g)) {
    assert.ok(files.includes(name), `${name}, named by the built loader, is in ${DIST}`);
    (found[family] ??= {})[tag] = name;
  }
  return found;
}

/** The brotli bytes of each family's glue and wasm together, and of each bundle's, that
 *  scripts/build.sh wrote into the built loader for it to choose by: { badge: 206373, …, all: 373924 }. */
export function loaderBytes() {
  const loader = readFileSync(join(DIST, 'lojal.js'), 'utf8');
  // Minified: `{badge:206373,carousel:…,all:373924}` under whatever name terser gave it.
  const block = loader.match(/\{((?:[a-z]+:\d+,)+all:\d+)\}/);
  assert.ok(block, 'the built loader has no bytes table ending in `all`');
  return Object.fromEntries(block[1].split(',').map((pair) => pair.split(':')).map(([family, n]) => [family, Number(n)]));
}

/** The loader's `const bundles = { name: ['family', …], … };` table: the wasm files of several families. */
export function bundles() {
  const source = readFileSync(join(ROOT, 'src', 'mount', 'lojal.js'), 'utf8');
  const block = source.match(/const bundles = \{(.*)\};/);
  assert.ok(block, 'src/mount/lojal.js has no `const bundles = { … };` line');
  return Object.fromEntries([...block[1].matchAll(/([a-z]+): \[([^\]]*)\]/g)].map((m) => [m[1], [...m[2].matchAll(/'([a-z]+)'/g)].map((f) => f[1])]));
}

/** What the loader fetches for a page whose elements at the start belong to `families`: the
 *  cheapest cover in bytes, each family's own wasm or one bundle of two or more of them with the
 *  others' own (src/mount/lojal.js, `load`). */
export function fetches(families, bytes, bundleTable = bundles()) {
  const own = (list) => list.reduce((sum, family) => sum + bytes[family], 0);
  let best = own(families);
  let chosen = families;
  for (const [bundle, covered] of Object.entries(bundleTable)) {
    const rest = families.filter((f) => !covered.includes(f));
    const cost = bytes[bundle] + own(rest);
    if (families.filter((f) => covered.includes(f)).length > 1 && cost < best) {
      best = cost;
      chosen = [bundle, ...rest];
    }
  }
  return chosen;
}

// The kinds of page the budgets are for, by the elements on them.
export const PAGE_KINDS = {
  loader: [], // a page of the theme without any lojal element
  badge: ['lojal-badge'],
  carousel: ['lojal-carousel'],
  feedback: ['lojal-nps'],
  game: ['lojal-wheel'],
  // The demo's front and product pages: the storefront bundle.
  'badge+carousel': ['lojal-badge', 'lojal-carousel'],
  // An order or thank-you page with the badge and one prompt (the demo's ordre.html has all
  // three prompts, of the same family): the order bundle.
  'badge+feedback': ['lojal-badge', 'lojal-nps'],
  // A campaign page with the badge and a game (the demo's kampanje.html has the wheel and the
  // scratch card, of the same family): the campaign bundle.
  'badge+game': ['lojal-badge', 'lojal-wheel'],
  all: ['lojal-badge', 'lojal-carousel', 'lojal-nps', 'lojal-csat', 'lojal-review', 'lojal-wheel', 'lojal-scratch'],
};

/** What each kind of page downloads, file by file, in brotli bytes, in `locale` (the demo's is
 *  `nb`); without one, in the shipped locale where that kind of page is largest. `english` is the
 *  same page in English, which fetches no strings file. */
export function pageSizes(locale = null) {
  const families = familyOf();
  const files = familyFiles();
  const texts = stringsFiles();
  const bytes = loaderBytes();
  const sum = (sizes) => Object.values(sizes).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(PAGE_KINDS).map(([kind, tags]) => {
      const needed = [...new Set(tags.map((tag) => families[tag]))];
      const fetched = fetches(needed, bytes);
      for (const family of fetched) assert.ok(files[family], `the built loader loads no ${family} family`);
      const code = Object.fromEntries(['lojal.js', ...fetched.flatMap((family) => files[family])].map((file) => [file, brotli(file)]));
      // The strings of each family whose elements the page shows, whatever wasm draws them.
      const locales = locale ? [locale] : [...new Set(needed.flatMap((family) => Object.keys(texts[family] ?? {})))];
      const [chosen, strings] = locales
        .map((tag) => [tag, Object.fromEntries(needed.map((family) => texts[family]?.[tag]).filter(Boolean).map((file) => [file, brotli(file)]))])
        .reduce((worst, next) => (sum(next[1]) > sum(worst[1]) ? next : worst), [null, {}]);
      const sizes = { ...code, ...strings };
      return [kind, { families: needed, fetched, locale: chosen, files: sizes, total: sum(sizes), english: sum(code) }];
    }),
  );
}

