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
