// The bundle's size budgets (tests/package/size-budget.json), one for each kind of page: the
// brotli bytes of everything lojal's part of the page downloads from the built pkg/dist
// (pages.mjs says how they are counted). Sizes are deterministic: no timing here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST, PAGE_KINDS, bundles, familyFiles, familyOf, loaderBytes, pageSizes, stringsFiles } from './pages.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const budget = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'size-budget.json'), 'utf8'));

/** The budget that applies here: scripts/build.sh records whether std was built with the bundle. */
function limits() {
  const stdBuild = readFileSync(join(ROOT, 'target', 'wasm', 'std-build'), 'utf8').trim();
  assert.ok(['built-here', 'prebuilt'].includes(stdBuild), `target/wasm/std-build says '${stdBuild}'`);
  return { stdBuild, pages: stdBuild === 'built-here' ? budget.pages : budget.pages_prebuilt_std };
}

/** The failures of `sizes` against `pages`, one line each. */
export function overBudget(sizes, pages) {
  return Object.entries(sizes)
    .filter(([kind, { total }]) => !(total <= pages[kind]))
    .map(([kind, { total }]) => `${kind} page: ${total} B > budget ${pages[kind]} B`);
}

test('every element belongs to a family the build made, and every family to an element', () => {
  const families = familyOf();
  const files = familyFiles();
  assert.deepEqual(Object.keys(families).sort(), [...PAGE_KINDS.all].sort(), 'every element has a family');
  assert.deepEqual([...new Set(Object.values(families)), ...Object.keys(bundles())].sort(), Object.keys(files).sort(), 'every family, and every bundle of several, is built and named in the loader');
  for (const [bundle, covered] of Object.entries(bundles())) {
    for (const family of covered) assert.ok(Object.values(families).includes(family), `${bundle} bundles ${family}, a family of the loader`);
  }
});

test('the loader chooses by the brotli bytes of the files the build shipped', () => {
  const files = familyFiles();
  const bytes = loaderBytes();
  assert.deepEqual(Object.keys(bytes).sort(), Object.keys(files).sort(), 'bytes for every family and every bundle');
  for (const [family, [glue, wasm]] of Object.entries(files)) {
    // The .br files beside them are what shop-api and a CDN send.
    const shipped = statSync(join(DIST, `${glue}.br`)).size + statSync(join(DIST, `${wasm}.br`)).size;
    assert.equal(bytes[family], shipped, `${family}: the loader's bytes are its glue's and wasm's .br files`);
  }
});

test('every family\'s strings ship in every locale but English, which its wasm carries, precompressed', () => {
  const locales = readdirSync(join(ROOT, 'locales')).map((file) => file.replace(/\.json$/, '')).filter((tag) => tag !== 'en').sort();
  const texts = stringsFiles();
  assert.deepEqual(Object.keys(texts).sort(), [...new Set(Object.values(familyOf()))].sort(), 'strings for each family');
  for (const [family, files] of Object.entries(texts)) {
    assert.deepEqual(Object.keys(files).sort(), locales, `${family}: a file for each shipped locale but English`);
    for (const file of Object.values(files)) for (const suffix of ['.br', '.gz']) statSync(join(DIST, file + suffix));
  }
});

test('each kind of page stays within its brotli size budget', () => {
  const { stdBuild, pages } = limits();
  assert.deepEqual(Object.keys(pages).sort(), Object.keys(PAGE_KINDS).sort(), 'a budget for each kind of page');
  const sizes = pageSizes();
  const nb = pageSizes('nb');
  for (const [kind, { families, fetched, locale, files, total, english }] of Object.entries(sizes)) {
    const chosen = fetched.join(' + ') || 'no family';
    const what = families.length > 1 ? `${families.join(' + ')}, fetching ${chosen}` : chosen;
    console.log(`${kind} page (${what}): ${total} of ${pages[kind]} B brotli in ${locale ?? 'any locale'} (std ${stdBuild}); in nb ${nb[kind].total}, in English ${english} ${JSON.stringify(files)}`);
  }
  assert.deepEqual(overBudget(sizes, pages), []);
});

test('each budget is checked: one byte less than a page kind measures fails that kind alone', () => {
  const sizes = pageSizes();
  for (const [kind, { total }] of Object.entries(sizes)) {
    const tight = Object.fromEntries(Object.entries(sizes).map(([k, s]) => [k, k === kind ? total - 1 : s.total]));
    assert.deepEqual(overBudget(sizes, tight), [`${kind} page: ${total} B > budget ${total - 1} B`]);
  }
});
