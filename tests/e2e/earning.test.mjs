// Points earned from real orders, end to end: Shopify's signed webhooks into the reference API,
// and the badge's panels (points on their way, activity, ways to earn, birthday, referrals) in
// Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  launch, openPage, api, plain, ARTIFACTS, withShop, sign, signAt, shopifyWebhook, shopifyOrder,
} from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const badge = (page) => page.locator('lojal-badge');
const text = async (locator) => plain(await locator.textContent());

/**
 * Signs `id` in on the page's badge, as a theme renders it at sign-in. Each call signs at a new
 * second: attributes set again to the very same values are no new sign-in, and ask nothing.
 */
let lastSignedAt = 0;
async function signIn(page, id) {
  lastSignedAt = Math.max(lastSignedAt + 1, Math.floor(Date.now() / 1000) - 60);
  await page.evaluate(([id, sig]) => {
    const el = document.querySelector('lojal-badge');
    el.removeAttribute('customer-id');
    el.setAttribute('customer-sig', sig);
    el.setAttribute('customer-id', id);
  }, [id, signAt(id, lastSignedAt)]);
}

/** Opens the badge's popover and one of its panels (`earn`, `activity`, `birthday`, …). */
async function openPanel(page, part) {
  if ((await badge(page).locator('[part=popover]').count()) === 0) {
    await badge(page).locator('[part=trigger]').click();
  }
  const panel = badge(page).locator(`[part=${part}]`);
  await panel.locator('summary').click();
  return panel;
}

test('a paid Shopify order gives a shopper with no points her points, on their way, with the activity row', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await badge(page).locator('[part=points]').waitFor();
    // Nobody the programme knows yet: the guest offer.
    await signIn(page, '9001');
    await badge(page).locator('[part=cta]').waitFor();

    const paid = await shopifyWebhook(shop, 'orders/paid', shopifyOrder({
      id: 5001, customer: 9001, email: 'solveig@example.com', subtotal: '1299.00', name: '#5001',
    }));
    assert.equal(paid.status, 200, JSON.stringify(paid.body));

    await signIn(page, '9001');
    await page.waitForFunction(() =>
      document.querySelector('lojal-badge').shadowRoot.querySelector('[part=points]')?.textContent === '0 poeng');
    // 1 299 kr × 1 point per krone × Bronse's multiplier 1, held for the 14-day return window.
    await badge(page).locator('[part=trigger]').click();
    const pending = await text(badge(page).locator('[part=pending]'));
    assert.match(pending, /^\+1 299 poeng på vei · kan brukes fra \d+\. \w+ \d{4}$/);
    const { body } = await api(shop, '/loyalty/9001', { signature: sign('9001') });
    assert.equal(body.pending_points, 1299);
    assert.equal(body.points, 0);

    const activity = await openPanel(page, 'activity');
    const rows = activity.locator('li');
    assert.equal(await rows.count(), 1);
    assert.equal(await text(rows.first().locator('.what')), 'Kjøp: #5001');
    assert.equal(await text(rows.first().locator('.amount')), '+1 299 på vei');

    const earn = await openPanel(page, 'earn');
    assert.deepEqual((await earn.locator('li').allTextContents()).map(plain), [
      '100 poeng per 100 kr du handler for',
      '100 poeng når du blir medlem',
      '200 poeng på bursdagen din',
      '50 poeng for en produktanmeldelse',
      '500 poeng når en venn du inviterer, handler for minst 500 kr',
    ]);
    await page.screenshot({ path: join(ARTIFACTS, 'badge-earned.png') });

    // Shopify delivers the same event again: nothing changes.
    const again = await shopifyWebhook(shop, 'orders/paid', shopifyOrder({
      id: 5001, customer: 9001, email: 'solveig@example.com', subtotal: '1299.00', name: '#5001',
    }));
    assert.equal(again.status, 200);
    assert.equal((await api(shop, '/loyalty/9001', { signature: sign('9001') })).body.pending_points, 1299);
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors.filter((e) => !e.includes('404')), []);
  }));

test('a birthday is set once in the badge, and a second tab’s other date is refused with when it may change', () =>
  withShop(async (shop) => {
    const first = await openPage(browser, shop.url);
    const second = await openPage(browser, shop.url);
    const panels = [];
    for (const page of [first, second]) {
      await badge(page).locator('[part=points]').waitFor();
      panels.push(await openPanel(page, 'birthday'));
    }
    const [panel, stale] = panels;
    assert.match(await text(panel.locator('form p')), /^Fortell oss når du har bursdag, så får du 200 poeng på dagen\.$/);

    await panel.locator('select[name=month]').selectOption('3');
    await panel.locator('select[name=day]').selectOption('14');
    await panel.locator('button[type=submit]').click();
    await panel.locator('.birthday-set').waitFor();
    assert.equal(await text(panel.locator('.birthday-set')), 'Bursdagen din: 14. mars');
    assert.match(await text(panel.locator('.hint')), /^Du kan endre den fra \d+\. \w+ \d{4}\.$/);
    await first.screenshot({ path: join(ARTIFACTS, 'badge-birthday.png') });

    // The other tab still shows the form; its different date is refused by the server, and the
    // tab then shows the date that stands.
    await stale.locator('select[name=month]').selectOption('5');
    await stale.locator('select[name=day]').selectOption('1');
    await stale.locator('button[type=submit]').click();
    await stale.locator('.birthday-set').waitFor();
    assert.equal(await text(stale.locator('.birthday-set')), 'Bursdagen din: 14. mars');

    const signature = sign('c-1001');
    const refused = await api(shop, '/loyalty/c-1001/birthday', { method: 'PUT', signature, body: { month: 5, day: 1 } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'birthday_locked');
    const { body } = await api(shop, '/loyalty/c-1001', { signature });
    assert.deepEqual([body.birthday.month, body.birthday.day], [3, 14]);
    assert.deepEqual(first.pageErrors, []);
  }));

test('a referral end to end: the member shares her link, the friend claims her code, and her first order pays the member', () =>
  withShop(async (shop) => {
    // The member, in her own browser.
    const member = await openPage(browser, shop.url);
    await badge(member).locator('[part=points]').waitFor();
    const panel = await openPanel(member, 'referral');
    assert.equal(
      await text(panel.locator('p').first()),
      'Venner får 100 kr i rabatt på første bestilling. Du får 500 poeng når de handler for minst 500 kr.',
    );
    const link = await panel.locator('input').inputValue();
    assert.match(link, new RegExp(`^${shop.url}/venn/\\?lojal_ref=[A-Z0-9]{8}$`));
    await panel.locator('[part=copy-link]').click();
    await member.screenshot({ path: join(ARTIFACTS, 'badge-referral.png') });

    // The friend, in another browser context, follows the link: nobody is signed in there.
    const friend = await openPage(browser, link);
    const invite = badge(friend).locator('[part=invite]');
    await invite.waitFor();
    assert.equal(await text(invite.locator('.invite-text')), 'Ingrid inviterer deg 100 kr i rabatt');
    await invite.click();
    const email = badge(friend).locator('input[type=email]');
    await email.fill('ikke en adresse');
    await badge(friend).locator('.invite-form button').click();
    assert.equal(await text(badge(friend).locator('.notice')), 'Skriv inn en gyldig e-postadresse.');
    await email.fill('venn@example.com');
    await badge(friend).locator('.invite-form button').click();
    const code = badge(friend).locator('[part=code]');
    await code.waitFor();
    assert.match(await code.textContent(), /^LOJAL-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    assert.equal(await text(badge(friend).locator('.coupon-title')), 'Koden din for 100 kr i rabatt');
    await friend.screenshot({ path: join(ARTIFACTS, 'badge-invite.png') });

    // Her first order, 600 kr, is paid: the member earns her 500 points.
    const paid = await shopifyWebhook(shop, 'orders/paid', shopifyOrder({
      id: 6001, customer: 7001, email: 'venn@example.com', subtotal: '600.00',
    }));
    assert.equal(paid.status, 200);
    await member.reload();
    await badge(member).locator('[part=points]').waitFor();
    const activity = await openPanel(member, 'activity');
    assert.equal(await text(activity.locator('li').first().locator('.what')), 'Vervebonus');
    assert.match(await text(activity.locator('li').first().locator('.amount')), /^\+500/);
    const referral = await openPanel(member, 'referral');
    assert.equal(await text(referral.locator('.hint')), '1 venn har handlet via lenken din');
    assert.deepEqual(member.pageErrors, []);
    assert.deepEqual(friend.pageErrors, []);
  }));
