// A theme may take a lojal element out of the page at any moment: a header that re-renders, a
// drawer that closes, a single-page shop that moves on. Whatever the element was doing (loading,
// just drawn, a play or a request in flight, a wheel still turning), its work ends with it: no
// page error, and the other elements its wasm serves go on working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { withShop, launch, openPage, sign, MERCHANT_TOKEN } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

// Each family, and what its element shows once it has loaded.
const ELEMENTS = [
  { tag: 'lojal-badge', attributes: 'customer-id="c-1001" customer-sig="{sig:c-1001}"', loaded: '[part=points]' },
  { tag: 'lojal-carousel', attributes: 'intent="popular" product-id="p-setesdal"', loaded: '[part=slide]' },
  { tag: 'lojal-wheel', attributes: 'campaign="vinterhjulet" customer-id="c-1001" customer-sig="{sig:c-1001}"', loaded: '[part=segment]' },
  { tag: 'lojal-scratch', attributes: 'campaign="skrapelodd" customer-id="c-1001" customer-sig="{sig:c-1001}"', loaded: '[part=card]:not(.hidden)' },
  { tag: 'lojal-nps', attributes: 'trigger="order-confirmation" order-id="NS-10042" customer-id="c-1001" customer-sig="{sig:c-1001}"', loaded: 'fieldset' },
];

const markup = (tag, attributes, extra = '') =>
  `<${tag} ${extra} ${attributes.replace(/\{sig:([^}]+)\}/g, (_, id) => sign(id))}></${tag}>`;

/** Serves `body` as /lifecycle.html on the shop's origin, with the loader. */
async function pageWith(shop, body) {
  const page = await openPage(browser, null);
  await page.route(`${shop.url}/lifecycle.html`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="nb"><head><script type="module" src="/lojal/lojal.js" data-api="/api/v1" data-locale="nb"></script></head>
      <body><main>${body}</main></body></html>`,
  }));
  return page;
}

/** Appends one fresh element of every family and waits until each has loaded. */
async function freshOnesWork(page) {
  await page.evaluate((elements) => {
    for (const html of elements) {
      const box = document.createElement('div');
      box.className = 'fresh';
      box.innerHTML = html;
      document.querySelector('main').append(box);
    }
  }, ELEMENTS.map(({ tag, attributes }) => markup(tag, attributes)));
  for (const { tag, loaded } of ELEMENTS) {
    await page.locator(`.fresh ${tag} ${loaded}`).first().waitFor({ timeout: 15_000 });
  }
}

test('an element taken out of the page at any moment of its loading ends its work quietly, and its family goes on working', () =>
  withShop(async (shop) => {
    // Each element leaves at the first change to its shadow root (while it loads), at the change
    // that draws its content (its timers and next frames still to run), or at the change after.
    // One that never changes again after it drew leaves once it has been still for a while.
    const seen = Object.fromEntries(ELEMENTS.map(({ tag }) => [tag, { loading: 0, drawn: 0 }]));
    for (const moment of ['first change', 'drawn', 'change after drawn']) {
      const page = await pageWith(shop, ELEMENTS.map(({ tag, attributes }) => markup(tag, attributes, 'class="leaves"')).join('\n'));
      await page.addInitScript(({ moment, loadedBy }) => {
        window.__left = [];
        const watch = (element) => {
          let drawnAt = null;
          let changes = 0;
          let still;
          const leave = (how, drawn) => {
            if (!element.isConnected) return;
            element.remove();
            window.__left.push({ tag: element.localName, how, drawn });
          };
          new MutationObserver(() => {
            changes += 1;
            clearTimeout(still);
            const drawn = Boolean(element.shadowRoot.querySelector(loadedBy[element.localName]));
            if (drawn && drawnAt === null) drawnAt = changes;
            const now = moment === 'first change' ? changes === 1
              : moment === 'drawn' ? drawnAt === changes
                : drawnAt !== null && changes === drawnAt + 1;
            if (now) leave('changing', drawn);
            else still = setTimeout(() => leave('still', drawn), 1_500);
          }).observe(element.shadowRoot, { childList: true, subtree: true, attributes: true, characterData: true });
        };
        // Each element's shadow root is attached when the loader defines it.
        const waiting = () => {
          const pending = [...document.querySelectorAll('.leaves')].filter((e) => !e.__watched);
          for (const element of pending.filter((e) => e.shadowRoot)) {
            element.__watched = true;
            watch(element);
          }
          if (pending.some((e) => !e.shadowRoot)) requestAnimationFrame(waiting);
        };
        document.addEventListener('DOMContentLoaded', waiting);
      }, { moment, loadedBy: Object.fromEntries(ELEMENTS.map(({ tag, loaded }) => [tag, loaded])) });
      await page.goto(`${shop.url}/lifecycle.html`);
      await page.waitForFunction((n) => document.querySelectorAll('.leaves').length === 0 && window.__left.length === n,
        ELEMENTS.length, { timeout: 15_000 });
      for (const { tag, how, drawn } of await page.evaluate(() => window.__left)) {
        if (how === 'changing') seen[tag][drawn ? 'drawn' : 'loading'] += 1;
      }
      // Whatever they left behind (a timer, a next frame, an answer on its way) has run by now.
      await page.waitForTimeout(1_000);
      await freshOnesWork(page);
      assert.deepEqual(page.pageErrors, [], `leaving at: ${moment}`);
      await page.context().close();
    }
    // The sweep really caught every family both while loading and just after it drew.
    for (const [tag, { loading, drawn }] of Object.entries(seen)) {
      assert.ok(loading > 0 && drawn > 0, `${tag}: left ${loading} times while loading, ${drawn} times the moment it drew`);
    }
  }));

test('a wheel taken out while its play is on the way, or while it turns, ends quietly; the next wheel plays', () =>
  withShop(async (shop) => {
    const wheel = (id) => markup('lojal-wheel', `campaign="vinterhjulet" customer-id="${id}" customer-sig="{sig:${id}}"`);
    const page = await pageWith(shop, wheel('c-1001'));
    let release;
    const held = new Promise((resolve) => (release = resolve));
    const asked = new Promise((resolve) => page.route('**/api/v1/campaigns/vinterhjulet/play', async (route) => {
      resolve();
      await held;
      await route.continue();
    }));
    await page.goto(`${shop.url}/lifecycle.html`);
    const play = page.locator('lojal-wheel [part=play]');
    await page.waitForFunction(() =>
      document.querySelector('lojal-wheel')?.shadowRoot?.querySelector('[part=play]')?.getAttribute('aria-disabled') === 'false');
    await play.click();
    await asked;
    // Out of the page while the server decides; then the answer arrives for nobody.
    await page.evaluate(() => document.querySelector('lojal-wheel').remove());
    const answered = page.waitForResponse((r) => r.url().endsWith('/vinterhjulet/play'));
    release();
    assert.equal((await answered).status(), 200);
    await page.waitForTimeout(500);
    assert.deepEqual(page.pageErrors, [], 'an answer for a wheel that left');

    // A second shopper's wheel turns, and leaves while it turns (its landing timer still set).
    await page.unroute('**/api/v1/campaigns/vinterhjulet/play');
    await page.evaluate((html) => document.querySelector('main').insertAdjacentHTML('beforeend', html), wheel('c-1002'));
    await page.waitForFunction(() =>
      document.querySelector('lojal-wheel')?.shadowRoot?.querySelector('[part=play]')?.getAttribute('aria-disabled') === 'false');
    const turned = page.waitForResponse((r) => r.url().endsWith('/vinterhjulet/play'));
    await page.locator('lojal-wheel [part=play]').click();
    assert.equal((await turned).status(), 200);
    await page.waitForTimeout(300);
    await page.evaluate(() => document.querySelector('lojal-wheel').remove());
    // The wheel's own fallback timer lands it 6.7 s after the spin started.
    await page.waitForTimeout(7_000);
    assert.deepEqual(page.pageErrors, [], 'a wheel that left while turning');

    // The games' wasm still serves a third shopper's wheel, to the end.
    await page.evaluate((html) => document.querySelector('main').insertAdjacentHTML('beforeend', html), wheel('c-1003'));
    await page.waitForFunction(() =>
      document.querySelector('lojal-wheel')?.shadowRoot?.querySelector('[part=play]')?.getAttribute('aria-disabled') === 'false');
    await page.locator('lojal-wheel [part=play]').click();
    await page.locator('lojal-wheel [part=result]').waitFor({ timeout: 15_000 });
    assert.deepEqual(page.pageErrors, []);
  }));

test('a theme that takes the element out from inside lojal’s own event (an answer sent, a prompt dismissed) breaks nothing, and the answer is stored', () =>
  withShop(async (shop) => {
    const prompts = [
      markup('lojal-nps', 'trigger="order-confirmation" order-id="NS-20001" customer-id="c-1001" customer-sig="{sig:c-1001}"'),
      markup('lojal-csat', 'variant="faces" question="Hvor fornøyd er du?" customer-id="c-1001" customer-sig="{sig:c-1001}"'),
    ];
    const page = await pageWith(shop, prompts.join('\n'));
    await page.addInitScript(() => {
      // Synchronously, in the listener: the widget's own code is still on the stack.
      for (const name of ['lojal:feedback', 'lojal:dismiss']) {
        document.addEventListener(name, (e) => e.target.remove());
      }
    });
    await page.goto(`${shop.url}/lifecycle.html`);
    await page.locator('lojal-nps fieldset').waitFor();
    await page.locator('lojal-nps label.option:has(input[value="9"])').click();
    const stored = page.waitForResponse((r) => r.url().endsWith('/api/v1/feedback') && r.request().method() === 'POST');
    await page.locator('lojal-nps [part=send]').click();
    assert.ok((await stored).ok());
    await page.waitForFunction(() => !document.querySelector('lojal-nps'));
    await page.locator('lojal-csat [part=dismiss]').click();
    await page.waitForFunction(() => !document.querySelector('lojal-csat'));
    await page.waitForTimeout(500);
    assert.deepEqual(page.pageErrors, []);
    const answers = await (await fetch(`${shop.url}/api/v1/feedback/export.csv`, { headers: { authorization: `Bearer ${MERCHANT_TOKEN}` } })).text();
    assert.equal(answers.split('\n').filter((row) => row.includes('NS-20001')).length, 1, answers);

    // The feedback family's wasm still serves a new prompt, to its thanks.
    await page.evaluate((html) => document.querySelector('main').insertAdjacentHTML('beforeend', html),
      markup('lojal-nps', 'trigger="order-confirmation" order-id="NS-20002" customer-id="c-1002" customer-sig="{sig:c-1002}"'));
    await page.locator('lojal-nps label.option:has(input[value="7"])').click();
    await page.locator('lojal-nps [part=send]').click();
    await page.waitForFunction(() => !document.querySelector('lojal-nps'));
    await page.waitForTimeout(500);
    assert.deepEqual(page.pageErrors, []);
  }));
