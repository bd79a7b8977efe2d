// Coupons the shop's checkout takes, as the shopper sees them in Chromium: the reference API
// creates each code at a stand-in Shopify (tests/e2e/standins.mjs, after Shopify's documented
// Admin GraphQL shapes) that is slow or refuses, and the badge and the wheel say the code is on
// its way, then show it, or say why it did not come.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, openPage, api, plain, sign, ARTIFACTS, ROOT, startShop } from './harness.mjs';
import { standInShopify, providerEnv } from './standins.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

async function withPlatform(options, fn) {
  const platform = await standInShopify(options);
  const shop = await startShop({ env: providerEnv(platform.url) });
  try {
    await fn(shop, platform);
  } finally {
    await shop.stop();
    await platform.close();
  }
}

const inBadge = (page, selector) => page.locator(`lojal-badge ${selector}`);

test('a reward’s code from a slow Shopify shows as on its way, then the code, which exists at Shopify', () =>
  withPlatform({ delayMs: 2500 }, async (shop, platform) => {
    const page = await openPage(browser, shop.url);
    await inBadge(page, '[part=points]').waitFor();
    await page.evaluate(() => {
      window.__redeemed = [];
      document.addEventListener('lojal:redeem', (e) => window.__redeemed.push(e.detail));
    });
    await inBadge(page, '[part=trigger]').click();
    await inBadge(page, '[part=redeem]').first().click();
    const waiting = inBadge(page, '.coupon.waiting');
    await waiting.waitFor();
    assert.equal(plain(await waiting.textContent()), 'Koden for «Gratis frakt» er på vei fra butikken …');
    // No code the checkout would refuse is ever shown, and the page hears of none yet.
    assert.equal(await inBadge(page, '[part=code]').count(), 0);
    assert.deepEqual(await page.evaluate(() => window.__redeemed), []);
    await page.screenshot({ path: join(ARTIFACTS, 'badge-coupon-pending.png') });

    const code = inBadge(page, '[part=coupon] [part=code]');
    await code.waitFor({ timeout: 20_000 });
    const shown = await code.textContent();
    assert.ok(platform.coupons.has(shown), `${shown} was created at the platform`);
    await page.waitForFunction(() => window.__redeemed.length === 1);
    assert.equal((await page.evaluate(() => window.__redeemed))[0].code, shown);
    // Charged once; the code is also in her status for the next page.
    const { body } = await api(shop, '/loyalty/c-1001', { signature: sign('c-1001') });
    assert.equal(body.points, 950);
    assert.deepEqual(body.coupons.map((c) => c.code), [shown]);
    assert.deepEqual(page.pageErrors, []);
  }));

test('a reward Shopify refuses gives her points back, and the badge says so', () =>
  withPlatform({ refuse: true }, async (shop) => {
    const page = await openPage(browser, shop.url);
    await inBadge(page, '[part=points]').waitFor();
    await inBadge(page, '[part=trigger]').click();
    await inBadge(page, '[part=redeem]').first().click();
    const failed = inBadge(page, '.coupon.failed');
    await failed.waitFor({ timeout: 20_000 });
    assert.equal(plain(await failed.textContent()), 'Butikken fikk ikke laget koden for «Gratis frakt». Poengene er gitt tilbake.');
    await page.waitForFunction(() =>
      document.querySelector('lojal-badge').shadowRoot.querySelector('[part=points]')?.textContent.replace(/\s/g, ' ') === '1 250 poeng');
    const { body } = await api(shop, '/loyalty/c-1001', { signature: sign('c-1001') });
    assert.equal(body.points, 1250);
    assert.ok(page.consoleErrors.some((e) => e.includes('the shop refused the coupon for Gratis frakt')), page.consoleErrors.join('\n'));
    assert.deepEqual(page.pageErrors, []);
  }));

test('a code still on its way when she left the page comes on the next one', () =>
  withPlatform({ delayMs: 4000 }, async (shop, platform) => {
    const page = await openPage(browser, shop.url);
    await inBadge(page, '[part=points]').waitFor();
    await inBadge(page, '[part=trigger]').click();
    await inBadge(page, '[part=redeem]').first().click();
    await inBadge(page, '.coupon.waiting').waitFor();
    await page.goto(`${shop.url}/product.html?id=p-setesdal`);
    await inBadge(page, '[part=points]').waitFor();
    await inBadge(page, '[part=trigger]').click();
    await inBadge(page, '[part=coupons] summary').click();
    const code = inBadge(page, '[part=coupons] [part=code]');
    await code.waitFor({ timeout: 20_000 });
    assert.ok(platform.coupons.has(await code.textContent()));
    assert.deepEqual(page.pageErrors, []);
  }));

// A wheel that always gives its prize, put with the CLI as a merchant would: the test is about
// the code's way from the platform, not about luck.
const SURE = {
  id: 'sikkerhjulet', name: 'Sikkert hjul', game: 'wheel', starts_at: '2026-01-01T00:00:00Z',
  segments: [
    { label: '10 %', color: '#0b6e4f', weight: 1, prize: '10 % rabatt', discount: { kind: 'percentage', amount: 10 } },
    { label: 'Prøv igjen', color: '#f1e9dc', weight: 0, fallback: true },
  ],
};

test('a wheel prize’s code from a slow Shopify shows as on its way, then the code', async () => {
  const platform = await standInShopify({ delayMs: 2500 });
  const dir = mkdtempSync(join(tmpdir(), 'lojal-e2e-'));
  const file = join(dir, 'sure.json');
  writeFileSync(file, JSON.stringify(SURE));
  execFileSync(join(ROOT, 'target', 'release', 'shop-api'), ['--db', join(dir, 'shop.sqlite'), 'campaign', 'put', file]);
  const shop = await startShop({ dir, env: providerEnv(platform.url) });
  try {
    const page = await openPage(browser, `${shop.url}/kampanje.html`);
    const wheel = page.locator('#wheel');
    await page.$eval('#wheel', (el) => el.setAttribute('campaign', 'sikkerhjulet'));
    await page.waitForFunction(() => {
      const root = document.querySelector('#wheel').shadowRoot;
      return root.querySelectorAll('[part=segment]').length === 2
        && root.querySelector('[part=play]')?.getAttribute('aria-disabled') === 'false';
    });
    await wheel.locator('[part=play]').click();
    const waiting = wheel.locator('[part=waiting]');
    await waiting.waitFor({ timeout: 20_000 });
    assert.equal(plain(await waiting.textContent()), 'Koden din er på vei fra butikken …');
    const code = wheel.locator('[part=code]');
    await code.waitFor({ timeout: 20_000 });
    const created = platform.coupons.get(await code.textContent());
    assert.ok(created, 'the shown code exists at the platform');
    assert.equal(created.customerGets?.value?.percentage, 0.1, JSON.stringify(created));
    assert.deepEqual(page.pageErrors, []);
  } finally {
    await shop.stop();
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
