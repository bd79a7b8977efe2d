// <lojal-nps>, <lojal-csat> and <lojal-review> end to end on the demo's order-confirmation page,
// against a real shop-api: answers survive being offline, a reload, a double click and a
// failing API, and end as exactly one stored answer each; every prompt works by keyboard alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { launch, openPage, plain, ARTIFACTS, MERCHANT_TOKEN, withShop, signAt } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

// Typed as a shopper might: Norwegian and Estonian letters, emoji with a skin tone, a line
// break, and HTML that must stay text.
const TYPED = 'Så bra! Õnnelik, äärmiselt 😀👍🏽\nKommer igjen <img src=x onerror="document.title=1"> & <b>takk</b>';

/** A small RFC 4180 reader for the merchant's export. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

/** Every answer the shop stored, read from the merchant's CSV export (demo reviews left out). */
async function storedAnswers(shop) {
  const response = await fetch(`${shop.url}/api/v1/feedback/export.csv`, {
    headers: { authorization: `Bearer ${MERCHANT_TOKEN}` },
  });
  assert.equal(response.status, 200);
  const [header, ...rows] = parseCsv((await response.text()).replace(/^\uFEFF/, ''));
  return rows
    .map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])))
    .filter((answer) => answer.campaign !== 'demo');
}

async function waitForAnswers(shop, count, { timeout = 20_000 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    const answers = await storedAnswers(shop);
    if (answers.length >= count || Date.now() > until) return answers;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The answers waiting in this browser's outbox. */
const outbox = (page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('lojal:outbox:')).length);

/** What has the keyboard focus, looking into the prompt's shadow root. */
const focused = (page) =>
  page.evaluate(() => {
    const host = document.activeElement;
    const inner = host?.shadowRoot?.activeElement;
    return {
      host: host?.localName,
      tag: inner?.localName,
      type: inner?.type,
      value: inner?.value,
      checked: inner?.checked,
      id: inner?.id,
      part: inner?.getAttribute('part'),
    };
  });

/** Presses Tab until the focus is inside `tag` (as a keyboard user would), at most 40 times. */
async function tabInto(page, tag) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if ((await focused(page)).host === tag) return;
  }
  throw new Error(`Tab never reached <${tag}>`);
}

async function openOrderPage(shop, options) {
  const page = await openPage(browser, `${shop.url}/ordre.html`, options);
  await page.locator('lojal-nps fieldset').waitFor();
  return page;
}

test('an NPS answer given offline survives a reload and is stored once when the network returns', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    const context = page.context();
    await context.setOffline(true);

    await page.locator('lojal-nps label.option:has(input[value="9"])').click();
    await page.locator('lojal-nps textarea').fill(TYPED);
    await page.locator('lojal-nps [part=send]').click();
    // The shopper is thanked and told the answer waits for the network.
    await page.locator('lojal-nps [part=thanks]').waitFor();
    assert.match(await page.locator('lojal-nps .queued').textContent(), /tatt vare på og sendes så snart/);
    assert.equal(await outbox(page), 1);
    assert.deepEqual(await storedAnswers(shop), [], 'nothing reached the shop while offline');
    await page.screenshot({ path: join(ARTIFACTS, 'feedback-nps-offline.png') });

    // Reloading while offline fails like any page would; the answer stays in localStorage.
    await page.reload().catch(() => {});
    await context.setOffline(false);
    // The shopper comes back (any page with the loader): the outbox is sent on load.
    await page.goto(`${shop.url}/`);
    const answers = await waitForAnswers(shop, 1);
    assert.equal(answers.length, 1);
    assert.equal(answers[0].type, 'nps');
    assert.equal(answers[0].score, '9');
    assert.equal(answers[0].text, TYPED);
    assert.equal(answers[0].customer_id, 'c-1001');
    assert.equal(answers[0].order_id, 'NS-10042');
    assert.match(answers[0].page_url, /\/ordre\.html$/);
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')));
    // Retries and further loads do not add a second answer.
    const checked = page.waitForResponse((r) => r.url().includes('/feedback/answered?type=nps'));
    await page.goto(`${shop.url}/ordre.html`);
    await page.locator('lojal-csat fieldset').waitFor();
    assert.equal((await (await checked).json()).answered, true);
    await page.locator('lojal-nps fieldset').waitFor({ state: 'detached' });
    await page.waitForTimeout(500);
    assert.equal((await storedAnswers(shop)).length, 1);
    assert.equal(await page.locator('lojal-nps fieldset').count(), 0, 'answered: not asked again');
    assert.deepEqual(page.pageErrors, []);
  }));

test('an answer queued offline is sent when the browser comes back online, without a reload', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await page.context().setOffline(true);
    await page.locator('lojal-nps label.option:has(input[value="3"])').click();
    await page.locator('lojal-nps textarea').fill('Pakken kom for sent');
    await page.locator('lojal-nps [part=send]').click();
    await page.locator('lojal-nps [part=thanks]').waitFor();
    assert.equal(await outbox(page), 1);
    await page.context().setOffline(false);
    const answers = await waitForAnswers(shop, 1);
    assert.deepEqual(
      answers.map((a) => [a.type, a.score, a.text]),
      [['nps', '3', 'Pakken kom for sent']],
    );
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')));
  }));

test('a double click on Send stores one answer', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    const posts = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/api/v1/feedback') && posts.push(r));
    const events = [];
    await page.exposeFunction('recordFeedback', (detail) => events.push(detail));
    await page.evaluate(() => document.addEventListener('lojal:feedback', (e) => window.recordFeedback(e.detail)));

    await page.locator('lojal-csat label.option:has(input[value="5"])').click();
    await page.locator('lojal-csat [part=send]').dblclick();
    await page.locator('lojal-csat [part=thanks]').waitFor();
    await page.waitForTimeout(500);
    assert.equal(posts.length, 1, `expected one POST, saw ${posts.length}`);
    const answers = await storedAnswers(shop);
    assert.deepEqual(answers.map((a) => [a.type, a.score]), [['csat', '5']]);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'csat');
    assert.equal(events[0].score, 5);
    assert.equal(events[0].queued, false);
    assert.equal(events[0].key, posts[0].headers()['idempotency-key']);
  }));

test('an API answering 500 three times, then 200, ends with exactly one stored answer', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    const keys = [];
    let failures = 0;
    await page.route('**/api/v1/feedback', async (route) => {
      const request = route.request();
      if (request.method() !== 'POST') return route.continue();
      keys.push(request.headers()['idempotency-key']);
      if (failures < 3) {
        failures++;
        return route.fulfill({
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'internal', message: 'injected by the test' } }),
        });
      }
      return route.continue();
    });
    await page.locator('lojal-nps label.option:has(input[value="10"])').click();
    await page.locator('lojal-nps textarea').fill('Alt var perfekt 🧶');
    await page.locator('lojal-nps [part=send]').click();
    await page.locator('lojal-nps [part=thanks]').waitFor();

    const answers = await waitForAnswers(shop, 1, { timeout: 30_000 });
    assert.deepEqual(answers.map((a) => [a.type, a.score, a.text]), [['nps', '10', 'Alt var perfekt 🧶']]);
    assert.equal(keys.length, 4, `three failures and one success, saw ${keys.length} attempts`);
    assert.equal(new Set(keys).size, 1, 'every attempt carries the same idempotency key');
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')));
    await page.waitForTimeout(1000);
    assert.equal((await storedAnswers(shop)).length, 1);
    // The page's own retries are not errors of the page.
    assert.deepEqual(page.pageErrors, []);
  }));

test('the NPS prompt works with the keyboard alone and announces what is missing', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await tabInto(page, 'lojal-nps');
    assert.equal((await focused(page)).part, 'dismiss', 'the dismiss button comes first');
    await page.keyboard.press('Tab');
    assert.deepEqual(
      [(await focused(page)).type, (await focused(page)).value],
      ['radio', '0'],
      'Tab enters the 0–10 radio group',
    );
    // Tab leaves the group: the next stop is Send (no follow-up before a score).
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).part, 'send');
    await page.keyboard.press('Enter');
    const error = page.locator('lojal-nps [part=error]');
    assert.equal(await error.textContent(), 'Velg et tall fra 0 til 10.');
    assert.equal(await error.getAttribute('role'), 'alert');
    await page.waitForFunction(() => document.activeElement?.shadowRoot?.activeElement?.type === 'radio');

    // Arrow keys choose: nine steps right from 0 is 9, a promoter.
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    let now = await focused(page);
    assert.deepEqual([now.value, now.checked], ['9', true]);
    const label = page.locator('lojal-nps label[for=text]');
    assert.match(await label.textContent(), /^Så hyggelig! Hva likte du best\?/);
    // Down to 6 the question changes with the band.
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft');
    assert.match(await label.textContent(), /^Hva kan vi gjøre bedre\?/);
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await error.textContent(), '', 'choosing a score clears the error');
    await page.locator('lojal-nps').screenshot({ path: join(ARTIFACTS, 'feedback-nps-keyboard.png') });

    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'text');
    await page.keyboard.type('Rask levering – tusen takk!');
    assert.equal(plain(await page.locator('lojal-nps [part=counter]').textContent()), '27 av 1 000 tegn');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).part, 'send');
    await page.keyboard.press('Enter');
    await page.locator('lojal-nps [part=thanks]').waitFor();
    // Focus moves to the thanks (on the next frame, once it is drawn).
    await page.waitForFunction(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('part') === 'thanks');
    assert.equal(await page.locator('lojal-nps [part=thanks]').textContent(), 'Takk for svaret!');

    const answers = await waitForAnswers(shop, 1);
    assert.deepEqual(answers.map((a) => [a.type, a.score, a.text]), [['nps', '9', 'Rask levering – tusen takk!']]);
    await page.locator('lojal-nps').screenshot({ path: join(ARTIFACTS, 'feedback-nps-thanks.png') });
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
  }));

test('the CSAT prompt works with the keyboard alone', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await tabInto(page, 'lojal-csat');
    await page.keyboard.press('Tab');
    assert.deepEqual([(await focused(page)).type, (await focused(page)).value], ['radio', '1']);
    await page.keyboard.press('Space');
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    const now = await focused(page);
    assert.deepEqual([now.value, now.checked], ['4', true]);
    // Each face is named for screen readers.
    const names = await page.locator('lojal-csat label.option .sr-only').allTextContents();
    assert.deepEqual(names, ['Svært misfornøyd', 'Misfornøyd', 'Verken eller', 'Fornøyd', 'Svært fornøyd']);
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'text');
    await page.keyboard.type('Fin innpakning ✨');
    await page.screenshot({ path: join(ARTIFACTS, 'feedback-csat-keyboard.png') });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('lojal-csat [part=thanks]').waitFor();
    const answers = await waitForAnswers(shop, 1);
    assert.deepEqual(answers.map((a) => [a.type, a.score, a.text]), [['csat', '4', 'Fin innpakning ✨']]);
  }));

test('the review prompt works with the keyboard alone, counts as the shopper types and waits for moderation', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop, { viewport: { width: 1000, height: 900 } });
    assert.equal(await page.locator('lojal-review legend').textContent(), 'Hva synes du om Setesdal-genser?');
    await tabInto(page, 'lojal-review');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    assert.equal((await focused(page)).value, '5');
    assert.equal(await page.locator('lojal-review label.option.lit').count(), 5);

    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'title');
    const long = 'Varm, myk og akkurat passe stor – '.repeat(4);
    await page.keyboard.type(long);
    const counter = page.locator('lojal-review #title-counter');
    assert.equal(await counter.textContent(), `${long.length} av 120 tegn`);
    assert.match(await counter.getAttribute('class'), /over/);
    await page.keyboard.press('Tab');
    await page.keyboard.type(TYPED);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    // Too long: the error is announced and the focus goes back to the title.
    assert.equal(
      await page.locator('lojal-review [part=error]').textContent(),
      `Tittel er for lang: ${long.length} av høyst 120 tegn.`,
    );
    await page.waitForFunction(() => document.activeElement?.shadowRoot?.activeElement?.id === 'title');
    await page.screenshot({ path: join(ARTIFACTS, 'feedback-review-too-long.png') });
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Varm og myk');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).part, 'send');
    await page.keyboard.press('Enter');
    await page.locator('lojal-review [part=thanks]').waitFor();
    assert.equal(
      await page.locator('lojal-review [part=thanks]').textContent(),
      'Takk! Anmeldelsen vises når butikken har lest den.',
    );

    const answers = await waitForAnswers(shop, 1);
    assert.deepEqual(
      answers.map((a) => [a.type, a.score, a.title, a.text, a.product_id, a.status]),
      [['review', '5', 'Varm og myk', TYPED, 'setesdal-genser', 'pending']],
    );
    const published = await (await fetch(`${shop.url}/api/v1/products/setesdal-genser/reviews`)).json();
    assert.equal(published.total, 2, 'a new review waits for the shop before it is published');
    await page.locator('lojal-review').screenshot({ path: join(ARTIFACTS, 'feedback-review-thanks.png') });
  }));

test('a prompt is asked once per campaign: remembered in the browser and checked by the server', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    // Remembering in the browser is storage: the page's consent tool allows it.
    await page.evaluate(() => window.lojal.consent(true));
    await page.locator('lojal-nps label.option:has(input[value="8"])').click();
    await page.locator('lojal-nps [part=send]').click();
    await page.locator('lojal-nps [part=thanks]').waitFor();
    const campaign = (await waitForAnswers(shop, 1))[0].campaign;
    assert.match(campaign, /^\d{4}-Q[1-4]$/, 'the default campaign is the calendar quarter');

    // The server's check never answers here: only the browser's memory can keep the prompt away.
    await page.route(/\/feedback\/answered\?/, () => {});
    await page.reload();
    await page.locator('lojal-csat fieldset').waitFor();
    assert.equal(await page.locator('lojal-nps fieldset').count(), 0, 'this browser remembers');

    // Another browser (no localStorage): the server knows this shopper answered.
    const other = await openPage(browser, null);
    const checks = [];
    other.on('response', (r) => r.url().includes('/feedback/answered') && checks.push(r.url()));
    const checked = other.waitForResponse((r) => r.url().includes('/feedback/answered?type=nps'));
    await other.goto(`${shop.url}/ordre.html`);
    await other.locator('lojal-csat fieldset').waitFor();
    assert.equal((await (await checked).json()).answered, true);
    await other.locator('lojal-nps fieldset').waitFor({ state: 'detached' });
    await other.waitForTimeout(300);
    assert.equal(await other.locator('lojal-nps fieldset').count(), 0, 'the server remembers');
    assert.ok(checks.some((u) => u.includes('type=nps')), checks.join('\n'));

    // A dismissed prompt stays dismissed (remembered with consent).
    await other.evaluate(() => window.lojal.consent(true));
    const dismissed = [];
    await other.exposeFunction('recordDismiss', (d) => dismissed.push(d));
    await other.evaluate(() => document.addEventListener('lojal:dismiss', (e) => window.recordDismiss(e.detail)));
    await other.locator('lojal-csat [part=dismiss]').click();
    await other.locator('lojal-csat fieldset').waitFor({ state: 'detached' });
    assert.deepEqual(dismissed.map((d) => d.type), ['csat']);
    await other.reload();
    await other.locator('lojal-review fieldset').waitFor();
    await other.waitForTimeout(300);
    assert.equal(await other.locator('lojal-csat fieldset').count(), 0);
    assert.equal((await storedAnswers(shop)).length, 1, 'dismissing sends nothing');
  }));

test('triggers: after N seconds a prompt floats in a corner (one interruption per visit), the order page waits for its order id', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop, { viewport: { width: 390, height: 700 } });
    await page.evaluate(() => {
      // Floating prompts interrupt, so they need the page's storage consent (the shared budget).
      window.lojal.consent(true);
      const add = (html) => document.querySelector('main').insertAdjacentHTML('beforeend', html);
      add('<lojal-csat id="later" trigger="delay" delay-seconds="3" campaign="delay-test" variant="stars"></lojal-csat>');
      add('<lojal-nps id="scrolled" trigger="scroll" scroll-percent="95" campaign="scroll-test"></lojal-nps>');
      add('<lojal-nps id="waiting" trigger="order-confirmation" campaign="order-test"></lojal-nps>');
    });
    const later = page.locator('#later fieldset');
    const injectedAt = await page.evaluate(() => performance.now());
    assert.ok(injectedAt < 2500, `the page took ${Math.round(injectedAt)} ms to load`);
    await page.waitForTimeout(200);
    assert.equal(await later.count(), 0, 'not before three seconds on the page');
    await later.waitFor({ timeout: 10_000 });
    assert.ok((await page.evaluate(() => performance.now())) >= 3000);
    const position = await page.locator('#later [part=prompt]').evaluate((el) => getComputedStyle(el).position);
    assert.equal(position, 'fixed', 'a late prompt floats instead of moving the page');
    await page.waitForTimeout(400); // the short rise animation
    await page.screenshot({ path: join(ARTIFACTS, 'feedback-delay-floating.png') });
    await page.locator('#later [part=dismiss]').click();

    // One interrupting prompt per visit: the scroll prompt stays away after the delayed one.
    assert.equal(await page.locator('#scrolled fieldset').count(), 0);
    await page.mouse.wheel(0, 20_000);
    await page.waitForTimeout(1_000);
    assert.equal(await page.locator('#scrolled fieldset').count(), 0, 'a second interruption in one visit');

    assert.equal(await page.locator('#waiting fieldset').count(), 0);
    await page.evaluate(() => document.getElementById('waiting').setAttribute('order-id', 'NS-20001'));
    await page.locator('#waiting fieldset').waitFor();
    assert.deepEqual(page.pageErrors, []);
  }));

test('HTML in a product name or an answer is shown as text, never run', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await page.evaluate(() =>
      document.querySelector('lojal-review').setAttribute('product-name', '<img src=x onerror="window.pwned=1">Lue'),
    );
    const legend = page.locator('lojal-review legend');
    await page.waitForFunction(() =>
      document.querySelector('lojal-review').shadowRoot.querySelector('legend')?.textContent.includes('<img'));
    assert.equal(await legend.textContent(), 'Hva synes du om <img src=x onerror="window.pwned=1">Lue?');
    assert.equal(await page.locator('lojal-review img').count(), 0);
    await page.locator('lojal-csat label.option:has(input[value="2"])').click();
    await page.locator('lojal-csat textarea').fill('<script>window.pwned=2</script>');
    await page.locator('lojal-csat [part=send]').click();
    await page.locator('lojal-csat [part=thanks]').waitFor();
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    const answers = await waitForAnswers(shop, 1);
    assert.equal(answers[0].text, '<script>window.pwned=2</script>');
  }));

test('closing the tab right after Send: an answer already on the wire is stored (at loopback speed, with or without keepalive)', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await page.locator('lojal-nps label.option:has(input[value="7"])').click();
    await page.locator('lojal-nps textarea').fill('Sendt i siste liten');
    await page.locator('lojal-nps [part=send]').click();
    await page.close();
    const answers = await waitForAnswers(shop, 1, { timeout: 10_000 });
    assert.deepEqual(answers.map((a) => [a.type, a.score, a.text]), [['nps', '7', 'Sendt i siste liten']]);
  }));

test('a floating prompt never interrupts without storage consent, or after a scroll prompt already did this visit', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop, { viewport: { width: 390, height: 700 } });
    await page.evaluate(() =>
      document.querySelector('main').insertAdjacentHTML('beforeend', '<lojal-csat id="later" trigger="delay" delay-seconds="1" campaign="no-consent"></lojal-csat>'));
    await page.waitForTimeout(2_500);
    assert.equal(await page.locator('#later fieldset').count(), 0, 'no consent, no interruption');

    await page.evaluate(() => {
      window.lojal.consent(true);
      document.querySelector('main').insertAdjacentHTML('beforeend', '<lojal-nps id="scrolled" trigger="scroll" scroll-percent="90" campaign="scroll-first"></lojal-nps>');
    });
    await page.mouse.wheel(0, 20_000);
    await page.locator('#scrolled fieldset').waitFor();
    await page.evaluate(() =>
      document.querySelector('main').insertAdjacentHTML('beforeend', '<lojal-csat id="second" trigger="delay" delay-seconds="0" campaign="after-scroll"></lojal-csat>'));
    await page.waitForTimeout(1_500);
    assert.equal(await page.locator('#second fieldset').count(), 0, 'the budget allows one per visit');
    assert.deepEqual(page.pageErrors, []);
  }));

test('a floating prompt closes with Escape, and the focus goes back where it came from', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await page.evaluate(() => {
      window.lojal.consent(true);
      document.body.insertAdjacentHTML('beforeend', '<lojal-csat id="later" trigger="delay" delay-seconds="0" campaign="escape-test"></lojal-csat><button id="after">Etter</button>');
    });
    await page.locator('#later fieldset').waitFor();
    // Keyboard only: from the button after it, Shift+Tab back into the floating prompt.
    await page.locator('#after').focus();
    for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement.id)) !== 'later'; i++) {
      await page.keyboard.press('Shift+Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement.id), 'later', 'Shift+Tab reaches the prompt');
    await page.keyboard.press('Escape');
    await page.locator('#later [part=prompt]').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement.id === 'after');
    assert.deepEqual(page.pageErrors, []);
    await page.context().close();
  }));

test('a floating prompt’s dismiss button, pressed with Enter, gives the focus back too', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await page.evaluate(() => {
      window.lojal.consent(true);
      document.body.insertAdjacentHTML('beforeend', '<lojal-nps id="later2" trigger="delay" delay-seconds="0" campaign="dismiss-test"></lojal-nps><button id="after2">Etter</button>');
    });
    await page.locator('#later2 fieldset').waitFor();
    await page.locator('#after2').focus();
    for (let i = 0; i < 40 && (await focused(page)).part !== 'dismiss'; i++) await page.keyboard.press('Shift+Tab');
    assert.equal((await focused(page)).part, 'dismiss');
    await page.keyboard.press('Enter');
    await page.locator('#later2 [part=prompt]').waitFor({ state: 'detached' });
    await page.waitForFunction(() => document.activeElement.id === 'after2');
    assert.deepEqual(page.pageErrors, []);
  }));

// --- consent: what stays in the browser ----------------------------------------------------------

/** Every key lojal left in this page's localStorage and sessionStorage. */
const lojalKeys = (page) => page.evaluate(() =>
  [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => k.startsWith('lojal:')).sort());

test('without storage consent, answering and dismissing prompts leaves nothing of lojal’s in the browser', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await page.locator('lojal-nps label.option:has(input[value="8"])').click();
    await page.locator('lojal-nps [part=send]').click();
    await page.locator('lojal-nps [part=thanks]').waitFor();
    await page.locator('lojal-review [part=dismiss]').click();
    await page.locator('lojal-review fieldset').waitFor({ state: 'detached' });
    assert.equal((await waitForAnswers(shop, 1)).length, 1);
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')));
    assert.deepEqual(await lojalKeys(page), []);
    // This page still remembers: the same prompt added again does not ask twice.
    await page.evaluate(() => document.querySelector('main').insertAdjacentHTML('beforeend',
      '<lojal-review id="again" product-id="setesdal-genser" customer-id="c-1001" customer-sig="' +
        document.querySelector('lojal-review').getAttribute('customer-sig') + '"></lojal-review>'));
    await page.waitForFunction(() => document.getElementById('again').shadowRoot?.querySelector('.lojal-root'));
    assert.equal(await page.locator('#again fieldset').count(), 0, 'dismissed on this page');
    assert.deepEqual(page.pageErrors, []);
  }));

test('an answer given offline without consent waits in the outbox, survives lojal.consent(false), and is stored once', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await page.context().setOffline(true);
    await page.locator('lojal-csat label.option:has(input[value="2"])').click();
    await page.locator('lojal-csat textarea').fill('Feil størrelse');
    await page.locator('lojal-csat [part=send]').click();
    await page.locator('lojal-csat .queued').waitFor();
    assert.equal(await outbox(page), 1, 'strictly necessary: kept without consent');

    // The shopper's cookie banner says no: everything else lojal kept goes, her answer stays.
    await page.evaluate(() => window.lojal.consent(false));
    assert.equal(await outbox(page), 1, 'the answer she sent is not lost');
    assert.deepEqual((await lojalKeys(page)).map((k) => k.replace(/[^:]+$/, '')), ['lojal:outbox:']);

    await page.context().setOffline(false);
    const answers = await waitForAnswers(shop, 1);
    assert.deepEqual(answers.map((a) => [a.type, a.score, a.text]), [['csat', '2', 'Feil størrelse']]);
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')));
    // Another page load flushes nothing more.
    await page.goto(`${shop.url}/`);
    await page.locator('lojal-badge [part=points]').waitFor();
    assert.equal((await storedAnswers(shop)).length, 1);
    assert.deepEqual(await lojalKeys(page), []);
  }));

test('a shopper who answered before: an untouched prompt goes once the server says so, one she began stays and is refused politely', () =>
  withShop(async (shop) => {
    const first = await openOrderPage(shop);
    for (const [tag, score] of [['lojal-nps', 9], ['lojal-csat', 4], ['lojal-review', 5]]) {
      await first.locator(`${tag} label.option:has(input[value="${score}"])`).click();
      await first.locator(`${tag} [part=send]`).click();
      await first.locator(`${tag} [part=thanks]`).waitFor();
    }
    assert.equal((await waitForAnswers(shop, 3)).length, 3);

    // Another browser, and a slow server: the prompts show at once, before its answer.
    const page = await openPage(browser, null);
    let release;
    const held = new Promise((resolve) => (release = resolve));
    await page.route(/\/feedback\/answered\?/, async (route) => {
      await held;
      await route.continue();
    });
    const checks = ['nps', 'csat', 'review'].map((type) =>
      page.waitForResponse((r) => r.url().includes(`/feedback/answered?type=${type}`)));
    await page.goto(`${shop.url}/ordre.html`);
    await page.locator('lojal-nps fieldset').waitFor();
    // She begins the CSAT prompt with a score and the review with a title alone, not the NPS one.
    await page.locator('lojal-csat label.option:has(input[value="5"])').click();
    await page.locator('lojal-review #title').fill('Enda bedre etter vask');
    release();
    for (const check of checks) assert.equal((await (await check).json()).answered, true);
    await page.locator('lojal-nps fieldset').waitFor({ state: 'detached' });
    await page.waitForTimeout(300);
    assert.equal(await page.locator('lojal-csat fieldset').count(), 1, 'not taken away under her hands');
    assert.equal(await page.locator('lojal-review #title').inputValue(), 'Enda bedre etter vask', 'nor her title');
    await page.locator('lojal-csat [part=send]').click();
    await page.locator('lojal-csat [part=thanks]').waitFor();
    assert.equal(await page.locator('lojal-csat [part=thanks]').textContent(), 'Du har allerede svart på denne. Takk!');
    assert.equal((await storedAnswers(shop)).length, 3, 'the server kept the first answers only');
    assert.deepEqual(page.pageErrors, []);
  }));

// --- expired signatures --------------------------------------------------------------------------

/** Ingrid's signature, genuine but made 25 hours ago: past the shop's 24-hour window. */
const expiredSignature = () => signAt('c-1001', Math.floor(Date.now() / 1000) - 25 * 3600);

test('a prompt whose signature has expired answers anonymously and says why, once', () =>
  withShop(async (shop) => {
    const expired = expiredSignature();
    const page = await openPage(browser, null);
    // The order page as a stale full-page cache would serve it: yesterday's signatures.
    await page.route(/\/ordre\.html$/, async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(/customer-sig="[^"]*"/g, `customer-sig="${expired}"`);
      await route.fulfill({ response, body });
    });
    const checked = page.waitForResponse((r) => r.url().includes('/feedback/answered?type=nps'));
    await page.goto(`${shop.url}/ordre.html`);
    assert.equal((await checked).status(), 401);
    await page.locator('lojal-nps label.option:has(input[value="9"])').click();
    await page.locator('lojal-nps [part=send]').click();
    await page.locator('lojal-nps [part=thanks]').waitFor();
    const answers = await waitForAnswers(shop, 1);
    assert.equal(answers.length, 1);
    assert.equal(answers[0].score, '9');
    assert.equal(answers[0].customer_id, '', 'stored, without the shopper');
    const errors = page.consoleErrors.filter((e) => e.startsWith('lojal: <lojal-nps>'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /HTTP 401: the customer signature has expired.*; answering anonymously$/);
    assert.deepEqual(page.pageErrors, []);
  }));

test('an answer that waited in the outbox past the signature window is delivered anonymously, not dropped', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, `${shop.url}/docs/`);
    // Left by a visit yesterday that went offline right after Send.
    const key = '5d1c9e0a-7b7e-4f7a-9d4e-2f6b1c0e8a11';
    await page.evaluate(([key, url, signature]) => {
      localStorage.setItem(`lojal:outbox:${key}`, JSON.stringify({
        key,
        url,
        body: JSON.stringify({ type: 'nps', score: 3, text: 'Pakken kom i går', customer_id: 'c-1001', campaign: '2026-Q4', order_id: 'NS-10042' }),
        // What the prompt keeps beside a signed answer, for exactly this case.
        anonymous_body: JSON.stringify({ type: 'nps', score: 3, text: 'Pakken kom i går', campaign: '2026-Q4', order_id: 'NS-10042' }),
        signature,
        created_at_ms: Date.now() - 25 * 3600 * 1000,
        attempts: 4,
        next_attempt_at_ms: 0,
      }));
    }, [key, `${shop.url}/api/v1/feedback`, expiredSignature()]);
    await page.goto(`${shop.url}/`);
    const answers = await waitForAnswers(shop, 1);
    assert.equal(answers.length, 1);
    assert.deepEqual([answers[0].score, answers[0].text, answers[0].order_id, answers[0].customer_id], ['3', 'Pakken kom i går', 'NS-10042', '']);
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')));
    const errors = page.consoleErrors.filter((e) => e.startsWith('lojal: outbox:'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /HTTP 401: the customer signature has expired.*; sending the answer again without the customer$/);
  }));

// --- what each prompt shows, and delivery past a closed tab ---------------------------------------

/** Adds prompts to the order page, after the demo's own. */
const addPrompts = (page, html) =>
  page.evaluate((h) => document.querySelector('main').insertAdjacentHTML('beforeend', h), html);

/** Presses Tab until the focus is inside the element with `id`, at most 60 times. */
async function tabIntoId(page, id) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
  }
  throw new Error(`Tab never reached #${id}`);
}

test('a CSAT prompt with variant="stars" shows five named stars, chosen by keyboard, and stores the score', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    await addPrompts(page, '<lojal-csat id="stars" variant="stars" campaign="stars-test"></lojal-csat>'
      + '<lojal-csat id="stars-en" variant="stars" locale="en" campaign="stars-test-en"></lojal-csat>');
    await page.locator('#stars fieldset').waitFor();
    await page.locator('#stars-en fieldset').waitFor();
    // Five stars, not faces, each named for screen readers in the prompt's language.
    assert.deepEqual(await page.locator('#stars label.option.star .face').allTextContents(), ['★', '★', '★', '★', '★']);
    assert.equal(await page.locator('#stars label.option').count(), 5);
    assert.equal(await page.locator('#stars svg').count(), 0, 'no faces');
    assert.deepEqual(await page.locator('#stars label.option .sr-only').allTextContents(),
      ['1 stjerne', '2 stjerner', '3 stjerner', '4 stjerner', '5 stjerner']);
    assert.deepEqual(await page.locator('#stars-en label.option .sr-only').allTextContents(),
      ['1 star', '2 stars', '3 stars', '4 stars', '5 stars']);

    // Keyboard only: into the prompt, past its dismiss button, Space on the first star, then arrows.
    await tabIntoId(page, 'stars');
    await page.keyboard.press('Tab');
    assert.deepEqual([(await focused(page)).type, (await focused(page)).value], ['radio', '1']);
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const now = await focused(page);
    assert.deepEqual([now.value, now.checked], ['3', true]);
    assert.equal(await page.locator('#stars label.option.lit').count(), 3, 'three stars lit');
    await page.locator('#stars').screenshot({ path: join(ARTIFACTS, 'feedback-csat-stars.png') });
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'text');
    await page.keyboard.type('Helt greit');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).part, 'send');
    await page.keyboard.press('Enter');
    await page.locator('#stars [part=thanks]').waitFor();
    const answers = await waitForAnswers(shop, 1);
    assert.deepEqual(answers.map((a) => [a.type, a.campaign, a.score, a.text]), [['csat', 'stars-test', '3', 'Helt greit']]);
    assert.deepEqual(page.pageErrors, []);
  }));

test('the NPS scale names its ends in the prompt’s language, and 0 and 10 are described by them', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    const ends = () => page.locator('lojal-nps [part=ends] span').allTextContents();
    assert.deepEqual(await ends(), ['0 = Svært lite sannsynlig', '10 = Svært sannsynlig']);
    const describedBy = (value) => page.$eval('lojal-nps', (el, v) => {
      const root = el.shadowRoot;
      const id = root.querySelector(`input[value="${v}"]`).getAttribute('aria-describedby');
      return id && root.getElementById(id).textContent;
    }, value);
    assert.equal(await describedBy('0'), '0 = Svært lite sannsynlig');
    assert.equal(await describedBy('10'), '10 = Svært sannsynlig');
    assert.equal(await describedBy('5'), null);

    await page.$eval('lojal-nps', (el) => el.setAttribute('locale', 'en'));
    await page.waitForFunction(() =>
      document.querySelector('lojal-nps').shadowRoot.querySelector('[part=ends] span')?.textContent.startsWith('0 = Not'));
    assert.deepEqual(await ends(), ['0 = Not at all likely', '10 = Extremely likely']);
    assert.equal(await describedBy('10'), '10 = Extremely likely');
  }));

test('the NPS follow-up asks detractors (0–6), passives (7–8) and promoters (9–10) their own question', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    const question = (score) => (score <= 6 ? 'Hva kan vi gjøre bedre?'
      : score <= 8 ? 'Hva skulle til for at du ga oss 10?' : 'Så hyggelig! Hva likte du best?');
    await tabInto(page, 'lojal-nps');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    const label = page.locator('lojal-nps label[for=text]');
    for (let score = 0; score <= 10; score++) {
      if (score > 0) await page.keyboard.press('ArrowRight');
      assert.equal((await focused(page)).value, String(score));
      const shown = await label.textContent();
      assert.ok(shown.startsWith(question(score)), `${score}: ${shown}`);
    }
    // Back to a passive 8, answered and stored as such.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    assert.ok((await label.textContent()).startsWith('Hva skulle til for at du ga oss 10?'));
    await page.locator('lojal-nps').screenshot({ path: join(ARTIFACTS, 'feedback-nps-passive.png') });
    await page.keyboard.press('Tab');
    await page.keyboard.type('Raskere levering');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('lojal-nps [part=thanks]').waitFor();
    const answers = await waitForAnswers(shop, 1);
    assert.deepEqual(answers.map((a) => [a.type, a.score, a.text]), [['nps', '8', 'Raskere levering']]);
  }));

test('the review prompt shows its moderation note: the locale’s by default, the shop’s own from moderation-note', () =>
  withShop(async (shop) => {
    const page = await openOrderPage(shop);
    const note = page.locator('lojal-review [part=note]');
    assert.equal(await note.textContent(), 'Anmeldelser publiseres når butikken har lest dem.');
    await page.$eval('lojal-review', (el) => el.setAttribute('moderation-note', 'Vi leser hver anmeldelse før den vises.'));
    await page.waitForFunction(() =>
      document.querySelector('lojal-review').shadowRoot.querySelector('[part=note]').textContent.startsWith('Vi leser'));
    assert.equal(await note.textContent(), 'Vi leser hver anmeldelse før den vises.');
    await page.$eval('lojal-review', (el) => el.removeAttribute('moderation-note'));
    await page.waitForFunction(() =>
      document.querySelector('lojal-review').shadowRoot.querySelector('[part=note]').textContent.startsWith('Anmeldelser'));

    // Set from the start, and in English by default.
    await addPrompts(page, '<lojal-review id="own" product-id="marius-lue" moderation-note="Moderert av Nordlys Strikk."></lojal-review>'
      + '<lojal-review id="en" product-id="marius-lue" locale="en"></lojal-review>');
    await page.locator('#own [part=note]').waitFor();
    await page.locator('#en [part=note]').waitFor();
    assert.equal(await page.locator('#own [part=note]').textContent(), 'Moderert av Nordlys Strikk.');
    assert.equal(await page.locator('#en [part=note]').textContent(), 'Reviews are published once the shop has read them.');
    // The NPS and CSAT prompts have no such note.
    assert.equal(await page.locator('lojal-nps [part=note], lojal-csat [part=note]').count(), 0);
  }));

/**
 * A slow link between the browser and the shop: every request is passed on to `upstream`, but an
 * answer's POST only `delayMs` after it arrived, and only if the browser still waits for it then.
 * A request the browser cancelled meanwhile never reaches the shop, as on a real slow network.
 */
async function slowLink(upstream, delayMs) {
  const target = new URL(upstream);
  const seen = { held: 0, passed: 0, dropped: 0 };
  const server = createServer((req, res) => {
    let gone = false;
    res.on('close', () => (gone ||= !res.writableEnded));
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      if (req.method === 'POST' && req.url === '/api/v1/feedback') {
        seen.held++;
        await new Promise((r) => setTimeout(r, delayMs));
        if (gone) {
          seen.dropped++;
          return;
        }
        seen.passed++;
      }
      const headers = { ...req.headers, host: target.host };
      const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
  };
}

async function until(condition, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a tab closed while its answer is still on the way: keepalive carries it to the shop, stored once', () =>
  withShop(async (shop) => {
    const link = await slowLink(shop.url, 1_500);
    try {
      const page = await openPage(browser, `${link.url}/ordre.html`);
      await page.locator('lojal-nps fieldset').waitFor();
      await page.locator('lojal-nps label.option:has(input[value="6"])').click();
      await page.locator('lojal-nps textarea').fill('Lukket før svaret kom');
      await page.locator('lojal-nps [part=send]').click();
      // The answer has left the page but not reached the shop when the shopper closes the tab.
      await until(() => link.seen.held === 1, 'the answer on the slow link');
      assert.equal(link.seen.passed, 0);
      const context = page.context();
      await page.close();
      const answers = await waitForAnswers(shop, 1, { timeout: 10_000 });
      assert.deepEqual(answers.map((a) => [a.type, a.score, a.text]), [['nps', '6', 'Lukket før svaret kom']]);
      assert.deepEqual(link.seen, { held: 1, passed: 1, dropped: 0 });

      // The closed page never heard back, so its copy still waits in the outbox: the next page
      // sends it again with the same key, and the shop keeps one.
      const next = await context.newPage();
      await next.goto(`${link.url}/`);
      await next.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('lojal:outbox:')), null, { timeout: 15_000 });
      assert.equal((await storedAnswers(shop)).length, 1);
      assert.deepEqual(link.seen, { held: 2, passed: 2, dropped: 0 });
      await context.close();
    } finally {
      await link.close();
    }
  }));
