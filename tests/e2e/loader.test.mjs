// The loader as merchants use it: a tag on every page of the theme, a strict CSP, elements that
// appear late. Debian's Chromium against a real shop-api.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, withShop } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const bundleRequests = (page) => {
  const seen = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/lojal/')) seen.push(path);
  });
  return seen;
};

test('a page without lojal elements loads the small loader only; an element added later brings the wasm once', () =>
  withShop(async (shop) => {
    const page = await openPage(browser);
    const seen = bundleRequests(page);
    await page.goto(`${shop.url}/bli-medlem/`, { waitUntil: 'networkidle' });
    assert.deepEqual(seen, ['/lojal/lojal.js'], 'only the loader before any element exists');
    assert.equal(await page.evaluate(() => typeof customElements.get('lojal-badge')), 'function');

    // The theme's own script adds two badges after load, as a mini-cart drawer would.
    await page.evaluate(() => {
      for (let i = 0; i < 2; i++) document.querySelector('main').append(document.createElement('lojal-badge'));
    });
    await page.locator('lojal-badge >> nth=1').locator('[part=cta]').waitFor();
    await page.locator('lojal-badge >> nth=0').locator('[part=cta]').waitFor();
    const wasm = seen.filter((p) => p.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `one wasm download for every element: ${seen}`);
    assert.match(wasm[0], /^\/lojal\/lojal_wasm_bg\.[0-9a-f]{12}\.wasm$/, 'the wasm name carries its content hash');
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
  }));

test('the demo works under script-src \'self\' \'wasm-unsafe-eval\', and the policy is really enforced', () =>
  withShop(async (shop) => {
    const page = await openPage(browser);
    await page.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(shop.url);
    assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
    await page.locator('lojal-badge [part=points]').waitFor();
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'the widgets need nothing the policy forbids');

    // The same page refuses an inline script, so a widget that needed one would have failed above.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.head.append(script);
    });
    await page.waitForFunction(() => window.__violations.length > 0);
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
    assert.match((await page.evaluate(() => window.__violations))[0], /^script-src/);
  }));

// Every demo page with widgets, loaded while the API takes 1.5 s to answer: the placeholders
// reserve each widget's final box, so nothing on the page moves when content arrives.
// Not yet /ordre.html: inline feedback prompts appear only once the server says the shopper has
// not answered, and their height depends on the width, so they still shift it (CLS 0.015).
const PAGES_WITH_WIDGETS = ['/', '/product.html', '/kampanje.html'];

for (const path of PAGES_WITH_WIDGETS) {
  test(`no layout shift on ${path} while the widgets load from a slow API`, () =>
    withShop(async (shop) => {
      const page = await openPage(browser);
      await page.addInitScript(() => {
        window.__shifts = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
        }).observe({ type: 'layout-shift', buffered: true });
      });
      await page.route('**/api/v1/**', async (route) => {
        await new Promise((r) => setTimeout(r, 1500));
        await route.continue();
      });
      await page.goto(shop.url + path);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(500);
      const rendered = await page.evaluate(() =>
        [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('lojal-') && e.shadowRoot?.querySelector('[part]')).length);
      assert.ok(rendered > 0, 'the widgets rendered');
      assert.deepEqual(await page.evaluate(() => window.__shifts), []);
      assert.deepEqual(page.pageErrors, []);
    }));
}

// A CDN's moving name answers with a redirect to the versioned file; the module's
// import.meta.url is then the final URL, not the tag's src. The loader still finds its tag (by
// the name lojal.js, or by data-api) and reads its settings: data-locale="et" on a Norwegian
// page shows Estonian.
for (const src of ['/cdn/lojal/latest/lojal.js', '/cdn/loyalty-widgets.js']) {
  test(`a script tag whose src ${src} redirects to the loader still defines and configures the elements`, () =>
    withShop(async (shop) => {
      const page = await openPage(browser);
      await page.route(`${shop.url}/redirected.html`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>CDN</title>
            <script type="module" src="${src}" data-api="/api/v1" data-locale="et" async></script></head>
            <body><lojal-badge></lojal-badge></body></html>`,
        }),
      );
      await page.route(`${shop.url}${src}`, (route) => route.fulfill({ status: 302, headers: { location: '/lojal/lojal.js' } }));
      const redirected = page.waitForResponse((r) => r.url() === `${shop.url}${src}` && r.status() === 302);
      await page.goto(`${shop.url}/redirected.html`);
      await redirected;
      const cta = page.locator('lojal-badge [part=cta]');
      await cta.waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('lojal-badge [part=badge]').getAttribute('lang'), 'et');
      assert.match(await cta.textContent(), /Liitu ja saa 100 punkti/);
      assert.deepEqual(page.pageErrors, []);
      assert.deepEqual(page.consoleErrors, []);
    }));
}
