// Every shopper: axe-core (WCAG 2.2 AA) on the demo page with each widget in each state, and
// each shipped language rendered by the real widget. Debian's Chromium, a real shop-api.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, launch, openPage, axeViolations, plain, withShop } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const badge = (page) => page.locator('#badge');

test('the badge has no WCAG 2.2 AA violations while loading, ready, open, with a coupon, as a guest and after an API error', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, { bypassCSP: true });
    // Loading: hold the balance back until the check has run.
    let release;
    const held = new Promise((r) => (release = r));
    await page.route('**/api/v1/loyalty/c-*', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(shop.url);
    await badge(page).locator('[part=skeleton]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'loading');
    release();

    await badge(page).locator('[part=points]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'ready');

    await badge(page).locator('[part=trigger]').click();
    await badge(page).locator('[part=popover]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'popover open');

    await badge(page).locator('[part=redeem]').first().click();
    await badge(page).locator('[part=code]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'coupon shown');
    // Every panel open: ways to earn, birthday form, referral link, activity.
    for (const part of ['earn', 'birthday', 'referral', 'activity']) {
      await badge(page).locator(`[part=${part}] summary`).click();
    }
    await badge(page).locator('[part=activity] li').first().waitFor();
    assert.deepEqual(await axeViolations(page), [], 'every panel open');
    await page.keyboard.press('Escape');

    await page.selectOption('#shopper', { label: 'Gjest (ikke innlogget)' });
    await badge(page).locator('[part=cta]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'guest');

    // A friend invited by a member: her invitation and its form.
    const code = (await (await fetch(`${shop.url}/api/v1/loyalty/c-1001`, {
      headers: { 'x-lojal-signature': await page.$eval('#shopper option[value="c-1001"]', (o) => o.dataset.sig) },
    })).json()).referral.code;
    const friend = await openPage(browser, `${shop.url}/venn/?lojal_ref=${code}`, { bypassCSP: true });
    await friend.locator('#badge [part=invite]').click();
    await friend.locator('#badge input[type=email]').waitFor();
    assert.deepEqual(await axeViolations(friend), [], 'invitation');
    await friend.context().close();

    await page.unroute('**/api/v1/loyalty/c-*');
    await page.route('**/api/v1/loyalty/**', (route) => route.fulfill({ status: 503, body: 'down' }));
    await page.selectOption('#shopper', { label: 'Mart – Bronse, 300 poeng' });
    await page.waitForFunction(() => !document.querySelector('#badge').shadowRoot.querySelector('[part=skeleton]'));
    assert.deepEqual(await axeViolations(page), [], 'API error');
    assert.deepEqual(page.pageErrors, []);
  }));

const LANGUAGES = [
  ['nb', '1 250 poeng', 'Sølv'],
  ['nn', '1 250 poeng', 'Sølv'], // Chromium has no Nynorsk number data: Bokmål's is used
  ['sv', '1 250 poäng', 'Sølv'],
  ['da', '1.250 point', 'Sølv'],
  ['fi', '1 250 pistettä', 'Sølv'],
  ['et', '1250 punkti', 'Sølv'],
  ['en', '1,250 points', 'Sølv'],
];

test('the badge speaks every shipped language, with the browser’s number formats', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url);
    await badge(page).locator('[part=points]').waitFor();
    for (const [locale, points] of LANGUAGES) {
      await page.selectOption('#locale', locale);
      // nn's points read as nb's, so wait for the language too: the new locale's strings arrive
      // in their own fetch, and until then the badge still speaks the old one.
      await page.waitForFunction(
        ([lang, want]) => {
          const root = document.querySelector('#badge').shadowRoot;
          return (
            root.querySelector('[part=badge]')?.getAttribute('lang') === lang &&
            root.querySelector('[part=points]')?.textContent.replace(/[\u00a0\u202f]/g, ' ') === want
          );
        },
        [locale, points],
      );
      assert.equal(await badge(page).locator('[part=badge]').getAttribute('lang'), locale);
      assert.equal(plain(await badge(page).locator('[part=points]').textContent()), points, locale);
    }
    await page.selectOption('#locale', 'et');
    await badge(page).locator('[part=trigger]').click();
    await badge(page).locator('[part=popover]').waitFor();
    assert.equal(await badge(page).locator('#rewards-title').textContent(), 'Sinu hüved');
    assert.equal(await badge(page).locator('.section-title').textContent(), 'Preemiad, mida saad lunastada');
    await page.screenshot({ path: join(ARTIFACTS, 'badge-et.png') });
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
  }));

test('the carousels have no WCAG 2.2 AA violations while loading, ready, moved by keyboard, in English and when empty', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, { bypassCSP: true });
    let release;
    const held = new Promise((r) => (release = r));
    await page.route('**/api/v1/recommendations**', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${shop.url}/product.html`);
    await page.locator('#bought-together [part=skeleton]').first().waitFor();
    assert.deepEqual(await axeViolations(page), [], 'loading');
    release();

    await page.locator('#bought-together [part=slide]').first().waitFor();
    await page.locator('#popular [part=slide]').first().waitFor();
    assert.deepEqual(await axeViolations(page), [], 'ready');

    await page.locator('#bought-together [part=card]').first().focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.locator('#bought-together [part=next]').click();
    assert.deepEqual(await axeViolations(page), [], 'moved');

    await page.evaluate(() => document.querySelectorAll('lojal-carousel').forEach((c) => c.setAttribute('locale', 'en')));
    await page.locator('#bought-together [part=title]', { hasText: 'Frequently bought together' }).first().waitFor();
    assert.deepEqual(await axeViolations(page), [], 'English');

    await page.evaluate(() => document.querySelector('#popular').setAttribute('product-id', 'no-such-product'));
    await page.evaluate(() => document.querySelector('#bought-together').setAttribute('product-id', 'no-such-product'));
    await page.waitForFunction(() => document.querySelector('#bought-together').hasAttribute('empty'));
    assert.deepEqual(await axeViolations(page), [], 'empty');
    assert.deepEqual(page.pageErrors, []);
  }));

test('the feedback prompts have no WCAG 2.2 AA violations when asked, on an error, and after thanks', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, { bypassCSP: true });
    await page.goto(`${shop.url}/ordre.html`);
    const nps = page.locator('lojal-nps');
    await nps.locator('[part=scale]').waitFor();
    await page.locator('lojal-review [part=scale]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'asked');

    await nps.locator('[part=send]').click();
    await nps.locator('[part=error]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'error announced');

    await nps.locator('[part=option]').nth(9).click();
    await nps.locator('[part=send]').click();
    await nps.locator('[part=thanks]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'thanks');
    assert.deepEqual(page.pageErrors, []);
  }));

test('the games have no WCAG 2.2 AA violations when ready, after a spin with a prize, and when refused', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, { bypassCSP: true, reducedMotion: 'reduce' });
    await page.goto(`${shop.url}/kampanje.html`);
    const wheel = page.locator('lojal-wheel').first();
    await wheel.locator('[part=play]').waitFor();
    await page.locator('lojal-scratch [part=reveal]').first().waitFor();
    assert.deepEqual(await axeViolations(page), [], 'ready');

    await wheel.locator('[part=play]').click();
    await wheel.locator('[part=result]').waitFor();
    // Contrast is judged on the settled result, not halfway through its fade-in.
    await page.waitForFunction(() => document.querySelector('lojal-wheel').shadowRoot.getAnimations().every((a) => a.playState === 'finished'));
    assert.deepEqual(await axeViolations(page), [], 'result');

    await page.reload();
    await wheel.locator('[part=state]').waitFor();
    assert.deepEqual(await axeViolations(page), [], 'already played');
    assert.deepEqual(page.pageErrors, []);
  }));

/** For page.waitForFunction: every lojal element on the page has drawn (or hidden) itself. */
function widgetsShown() {
  return [...document.querySelectorAll('*')]
    .filter((e) => e.localName.startsWith('lojal-'))
    .every((e) => e.shadowRoot?.querySelector('[part]') || e.hasAttribute('empty') || e.hidden);
}

// prefers-color-scheme: dark. Every demo page, its widgets in their dark palette (checked: their
// text is light), passes axe-core's WCAG 2.2 AA rules, colour contrast included; the badge's
// rewards and the feedback prompt's error are checked open too.
for (const path of ['/', '/product.html', '/kampanje.html', '/ordre.html']) {
  test(`${path} in dark mode: no WCAG 2.2 AA violations, colour contrast included`, () =>
    withShop(async (shop) => {
      const page = await openPage(browser, null, { bypassCSP: true, colorScheme: 'dark', reducedMotion: 'reduce' });
      await page.goto(shop.url + path);
      await page.waitForFunction(widgetsShown);
      await page.waitForFunction(() => !document.querySelector('lojal-badge')?.shadowRoot.querySelector('[part=skeleton]'));
      const light = await page.evaluate(() =>
        [...document.querySelectorAll('*')]
          .filter((e) => e.localName.startsWith('lojal-') && e.shadowRoot?.querySelector('.lojal-root') && !e.hasAttribute('empty'))
          .map((e) => [e.localName, getComputedStyle(e.shadowRoot.querySelector('.lojal-root')).color])
          .filter(([, rgb]) => rgb.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b) < 600));
      assert.deepEqual(light, [], 'every widget draws light text on its dark surface');
      assert.deepEqual(await axeViolations(page), [], 'ready');
      if (await page.locator('#badge').count()) {
        await page.locator('#badge [part=trigger]').click();
        await page.locator('#badge [part=popover]').waitFor();
        assert.deepEqual(await axeViolations(page), [], 'rewards open');
        await page.keyboard.press('Escape');
      }
      if (path === '/ordre.html') {
        await page.locator('lojal-nps [part=send]').click();
        await page.locator('lojal-nps [part=error]').waitFor();
        assert.deepEqual(await axeViolations(page), [], 'error announced');
      }
      await page.screenshot({ path: join(ARTIFACTS, `dark${path.replace(/\W+/g, '-')}.png`), fullPage: true });
      assert.deepEqual(page.pageErrors, []);
    }));
}

// WCAG 1.4.10 Reflow: a 320 CSS px wide window (a phone, or 1280 px at 400 % zoom) shows every
// widget whole, without scrolling sideways.
for (const path of ['/', '/product.html', '/kampanje.html', '/ordre.html']) {
  test(`${path} at 320 px wide: no sideways scrolling, every widget inside the window`, () =>
    withShop(async (shop) => {
      const page = await openPage(browser, null, { viewport: { width: 320, height: 640 } });
      await page.goto(shop.url + path);
      await page.waitForFunction(() =>
        [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('lojal-')).every((e) => e.shadowRoot?.querySelector('[part]') || e.hasAttribute('empty') || e.hidden));
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls ${overflow} px sideways`);
      const outside = await page.evaluate(() =>
        [...document.querySelectorAll('*')]
          .filter((e) => e.localName.startsWith('lojal-'))
          .flatMap((e) => [e, ...(e.shadowRoot ? e.shadowRoot.querySelectorAll('[part]') : [])].map((el) => [e.localName, el]))
          .filter(([, el]) => {
            const r = el.getBoundingClientRect();
            const clipped = el.closest?.('[part=rail]') || el.getAttribute?.('part') === 'rail';
            return r.width > 0 && !clipped && (r.left < -1 || r.right > window.innerWidth + 1);
          })
          .map(([tag, el]) => `${tag} [part=${el.getAttribute('part') ?? ''}]`));
      assert.deepEqual([...new Set(outside)], [], 'parts outside the window');
      await page.screenshot({ path: join(ARTIFACTS, `reflow-320${path.replace(/\W+/g, '-')}.png`), fullPage: true });
      assert.deepEqual(page.pageErrors, []);
    }));
}

// WCAG 1.4.4 Resize text, at 200 % zoom: a 1280 × 720 window zoomed to 200 % lays out in
// 640 × 360 CSS px at two device pixels per CSS px. A context with that viewport and
// deviceScaleFactor 2 is what Chromium's zoom produces (same CSS width for media queries and
// rem, same devicePixelRatio), without a zoom API Playwright lacks. Each page's widgets stay
// inside the window, nothing scrolls sideways, and each widget's main control still works.
const AT_200 = {
  '/': async (page) => {
    await page.locator('#badge [part=trigger]').click();
    await page.locator('#badge [part=popover]').waitFor();
    return page.locator('#badge [part=popover]');
  },
  '/product.html': async (page) => {
    await page.locator('#bought-together [part=next]').click();
    return page.locator('#bought-together [part=rail]');
  },
  '/kampanje.html': async (page) => {
    await page.locator('lojal-wheel [part=play]').click();
    await page.locator('lojal-wheel [part=result]').waitFor();
    return page.locator('lojal-wheel [part=result]');
  },
  '/ordre.html': async (page) => {
    await page.locator('lojal-nps [part=option]').nth(8).click();
    await page.locator('lojal-nps [part=send]').click();
    await page.locator('lojal-nps [part=thanks]').waitFor();
    return page.locator('lojal-nps [part=thanks]');
  },
};
for (const [path, operate] of Object.entries(AT_200)) {
  test(`${path} at 200 % zoom: no sideways scrolling, widgets inside the window and working`, () =>
    withShop(async (shop) => {
      const page = await openPage(browser, null, { viewport: { width: 640, height: 360 }, deviceScaleFactor: 2, reducedMotion: 'reduce' });
      await page.goto(shop.url + path);
      await page.waitForFunction(widgetsShown);
      const outside = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('*')]
            .filter((e) => e.localName.startsWith('lojal-'))
            .flatMap((e) => [e, ...(e.shadowRoot ? e.shadowRoot.querySelectorAll('[part]') : [])].map((el) => [e.localName, el]))
            .filter(([, el]) => {
              const r = el.getBoundingClientRect();
              const clipped = el.closest?.('[part=rail]') || el.getAttribute?.('part') === 'rail';
              return r.width > 0 && !clipped && (r.left < -1 || r.right > window.innerWidth + 1);
            })
            .map(([tag, el]) => `${tag} [part=${el.getAttribute('part') ?? ''}]`));
      assert.deepEqual([...new Set(await outside())], [], 'parts outside the window');
      const shown = await operate(page);
      const box = await shown.boundingBox();
      assert.ok(box && box.x >= -1 && box.x + box.width <= 641, `what the control opened is inside the window: ${JSON.stringify(box)}`);
      assert.deepEqual([...new Set(await outside())], [], 'parts outside the window, after use');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page scrolls ${overflow} px sideways`);
      await page.screenshot({ path: join(ARTIFACTS, `zoom-200${path.replace(/\W+/g, '-')}.png`) });
      assert.deepEqual(page.pageErrors, []);
    }));
}
