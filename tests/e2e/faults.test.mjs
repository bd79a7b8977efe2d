// Every widget between a flaky network and the real shop-api (tests/e2e/faults.mjs): a visible
// loading state bounded by timeouts, retries only where repeating is safe, Retry-After honoured,
// and never a wrong balance or a second charge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startShop, launch, openPage, api, demoSignature, plain, settled, MERCHANT_TOKEN } from './harness.mjs';
import { startFaultProxy } from './faults.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const STATUS = /^\/api\/v1\/loyalty\/c-1001$/;
const REDEEM = /^\/api\/v1\/loyalty\/c-1001\/redeem$/;

async function withFaults(fn) {
  const shop = await startShop();
  const proxy = await startFaultProxy(shop.url);
  try {
    await fn(proxy, shop);
  } finally {
    await proxy.stop();
    await shop.stop();
  }
}

const points = (page) => page.locator('#badge [part=points]');
const skeleton = (page) => page.locator('#badge [part=skeleton]');

test('a 10 s stall on the first try: the skeleton holds, the try times out at 8 s, the retry shows the balance', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', STATUS, { kind: 'delay', ms: 10_000 });
    const page = await openPage(browser, proxy.url);
    await page.waitForTimeout(2_000);
    assert.equal(await skeleton(page).count(), 1, 'loading is visible');
    await points(page).waitFor({ timeout: 15_000 });
    assert.equal(plain(await points(page).textContent()), '1 250 poeng');
    const tries = proxy.requests('GET', STATUS);
    assert.equal(tries.length, 2);
    assert.ok(tries[1].at - tries[0].at >= 8_000, `the first try ran to its 8 s timeout (${tries[1].at - tries[0].at} ms)`);
    assert.deepEqual(page.pageErrors, []);
  }));

test('reset connections: the GET gets through in the end', () =>
  withFaults(async (proxy) => {
    // Chromium itself retries a reset on a reused connection at once, so only the outcome is
    // the widget's to prove here; the backoff is measured with 502s below.
    proxy.inject('GET', STATUS, { kind: 'reset' }, 2);
    const page = await openPage(browser, proxy.url);
    await points(page).waitFor();
    assert.equal(plain(await points(page).textContent()), '1 250 poeng');
    assert.equal(proxy.requests('GET', STATUS).length, 3);
  }));

test('502 twice: the GET is retried with growing, jittered waits', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', STATUS, { kind: 'status', status: 502 }, 2);
    const page = await openPage(browser, proxy.url);
    await points(page).waitFor();
    const at = proxy.requests('GET', STATUS).map((e) => e.at);
    assert.equal(at.length, 3);
    // 400 ms then 1 200 ms, each ±25 %.
    assert.ok(at[1] - at[0] >= 300 && at[1] - at[0] < 1_000, `first wait ${at[1] - at[0]} ms`);
    assert.ok(at[2] - at[1] >= 900 && at[2] - at[1] < 2_500, `second wait ${at[2] - at[1]} ms`);
  }));

test('503 with Retry-After: 2 is honoured before the retry', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', STATUS, { kind: 'status', status: 503, retryAfter: 2 });
    const page = await openPage(browser, proxy.url);
    await points(page).waitFor();
    const at = proxy.requests('GET', STATUS).map((e) => e.at);
    assert.equal(at.length, 2);
    assert.ok(at[1] - at[0] >= 2_000, `waited ${at[1] - at[0]} ms`);
  }));

test('429 asking for a minute is not retried: the badge gives up calmly and says why in the console', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', STATUS, { kind: 'status', status: 429, retryAfter: 60 });
    const page = await openPage(browser, proxy.url);
    await page.waitForFunction(settled);
    assert.equal(proxy.requests('GET', STATUS).length, 1);
    assert.equal(await points(page).count(), 0);
    const errors = page.consoleErrors.filter((m) => m.startsWith('lojal:'));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /GET \S+\/api\/v1\/loyalty\/c-1001: HTTP 429/);
    const box = await page.locator('#badge').boundingBox();
    assert.ok(box.width > 100 && box.height > 30, 'the badge keeps its box');
  }));

test('half a body is refused: one console error, no balance shown', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', STATUS, { kind: 'halfBody' }, 5);
    const page = await openPage(browser, proxy.url);
    await page.waitForFunction(settled);
    assert.equal(await points(page).count(), 0);
    const errors = page.consoleErrors.filter((m) => m.startsWith('lojal:'));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /loyalty\/c-1001/);
    assert.deepEqual(page.pageErrors, []);
  }));

test('an API that never answers: the badge stops waiting, keeps its box, and the page stays usable', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', STATUS, { kind: 'hang' }, 10);
    const page = await openPage(browser, proxy.url);
    const started = Date.now();
    await page.waitForFunction(settled, null, { timeout: 40_000 });
    const waited = Date.now() - started;
    assert.ok(waited < 35_000, `bounded: gave up after ${waited} ms`);
    assert.equal(proxy.requests('GET', STATUS).length, 3, 'three tries of 8 s each');
    assert.match(page.consoleErrors.join(' '), /no answer|timed out|timeout/i);
    await page.selectOption('#locale', 'en');
    assert.ok(await page.evaluate(() => (window.scrollTo(0, 300), window.scrollY > 0)));
  }));

test('a redemption whose answer is lost is retried with the same key: one coupon, points taken once', () =>
  withFaults(async (proxy, shop) => {
    proxy.inject('POST', REDEEM, { kind: 'loseAnswer' });
    const page = await openPage(browser, proxy.url);
    const signature = await demoSignature(page, 'c-1001');
    await points(page).waitFor();
    await page.locator('#badge [part=trigger]').click();
    const reward = page.locator('#badge [part=reward]').first();
    await reward.locator('[part=redeem]').click();
    await page.locator('#badge [part=code]').waitFor();
    const posts = proxy.requests('POST', REDEEM);
    assert.equal(posts.length, 2, 'the lost answer was retried');
    assert.equal(posts[0].fault, 'loseAnswer');
    assert.ok(posts[0].headers['idempotency-key'], 'the POST carries an idempotency key');
    assert.equal(posts[1].headers['idempotency-key'], posts[0].headers['idempotency-key']);
    const { body } = await api(shop, '/loyalty/c-1001', { signature });
    const shown = Number(plain(await points(page).textContent()).replace(/\D/g, ''));
    assert.equal(shown, body.points, 'the badge shows the server’s balance');
    assert.ok(body.points === 1250 - 300 || body.points === 1250 - 500 || body.points === 1250 - 1000, `charged once: ${body.points}`);
  }));

const RECOMMENDATIONS = /^\/api\/v1\/recommendations\?.*intent=bought-together/;

test('a rail whose API stalls shows its skeleton, then hides itself when the tries run out; the page is fine', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', RECOMMENDATIONS, { kind: 'hang' }, 10);
    const page = await openPage(browser, `${proxy.url}/product.html`);
    await page.locator('#bought-together [part=skeleton]').first().waitFor();
    await page.waitForFunction(() => document.querySelector('#bought-together').hasAttribute('empty'), null, { timeout: 40_000 });
    assert.equal(proxy.requests('GET', RECOMMENDATIONS).length, 3);
    assert.equal(await page.locator('#bought-together').isVisible(), false);
    await page.locator('#popular [part=slide]').first().waitFor(); // the other rail is unaffected
    assert.equal(page.consoleErrors.filter((m) => m.startsWith('lojal:')).length, 1);
    assert.deepEqual(page.pageErrors, []);
  }));

test('a rail retries a 503 after its Retry-After and then shows the products', () =>
  withFaults(async (proxy) => {
    proxy.inject('GET', RECOMMENDATIONS, { kind: 'status', status: 503, retryAfter: 1 });
    const page = await openPage(browser, `${proxy.url}/product.html`);
    await page.locator('#bought-together [part=slide]').first().waitFor();
    const at = proxy.requests('GET', RECOMMENDATIONS).map((e) => e.at);
    assert.equal(at.length, 2);
    assert.ok(at[1] - at[0] >= 1_000, `waited ${at[1] - at[0]} ms`);
  }));

const PLAY = /^\/api\/v1\/campaigns\/vinterhjulet\/play$/;
const GAMES = [
  { tag: 'lojal-wheel', play: 'play', path: PLAY },
  { tag: 'lojal-scratch', play: 'reveal', path: /^\/api\/v1\/campaigns\/skrapelodd\/play$/ },
];

for (const game of GAMES) {
  test(`${game.tag}: a play whose answer is lost is retried with the same key, and the server replays the one play it made`, () =>
    withFaults(async (proxy) => {
      proxy.inject('POST', game.path, { kind: 'loseAnswer' });
      const page = await openPage(browser, `${proxy.url}/kampanje.html`, { timezoneId: 'Europe/Oslo' });
      const play = page.locator(`${game.tag} [part=${game.play}]`);
      await play.waitFor();
      const retried = page.waitForResponse((r) => game.path.test(new URL(r.url()).pathname) && r.request().method() === 'POST');
      await play.click();
      const answer = await (await retried).json();
      await page.locator(`${game.tag} [part=result]`).waitFor({ timeout: 20_000 });
      const posts = proxy.requests('POST', game.path);
      assert.equal(posts.length, 2, 'the lost answer was retried once');
      assert.equal(posts[0].fault, 'loseAnswer');
      assert.ok(posts[0].headers['idempotency-key'], 'the play carries an idempotency key');
      assert.equal(posts[1].headers['idempotency-key'], posts[0].headers['idempotency-key']);
      // The same play, not a second draw: the answer the shopper never got is the one replayed.
      assert.deepEqual(answer, JSON.parse(posts[0].lostAnswer));
      const code = page.locator(`${game.tag} [part=code]`);
      if (answer.prize?.code) assert.equal(await code.textContent(), answer.prize.code);
      else assert.equal(await code.count(), 0);
      assert.deepEqual(page.pageErrors, []);
    }));
}

for (const game of GAMES) {
  test(`${game.tag}: a play answered 503 with Retry-After is tried again after the wait, and only one play exists`, () =>
    withFaults(async (proxy) => {
      proxy.inject('POST', game.path, { kind: 'status', status: 503, retryAfter: 1 });
      const page = await openPage(browser, `${proxy.url}/kampanje.html`, { timezoneId: 'Europe/Oslo' });
      const play = page.locator(`${game.tag} [part=${game.play}]`);
      await play.waitFor();
      await play.click();
      await page.locator(`${game.tag} [part=result]`).waitFor({ timeout: 20_000 });
      const posts = proxy.requests('POST', game.path);
      assert.equal(posts.length, 2);
      assert.ok(posts[1].at - posts[0].at >= 1_000, `waited ${posts[1].at - posts[0].at} ms`);
      assert.equal(posts[1].headers['idempotency-key'], posts[0].headers['idempotency-key']);
      // The shopper has played today: after a reload the game says so and offers no second play.
      await page.reload();
      await page.locator(`${game.tag} [part=state]`).waitFor();
      const after = proxy.requests('POST', game.path).length;
      await page.locator(`${game.tag} [part=${game.play}]`).click({ force: true }).catch(() => {});
      await page.waitForTimeout(500);
      assert.equal(proxy.requests('POST', game.path).length, after, 'no second play is sent');
    }));
}

const FEEDBACK = /^\/api\/v1\/feedback$/;

/** How many answers of `type` the shop has stored, from the merchant's summary. */
async function storedAnswers(shop, type) {
  const response = await fetch(`${shop.url}/api/v1/feedback/summary`, { headers: { authorization: `Bearer ${MERCHANT_TOKEN}` } });
  assert.equal(response.status, 200);
  return (await response.json()).per_day.reduce((sum, day) => sum + day[type], 0);
}

/**
 * Answers prompt `type` with `score` on the order page behind the proxy and waits until the answer
 * has left the outbox; checks that every try carried one idempotency key, that the shop stored
 * it exactly once and that the page threw nothing. Returns the POSTs the proxy saw.
 */
async function answerThroughFaults(proxy, shop, type, score, { deliveredWithin }) {
  const before = await storedAnswers(shop, type);
  const page = await openPage(browser, `${proxy.url}/ordre.html`);
  await page.locator(`lojal-${type} fieldset`).waitFor();
  await page.locator(`lojal-${type} label.option:has(input[value="${score}"])`).click();
  await page.locator(`lojal-${type} [part=send]`).click();
  await page.locator(`lojal-${type} [part=thanks]`).waitFor({ timeout: 30_000 });
  // Delivered in the end, from the outbox if not at once.
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')), null, { timeout: deliveredWithin });
  const posts = proxy.requests('POST', FEEDBACK);
  assert.equal(new Set(posts.map((p) => p.headers['idempotency-key'])).size, 1, 'one idempotency key for every try');
  assert.equal(await storedAnswers(shop, type), before + 1, 'stored once');
  assert.deepEqual(page.pageErrors, []);
  return posts;
}

for (const type of ['nps', 'csat', 'review']) {
  test(`a ${type} answer whose answer is lost, then a 503 with Retry-After: delivered with one key after the wait, stored once`, () =>
    withFaults(async (proxy, shop) => {
      proxy.inject('POST', FEEDBACK, { kind: 'loseAnswer' });
      proxy.inject('POST', FEEDBACK, { kind: 'status', status: 503, retryAfter: 1 });
      const posts = await answerThroughFaults(proxy, shop, type, 4, { deliveredWithin: 30_000 });
      assert.ok(posts.length >= 3, `lost, 503, then delivered: ${posts.map((p) => p.fault)}`);
      assert.ok(posts[2].at - posts[1].at >= 1_000, `Retry-After honoured: ${posts[2].at - posts[1].at} ms`);
    }));
}

for (const kind of ['reset', 'halfBody', 'hang']) {
  test(`an NPS answer whose POST meets ${kind}: kept, delivered with its one key, stored once`, () =>
    withFaults(async (proxy, shop) => {
      proxy.inject('POST', FEEDBACK, { kind });
      const posts = await answerThroughFaults(proxy, shop, 'nps', 9, { deliveredWithin: 45_000 });
      // Half a body still came with the server's 200: the answer is stored, nothing to resend.
      const tries = kind === 'halfBody' ? 1 : 2;
      assert.ok(posts.length >= tries, `${kind}, then delivered: ${posts.map((p) => p.fault)}`);
      assert.equal(posts[0].fault, kind);
    }));
}

const CAMPAIGNS = {
  'lojal-wheel': /^\/api\/v1\/campaigns\/vinterhjulet(\?|$)/,
  'lojal-scratch': /^\/api\/v1\/campaigns\/skrapelodd(\?|$)/,
};

for (const [game, other] of [[GAMES[0], GAMES[1]], [GAMES[1], GAMES[0]]]) {
  test(`${game.tag}: a campaign that never arrives keeps its box, stops waiting, says so calmly; the other game still plays`, () =>
    withFaults(async (proxy) => {
      const campaign = CAMPAIGNS[game.tag];
      proxy.inject('GET', campaign, { kind: 'hang' }, 10);
      const page = await openPage(browser, `${proxy.url}/kampanje.html`, { timezoneId: 'Europe/Oslo' });
      await page.locator(`${other.tag} [part=${other.play}]`).waitFor();
      const box = await page.locator(game.tag).boundingBox();
      assert.ok(box.height > 200, `the game keeps its box while it waits (${box.height} px)`);
      assert.equal(await page.locator(`${game.tag} [part=result]`).count(), 0);
      const started = Date.now();
      await page.locator(`${game.tag} [part=state]`).waitFor({ timeout: 45_000 });
      assert.ok(Date.now() - started < 40_000, 'bounded');
      const message = plain(await page.locator(`${game.tag} [part=state]`).textContent());
      assert.ok(message.length > 0 && !/undefined|error:|\{/.test(message), `a calm message: ${message}`);
      assert.equal(proxy.requests('GET', campaign).length, 3, 'three tries');
      assert.equal(await page.locator(`${game.tag} [part=${game.play}]:not([aria-disabled=true])`).count(), 0, 'nothing to play');
      assert.equal(page.consoleErrors.filter((m) => m.startsWith('lojal:')).length, 1);
      // The other game on the page is unaffected.
      await page.locator(`${other.tag} [part=${other.play}]`).click();
      await page.locator(`${other.tag} [part=result]`).waitFor({ timeout: 15_000 });
      assert.deepEqual(page.pageErrors, []);
    }));
}
