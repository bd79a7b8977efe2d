// A theme developer's path: `npm pack` the package, install the tarball into a fresh
// React + Vite + TypeScript app (tests/consumer), type-check and build it, serve the build from a
// real shop-api, and see the badge render the shopper's balance inside React's tree; then the
// same app's server-rendered shop, hydrated, with its own router.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  for (const family of ['badge', 'carousel', 'feedback', 'games', 'storefront', 'order', 'campaign', 'all']) {
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
  // Each family's strings in each locale but English, as files too: inlined (Vite does so below
  // 4 KB unless told `?no-inline`), all of them would weigh on every page of the app.
  const locales = readdirSync(join(ROOT, 'locales')).filter((f) => f !== 'en.json').length;
  assert.equal(assets.filter((f) => /^lojal_[a-z]+\.[A-Za-z-]+\.[0-9a-f]{12}-.*\.json$/.test(f)).length, 4 * locales, `${assets}`);
  for (const script of assets.filter((f) => f.endsWith('.js'))) {
    assert.doesNotMatch(readFileSync(join(app, 'dist', 'assets', script), 'utf8'), /data:application\/json/, `${script} inlines no strings`);
  }

  const shop = await startShop({ www: join(app, 'dist') });
  try {
    const page = await openPage(browser);
    const wasmRequests = [];
    const stringsRequests = [];
    page.on('request', (r) => r.url().endsWith('.wasm') && wasmRequests.push(new URL(r.url()).pathname));
    page.on('request', (r) => /\/lojal_[a-z]+\.[A-Za-z-]+\.[0-9a-f]{12}\b[^/]*\.json$/.test(r.url()) && stringsRequests.push(new URL(r.url()).pathname));
    await page.goto(shop.url);
    const points = page.locator('#badge [part=points]');
    await points.waitFor();
    assert.equal(plain(await points.textContent()), '1 250 poeng');
    assert.equal(wasmRequests.length, 1, `the badge's wasm alone: ${wasmRequests}`);
    assert.match(wasmRequests[0], /^\/assets\/lojal_badge_bg\b/, 'the badge’s wasm comes from the app’s own bundle');
    // The page speaks Bokmål: the badge's Bokmål strings come too, from the app's own bundle.
    await page.waitForLoadState('networkidle');
    assert.deepEqual(stringsRequests.map((p) => p.match(/^\/assets\/lojal_([a-z]+\.[A-Za-z-]+)\./)?.[1]), ['badge.nb'], `${stringsRequests}`);
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

// Issue 22: a headless shop. The app the test above built renders shop.html on the server with
// react-dom/server, lojal imported (in this Node process, which has no DOM), and is hydrated in
// Chromium: the widgets work, the boxes were reserved before any script ran, and a card's click
// goes to the app's router without a page load.
test('the package in a server-rendered React 19 app: imported on the server it does nothing, the page hydrates, and a router takes over a card\'s click', async () => {
  assert.ok(existsSync(join(app, 'dist-server', 'server.js')), 'the consumer app was built by the test above');
  const before = new Set(Object.keys(globalThis));
  const { render } = await import(pathToFileURL(join(app, 'dist-server', 'server.js')).href);
  assert.deepEqual(Object.keys(globalThis).filter((k) => !before.has(k)), ['__lojal'], 'the import adds its empty registry and nothing else');
  assert.equal(globalThis.__lojal.defined, false, 'nothing defined without a DOM');
  const markup = render('/shop.html', 'c-1001', '{{sig:c-1001}}');
  assert.match(markup, /<lojal-badge id="badge" customer-id="c-1001" customer-sig="\{\{sig:c-1001\}\}"><\/lojal-badge>/);
  assert.match(markup, /<lojal-carousel id="recs" intent="popular" limit="4" title="Populært nå"><\/lojal-carousel>/);
  const template = join(app, 'dist', 'shop.html');
  const html = readFileSync(template, 'utf8');
  assert.match(html, /<link rel="stylesheet"[^>]+\.css">/, 'lojal.css is linked in the head');
  writeFileSync(template, html.replace('<!--app-->', markup));
  // The shop's product pictures, which the API's answers name by path.
  cpSync(join(ROOT, 'www', 'img'), join(app, 'dist', 'img'), { recursive: true });

  const shop = await startShop({ www: join(app, 'dist') });
  try {
    // Before any script: the server's markup alone, its boxes reserved by lojal.css.
    const still = await openPage(browser, `${shop.url}/shop.html`, { javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const reserved = await still.evaluate(() => ({
      badge: [document.querySelector('#badge').offsetWidth, document.querySelector('#badge').offsetHeight],
      rail: document.querySelector('#recs').offsetHeight,
    }));
    assert.deepEqual(reserved, { badge: [240, 52], rail: 396 }, 'each box is reserved before the elements are defined');
    await still.context().close();

    const page = await openPage(browser, null, { viewport: { width: 1280, height: 900 } });
    const loads = [];
    page.on('load', () => loads.push(page.url()));
    await page.goto(`${shop.url}/shop.html`);
    await page.locator('#badge [part=points]').waitFor();
    assert.equal(plain(await page.locator('#badge [part=points]').textContent()), '1 250 poeng');
    const cards = page.locator('#recs [part=card]');
    await cards.first().waitFor();
    assert.equal(await cards.count(), 4);
    assert.equal(await page.locator('#recs [part=title]').textContent(), 'Populært nå');
    assert.equal(await page.locator('#recs').evaluate((el) => el.offsetHeight), reserved.rail, 'the rail fills the box the server reserved');
    await page.screenshot({ path: join(ARTIFACTS, 'consumer-ssr-home.png') });

    // A card's click: the app's router moves, the page stays.
    await page.evaluate(() => (window.marker = 'the hydrated document'));
    const href = await cards.nth(1).getAttribute('href');
    const id = new URL(href, shop.url).searchParams.get('id');
    await cards.nth(1).click();
    await page.locator('#heading', { hasText: `Produkt ${id}` }).waitFor();
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, href);
    assert.equal(await page.evaluate(() => window.marker), 'the hydrated document', 'no page load');
    assert.deepEqual(loads, [`${shop.url}/shop.html`], 'one document only');
    // React passed the new route's attributes to the same element: it now shows what goes with the product.
    await page.locator('#recs [part=title]', { hasText: 'Kjøpes ofte sammen' }).waitFor();
    // And, from this client render on, React's `onlojal:recommendation-view` prop hears its view events.
    await page.waitForFunction(() => Number(document.querySelector('#views').textContent) > 0);
    const body = await (await fetch(`${shop.url}/api/v1/recommendations?product_id=${id}&intent=bought-together&limit=4`)).json();
    await page.waitForFunction((want) => JSON.stringify([...document.querySelector('#recs').shadowRoot.querySelectorAll('[part=name]')].map((n) => n.textContent)) === JSON.stringify(want), body.products.map((p) => p.title));
    await page.screenshot({ path: join(ARTIFACTS, 'consumer-ssr-product.png') });
    // Back: the router's popstate, still the same document.
    await page.goBack();
    await page.locator('#heading', { hasText: 'Forsiden' }).waitFor();
    assert.equal(await page.evaluate(() => window.marker), 'the hydrated document');
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, [], 'no hydration mismatch, no widget error');
  } finally {
    await shop.stop();
  }
});
