// Every widget fed every case of the hostile-data corpus (tests/fixtures/hostile) in place of the
// real API's answer: no script runs, no unsafe URL reaches an href or src, the page stays usable,
// and refused data gives exactly one console error that names the endpoint.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startShop, launch, openPage, api, demoSignature, settled, ROOT } from './harness.mjs';
import { hostileCases } from '../fixtures/hostile/cases.mjs';

let browser;
let shop;
let valid;
before(async () => {
  browser = await launch();
  shop = await startShop();
  const page = await openPage(browser, shop.url);
  const signature = await demoSignature(page, 'c-1001');
  await page.context().close();
  valid = {
    status: (await api(shop, '/loyalty/c-1001', { signature })).body,
    program: (await api(shop, '/loyalty/program')).body,
  };
});
after(async () => {
  await browser?.close();
  await shop?.stop();
});

/** Every href/src in the document and in every open shadow root. */
function unsafeUrlsOnPage() {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      for (const attr of ['href', 'src', 'action', 'formaction', 'xlink:href']) {
        const value = el.getAttribute(attr);
        if (value != null && /^\s*(javascript|data|vbscript):|^\s*\/\//i.test(value.replace(/[\t\n\r]/g, ''))) found.push(`${el.localName}[${attr}=${value}]`);
      }
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  return found;
}

/** No injected script ran, no unsafe URL reached the page, nothing was thrown. */
async function assertNothingRan(page) {
  await page.waitForTimeout(300); // an injected <img onerror> would have fired by now
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no injected script ran');
  assert.deepEqual(await page.evaluate(unsafeUrlsOnPage), [], 'no unsafe URL in an href or src');
  assert.deepEqual(page.pageErrors, [], 'no uncaught exception');
}

async function check(page, kase, endpointPath) {
  await assertNothingRan(page);
  // The page around the widget still works.
  await page.selectOption('#locale', 'en');
  assert.ok(await page.evaluate(() => (window.scrollTo(0, 400), window.scrollY > 0)), 'the page scrolls');
  const lojalErrors = page.consoleErrors.filter((m) => m.startsWith('lojal:'));
  if (kase.expect === 'reject') {
    assert.equal(lojalErrors.length, 1, `one console error, got: ${lojalErrors.join(' | ')}`);
    assert.match(lojalErrors[0], new RegExp(`GET \\S*${endpointPath.replace(/\//g, '\\/')}`), 'it names the endpoint');
  }
}

const fulfil = (route, { status, contentType, body }) => route.fulfill({ status, headers: { 'content-type': contentType }, body });

test('a signed-in shopper’s status: every hostile case', async (t) => {
  for (const kase of hostileCases({ ...valid.status })) {
    await t.test(kase.name, async () => {
      const page = await openPage(browser);
      try {
        const response = kase.response();
        await page.route('**/api/v1/loyalty/c-1001', (route) => fulfil(route, response));
        await page.goto(shop.url);
        await page.waitForFunction(settled);
        if (kase.expect === 'reject') {
          assert.equal(await page.locator('#badge [part=points]').count(), 0, 'nothing from the refused body is shown');
        }
        if (kase.payload) {
          // Shown, and shown as the characters it is made of.
          assert.equal(await page.locator('#badge [part=tier]').textContent(), `${valid.status.tier.name}${kase.payload}`);
        }
        await check(page, kase, '/api/v1/loyalty/c-1001');
      } finally {
        await page.context().close();
      }
    });
  }
});

// The widgets' JSON is parsed by the browser and deserialised by serde-wasm-bindgen, which recurses
// as deep as the value goes where the widget reads it as a JSON value (a rail's answer through its
// mapping, a badge's through `source`); core::json refuses anything deeper than serde_json's old
// limit before that. Recursing into this body would exhaust the wasm's stack and stop every
// element the wasm serves; refused, it is one console error, and the same wasm goes on drawing.
test('a 100 000-deep answer is refused with one console error, and the wasm goes on serving', async () => {
  const page = await openPage(browser);
  try {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const forYou = '**/api/v1/recommendations?*intent=for-you*';
    await page.route(forYou, (route) => fulfil(route, { status: 200, contentType: 'application/json', body: deep }));
    await page.goto(shop.url);
    await page.waitForFunction(() => document.querySelector('#for-you').hasAttribute('empty'));
    const errors = page.consoleErrors.filter((m) => m.startsWith('lojal:'));
    assert.equal(errors.length, 1, `one console error, got: ${errors.join(' | ')}`);
    assert.match(errors[0], /GET \S*\/api\/v1\/recommendations\?\S*intent=for-you.*recursion limit exceeded/);
    assert.deepEqual(page.pageErrors, [], 'no uncaught exception');
    // The page's badge is drawn by the same wasm (storefront), and so is a rail added now.
    await page.waitForFunction(settled);
    assert.equal(await page.locator('#badge [part=tier]').textContent(), valid.status.tier.name);
    await page.unroute(forYou);
    await page.evaluate(() => {
      const again = document.querySelector('#for-you').cloneNode();
      again.id = 'again';
      document.body.append(again);
    });
    await page.locator('#again [part=slide]').first().waitFor();
    assert.deepEqual(page.pageErrors, [], 'no uncaught exception');
  } finally {
    await page.context().close();
  }
});

// A badge over the shop's own JSON (source=…, the README's app-proxy mapping) gets the same
// corpus. The mapping reads a number where it wants a name as that number's digits (a shop may
// name its tiers 1, 2, 3), so "every string a number" is shown, as harmless digits, not refused.
const appProxyMapping = readFileSync(join(ROOT, 'src', 'core', 'loyalty_source.rs'), 'utf8')
  .match(/pub const APP_PROXY: &str = r#"([\s\S]*?)"#;/)[1];
const appProxyAnswer = {
  customer: {
    id: 8812345, first_name: 'Ingrid', points_balance: 1250, lifetime_points: 1750, pending_points: 130,
    vip_tier: { name: 'Sølv', threshold: 500 }, next_vip_tier: { name: 'Gull', points_needed: 250 },
  },
  rewards: [{ id: 'rw_100', title: '100 kr rabatt', points_price: 1000 }],
};

test('a badge over the shop’s own loyalty JSON: every hostile case', async (t) => {
  for (const kase of hostileCases(appProxyAnswer)) {
    await t.test(kase.name, async () => {
      const page = await openPage(browser);
      try {
        const response = kase.response();
        let asked;
        const answered = new Promise((resolve) => (asked = resolve));
        await page.route('**/proxy/apps/loyalty/customers/8812345', (route) => (asked(), fulfil(route, response)));
        await page.goto(shop.url);
        await page.evaluate(([mapping, api]) => {
          const el = document.querySelector('#badge');
          el.setAttribute('api', api);
          el.setAttribute('source', mapping);
          el.setAttribute('customer-id', '8812345');
        }, [appProxyMapping, `${shop.url}/proxy`]);
        // Asked means loading (the skeleton is up): settled then means this answer was handled.
        await answered;
        await page.waitForFunction(settled);
        const expect = kase.name === 'every string a number' ? 'safe' : kase.expect;
        if (expect === 'reject') {
          assert.equal(await page.locator('#badge [part=points]').count(), 0, 'nothing from the refused body is shown');
        }
        if (kase.payload) {
          assert.equal(await page.locator('#badge [part=tier]').textContent(), `Sølv${kase.payload}`);
        }
        await check(page, { ...kase, expect }, '/proxy/apps/loyalty/customers/8812345');
      } finally {
        await page.context().close();
      }
    });
  }
});

test('a guest’s programme offer: every hostile case', async (t) => {
  for (const kase of hostileCases({ ...valid.program })) {
    await t.test(kase.name, async () => {
      const page = await openPage(browser);
      try {
        const response = kase.response();
        await page.route('**/api/v1/loyalty/program', (route) => fulfil(route, response));
        await page.goto(shop.url);
        await page.locator('#badge [part=points]').waitFor();
        await page.selectOption('#shopper', { label: 'Gjest (ikke innlogget)' });
        await page.waitForFunction(() => {
          const root = document.querySelector('#badge')?.shadowRoot;
          return root?.querySelector('[part=badge]') && !root.querySelector('[part=points], [part=skeleton]');
        });
        await check(page, kase, '/api/v1/loyalty/program');
      } finally {
        await page.context().close();
      }
    });
  }
});

test('a recommendations rail: every hostile case', async (t) => {
  const page0 = await openPage(browser, `${shop.url}/api/v1/recommendations?product_id=p-setesdal&intent=bought-together&limit=8`);
  const validRecommendations = JSON.parse(await page0.locator('body').textContent());
  await page0.context().close();
  for (const kase of hostileCases(validRecommendations)) {
    await t.test(kase.name, async () => {
      const page = await openPage(browser);
      const warnings = [];
      page.on('console', (m) => m.type() === 'warning' && m.text().startsWith('lojal:') && warnings.push(m.text()));
      try {
        const response = kase.response();
        await page.route('**/api/v1/recommendations?*intent=bought-together*', (route) => fulfil(route, response));
        await page.goto(`${shop.url}/product.html`);
        const rail = page.locator('#bought-together');
        // Settled: slides shown, or the rail hid itself.
        await page.waitForFunction(() => {
          const el = document.querySelector('#bought-together');
          return el.hasAttribute('empty') || el.shadowRoot?.querySelector('[part=slide]');
        });
        await assertNothingRan(page);
        const messages = [...page.consoleErrors, ...warnings].filter((m) => m.startsWith('lojal:'));
        if (kase.expect === 'reject') {
          // Refused whole (one error naming the URL) or item by item (one warning each).
          assert.ok(await rail.evaluate((el) => el.hasAttribute('empty') || el.shadowRoot.querySelectorAll('[part=slide]').length < 8), 'refused data is not shown');
          assert.ok(messages.length >= 1, 'the console says why');
          assert.ok(messages.every((m) => /recommendations|item \d+/.test(m)), messages.join('\n'));
        }
        if (kase.payload) {
          const names = await rail.locator('[part=name]').allTextContents();
          assert.ok(names.length > 0 && names.every((n) => n.includes(kase.payload.slice(0, 10))), 'titles are shown as the characters they are');
        }
        assert.ok(await page.evaluate(() => (window.scrollTo(0, 400), window.scrollY > 0)), 'the page scrolls');
      } finally {
        await page.context().close();
      }
    });
  }
});

// The two games read the same campaign JSON; each must survive it alone, and leave the other be.
const GAMES = [
  { tag: 'wheel', campaign: 'vinterhjulet', drawn: '[part=segment]', other: '#scratch [part=reveal]' },
  { tag: 'scratch', campaign: 'skrapelodd', drawn: '[part=reveal]', other: '#wheel [part=play]' },
];

for (const game of GAMES) {
  test(`a ${game.tag} game’s campaign: every hostile case`, async (t) => {
    const validCampaign = await (await fetch(`${shop.url}/api/v1/campaigns/${game.campaign}`)).json();
    const url = new RegExp(`/api/v1/campaigns/${game.campaign}(\\?.*)?$`);
    for (const kase of hostileCases(validCampaign)) {
      await t.test(kase.name, async () => {
        const page = await openPage(browser);
        try {
          const response = kase.response();
          await page.route(url, (route) => fulfil(route, response));
          await page.goto(`${shop.url}/kampanje.html`);
          // Settled: the game is drawn, or a calm message stands in for it.
          await page.waitForFunction(({ tag, drawn }) => {
            const root = document.querySelector(`#${tag}`)?.shadowRoot;
            return root?.querySelector(drawn) || root?.querySelector('[part=notice], [part=state]');
          }, game);
          await assertNothingRan(page);
          const errors = page.consoleErrors.filter((m) => m.startsWith('lojal:'));
          const drawnAtAll = (await page.locator(`#${game.tag} ${game.drawn}`).count()) > 0;
          if (kase.expect === 'reject') {
            assert.equal(drawnAtAll, false, 'nothing from the refused body is drawn');
            assert.equal(errors.length, 1, errors.join('\n'));
            assert.match(errors[0], new RegExp(`campaigns/${game.campaign}`));
          }
          if (kase.payload && !drawnAtAll) {
            // Labels with markup appended outgrow the 40-character limit: refused, and said so.
            assert.equal(errors.length, 1, errors.join('\n'));
            assert.match(errors[0], new RegExp(`campaigns/${game.campaign}.*label`));
          } else if (kase.payload && game.tag === 'wheel') {
            // The labels are drawn, and read out, as the characters they are.
            const drawn = await page.evaluate(() => {
              const wheel = document.querySelector('#wheel').shadowRoot.querySelector('[part=wheel]');
              return `${wheel.textContent} ${wheel.getAttribute('aria-label') ?? ''}`;
            });
            assert.ok(drawn.includes(kase.payload.slice(0, 12)), drawn);
          }
          await page.locator(game.other).waitFor(); // the other game is unaffected
          assert.ok(await page.evaluate(() => (window.scrollTo(0, 400), window.scrollY > 0)), 'the page scrolls');
        } finally {
          await page.context().close();
        }
      });
    }
  });
}

/** A real play answer with a prize, drawn for guests at the API until one wins. */
async function winningPlay(campaign) {
  for (let i = 0; i < 40; i++) {
    const response = await fetch(`${shop.url}/api/v1/campaigns/${campaign}/play`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ email: `vinner${i}@example.no` }),
    });
    const body = await response.json();
    // Not the first segment, so "every number negative" changes the index too.
    if (body.prize && body.segment_index > 0) return body;
  }
  throw new Error(`no prize off the first segment in 40 plays of ${campaign}`);
}

for (const game of GAMES) {
  test(`a ${game.tag} game’s play answer: every hostile case`, async (t) => {
    const won = await winningPlay(game.campaign);
    const url = new RegExp(`/api/v1/campaigns/${game.campaign}/play$`);
    for (const kase of hostileCases(won)) {
      await t.test(kase.name, async () => {
        const page = await openPage(browser, undefined, { reducedMotion: 'reduce' });
        page.setDefaultTimeout(5_000);
        try {
          const response = kase.response();
          await page.route(url, (route) => fulfil(route, response));
          await page.goto(`${shop.url}/kampanje.html`);
          const root = page.locator(`#${game.tag}`);
          await root.locator('[part=play], [part=reveal]').first().click();
          // Settled: a result, or a calm notice instead of one.
          await root.locator('[part=result], [part=notice]').first().waitFor();
          await assertNothingRan(page);
          const errors = page.consoleErrors.filter((m) => m.startsWith('lojal:'));
          const code = root.locator('[part=code]');
          const shown = (await root.locator('[part=result]').count()) > 0;
          if (kase.expect === 'reject' || (kase.payload && !shown)) {
            assert.equal(await root.locator('[part=result]').count(), 0, 'no prize from a refused answer');
            assert.equal(await code.count(), 0, 'no coupon from a refused answer');
            assert.equal(errors.length, 1, errors.join('\n'));
            assert.match(errors[0], new RegExp(`POST \\S*campaigns/${game.campaign}/play`));
          } else {
            // The coupon is shown as the characters the server sent, never as a link.
            assert.ok((await code.textContent()).startsWith(won.prize.code), await code.textContent());
            assert.equal(await root.locator('[part=result] a').count(), 0, 'no link in the result');
          }
          if (kase.payload && shown) {
            const text = await root.locator('[part=result]').textContent();
            assert.ok(text.includes(kase.payload.slice(0, 12)), `the prize is shown as text: ${text}`);
          } else if (kase.payload) {
            // A label with markup appended outgrows the 40-character limit: refused, and said so.
            assert.match(errors[0], /label/);
          }
          assert.ok(await page.evaluate(() => (window.scrollTo(0, 400), window.scrollY > 0)), 'the page scrolls');
        } finally {
          await page.context().close();
        }
      });
    }
  });
}

// The feedback prompts read one JSON answer: whether this signed-in shopper answered already.
// Whatever comes back, each prompt must still ask (losing an answer is worse than asking twice:
// the server refuses a second answer anyway), and a refused body is named once per prompt.
test('the feedback prompts’ “answered already?” check: every hostile case', async (t) => {
  const PROMPTS = ['nps', 'csat', 'review'];
  for (const kase of hostileCases({ answered: false })) {
    await t.test(kase.name, async () => {
      const page = await openPage(browser);
      try {
        const response = kase.response();
        // A case that finds no number or string to spoil leaves this one-boolean body valid.
        const expect = response.body === JSON.stringify({ answered: false }) ? 'safe' : kase.expect;
        await page.route('**/api/v1/feedback/answered?**', (route) => fulfil(route, response));
        await page.goto(`${shop.url}/ordre.html`);
        for (const type of PROMPTS) await page.locator(`lojal-${type} [part=send]`).waitFor({ timeout: 10_000 });
        await assertNothingRan(page);
        const lojalErrors = page.consoleErrors.filter((m) => m.startsWith('lojal:'));
        if (expect === 'reject') {
          for (const type of PROMPTS) {
            const named = lojalErrors.filter((m) => m.includes(`/feedback/answered?type=${type}&`));
            assert.equal(named.length, 1, `one console error for ${type}, got: ${lojalErrors.join(' | ')}`);
          }
          assert.equal(lojalErrors.length, PROMPTS.length);
        } else {
          assert.deepEqual(lojalErrors, []);
        }
        // Still answerable: the NPS prompt takes a score and sends it.
        await page.locator('lojal-nps label.option:has(input[value="7"])').click();
        await page.locator('lojal-nps [part=send]').click();
        await page.locator('lojal-nps [part=thanks]').waitFor();
        assert.ok(await page.evaluate(() => (window.scrollTo(0, 400), window.scrollY > 0)), 'the page scrolls');
      } finally {
        await page.context().close();
      }
    });
  }
});
