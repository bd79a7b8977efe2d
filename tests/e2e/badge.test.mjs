// <lojal-badge> end to end: the demo page, the real reference API, Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, api, demoSignature, plain, ARTIFACTS, ROOT, withShop, signAt, SHOP_SECRET } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const points = (page) => page.locator('lojal-badge [part=points]');

test('the seeded shopper sees her real balance, tier and progress from the API', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    const signature = await demoSignature(page, 'c-1001');
    const { status, body } = await api(shop, '/loyalty/c-1001', { signature });
    assert.equal(status, 200);

    await points(page).waitFor();
    assert.equal(plain(await points(page).textContent()), `${body.points.toLocaleString('nb-NO').replace(/\s/g, ' ')} poeng`);
    assert.equal(plain(await points(page).textContent()), '1 250 poeng');
    assert.equal(await page.locator('lojal-badge [part=tier]').textContent(), 'Sølv');
    assert.equal(plain(await page.locator('lojal-badge [part=next]').textContent()), '250 til Gull');
    const width = await page.locator('lojal-badge .fill').evaluate((el) => el.style.inlineSize);
    assert.equal(width, '75%');
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.screenshot({ path: join(ARTIFACTS, 'badge-member.png') });
  }));

test('a shopper redeems a reward with the keyboard alone and gets a coupon and a lower balance', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();

    // Tab from the last link before the badge, as a keyboard user would.
    await page.locator('nav a').last().focus();
    await page.keyboard.press('Tab');
    const focusedPart = () => page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('part'));
    assert.equal(await focusedPart(), 'trigger');
    await page.keyboard.press('Enter');

    const popover = page.locator('lojal-badge [part=popover]');
    await popover.waitFor();
    assert.equal(await page.locator('lojal-badge [part=trigger]').getAttribute('aria-expanded'), 'true');
    const rewards = await page.locator('lojal-badge [part=reward] .reward-name').allTextContents();
    // 1 250 points pay for free shipping (300), 50 kr (500) and 100 kr (1000), not 250 kr (2500).
    assert.deepEqual(rewards, ['Gratis frakt', '50 kr rabatt', '100 kr rabatt']);

    // Focus is on the heading; Tab past the close button to the first Redeem, then Enter.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await focusedPart(), 'redeem');
    await page.keyboard.press('Enter');

    const code = page.locator('lojal-badge [part=code]');
    await code.waitFor();
    assert.match(await code.textContent(), /^LOJAL-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    await page.waitForFunction(() => {
      const el = document.querySelector('lojal-badge').shadowRoot.querySelector('[part=points]');
      return el && el.textContent.replace(/\s/g, ' ') === '950 poeng';
    });
    assert.match(plain(await page.locator('lojal-badge .expires').textContent()), /^Gyldig til \d+\. \w+ \d{4}$/);

    // The server agrees: 300 points paid once, tier unchanged.
    const signature = await demoSignature(page, 'c-1001');
    const { body } = await api(shop, '/loyalty/c-1001', { signature });
    assert.equal(body.points, 950);
    assert.equal(body.tier.name, 'Sølv');
    await page.screenshot({ path: join(ARTIFACTS, 'badge-coupon.png') });

    // Escape closes and gives focus back to the badge.
    await page.keyboard.press('Escape');
    await popover.waitFor({ state: 'detached' });
    assert.equal(await focusedPart(), 'trigger');
    assert.deepEqual(page.pageErrors, []);
  }));

test('Redeem announces lojal:redeem with the API’s coupon and balance, and Copy puts the code on the clipboard', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url, { permissions: ['clipboard-read', 'clipboard-write'] });
    await points(page).waitFor();
    await page.evaluate(() => {
      window.__redeemed = [];
      document.addEventListener('lojal:redeem', (e) => window.__redeemed.push(e.detail));
    });
    await page.locator('lojal-badge [part=trigger]').click();
    const answered = page.waitForResponse((r) => r.url().endsWith('/loyalty/c-1001/redeem') && r.request().method() === 'POST');
    await page.locator('lojal-badge [part=redeem]').first().click();
    const answer = await (await answered).json();
    await page.waitForFunction(() => window.__redeemed.length > 0);
    assert.deepEqual(await page.evaluate(() => window.__redeemed), [
      { rewardId: answer.coupon.reward_id, code: answer.coupon.code, expiresAt: answer.coupon.expires_at, points: answer.status.points },
    ]);
    // Free shipping, 300 of Ingrid's 1 250 points.
    assert.equal(answer.coupon.reward_id, 'r-ship');
    assert.equal(answer.status.points, 950);

    const copy = page.locator('lojal-badge [part=copy]');
    assert.equal(await copy.textContent(), 'Kopier koden');
    await copy.click();
    await page.waitForFunction(() =>
      document.querySelector('lojal-badge').shadowRoot.querySelector('[part=copy]').textContent === 'Kopiert');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), answer.coupon.code);
    assert.equal(await page.locator('lojal-badge [part=code]').textContent(), answer.coupon.code);
    assert.deepEqual(page.pageErrors, []);
  }));

test('on a phone the rewards popover is a bottom sheet across the window', () =>
  withShop(async (shop) => {
    const viewport = { width: 390, height: 760 };
    const page = await openPage(browser, shop.url, { viewport });
    await points(page).waitFor();
    await page.locator('lojal-badge [part=trigger]').click();
    const popover = page.locator('lojal-badge [part=popover]');
    await popover.waitFor();
    await page.locator('lojal-badge [part=redeem]').first().click();
    await page.locator('lojal-badge [part=code]').waitFor();
    const box = await popover.boundingBox();
    // 0.5rem from the window's sides and bottom, whatever the badge's place in the header.
    assert.deepEqual(
      { left: box.x, right: box.x + box.width, bottom: Math.round(box.y + box.height) },
      { left: 8, right: viewport.width - 8, bottom: viewport.height - 8 },
    );
    await page.screenshot({ path: join(ARTIFACTS, 'badge-mobile.png') });
    assert.deepEqual(page.pageErrors, []);
  }));

test('a double click on Redeem pays once', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    await page.locator('lojal-badge [part=trigger]').click();
    const posts = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
    await page.locator('lojal-badge [part=redeem]').first().dblclick();
    await page.locator('lojal-badge [part=code]').waitFor();
    await page.waitForTimeout(300);
    assert.equal(posts.length, 1, `expected one redeem request, saw ${posts.length}`);
    const signature = await demoSignature(page, 'c-1001');
    const { body } = await api(shop, '/loyalty/c-1001', { signature });
    assert.equal(body.points, 950);
  }));

test('a guest sees the sign-up bonus with a link to the shop’s sign-up page', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    await page.selectOption('#shopper', { label: 'Gjest (ikke innlogget)' });
    const cta = page.locator('lojal-badge [part=cta]');
    await cta.waitFor();
    assert.equal(plain(await cta.textContent()), '★Bli medlem og få 100 poeng');
    assert.equal(await cta.getAttribute('href'), '/bli-medlem');
    assert.equal(await points(page).count(), 0, 'no balance may stay visible after signing out');
    await page.screenshot({ path: join(ARTIFACTS, 'badge-guest.png') });
  }));

test('a forged signature gets the guest offer, a 401 from the API and one clear console error', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    const statuses = [];
    page.on('response', (r) => r.url().includes('/loyalty/c-1003') && statuses.push(r.status()));
    await page.selectOption('#shopper', { label: 'Forfalsket signatur' });
    await page.locator('lojal-badge [part=cta]').waitFor();
    assert.deepEqual(statuses, [401]);
    const errors = page.consoleErrors.filter((e) => e.startsWith('lojal: <lojal-badge>'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/loyalty\/c-1003: HTTP 401/);

    // And straight to the API, as an attacker would.
    const forged = await api(shop, '/loyalty/c-1003', { signature: await demoSignature(page, 'c-1001') });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'invalid_signature');
  }));

test('the demo renders a fresh, time-bound signature on every page load', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    const first = await page.locator('#badge').getAttribute('customer-sig');
    const [, t] = first.match(/^t=(\d+),v1=[0-9a-f]{64}$/) ?? [];
    assert.ok(t, `not a time-bound signature: ${first}`);
    assert.ok(Math.abs(Number(t) - Date.now() / 1000) < 60, `signed at ${t}, not now`);
    assert.equal(first, signAt('c-1001', Number(t)), 'the HMAC of "c-1001.<t>" under the shop secret');
    assert.equal((await api(shop, '/loyalty/c-1001', { signature: first })).status, 200);
    // A second later the page is rendered again, with a new time.
    await page.waitForTimeout(1100);
    await page.reload();
    const second = await page.locator('#badge').getAttribute('customer-sig');
    assert.notEqual(second, first);
    assert.deepEqual(page.consoleErrors, []);
  }));

test('an expired signature gets the guest offer and one console error that says it expired', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    const statuses = [];
    page.on('response', (r) => r.url().includes('/loyalty/c-1001') && statuses.push(r.status()));
    // Signed 25 hours ago with the shop's own secret: genuine, but older than the 24-hour window.
    const expired = signAt('c-1001', Math.floor(Date.now() / 1000) - 25 * 3600);
    await page.evaluate((sig) => {
      const badge = document.querySelector('#badge');
      badge.setAttribute('customer-sig', sig);
    }, expired);
    const cta = page.locator('lojal-badge [part=cta]');
    await cta.waitFor();
    assert.equal(plain(await cta.textContent()), '★Bli medlem og få 100 poeng');
    assert.equal(await points(page).count(), 0, 'no balance is shown for an expired signature');
    assert.deepEqual(statuses, [401]);
    const errors = page.consoleErrors.filter((e) => e.startsWith('lojal: <lojal-badge>'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /HTTP 401: the customer signature has expired: it was made 900\d\d s ago and this shop accepts signatures for 86400 s/);
    assert.match(errors[0], /showing the guest offer$/);
    assert.deepEqual(page.pageErrors, []);
  }));

test('with the API down the page still renders and scrolls, and the badge keeps its box', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, { viewport: { width: 390, height: 700 } });
    await page.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
    await page.goto(shop.url);
    await page.locator('.product').first().waitFor();
    // Retries end and the badge settles in its "unavailable" state.
    await page.locator('lojal-badge .unavailable').waitFor({ timeout: 15_000 });
    const box = await page.locator('lojal-badge').boundingBox();
    assert.ok(box.width > 100 && box.height > 30, `badge box ${JSON.stringify(box)}`);
    await page.mouse.wheel(0, 2000);
    await page.waitForFunction(() => window.scrollY > 0);
    assert.deepEqual(page.pageErrors, []);
    const errors = page.consoleErrors.filter((e) => e.startsWith('lojal: <lojal-badge>'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/loyalty\/c-1001: no answer/);
    await page.screenshot({ path: join(ARTIFACTS, 'badge-api-down.png'), fullPage: true });
  }));

test('when the API goes away after a load the last known balance stays, marked as not updated', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    await shop.stop();
    // The browser reports the network back: the badge reloads, gets no answer, keeps what it knew.
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await page.locator('lojal-badge [part=trigger].stale').waitFor({ timeout: 15_000 });
    assert.equal(plain(await points(page).textContent()), '1 250 poeng');
    assert.equal(await page.locator('lojal-badge [part=next]').textContent(), 'Ikke oppdatert');
  }));

test('attributes are live: locale and shopper changes re-render, removal cleans up', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    await page.selectOption('#locale', 'en');
    await page.waitForFunction(() =>
      document.querySelector('lojal-badge').shadowRoot.querySelector('[part=points]')?.textContent === '1,250 points');
    assert.equal(await page.locator('lojal-badge [part=next]').textContent(), '250 points to Gull');

    await page.selectOption('#shopper', { label: 'Kari – Gull, 4 200 poeng' });
    await page.waitForFunction(() =>
      document.querySelector('lojal-badge').shadowRoot.querySelector('[part=points]')?.textContent === '4,200 points');
    assert.equal(await page.locator('lojal-badge [part=next]').textContent(), 'Top tier');

    // Removed and put back (a theme re-rendering its header): one working badge, no errors.
    await page.evaluate(() => {
      const badge = document.querySelector('lojal-badge');
      const parent = badge.parentNode;
      badge.remove();
      parent.prepend(badge);
    });
    await page.waitForFunction(() =>
      document.querySelector('lojal-badge').shadowRoot.querySelectorAll('[part=points]').length === 1);
    assert.deepEqual(page.pageErrors, []);
  }));

test('the loader included twice defines the elements once', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await points(page).waitFor();
    await page.evaluate(async () => {
      await import('/lojal/lojal.js?again');
    });
    await page.evaluate(() => {
      const extra = document.createElement('lojal-badge');
      document.body.append(extra);
    });
    await page.locator('lojal-badge >> nth=1').locator('[part=cta]').waitFor();
    assert.deepEqual(page.pageErrors, []);
  }));

// The script tag's data-api is the page's default; an element's own `api` wins, live.
test('an element’s api attribute overrides the script tag’s data-api, and changing it asks the new API', () =>
  withShop(async (shop) => {
    const page = await openPage(browser);
    const asked = [];
    // A second address for the same shop, as a shop with a separate loyalty host would have.
    await page.route(`${shop.url}/other/**`, async (route) => {
      asked.push(new URL(route.request().url()).pathname);
      const response = await route.fetch({ url: route.request().url().replace('/other/', '/') });
      await route.fulfill({ response });
    });
    await page.goto(shop.url);
    await points(page).waitFor();
    const signature = await demoSignature(page, 'c-1001');
    assert.deepEqual(asked, [], 'the script tag’s data-api by default');
    await page.evaluate((sig) => {
      const badge = document.createElement('lojal-badge');
      badge.id = 'own-api';
      badge.setAttribute('api', '/other/api/v1');
      badge.setAttribute('customer-id', 'c-1001');
      badge.setAttribute('customer-sig', sig);
      document.body.append(badge);
    }, signature);
    const own = page.locator('#own-api [part=points]');
    await own.waitFor();
    assert.equal(plain(await own.textContent()), '1 250 poeng');
    assert.ok(asked.includes('/other/api/v1/loyalty/c-1001'), asked.join(', '));
    // Back to the page's default: the next status comes from /api/v1 again.
    const fromDefault = page.waitForRequest((r) => new URL(r.url()).pathname === '/api/v1/loyalty/c-1001');
    const before = asked.length;
    await page.evaluate(() => document.getElementById('own-api').removeAttribute('api'));
    await fromDefault;
    await own.waitFor();
    assert.equal(asked.length, before, 'no more requests to the element’s old api');
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
  }));

// <lojal-badge source=…>: the shop's own loyalty JSON through the two mappings the README
// documents (read from src/core/loyalty_source.rs, so the documented text is what is tested).
const MAPPINGS = Object.fromEntries(
  [...readFileSync(join(ROOT, 'src', 'core', 'loyalty_source.rs'), 'utf8')
    .matchAll(/pub const ([A-Z_]+): &str = r#"([\s\S]*?)"#;/g)].map(([, name, text]) => [name, text]),
);

/**
 * A page whose only badge reads the shop's own endpoint at `${shop.url}/proxy/…`, which
 * `routes(page)` answers.
 */
async function sourcePage(shop, mapping, customerId, routes = async () => {}) {
  const page = await openPage(browser);
  await routes(page);
  await page.goto(`${shop.url}/bli-medlem/`);
  await page.evaluate(([mapping, api, id]) => {
    const el = document.createElement('lojal-badge');
    el.setAttribute('api', api);
    el.setAttribute('source', mapping);
    el.setAttribute('customer-id', id);
    document.querySelector('header').append(el);
  }, [mapping, `${shop.url}/proxy`, customerId]);
  return page;
}

test('a badge over a Shopify app proxy’s loyalty JSON shows its balance, tier and rewards, and redeems there', () =>
  withShop(async (shop) => {
    let balance = 1250;
    const redeemed = [];
    const shown = await sourcePage(shop, MAPPINGS.APP_PROXY, '8812345', async (page) => {
      await page.route(`${shop.url}/proxy/apps/loyalty/customers/8812345`, (route) => route.fulfill({
        json: {
          customer: {
            id: 8812345, first_name: 'Ingrid', points_balance: balance, lifetime_points: 1750, pending_points: 130,
            vip_tier: { name: 'Sølv', threshold: 500 }, next_vip_tier: { name: 'Gull', points_needed: 250 },
          },
          rewards: [
            { id: 'rw_100', title: '100 kr rabatt', points_price: 1000 },
            { id: 'rw_ship', title: 'Gratis frakt', points_price: 300 },
          ],
        },
      }));
      await page.route(`${shop.url}/proxy/apps/loyalty/redeem`, (route) => {
        redeemed.push(route.request().postDataJSON());
        balance -= 300;
        return route.fulfill({ json: { discount: { code: 'LOYAL-9X2K', ends_at: '2027-01-01T00:00:00Z' } } });
      });
    });
    await points(shown).waitFor();
    assert.equal(plain(await points(shown).textContent()), '1 250 poeng');
    assert.equal(await shown.locator('lojal-badge [part=tier]').textContent(), 'Sølv');
    assert.equal(plain(await shown.locator('lojal-badge [part=next]').textContent()), '250 til Gull');
    await shown.locator('lojal-badge [part=trigger]').click();
    assert.equal(plain(await shown.locator('lojal-badge [part=pending]').textContent()), '+130 poeng på vei');
    assert.deepEqual(await shown.locator('lojal-badge [part=reward] .reward-name').allTextContents(), ['Gratis frakt', '100 kr rabatt']);
    await shown.locator('lojal-badge [part=redeem]').first().click();
    await shown.locator('lojal-badge [part=code]').waitFor();
    assert.equal(await shown.locator('lojal-badge [part=code]').textContent(), 'LOYAL-9X2K');
    assert.deepEqual(redeemed.map((r) => [r.reward_id, r.customer_id]), [['rw_ship', '8812345']]);
    await shown.waitForFunction(() =>
      document.querySelector('lojal-badge').shadowRoot.querySelector('[part=points]')?.textContent.replace(/\s/g, ' ') === '950 poeng');
    // Neither activity of lojal's nor a programme it does not know: those panels stay away.
    assert.equal(await shown.locator('lojal-badge [part=activity], lojal-badge [part=earn], lojal-badge [part=referral]').count(), 0);
    assert.deepEqual(shown.pageErrors, []);
    assert.deepEqual(shown.consoleErrors, []);
  }));

test('a badge over a WordPress points plugin’s JSON, numbers as strings, offers no Redeem', () =>
  withShop(async (shop) => {
    const shown = await sourcePage(shop, MAPPINGS.WORDPRESS_PLUGIN, '26', (page) =>
      page.route(`${shop.url}/proxy/wp-json/points/v1/me`, (route) => route.fulfill({
        json: { data: { balance: '1250', level: { label: 'Sølv', next_label: 'Gull', next_at: '1500' } } },
      })));
    await points(shown).waitFor();
    assert.equal(plain(await points(shown).textContent()), '1 250 poeng');
    assert.equal(plain(await shown.locator('lojal-badge [part=next]').textContent()), '250 til Gull');
    await shown.locator('lojal-badge [part=trigger]').click();
    await shown.locator('lojal-badge [part=popover]').waitFor();
    assert.equal(await shown.locator('lojal-badge [part=redeem]').count(), 0);
    assert.deepEqual(shown.pageErrors, []);
    assert.deepEqual(shown.consoleErrors, []);
  }));

test('a broken source mapping is one console error naming the key, and the badge keeps its empty box', () =>
  withShop(async (shop) => {
    const shown = await sourcePage(shop, '{"points": "/balance"}', '26');
    await shown.waitForFunction(() => document.querySelector('lojal-badge')?.shadowRoot?.querySelector('[part=badge]'));
    await shown.waitForTimeout(300);
    assert.equal(shown.consoleErrors.length, 1, shown.consoleErrors.join('\n'));
    assert.match(shown.consoleErrors[0], /^lojal: <lojal-badge> the badge's source mapping: .*tier/);
    const box = await shown.locator('lojal-badge').boundingBox();
    assert.ok(box.width > 100 && box.height > 30, JSON.stringify(box));
    assert.deepEqual(shown.pageErrors, []);
  }));
