// Shared by the end-to-end tests: a real shop-api on a free loopback port with a fresh SQLite
// file, and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'target', 'e2e');
mkdirSync(ARTIFACTS, { recursive: true });

const SERVER = join(ROOT, 'target', 'release', 'shop-api');
/** The shop secret every test server signs customer ids with. */
export const SHOP_SECRET = 'e2e-secret';

/** A customer-sig made at `t` (Unix seconds): `t=<t>,v1=<hex HMAC-SHA256 of "<id>.<t>">`. */
export function signAt(customerId, t, secret = SHOP_SECRET) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${customerId}.${t}`).digest('hex')}`;
}

/** A fresh customer-sig, as a theme renders it. */
export const sign = (customerId, secret = SHOP_SECRET) => signAt(customerId, Math.floor(Date.now() / 1000), secret);

/** The webhook secrets every test server has for Shopify and WooCommerce. */
export const SHOPIFY_WEBHOOK_SECRET = 'e2e-shopify-secret';
export const WOOCOMMERCE_WEBHOOK_SECRET = 'e2e-woocommerce-secret';

/**
 * Delivers a webhook as Shopify does: the raw JSON body, `X-Shopify-Topic`, a
 * `X-Shopify-Webhook-Id` (the same on every retry of one event) and `X-Shopify-Hmac-Sha256`,
 * the base64 HMAC-SHA256 of the body under the app's secret.
 */
export async function shopifyWebhook(shop, topic, payload, { id = crypto.randomUUID(), secret = SHOPIFY_WEBHOOK_SECRET } = {}) {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const response = await fetch(`${shop.url}/api/v1/webhooks/shopify`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-webhook-id': id,
      'x-shopify-shop-domain': 'nordlys-strikk.myshopify.com',
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
    },
    body,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** A Shopify `orders/paid` body for `customer` (null: a guest), shaped as Shopify sends it. */
export function shopifyOrder({ id, customer, email, subtotal = '2248.00', currency = 'NOK', name = `#${id}` }) {
  return {
    id, name, email, contact_email: email, currency, presentment_currency: currency,
    financial_status: 'paid', cancelled_at: null, subtotal_price: subtotal,
    total_price: subtotal, taxes_included: true, refunds: [],
    customer: customer ? { id: customer, email, first_name: 'Test' } : null,
    line_items: [{ id: id * 10, title: 'Setesdal-genser', quantity: 1, price: subtotal }],
    shipping_lines: [{ title: 'Standard', price: '49.00' }],
  };
}

/** What the merchant's tools send for the feedback summary and export. */
export const MERCHANT_TOKEN = 'e2e-merchant-token-0123456789';

/**
 * Starts the reference API (and demo, or the site in `www`) on 127.0.0.1 with an empty database,
 * or with the database in `dir` (which then outlives `stop()`, for restart tests).
 */
export async function startShop({ www = join(ROOT, 'www'), dir: keptDir = null, args = [], env = {} } = {}) {
  const dir = keptDir ?? mkdtempSync(join(tmpdir(), 'lojal-e2e-'));
  const child = spawn(
    SERVER,
    ['--addr', '127.0.0.1:0', '--db', join(dir, 'shop.sqlite'), '--www', www, '--dist', join(ROOT, 'pkg', 'dist'),
      '--console-dist', join(ROOT, 'console', 'dist'), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: {
        ...process.env,
        LOJAL_SHOP_SECRET: SHOP_SECRET,
        LOJAL_MERCHANT_TOKEN: MERCHANT_TOKEN,
        LOJAL_SHOPIFY_WEBHOOK_SECRET: SHOPIFY_WEBHOOK_SECRET,
        LOJAL_WOOCOMMERCE_WEBHOOK_SECRET: WOOCOMMERCE_WEBHOOK_SECRET,
        // Warnings and errors only: a line per request is noise here (the bench asks for them).
        LOJAL_LOG: 'warn',
        ...env,
      } },
  );
  // Only the last lines are kept: a server under load logs a line per request.
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-16_384)));
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shop-api did not start in 15 s: ${stderr}`)), 15_000);
    child.stdout.on('data', (d) => {
      out += d;
      const match = out.match(/listening on (http:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace(/\/$/, ''));
      }
    });
    child.on('exit', (code) => reject(new Error(`shop-api exited with ${code}: ${stderr}`)));
  });
  // With --metrics-addr the server says where /metrics is before it listens.
  const metricsUrl = out.match(/metrics on (http:\/\/[^\s]+)/)?.[1] ?? null;
  return {
    url,
    metricsUrl,
    pid: child.pid,
    async stop() {
      // A killed child keeps exitCode null (it has a signalCode instead): check both, or a
      // second stop() would wait for an exit that already happened.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      if (!keptDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` against its own server and database, so balances and plays never leak between tests. */
export async function withShop(fn) {
  const shop = await startShop();
  try {
    await fn(shop);
  } finally {
    await shop.stop();
  }
}

/** Asks the API directly, as the shop would, to compare with what the widget shows. */
export async function api(shop, path, { signature, method = 'GET', body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (signature) headers['x-lojal-signature'] = signature;
  const response = await fetch(`${shop.url}/api/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.LOJAL_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** A page that records console errors and uncaught exceptions for the test to check. */
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext({ locale: 'nb-NO', ...options });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.pageErrors = [];
  page.on('console', (m) => m.type() === 'error' && page.consoleErrors.push(m.text()));
  page.on('pageerror', (e) => page.pageErrors.push(String(e)));
  if (url) await page.goto(url);
  return page;
}

/** The signature the demo page rendered for a shopper (taken from the demo's own switcher). */
export async function demoSignature(page, customerId) {
  return page.$eval(`#shopper option[value="${customerId}"]`, (o) => o.dataset.sig);
}

/**
 * The text of the code blocks under each platform's heading on a docs page ("Shopify theme
 * (Liquid)" for 'Shopify'), each platform's blocks joined by newlines.
 */
export function platformSnippets(page, platforms) {
  return page.evaluate((platforms) => {
    const snippets = {};
    for (const heading of document.querySelectorAll('main h3')) {
      const platform = platforms.find((p) => heading.textContent.startsWith(p));
      if (!platform) continue;
      for (let next = heading.nextElementSibling; next && !/^H[1-3]$/.test(next.tagName); next = next.nextElementSibling) {
        if (next.tagName === 'PRE') snippets[platform] = `${snippets[platform] ?? ''}${next.textContent}\n`;
      }
    }
    return snippets;
  }, platforms);
}

/** Normalises the narrow and ordinary no-break spaces Intl puts between thousands. */
export const plain = (text) => text.replace(/[\u00a0\u202f]/g, ' ').trim();

const AXE_SOURCE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * WCAG 2.2 AA violations axe-core finds on the page (open shadow roots included), as
 * "rule: target" lines, so a failing assertion says what to fix. The page must have been opened
 * with `bypassCSP: true`: axe is injected as an inline script, which the demo's policy forbids.
 */
export async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE });
  const results = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), WCAG_AA);
  return results.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`));
}

/** For page.waitForFunction: the badge has mounted and is no longer loading. */
export function settled() {
  const root = document.querySelector('#badge')?.shadowRoot;
  return Boolean(root?.querySelector('[part=badge]') && !root.querySelector('[part=skeleton]'));
}
