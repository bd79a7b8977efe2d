// Every element in custom-elements.json is documented on a page linked from /docs/: reference
// tables rendered from the manifest list all its attributes, events, parts and properties, the
// live example mounts, and snippets for plain HTML, Shopify and WooCommerce themes are there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startShop, launch, openPage } from './harness.mjs';

const manifest = JSON.parse(readFileSync(join(ROOT, 'pkg', 'custom-elements.json'), 'utf8'));
const elements = manifest.modules.flatMap((m) => m.declarations).filter((d) => d.customElement);

let browser;
let shop;
let pages = [];
before(async () => {
  browser = await launch();
  shop = await startShop();
  const index = await openPage(browser, `${shop.url}/docs/`);
  pages = await index.locator('main a[href^="/docs/"]').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
  await index.context().close();
});
after(async () => {
  await browser?.close();
  await shop?.stop();
});

test('the docs index links a page for every element', async () => {
  const documented = new Map();
  for (const path of pages) {
    const page = await openPage(browser, shop.url + path);
    for (const tag of await page.locator('[data-reference]').evaluateAll((els) => els.map((e) => e.dataset.reference))) documented.set(tag, path);
    await page.context().close();
  }
  for (const element of elements) assert.ok(documented.has(element.tagName), `no docs page documents <${element.tagName}>`);
});

for (const element of elements) {
  test(`<${element.tagName}>: every attribute, event, part and property documented, a live example, three platforms`, async () => {
    let page;
    for (const path of pages) {
      page = await openPage(browser, shop.url + path);
      if (await page.locator(`[data-reference="${element.tagName}"]`).count()) break;
      await page.context().close();
      page = null;
    }
    assert.ok(page, `no docs page for <${element.tagName}>`);
    const reference = page.locator(`[data-reference="${element.tagName}"]`);
    await reference.locator('table').first().waitFor();
    const documented = await reference.locator('tbody tr td:first-child').allTextContents();
    const expected = [
      ...element.attributes, ...(element.events ?? []), ...(element.cssProperties ?? []), ...(element.cssParts ?? []),
    ].map((x) => x.name);
    assert.deepEqual(documented.sort(), expected.sort());
    // The live example is a real, mounted element.
    await page.waitForFunction((tag) => document.querySelector(tag)?.shadowRoot?.querySelector('[part]'), element.tagName);
    for (const platform of ['Plain HTML', 'Shopify', 'WooCommerce']) {
      assert.ok(await page.getByRole('heading', { name: new RegExp(platform) }).count() >= 1, `${platform} snippet`);
    }
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.screenshot({ path: join(ARTIFACTS, `docs-${element.tagName}.png`), fullPage: true });
    await page.context().close();
  });
}
