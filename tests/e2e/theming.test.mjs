// The theming hooks as a theme uses them: --lojal-accent, --lojal-radius and --lojal-font set on
// the element, and ::part() rules from the page's own stylesheet, change what the shadow root
// draws; an element next to it without them keeps the defaults.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, demoSignature, withShop, ARTIFACTS } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const ACCENT = 'rgb(200, 30, 90)';
const THEME_CSS = `
  .themed { --lojal-accent: ${ACCENT}; --lojal-radius: 3px; --lojal-font: "DejaVu Serif", serif; }
  lojal-badge.themed::part(trigger) { background-color: rgb(250, 240, 200); letter-spacing: 2px; }
  lojal-carousel.themed::part(card) { border: 5px solid rgb(4, 5, 6); }
`;

/** A theme's page on the shop's origin with the real loader, its own stylesheet and `body`. */
async function themePage(shop, body) {
  const page = await openPage(browser, shop.url);
  const signature = await demoSignature(page, 'c-1001');
  await page.route(`${shop.url}/theme.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Theme</title>
        <script type="module" src="/lojal/lojal.js" data-api="/api/v1"></script>
        <style>body { font-family: sans-serif; } header { display: flex; justify-content: flex-end; gap: 1rem; } ${THEME_CSS}</style></head>
        <body>${body.replaceAll('SIGNATURE', signature)}</body></html>`,
    }),
  );
  await page.goto(`${shop.url}/theme.html`);
  return page;
}

/** Computed style properties of the first `selector` inside element `#id`'s shadow root. */
const styleIn = (page, id, selector, properties) =>
  page.evaluate(
    ([id, selector, properties]) => {
      const style = getComputedStyle(document.getElementById(id).shadowRoot.querySelector(selector));
      return Object.fromEntries(properties.map((p) => [p, style.getPropertyValue(p)]));
    },
    [id, selector, properties],
  );

test('--lojal-accent, --lojal-radius, --lojal-font and ::part(trigger) restyle the badge, and only the themed one', () =>
  withShop(async (shop) => {
    const badge = (id, extra = '') => `<lojal-badge id="${id}" ${extra} customer-id="c-1001" customer-sig="SIGNATURE"></lojal-badge>`;
    const page = await themePage(shop, `<header>${badge('themed', 'class="themed"')} ${badge('plain')}</header>`);
    for (const id of ['themed', 'plain']) {
      await page.waitForFunction((id) => document.getElementById(id).shadowRoot.querySelector('[part=trigger] .fill'), id);
    }
    const properties = ['border-top-left-radius', 'font-family', 'background-color', 'letter-spacing'];
    const themed = await styleIn(page, 'themed', '[part=trigger]', properties);
    const plain = await styleIn(page, 'plain', '[part=trigger]', properties);
    assert.deepEqual(themed, {
      'border-top-left-radius': '3px',
      'font-family': '"DejaVu Serif", serif',
      'background-color': 'rgb(250, 240, 200)',
      'letter-spacing': '2px',
    });
    // The defaults: 0.75rem, the page's font, the white surface, normal spacing.
    assert.deepEqual(plain, {
      'border-top-left-radius': '12px',
      'font-family': 'sans-serif',
      'background-color': 'rgb(255, 255, 255)',
      'letter-spacing': 'normal',
    });
    // The accent fills the progress bar and colours the tier's name.
    assert.equal((await styleIn(page, 'themed', '.fill', ['background-color']))['background-color'], ACCENT);
    assert.equal((await styleIn(page, 'themed', '[part=tier]', ['color'])).color, ACCENT);
    assert.equal((await styleIn(page, 'plain', '.fill', ['background-color']))['background-color'], 'rgb(11, 110, 79)');

    // The popover opened from the themed badge takes its radius too.
    await page.locator('#themed [part=trigger]').click();
    await page.locator('#themed [part=popover]').waitFor();
    assert.equal((await styleIn(page, 'themed', '[part=popover]', ['border-top-left-radius']))['border-top-left-radius'], '3px');
    assert.deepEqual(page.pageErrors, []);
    await page.screenshot({ path: join(ARTIFACTS, 'theming-badge.png') });
  }));

test('the same hooks and ::part(card) restyle the carousel, and only the themed one', () =>
  withShop(async (shop) => {
    const page = await themePage(
      shop,
      `<lojal-carousel id="themed" class="themed" intent="popular"></lojal-carousel>
       <lojal-carousel id="plain" intent="popular"></lojal-carousel>`,
    );
    for (const id of ['themed', 'plain']) {
      await page.waitForFunction((id) => document.getElementById(id).shadowRoot.querySelector('[part=card]'), id);
    }
    const card = ['border-top-left-radius', 'border-top-width', 'border-top-style', 'border-top-color'];
    assert.deepEqual(await styleIn(page, 'themed', '[part=card]', card), {
      'border-top-left-radius': '3px',
      'border-top-width': '5px',
      'border-top-style': 'solid',
      'border-top-color': 'rgb(4, 5, 6)',
    });
    assert.deepEqual(await styleIn(page, 'plain', '[part=card]', card), {
      'border-top-left-radius': '12px',
      'border-top-width': '0px',
      'border-top-style': 'none',
      'border-top-color': 'rgb(29, 29, 31)',
    });
    assert.equal((await styleIn(page, 'themed', '[part=title]', ['font-family']))['font-family'], '"DejaVu Serif", serif');
    assert.equal((await styleIn(page, 'plain', '[part=title]', ['font-family']))['font-family'], 'sans-serif');
    // The accent marks the control under the pointer.
    await page.locator('#themed [part=next]').hover();
    await page.waitForFunction(
      (accent) => getComputedStyle(document.getElementById('themed').shadowRoot.querySelector('[part=next]')).color === accent,
      ACCENT,
    );
    assert.equal((await styleIn(page, 'themed', '[part=next]', ['border-top-color']))['border-top-color'], ACCENT);
    assert.deepEqual(page.pageErrors, []);
  }));

test('every widget adopts the one shared base sheet first, and elements of a kind share their own sheets', () =>
  withShop(async (shop) => {
    const page = await themePage(
      shop,
      `<header><lojal-badge id="b1"></lojal-badge><lojal-badge id="b2" class="themed"></lojal-badge></header>
       <lojal-carousel id="c1" intent="popular"></lojal-carousel>
       <lojal-wheel id="w1" campaign="vinterhjulet"></lojal-wheel><lojal-scratch id="s1" campaign="skrapelodd"></lojal-scratch>`,
    );
    const ids = ['b1', 'b2', 'c1', 'w1', 's1'];
    await page.waitForFunction((ids) => ids.every((id) => document.getElementById(id).shadowRoot?.querySelector('.lojal-root')), ids);
    const sheets = await page.evaluate((ids) => {
      const all = ids.map((id) => document.getElementById(id).shadowRoot.adoptedStyleSheets);
      const index = (sheet) => all.flat().indexOf(sheet);
      return {
        // Each root's sheets as the index of the first root's sheet that is the same object.
        shape: all.map((list) => list.map(index)),
        firstRule: all.map((list) => list[0].cssRules[0].cssText.slice(0, 50)),
      };
    }, ids);
    // Base (0) first everywhere; the second badge reuses the first one's sheet (1); the wheel and
    // the scratch card share the games' sheet (7) and add their own.
    assert.deepEqual(sheets.shape, [[0, 1], [0, 1], [0, 5], [0, 7, 8], [0, 7, 11]]);
    assert.ok(sheets.firstRule.every((rule) => rule.startsWith(':host { --_accent: var(--lojal-accent')), sheets.firstRule.join(' | '));
    // The shared tokens still reach each widget: the themed badge's accent, the plain defaults.
    assert.equal((await styleIn(page, 'b2', '.skeleton, [part=cta], [part=trigger]', ['border-top-left-radius']))['border-top-left-radius'], '3px');
    assert.equal((await styleIn(page, 'b1', '.skeleton, [part=cta], [part=trigger]', ['border-top-left-radius']))['border-top-left-radius'], '12px');
    assert.deepEqual(page.pageErrors, []);
  }));

test('in dark mode the base sheet’s darker defaults reach every widget; a theme’s values still win', () =>
  withShop(async (shop) => {
    const page = await themePage(shop, '');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend',
      `<lojal-badge id="plain"></lojal-badge><lojal-badge id="themed" class="themed"></lojal-badge>
       <lojal-carousel id="rail" intent="popular"></lojal-carousel><lojal-nps id="nps" campaign="dark-test"></lojal-nps>`));
    await page.waitForFunction(() => [['plain', '[part=cta]'], ['themed', '[part=cta]'], ['rail', '[part=card]'], ['nps', '.prompt']]
      .every(([id, part]) => document.getElementById(id).shadowRoot?.querySelector(part)));
    const surface = 'rgb(30, 32, 35)';
    assert.equal((await styleIn(page, 'plain', '[part=cta]', ['background-color']))['background-color'], surface);
    assert.equal((await styleIn(page, 'nps', '.prompt', ['background-color']))['background-color'], surface);
    assert.equal((await styleIn(page, 'rail', '.head', ['color'])).color, 'rgb(236, 238, 241)');
    // The theme's values beat the dark defaults: its radius, and its accent on the hovered link
    // (the dark default accent is #5cd6a8).
    assert.equal((await styleIn(page, 'themed', '[part=cta]', ['border-top-left-radius']))['border-top-left-radius'], '3px');
    await page.locator('#themed [part=cta]').hover();
    await page.waitForFunction((accent) => getComputedStyle(document.getElementById('themed').shadowRoot.querySelector('[part=cta]')).borderTopColor === accent, ACCENT);
    await page.locator('#plain [part=cta]').hover();
    await page.waitForFunction(() => getComputedStyle(document.getElementById('plain').shadowRoot.querySelector('[part=cta]')).borderTopColor === 'rgb(92, 214, 168)');
    assert.deepEqual(page.pageErrors, []);
  }));
