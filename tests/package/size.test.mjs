// The bundle's size budget (tests/package/size-budget.json), checked on the built pkg/dist with
// brotli at the quality a CDN uses for static files. Sizes are deterministic: no timing here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'pkg', 'dist');
const budget = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'size-budget.json'), 'utf8'));

const brotli = (file) =>
  brotliCompressSync(readFileSync(join(DIST, file)), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

test('the bundle stays within its brotli size budget', () => {
  const files = readdirSync(DIST);
  const loader = 'lojal.js';
  const glue = files.find((f) => /^lojal_wasm\.[0-9a-f]{12}\.js$/.test(f));
  const wasm = files.find((f) => /^lojal_wasm_bg\.[0-9a-f]{12}\.wasm$/.test(f));
  assert.ok(files.includes(loader) && glue && wasm, `a built bundle in ${DIST} (run scripts/build.sh): ${files}`);
  const sizes = { loader: brotli(loader), glue: brotli(glue), wasm: brotli(wasm) };
  const total = sizes.loader + sizes.glue + sizes.wasm;
  // scripts/build.sh records whether std was built with the bundle (and so could be trimmed).
  const stdBuild = readFileSync(join(ROOT, 'target', 'wasm', 'std-build'), 'utf8').trim();
  assert.ok(['built-here', 'prebuilt'].includes(stdBuild), `target/wasm/std-build says '${stdBuild}'`);
  const limit = stdBuild === 'built-here' ? budget.total : budget.total_prebuilt_std;
  console.log(`brotli bytes: ${JSON.stringify(sizes)}, total ${total} of ${limit} (std ${stdBuild})`);
  assert.ok(sizes.loader <= budget.loader, `loader ${sizes.loader} B > budget ${budget.loader} B`);
  assert.ok(total <= limit, `bundle ${total} B > budget ${limit} B`);
});
