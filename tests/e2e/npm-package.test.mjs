// A theme developer's path: `npm pack` the package, install the tarball into a fresh
// React + Vite + TypeScript app (tests/consumer), type-check and build it, serve the build from a
// real shop-api, and see the badge render the shopper's balance inside React's tree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startShop, launch, openPage, plain } from './harness.mjs';

let browser;
let app;
before(async () => {
  browser = await launch();
  app = mkdtempSync(join(tmpdir(), 'lojal-consumer-'));
});
after(async () => {
  await browser?.close();
  rmSync(app, { recursive: true, force: true });
});

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });

test('the packed npm package installs, type-checks and builds in a Vite app, and its badge works inside React', async () => {
  const tarball = run('npm', ['pack', '--silent', '--pack-destination', app], join(ROOT, 'pkg')).trim().split('\n').pop();
  const listing = run('tar', ['-tzf', join(app, tarball)], app).split('\n');
  for (const file of ['package/dist/lojal.js', 'package/dist/lojal.d.ts', 'package/custom-elements.json', 'package/LICENSE', 'package/README.md', 'package/CHANGELOG.md']) {
    assert.ok(listing.includes(file), `${file} in ${tarball}`);
  }
  for (const family of ['badge', 'carousel', 'feedback', 'games']) {
    assert.ok(listing.some((f) => new RegExp(`^package/dist/lojal_${family}_bg\\.[0-9a-f]{12}\\.wasm$`).test(f)), `the ${family} family's wasm is packed`);
    assert.ok(listing.some((f) => new RegExp(`^package/dist/lojal_${family}\\.[0-9a-f]{12}\\.js$`).test(f)), `the ${family} family's glue is packed`);
  }

  cpSync(join(ROOT, 'tests', 'consumer'), app, { recursive: true });
  // Not `npm ci`: npm 11 leaves other platforms' optional rollup binaries out of the lock file
  // and then refuses it. `install` still takes every version the lock file pins.
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', join(app, tarball)], app);
  // `tsc --noEmit` checks the app against the package's declarations, then Vite bundles it.
  try {
    run('npm', ['run', '--silent', 'build'], app);
  } catch (error) {
    assert.fail(`the consumer app did not build:\n${error.stdout}\n${error.stderr}`);
  }
  const assets = readdirSync(join(app, 'dist', 'assets'));
  assert.ok(assets.some((f) => f.endsWith('.wasm')), `Vite emitted the wasm as an asset: ${assets}`);

  const shop = await startShop({ www: join(app, 'dist') });
  try {
    const page = await openPage(browser);
    const wasmRequests = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && wasmRequests.push(new URL(r.url()).pathname));
    await page.goto(shop.url);
    const points = page.locator('#badge [part=points]');
    await points.waitFor();
    assert.equal(plain(await points.textContent()), '1 250 poeng');
    assert.equal(wasmRequests.length, 1, `the badge's wasm alone: ${wasmRequests}`);
    assert.match(wasmRequests[0], /^\/assets\/lojal_badge_bg\b/, 'the badge’s wasm comes from the app’s own bundle');
    await page.screenshot({ path: join(ARTIFACTS, 'consumer-react-vite.png') });

    // React replaces the element when the shopper signs out; the new one mounts as a guest.
    await page.click('#sign-out');
    await page.locator('#badge [part=cta]').waitFor();
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
  } finally {
    await shop.stop();
  }
  assert.ok(readFileSync(join(app, 'dist', 'index.html'), 'utf8').includes('{{sig:c-1001}}'), 'the server, not the build, signs');
});
