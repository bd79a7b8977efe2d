// Every element in custom-elements.json is documented on a page linked from /docs/: reference
// tables rendered from the manifest list all its attributes, events, parts and properties, the
// live example mounts, and its snippets for plain HTML, Shopify and WooCommerce themes name it,
// sign the customer id on the server where it takes one (Liquid's hmac_sha256, PHP's hash_hmac)
// and escape what they print into attributes (Liquid `| escape`, PHP esc_attr/esc_url).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startShop, launch, openPage, platformSnippets } from './harness.mjs';

const manifest = JSON.parse(readFileSync(join(ROOT, 'pkg', 'custom-elements.json'), 'utf8'));
const elements = manifest.modules.flatMap((m) => m.declarations).filter((d) => d.customElement);

const PLATFORMS = ['Plain HTML', 'Shopify', 'WooCommerce'];

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
    const snippets = await platformSnippets(page, PLATFORMS);
    const tag = element.tagName;
    const takesCustomer = element.attributes.some((a) => a.name === 'customer-sig');
    for (const platform of PLATFORMS) {
      const snippet = snippets[platform];
      assert.ok(snippet, `no ${platform} snippet on ${new URL(page.url()).pathname}`);
      assert.ok(snippet.includes(`<${tag}`) && snippet.includes(`</${tag}>`), `the ${platform} snippet has no <${tag}>`);
      // Each element from its start tag to its end tag (PHP's `?>` may sit inside its attributes).
      const tags = snippet.match(new RegExp(`<${tag}\\b[\\s\\S]*?></${tag}>`, 'g'));
      if (takesCustomer && platform !== 'Plain HTML') {
        assert.ok(tags.some((t) => t.includes('customer-sig=')), `the ${platform} snippet signs no <${tag}>`);
      }
    }
    if (takesCustomer) {
      assert.match(snippets.Shopify, /\| hmac_sha256: /, 'the Liquid snippet signs the customer id on the server');
      assert.match(snippets.WooCommerce, /hash_hmac\('sha256', /, 'the PHP snippet signs the customer id on the server');
    }
    // Whatever a theme prints into an attribute is escaped for it.
    for (const [, output] of snippets.Shopify.matchAll(/="\{\{(.*?)\}\}"/g)) {
      assert.match(output, /\| escape\s*$/, `Liquid output {{${output}}} in an attribute is not escaped`);
    }
    for (const [, output] of snippets.WooCommerce.matchAll(/="<\?php echo (.*?); \?>"/g)) {
      assert.match(output, /^esc_(attr|url)\(/, `PHP output ${output} in an attribute is not escaped`);
    }
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.screenshot({ path: join(ARTIFACTS, `docs-${element.tagName}.png`), fullPage: true });
    await page.context().close();
  });
}
