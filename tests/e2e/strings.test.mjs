// A merchant's own strings and languages without a rebuild: the `strings` attribute and the
// `data-lojal-strings` block change one element only and stay text, and a locale added with
// `lojal.addLocale` (or a `data-lojal-locale` script) is chosen and formats with `Intl`; without
// a `locale` attribute the page chooses the language, never the browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, plain, settled, withShop, ARTIFACTS, ROOT } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** The demo's front page with its badge settled, and every `lojal:` console warning kept. */
async function demo(shop) {
  // bypassCSP: the tests build elements with `new Function`, which the demo's policy forbids.
  const page = await openPage(browser, null, { bypassCSP: true });
  page.warnings = [];
  page.on('console', (m) => m.type() === 'warning' && m.text().startsWith('lojal:') && page.warnings.push(m.text()));
  await page.goto(shop.url);
  await page.waitForFunction(settled);
  return page;
}

/** Adds a second badge for the same shopper, built by `build(element)` before it connects. */
async function addBadge(page, id, build) {
  await page.evaluate(
    ([id, build]) => {
      const first = document.querySelector('#badge');
      const badge = document.createElement('lojal-badge');
      badge.id = id;
      for (const name of ['customer-id', 'customer-sig']) badge.setAttribute(name, first.getAttribute(name));
      new Function('badge', build)(badge);
      first.after(badge);
    },
    [id, build],
  );
  await page.waitForFunction((id) => document.getElementById(id)?.shadowRoot?.querySelector('[part=points]'), id);
}

const pointsOf = (page, id) => page.locator(`#${id} [part=points]`).textContent().then(plain);

test('a strings attribute changes its own element only, and a hostile string stays text', () =>
  withShop(async (shop) => {
    const page = await demo(shop);
    try {
      const before = await pointsOf(page, 'badge');
      assert.match(before, /^[\d ]+ poeng$/);
      const number = before.replace(/ poeng$/, '');
      await addBadge(page, 'own', `badge.setAttribute('strings', JSON.stringify({ points: { other: '{count} stjerner' } }))`);
      assert.equal(await pointsOf(page, 'own'), `${number} stjerner`);
      assert.equal(await pointsOf(page, 'badge'), before, 'the other badge keeps the locale’s string');

      // Changing the attribute re-renders; markup in it is shown as the characters it is.
      const hostile = '<img src=x onerror="window.__pwned=1">{count}';
      await page.$eval('#own', (el, text) => el.setAttribute('strings', JSON.stringify({ points: { other: text } })), hostile);
      await page.waitForFunction(() => document.querySelector('#own').shadowRoot.querySelector('[part=points]').textContent.startsWith('<img'));
      await page.waitForTimeout(200);
      assert.equal(await pointsOf(page, 'own'), `<img src=x onerror="window.__pwned=1">${number}`);
      assert.equal(await page.evaluate(() => document.querySelector('#own').shadowRoot.querySelectorAll('img').length), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no injected script ran');

      // A wrong key is named once; the keys that fit still apply. Other families' keys (the
      // games', the prompts') are theirs to check: one JSON may serve every element.
      page.warnings.length = 0;
      await page.$eval('#own', (el) =>
        el.setAttribute('strings', JSON.stringify({ points: { other: '{count} p' }, pionts: 'x', game_spin: 'Spinn', feedback: { thanks: 'Takk!' } })),
      );
      await page.waitForFunction(() => document.querySelector('#own').shadowRoot.querySelector('[part=points]').textContent.endsWith(' p'));
      assert.deepEqual(page.warnings, ['lojal: <lojal-badge> strings: ignored unknown or non-text keys: pionts']);
      assert.deepEqual(page.consoleErrors, []);
      assert.deepEqual(page.pageErrors, []);
    } finally {
      await page.context().close();
    }
  }));

test('a malformed data-lojal-strings block gives one warning and the widget still works', () =>
  withShop(async (shop) => {
    const page = await demo(shop);
    try {
      const before = await pointsOf(page, 'badge');
      await addBadge(
        page,
        'broken',
        `const block = document.createElement('script');
         block.type = 'application/json';
         block.dataset.lojalStrings = '';
         block.textContent = '{"points": {"other": "{count} stjerner",}';
         badge.append(block);`,
      );
      assert.equal(await pointsOf(page, 'broken'), before);
      assert.equal(page.warnings.length, 1, page.warnings.join(' | '));
      assert.match(page.warnings[0], /^lojal: <lojal-badge> strings: not valid JSON/);

      // The same block, well formed, applies.
      await addBadge(
        page,
        'block',
        `const block = document.createElement('script');
         block.type = 'application/json';
         block.dataset.lojalStrings = '';
         block.textContent = '{"points": {"other": "{count} stjerner"}}';
         badge.append(block);`,
      );
      assert.equal(await pointsOf(page, 'block'), before.replace('poeng', 'stjerner'));
      assert.deepEqual(page.pageErrors, []);
    } finally {
      await page.context().close();
    }
  }));

const LITHUANIAN = {
  points: { one: '{count} taškas', few: '{count} taškai', many: '{count} taško', other: '{count} taškų' },
  redeem: 'Panaudoti',
  // Not the badge's: passed over by it without a word.
  game_spin: 'Sukti',
  feedback: { thanks: 'Ačiū!' },
};

test('a locale added with lojal.addLocale is chosen by the locale attribute and formats with Intl for it', () =>
  withShop(async (shop) => {
    const page = await demo(shop);
    try {
      await page.evaluate((strings) => window.lojal.addLocale('lt', strings), LITHUANIAN);
      await page.$eval('#badge', (el) => el.setAttribute('locale', 'lt-LT'));
      await page.waitForFunction(() => document.querySelector('#badge').shadowRoot.querySelector('[lang=lt]'));
      const shown = await page.locator('#badge [part=points]').textContent();
      const expected = await page.evaluate((strings) => {
        const n = Number(document.querySelector('#badge').shadowRoot.querySelector('[part=points]').textContent.replace(/\D/g, ''));
        return strings.points[new Intl.PluralRules('lt').select(n)].replace('{count}', new Intl.NumberFormat('lt').format(n));
      }, LITHUANIAN);
      assert.equal(shown, expected);
      assert.match(shown, /taš/);
      // Lithuanian groups thousands with a space, not a comma as English would.
      assert.doesNotMatch(shown, /,/);
      const lacking = page.warnings.filter((w) => w.startsWith('lojal: locale lt lacks'));
      assert.equal(lacking.length, 1, page.warnings.join(' | '));
      assert.match(lacking[0], /points_to_next_tier/);
      const listed = lacking[0].split(': ')[1].split(', ');
      assert.ok(!listed.includes('redeem') && !listed.some((k) => k.startsWith('points.')), listed.join(', '));
      // The badge lists its own strings only, and no other family's key is called unknown.
      assert.ok(!listed.some((k) => /^(game_|feedback|title_)/.test(k)), listed.join(', '));
      assert.deepEqual(page.warnings.filter((w) => w.startsWith('lojal: locale lt ignores')), []);
      await page.screenshot({ path: join(ARTIFACTS, 'strings-lt.png') });

      // A locale from a script tag on the page takes part in resolution too.
      await page.evaluate(() => {
        const script = document.createElement('script');
        script.type = 'application/json';
        script.dataset.lojalLocale = 'is';
        script.textContent = JSON.stringify({ points: { one: '{count} punktur', other: '{count} punktar' } });
        document.body.append(script);
        const badge = document.createElement('lojal-badge');
        badge.id = 'icelandic';
        badge.setAttribute('locale', 'is');
        for (const name of ['customer-id', 'customer-sig']) badge.setAttribute(name, document.querySelector('#badge').getAttribute(name));
        document.body.append(badge);
      });
      await page.waitForFunction(() => document.querySelector('#icelandic')?.shadowRoot?.querySelector('[part=points]'));
      const icelandic = await page.locator('#icelandic [part=points]').textContent();
      const number = icelandic.replace(/ punkt(ur|ar)$/, '');
      assert.equal(number, await page.evaluate((n) => new Intl.NumberFormat('is').format(n), Number(number.replace(/\D/g, ''))));
      assert.match(icelandic, / punktar$/);
      assert.deepEqual(page.consoleErrors, []);
      assert.deepEqual(page.pageErrors, []);
    } finally {
      await page.context().close();
    }
  }));

// Which language an element speaks without its own `locale`: the script tag's data-locale, then
// <html lang>, then English, never the browser's. The browser here prefers Swedish, a shipped
// language, so a widget that asked navigator.languages would answer in Swedish.
const LOCALE_CASES = [
  { lang: 'et', expected: 'et' },
  { lang: 'nb-NO', expected: 'nb' },
  { lang: null, expected: 'en' },
  { lang: 'de', expected: 'en' }, // not shipped: English, not the browser's Swedish
  { lang: 'et', dataLocale: 'da', expected: 'da' },
];

for (const { lang, dataLocale, expected } of LOCALE_CASES) {
  const html = lang ? `<html lang="${lang}">` : 'no lang';
  const script = dataLocale ? `data-locale="${dataLocale}"` : 'no data-locale';
  test(`a guest badge on a page with ${html} and ${script}, in a Swedish browser, speaks ${expected}`, () =>
    withShop(async (shop) => {
      const tab = await openPage(browser, null, { locale: 'sv-SE' });
      try {
        await tab.route(`${shop.url}/locale.html`, (route) =>
          route.fulfill({
            contentType: 'text/html',
            body: `<!doctype html><html${lang ? ` lang="${lang}"` : ''}><head><meta charset="utf-8"><title>Locale</title>
              <script type="module" src="/lojal/lojal.js" data-api="/api/v1" ${dataLocale ? `data-locale="${dataLocale}"` : ''}></script>
              </head><body><lojal-badge></lojal-badge></body></html>`,
          }),
        );
        await tab.goto(`${shop.url}/locale.html`);
        assert.deepEqual(await tab.evaluate(() => navigator.languages), ['sv-SE']);
        const cta = tab.locator('lojal-badge [part=cta]');
        await cta.waitFor();
        assert.equal(await tab.locator('lojal-badge [part=badge]').getAttribute('lang'), expected);
        const strings = JSON.parse(readFileSync(join(ROOT, 'locales', `${expected}.json`), 'utf8'));
        assert.equal(plain(await cta.textContent()).replace(/^★/, ''), strings.guest_cta.other.replace('{count}', '100'));
        assert.deepEqual(tab.pageErrors, []);
      } finally {
        await tab.context().close();
      }
    }));
}
