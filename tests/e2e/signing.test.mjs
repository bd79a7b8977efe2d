// The theme snippets on the docs pages, run for real and checked against the API: Shopify's
// Liquid through LiquidJS (with Shopify's hmac_sha256 filter as Shopify documents it: the hex
// HMAC-SHA256 of the input under the key), WooCommerce's PHP through Debian's php-cli (with
// stand-ins for the few WordPress functions the snippets call), and the Node.js function through
// Node. Every customer-sig they render is the time-bound form, accepted by the API, and refused
// when rendered under another secret; a badge they render shows the shopper's real balance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Liquid } from 'liquidjs';
import { startShop, launch, openPage, api, plain, platformSnippets, SHOP_SECRET } from './harness.mjs';

const PLATFORMS = ['Shopify', 'WooCommerce', 'Any server (Node.js)'];
const PAGES = ['/docs/badge.html', '/docs/feedback.html', '/docs/games.html', '/docs/carousel.html'];
const CUSTOMER = 'c-1001';
const WRONG_SECRET = 'not-the-shops-secret';

let browser;
let shop;
let work;
const snippets = {};
before(async () => {
  browser = await launch();
  shop = await startShop();
  work = mkdtempSync(join(tmpdir(), 'lojal-snippets-'));
  for (const path of PAGES) {
    const page = await openPage(browser, shop.url + path);
    snippets[path] = await platformSnippets(page, PLATFORMS);
    await page.context().close();
  }
});
after(async () => {
  await browser?.close();
  await shop?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Every lojal element in rendered HTML, with its attributes (entities decoded). */
function elements(html) {
  const decode = (s) => s.replace(/&quot;|&#0?39;|&amp;|&lt;|&gt;/g, (e) => ({ '&quot;': '"', '&#039;': "'", '&#39;': "'", '&amp;': '&', '&lt;': '<', '&gt;': '>' })[e]);
  return [...html.matchAll(/<(lojal-[a-z]+)\b([^>]*)>/g)].map(([, tag, attrs]) => ({
    tag,
    attrs: Object.fromEntries([...attrs.matchAll(/([a-z-]+)="([^"]*)"/g)].map(([, k, v]) => [k, decode(v)])),
  }));
}

/** Renders a Liquid snippet as Shopify would for `customer` (null: a guest). */
function renderLiquid(source, customer, secret) {
  const engine = new Liquid();
  engine.registerFilter('hmac_sha256', (input, key) => createHmac('sha256', String(key)).update(String(input)).digest('hex'));
  return engine.parseAndRender(source, {
    customer: customer && { id: customer },
    settings: { lojal_secret: secret },
    request: { locale: { iso_code: 'nb' } },
    product: { id: 8012345600000 },
    cart: { items: [{ product_id: 8012345600000 }, { product_id: 8012345600001 }] },
    order: { name: '#1042', line_items: [{ product_id: 'setesdal-genser', title: 'Setesdal-genser' }] },
  });
}

/** Runs a PHP snippet as a WordPress theme would for `user` (0: a guest). */
function renderPhp(source, user, secret) {
  const prelude = `<?php
define('LOJAL_SECRET', getenv('LOJAL_TEST_SECRET'));
function get_current_user_id() { return getenv('LOJAL_TEST_USER') ?: 0; }
function esc_attr($s) { return htmlspecialchars((string) $s, ENT_QUOTES); }
function esc_url($s) { return htmlspecialchars((string) $s, ENT_QUOTES); }
function get_locale() { return 'nb_NO'; }
function add_action($hook, $callback) { $callback(); }
class LojalTestItem { function get_product_id() { return 'setesdal-genser'; } function get_name() { return 'Setesdal-genser'; } }
class LojalTestOrder { function get_order_number() { return '1042'; } function get_items() { return [new LojalTestItem()]; } }
$order = new LojalTestOrder();
class LojalTestProduct { function get_id() { return 'p-setesdal'; } }
$product = new LojalTestProduct();
function rest_url($path) { return 'https://shop.example/wp-json/' . $path; }
?>`;
  const file = join(work, `snippet-${Math.random().toString(36).slice(2)}.php`);
  writeFileSync(file, prelude + source);
  return execFileSync('php', [file], { env: { ...process.env, LOJAL_TEST_SECRET: secret, LOJAL_TEST_USER: String(user) }, encoding: 'utf8' });
}

/** Each element that carries a customer-sig, checked against the API: `status` for each. */
async function checkSigned(found, expectedStatus, label) {
  const signed = found.filter((e) => e.attrs['customer-sig']);
  assert.ok(signed.length > 0, `${label}: no element carries a customer-sig`);
  for (const { tag, attrs } of signed) {
    assert.equal(attrs['customer-id'], CUSTOMER, `${label}: <${tag}> customer-id`);
    const [, t] = attrs['customer-sig'].match(/^t=(\d+),v1=[0-9a-f]{64}$/) ?? [];
    assert.ok(t, `${label}: <${tag}> customer-sig is not t=…,v1=…: ${attrs['customer-sig']}`);
    assert.ok(Math.abs(Number(t) - Date.now() / 1000) < 60, `${label}: <${tag}> was not signed now`);
    const answer = await api(shop, `/loyalty/${CUSTOMER}`, { signature: attrs['customer-sig'] });
    assert.equal(answer.status, expectedStatus, `${label}: <${tag}>: ${JSON.stringify(answer.body)}`);
  }
  return signed.length;
}

for (const path of PAGES) {
  test(`${path}: the Liquid snippet renders signatures the API accepts, for a customer only`, async () => {
    const source = snippets[path].Shopify;
    assert.ok(source, `no Shopify snippet on ${path}`);
    await checkSigned(elements(await renderLiquid(source, CUSTOMER, SHOP_SECRET)), 200, `${path} Liquid`);
    await checkSigned(elements(await renderLiquid(source, CUSTOMER, WRONG_SECRET)), 401, `${path} Liquid, wrong secret`);
    const guest = elements(await renderLiquid(source, null, SHOP_SECRET));
    assert.ok(guest.length > 0, 'the guest sees the element too');
    assert.ok(guest.every((e) => !e.attrs['customer-sig']), 'a guest gets no signature');
  });

  test(`${path}: the PHP snippet renders signatures the API accepts, for a customer only`, async () => {
    const source = snippets[path].WooCommerce;
    assert.ok(source, `no WooCommerce snippet on ${path}`);
    await checkSigned(elements(renderPhp(source, CUSTOMER, SHOP_SECRET)), 200, `${path} PHP`);
    await checkSigned(elements(renderPhp(source, CUSTOMER, WRONG_SECRET)), 401, `${path} PHP, wrong secret`);
    const guest = elements(renderPhp(source, 0, SHOP_SECRET));
    assert.ok(guest.length > 0, 'the guest sees the element too');
    assert.ok(guest.every((e) => !e.attrs['customer-sig']), 'a guest gets no signature');
  });
}

test('the Node.js function signs what the API accepts', async () => {
  const source = snippets['/docs/badge.html']['Any server (Node.js)'];
  assert.ok(source, 'no Node.js snippet on the badge page');
  const file = join(work, 'customer-sig.mjs');
  writeFileSync(file, source);
  const { customerSig } = await import(pathToFileURL(file).href);
  const fresh = customerSig(CUSTOMER, SHOP_SECRET);
  assert.match(fresh, /^t=\d+,v1=[0-9a-f]{64}$/);
  assert.equal((await api(shop, `/loyalty/${CUSTOMER}`, { signature: fresh })).status, 200);
  assert.equal((await api(shop, `/loyalty/${CUSTOMER}`, { signature: customerSig(CUSTOMER, WRONG_SECRET) })).status, 401);
});

test('a badge rendered by the Liquid snippet shows the shopper’s balance in Chromium', async () => {
  const html = await renderLiquid(snippets['/docs/badge.html'].Shopify, CUSTOMER, SHOP_SECRET);
  const badge = html.match(/<lojal-badge [^>]*customer-sig[^>]*><\/lojal-badge>/)[0];
  const page = await openPage(browser, `${shop.url}/docs/badge.html`);
  await page.evaluate((markup) => document.querySelector('main').insertAdjacentHTML('afterbegin', `<div id="rendered">${markup}</div>`), badge);
  const points = page.locator('#rendered lojal-badge [part=points]');
  await points.waitFor();
  assert.match(plain(await points.textContent()), /^1\D?250 /, 'Ingrid\'s 1 250 points');
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
