// Strings in the page's language come as files beside the wasm (issue 16): each wasm carries its
// families' English strings only, the fallback, and the loader fetches one file per family and
// shipped locale, beside the wasm, for the locales the page's elements speak. An element in
// another language gets its own file; a file that is missing, failed or hostile leaves its
// widgets in English with one console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, plain, withShop, ROOT } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** A page in `lang` with `body` in its main, served at /sprak.html. */
async function open(shop, lang, body) {
  const page = await openPage(browser);
  await page.route(`${shop.url}/sprak.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Språk</title>
        <script type="module" src="/lojal/lojal.js" data-api="/api/v1" async></script></head>
        <body><main>${body}</main></body></html>`,
    }),
  );
  // Every strings file the page asks for, as `family.locale`, and the order of the bundle's
  // requests and finished downloads.
  page.strings = [];
  page.events = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    const file = path.match(/^\/lojal\/lojal_([a-z]+)\.([A-Za-z-]+)\.[0-9a-f]{12}\.json$/);
    if (file) page.strings.push(`${file[1]}.${file[2]}`);
    if (path.startsWith('/lojal/')) page.events.push(`asked ${path}`);
  });
  page.on('requestfinished', (r) => page.events.push(`got ${new URL(r.url()).pathname}`));
  await page.goto(`${shop.url}/sprak.html`);
  return page;
}

/** What a guest badge's call to action says in `tag`, from locales/<tag>.json. */
const guestCta = (tag) =>
  JSON.parse(readFileSync(join(ROOT, 'locales', `${tag}.json`), 'utf8')).guest_cta.other.replace('{count}', '100');

const ctaOf = async (page, id) => {
  const cta = page.locator(`#${id} [part=cta]`);
  await cta.waitFor();
  return plain(await cta.textContent()).replace(/^★/, '');
};

test('a Norwegian page with a badge fetches the Bokmål strings beside the wasm and no other locale; a badge in another language fetches its own', () =>
  withShop(async (shop) => {
    const page = await open(shop, 'nb', '<lojal-badge id="first"></lojal-badge>');
    assert.equal(await ctaOf(page, 'first'), guestCta('nb'));
    await page.waitForLoadState('networkidle');
    assert.deepEqual(page.strings, ['badge.nb'], 'the badge family\'s Bokmål file alone: English is in the wasm');
    // Asked for in the same task as the wasm, not once it has arrived: no round trip more.
    const asked = page.events.findIndex((e) => /^asked \/lojal\/lojal_badge\.nb\./.test(e));
    const wasm = page.events.findIndex((e) => /^got \/lojal\/lojal_badge_bg\..*\.wasm$/.test(e));
    assert.ok(asked >= 0 && wasm >= 0 && asked < wasm, `the strings are asked for before the wasm has come: ${page.events}`);

    // A badge in Swedish on the Norwegian page fetches Swedish, and shows it from the start.
    await page.evaluate(() => {
      const badge = document.createElement('lojal-badge');
      badge.id = 'swedish';
      badge.setAttribute('locale', 'sv-SE');
      document.querySelector('main').append(badge);
    });
    assert.equal(await ctaOf(page, 'swedish'), guestCta('sv'));
    assert.equal(await page.locator('#swedish [part=badge]').getAttribute('lang'), 'sv');

    // The first badge switched to Danish fetches Danish; to English, nothing.
    await page.$eval('#first', (badge) => badge.setAttribute('locale', 'da'));
    await page.waitForFunction((text) => document.querySelector('#first').shadowRoot.querySelector('[part=cta]')?.textContent.includes(text), guestCta('da'));
    await page.$eval('#first', (badge) => badge.setAttribute('locale', 'en'));
    await page.waitForFunction((text) => document.querySelector('#first').shadowRoot.querySelector('[part=cta]')?.textContent.includes(text), guestCta('en'));
    assert.equal(await ctaOf(page, 'swedish'), guestCta('sv'), 'the Swedish badge keeps its language');
    await page.waitForLoadState('networkidle');
    assert.deepEqual(page.strings, ['badge.nb', 'badge.sv', 'badge.da'], 'each file once, English none');
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
  }));

test('an English page fetches no strings file', () =>
  withShop(async (shop) => {
    const page = await open(shop, 'en-GB', '<lojal-badge id="first"></lojal-badge><lojal-nps id="nps"></lojal-nps>');
    assert.equal(await ctaOf(page, 'first'), guestCta('en'));
    await page.locator('#nps legend').waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(page.strings, []);
    assert.deepEqual(page.consoleErrors, []);
  }));

// What a strings file may come back as when something between the shop and the browser breaks.
const BROKEN = [
  { what: 'missing (404)', answer: (route) => route.fulfill({ status: 404, body: 'Not found' }), why: /HTTP 404/ },
  { what: 'cut off by the network', answer: (route) => route.abort('connectionreset'), why: /lojal_badge\.nb\.[0-9a-f]{12}\.json\S*: / },
  { what: 'an HTML error page with 200', answer: (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<html><body>Oops</body></html>' }), why: /not JSON/ },
  {
    what: 'JSON with markup and a key too many',
    answer: (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ redeem: '<img src=x onerror="window.__pwned=1">', evil: 1 }) }),
    why: /not these strings/,
  },
  { what: 'huge', answer: (route) => route.fulfill({ status: 200, body: `{"redeem":"${'x'.repeat(200_000)}"}` }), why: /more than 65536/ },
];

for (const { what, answer, why } of BROKEN) {
  test(`a Bokmål strings file that is ${what} leaves two badges in English with one console error`, () =>
    withShop(async (shop) => {
      const page = await openPage(browser);
      await page.route(/\/lojal\/lojal_badge\.nb\.[0-9a-f]{12}\.json/, answer);
      await page.route(`${shop.url}/sprak.html`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Språk</title>
            <script type="module" src="/lojal/lojal.js" data-api="/api/v1" async></script></head>
            <body><main><lojal-badge id="a"></lojal-badge><lojal-badge id="b"></lojal-badge></main></body></html>`,
        }),
      );
      await page.goto(`${shop.url}/sprak.html`);
      assert.equal(await ctaOf(page, 'a'), guestCta('en'));
      assert.equal(await ctaOf(page, 'b'), guestCta('en'));
      // Numbers and dates still follow the page's language; only the strings are English.
      assert.equal(await page.locator('#a [part=badge]').getAttribute('lang'), 'nb');
      await page.waitForLoadState('networkidle');
      // (The browser logs a refused or failed request itself too.)
      const ours = page.consoleErrors.filter((m) => m.startsWith('lojal'));
      assert.equal(ours.length, 1, `${page.consoleErrors}`);
      assert.match(ours[0], /^lojal: the badge strings in nb could not be used \(/);
      assert.match(ours[0], why);
      assert.match(ours[0], /\): English shows instead$/);
      assert.deepEqual(page.pageErrors, []);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
    }));
}
