// Every element in custom-elements.json has a docs page at /docs/<name>.html whose reference
// tables (rendered from the manifest) list all its attributes, and whose live example runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startShop, launch, openPage } from './harness.mjs';

const manifest = JSON.parse(readFileSync(join(ROOT, 'pkg', 'custom-elements.json'), 'utf8'));
const elements = manifest.modules.flatMap((m) => m.declarations).filter((d) => d.customElement);

let browser;
let shop;
before(async () => {
  browser = await launch();
  shop = await startShop();
});
after(async () => {
  await browser?.close();
  await shop?.stop();
});

test('the docs index links every widget page', async () => {
  const page = await openPage(browser, `${shop.url}/docs/`);
  const links = await page.locator('main a').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
  for (const element of elements) assert.ok(links.includes(`/docs/${element.tagName.replace(/^lojal-/, '')}.html`), element.tagName);
  assert.deepEqual(page.consoleErrors, []);
});

for (const element of elements) {
  const name = element.tagName.replace(/^lojal-/, '');
  test(`/docs/${name}.html documents every attribute, event, part and property of <${element.tagName}> and runs it`, async () => {
    const page = await openPage(browser, `${shop.url}/docs/${name}.html`);
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
      assert.equal(await page.getByRole('heading', { name: new RegExp(platform) }).count(), 1, `${platform} snippet`);
    }
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.screenshot({ path: join(ARTIFACTS, `docs-${name}.png`), fullPage: true });
  });
}
