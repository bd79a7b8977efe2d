// <lojal-wheel> and <lojal-scratch> end to end: the campaign page of the demo shop, the real
// reference API (a fresh database per test), Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, openPage, api, demoSignature, plain, ARTIFACTS, ROOT, startShop, withShop, signAt } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const CAMPAIGN_PAGE = '/kampanje.html';
// Norway's clock, so "tomorrow at 14:05" is the shop's own.
const NORWAY = { timezoneId: 'Europe/Oslo', viewport: { width: 1100, height: 1000 } };

// Two more wheels, saved with `shop-api campaign put` as a merchant would: five segments with
// the odds published (one prize out of stock, so its chance went to the fallback), and twelve
// with the odds kept private but a rules page.
const FIVE = {
  id: 'femhjulet', name: 'Femhjulet', game: 'wheel', starts_at: '2026-01-01T00:00:00Z',
  disclose_odds: true, rules_url: '/kampanje.html#regler',
  segments: [
    { label: '5 % rabatt', color: '#0b6e4f', weight: 30, prize: '5 % rabatt' },
    { label: 'Prøv igjen', color: '#f1e9dc', weight: 25, fallback: true },
    { label: 'Gratis frakt', color: '#24486b', weight: 20, prize: 'Gratis frakt', stock: 3 },
    { label: 'Lue', color: '#5a4a78', weight: 15, prize: 'En lue', stock: 0 },
    { label: '50 kr', color: '#b07d2b', weight: 5, prize: '50 kr rabatt', stock: 1200 },
  ],
};
const TWELVE = {
  id: 'tolvhjulet', name: 'Tolvhjulet', game: 'wheel', starts_at: '2026-01-01T00:00:00Z',
  disclose_odds: false, rules_url: '/kampanje.html#regler',
  segments: Array.from({ length: 12 }, (_, i) => (i === 11
    ? { label: 'Prøv igjen', weight: 10, fallback: true }
    : { label: `Felt ${i + 1}`, weight: 10, ...(i % 3 === 0 && { prize: `Premie ${i + 1}` }) })),
};

/**
 * Runs `fn(shop, put)` against a fresh shop whose database also holds `campaigns`, put by the
 * CLI; `put(campaign)` saves another (or a changed one) the same way while the shop runs.
 */
async function withCampaigns(campaigns, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'lojal-e2e-'));
  const put = (campaign) => {
    const file = join(dir, `${campaign.id}.json`);
    writeFileSync(file, JSON.stringify(campaign));
    execFileSync(join(ROOT, 'target', 'release', 'shop-api'), ['--db', join(dir, 'shop.sqlite'), 'campaign', 'put', file]);
  };
  try {
    campaigns.forEach(put);
    const shop = await startShop({ dir });
    try {
      await fn(shop, put);
    } finally {
      await shop.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Points the page's wheel at `campaign` and waits until it offers a spin. */
async function showCampaign(page, campaign, count) {
  await page.$eval('lojal-wheel', (el, id) => el.setAttribute('campaign', id), campaign);
  await page.waitForFunction((n) => {
    const root = document.querySelector('lojal-wheel').shadowRoot;
    return root.querySelectorAll('[part=segment]').length === n
      && root.querySelector('[part=play]')?.getAttribute('aria-disabled') === 'false';
  }, count);
}

/**
 * What the widget must say to a shopper who played, given the API's `next_play_at` and the
 * shopper's time zone: the hour and minute on her clock, worked out here by Node's own Intl.
 */
function comeBackTomorrow(nextPlayAt, timeZone) {
  const time = new Intl.DateTimeFormat('nb-NO', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(new Date(nextPlayAt));
  return `Du har allerede spilt i dag — kom tilbake i morgen kl. ${time}.`;
}

const wheel = (page, part) => page.locator(`lojal-wheel [part=${part}]`);
const scratch = (page, part) => page.locator(`lojal-scratch [part=${part}]`);

/** Resolves with the JSON of the next play answer. */
function nextPlay(page, campaign = 'vinterhjulet') {
  return page
    .waitForResponse((r) => r.url().endsWith(`/campaigns/${campaign}/play`) && r.request().method() === 'POST')
    .then(async (r) => ({ status: r.status(), body: await r.json(), request: r.request().postDataJSON() }));
}

/**
 * Which segment the pointer (12 o'clock) points at, read from the rotor's computed transform,
 * and how far from the nearest border (in fractions of a segment). The same rule as
 * `core::games::segment_at`: turning the wheel clockwise by r brings its angle (360 − r) to the top.
 */
async function landedSegment(page, count) {
  const transform = await wheel(page, 'rotor').evaluate((el) => getComputedStyle(el).transform);
  if (transform === 'none') return { index: 0, border: 0.5, rotation: 0, transform };
  const [a, b] = transform.match(/matrix\(([^)]+)\)/)[1].split(',').map(Number);
  const rotation = (Math.atan2(b, a) * 180) / Math.PI;
  const position = (((-rotation % 360) + 360) % 360) / (360 / count);
  const inside = position - Math.floor(position);
  return { index: Math.floor(position), border: Math.min(inside, 1 - inside), rotation, transform };
}

/**
 * The segment the shopper sees under the pointer once the wheel stopped: the point a few pixels
 * below the pointer's box, on screen, is hit-tested against each segment's drawn path (taken
 * into the path's own coordinates through the turned rotor), and the one segment containing it
 * is named by its place among the wheel's segments and its label. Nothing of the core's maths
 * is repeated here: this is what the picture shows.
 */
async function segmentUnderPointer(page) {
  await wheel(page, 'stage').scrollIntoViewIfNeeded();
  return page.$eval('lojal-wheel', (el) => {
    const pointer = el.shadowRoot.querySelector('[part=pointer]').getBoundingClientRect();
    const below = new DOMPoint(pointer.left + pointer.width / 2, pointer.bottom + 4);
    const segments = [...el.shadowRoot.querySelectorAll('[part=segment]')];
    const under = segments.filter((g) => {
      const path = g.querySelector('path');
      return path.isPointInFill(below.matrixTransform(path.getScreenCTM().inverse()));
    });
    if (under.length !== 1) return { under: under.map((g) => segments.indexOf(g)) };
    return { index: segments.indexOf(under[0]), label: under[0].querySelector('text').textContent };
  });
}

/** Records the lojal:play and lojal:prize events the page sees. */
async function recordEvents(page) {
  await page.evaluate(() => {
    window.lojalEvents = [];
    for (const name of ['lojal:play', 'lojal:prize']) {
      document.addEventListener(name, (e) => window.lojalEvents.push({ name, detail: e.detail }));
    }
  });
}

async function chooseShopper(page, label) {
  await page.selectOption('#shopper', { label });
}

test('spin: the wheel stops on the segment the API drew, and a prize’s coupon is shown and copied', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, {
      ...NORWAY,
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    await wheel(page, 'play').waitFor();
    await recordEvents(page);
    // The demo's stand-in for a cookie banner: analytics events may flow.
    await page.click('#consent-yes');
    const seen = [];
    page.on('response', (r) => r.url().endsWith('/play') && r.json().then((b) => seen.push(b.segment_index)));
    const campaign = (await api(shop, '/campaigns/vinterhjulet')).body;
    const count = campaign.segments.length;
    assert.equal(await wheel(page, 'segment').count(), count);

    // About 70 % of spins win something. Spin as each shopper of the demo, then as guests, until
    // one wins; every spin's landing is checked on the way.
    const shoppers = ['Ingrid (innlogget)', 'Mart (innlogget)', 'Kari (innlogget)'];
    let won = null;
    for (let attempt = 0; attempt < 12 && !won; attempt++) {
      if (attempt > 0) {
        // Another shopper: the widget reloads for her and offers a spin.
        if (attempt < shoppers.length) {
          await chooseShopper(page, shoppers[attempt]);
        } else {
          await chooseShopper(page, shoppers[0]);
          await wheel(page, 'result').waitFor({ state: 'detached' });
          await chooseShopper(page, 'Gjest (oppgir e-post)');
          await wheel(page, 'email-input').fill(`gjest${attempt}@example.no`);
        }
        await wheel(page, 'result').waitFor({ state: 'detached' });
        await page.waitForFunction(() =>
          document.querySelector('lojal-wheel').shadowRoot.querySelector('[part=play]')?.getAttribute('aria-disabled') === 'false');
      }
      const answer = nextPlay(page);
      // Keyboard: Space on the focused Spin button plays.
      await wheel(page, 'play').focus();
      await page.keyboard.press('Space');
      const { status, body } = await answer;
      assert.equal(status, 200, JSON.stringify(body));

      // The turn is a CSS transition of `transform` (compositor), not a script loop.
      const transitions = await page.evaluate(() =>
        document.querySelector('lojal-wheel').shadowRoot.getAnimations()
          .map((a) => a.transitionProperty).filter(Boolean));
      assert.deepEqual(transitions, ['transform']);
      if (attempt === 0) await page.screenshot({ path: join(ARTIFACTS, 'wheel-spinning.png') });

      await wheel(page, 'result').waitFor({ timeout: 10_000 });
      const landed = await landedSegment(page, count);
      assert.equal(landed.index, body.segment_index, `attempt ${attempt}, transform ${landed.transform}, plays ${seen}`);
      assert.ok(landed.border >= 0.14, `the pointer sits ${landed.border} of a segment from a border`);
      assert.ok(landed.rotation !== 0);
      assert.deepEqual(await segmentUnderPointer(page), { index: body.segment_index, label: body.label }, `attempt ${attempt}`);
      const headline = plain(await wheel(page, 'headline').textContent());
      if (body.prize) {
        won = body;
        assert.equal(headline, `Du vant: ${body.prize.name}!`);
      } else {
        assert.equal(headline, `«${body.label}» – ingen premie denne gangen.`);
        assert.equal(await wheel(page, 'code').count(), 0);
      }
    }
    assert.ok(won, 'no prize in twelve spins (probability below 1e-6)');

    assert.equal(await wheel(page, 'code').textContent(), won.prize.code);
    assert.match(plain(await wheel(page, 'expires').textContent()), /^Gyldig til \d+\. \w+ \d{4}$/);
    await wheel(page, 'copy').click();
    await page.waitForFunction(() =>
      document.querySelector('lojal-wheel').shadowRoot.querySelector('[part=copy]').textContent === 'Kopiert');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), won.prize.code);

    // The result is in the live region, and the page heard about it.
    assert.equal(await wheel(page, 'status').getAttribute('aria-live'), 'polite');
    assert.ok((await wheel(page, 'status').textContent()).includes(won.prize.code));
    const events = await page.evaluate(() => window.lojalEvents);
    const prizes = events.filter((e) => e.name === 'lojal:prize');
    assert.deepEqual(prizes.at(-1).detail, {
      campaignId: 'vinterhjulet', game: 'wheel', prize: won.prize.name, code: won.prize.code, expiresAt: won.prize.expires_at,
    });
    const plays = events.filter((e) => e.name === 'lojal:play');
    assert.equal(plays.at(-1).detail.segmentIndex, won.segment_index);
    assert.equal(plays.at(-1).detail.won, true);
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(page.consoleErrors, []);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(500);
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-prize.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'games-page.png') });
  }));

test('a second spin is refused politely: in the same page, after a reload, and from another tab', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    const other = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    await wheel(other, 'play').waitFor();
    const answer = nextPlay(page);
    await wheel(page, 'play').click();
    const { body: played } = await answer;
    await wheel(page, 'result').waitFor({ timeout: 10_000 });
    // The hour and minute of the API's next_play_at, on the shopper's (Oslo) clock.
    const polite = comeBackTomorrow(played.next_play_at, 'Europe/Oslo');

    // Same page: the button says no without asking the server again. (It is aria-disabled, not
    // disabled, so it keeps focus and can still be pressed; Playwright must be told to press it.)
    const posts = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
    assert.equal(await wheel(page, 'play').getAttribute('aria-disabled'), 'true');
    await wheel(page, 'play').click({ force: true });
    await wheel(page, 'notice').waitFor();
    assert.equal(plain(await wheel(page, 'notice').textContent()), polite);
    assert.equal(posts.length, 0);
    // Once on screen: the result card's own "come back" line makes way for the notice.
    const shown = plain(await wheel(page, 'status').textContent());
    assert.equal(shown.split('Du har allerede spilt').length - 1, 1, shown);

    // Reloaded: the widget knows before anyone clicks, from the API's next_play_at.
    const ingrid = await api(shop, '/campaigns/vinterhjulet?customer_id=c-1001', { signature: await demoSignature(page, 'c-1001') });
    assert.equal(ingrid.body.next_play_at, played.next_play_at);
    await page.reload();
    await wheel(page, 'state').waitFor();
    assert.equal(plain(await wheel(page, 'state').textContent()), polite);
    assert.equal(await wheel(page, 'play').getAttribute('aria-disabled'), 'true');
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-not-eligible.png') });

    // A tab opened before the spin still offers it; the server refuses with 429, calmly shown.
    const refused = nextPlay(other);
    await wheel(other, 'play').click();
    const { status, body } = await refused;
    assert.equal(status, 429);
    assert.equal(body.error.code, 'already_played');
    // Said once, in the live region (as a notice, since it answers the press).
    await wheel(other, 'notice').waitFor();
    assert.equal(plain(await wheel(other, 'status').textContent()), polite);
    assert.equal(await wheel(other, 'state').count(), 0);
    assert.deepEqual(other.pageErrors, []);
    // The wheel did not turn for the refused play.
    assert.equal(await wheel(other, 'rotor').evaluate((el) => getComputedStyle(el).transform), 'matrix(1, 0, 0, 1, 0, 0)');

    // A shopper on Tokyo's clock is told the same instant in her own hour and minute.
    const tokyo = await openPage(browser, shop.url + CAMPAIGN_PAGE, { ...NORWAY, timezoneId: 'Asia/Tokyo' });
    await wheel(tokyo, 'state').waitFor();
    const there = comeBackTomorrow(played.next_play_at, 'Asia/Tokyo');
    assert.notEqual(there, polite);
    assert.equal(plain(await wheel(tokyo, 'state').textContent()), there);
  }));

test('reduced motion: no turning; the drawn segment lights up and the result fades in', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, { ...NORWAY, reducedMotion: 'reduce' });
    await wheel(page, 'play').waitFor();
    const answer = nextPlay(page);
    await wheel(page, 'play').press('Enter');
    const { body } = await answer;
    await wheel(page, 'result').waitFor({ timeout: 2_000 });
    const state = await page.evaluate(() => {
      const root = document.querySelector('lojal-wheel').shadowRoot;
      const rotor = root.querySelector('[part=rotor]');
      return {
        transform: getComputedStyle(rotor).transform,
        transition: getComputedStyle(rotor).transitionDuration,
        animations: root.getAnimations().map((a) => a.transitionProperty || a.animationName),
        landed: [...root.querySelectorAll('[part=segment]')].findIndex((s) => s.classList.contains('landed')),
        fade: getComputedStyle(root.querySelector('[part=result]')).animationName,
      };
    });
    assert.equal(state.transform, 'matrix(1, 0, 0, 1, 0, 0)', 'the wheel never turned');
    assert.equal(state.transition, '0s');
    assert.ok(!state.animations.includes('transform'), JSON.stringify(state.animations));
    assert.equal(state.landed, body.segment_index);
    assert.equal(state.fade, 'lojal-fade-in');
    await page.waitForTimeout(500);
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-reduced-motion.png') });
  }));

test('on wheels of five and twelve segments too, the segment under the pointer is the one the API drew', () =>
  withCampaigns([FIVE, TWELVE], async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    for (const [campaign, shopper] of [[FIVE, null], [FIVE, 'Mart (innlogget)'], [TWELVE, null], [TWELVE, 'Ingrid (innlogget)']]) {
      if (shopper) await chooseShopper(page, shopper);
      await showCampaign(page, campaign.id, campaign.segments.length);
      const answer = nextPlay(page, campaign.id);
      // With the mouse, on a wheel left turned by the spin before.
      await wheel(page, 'play').click();
      const { status, body } = await answer;
      assert.equal(status, 200, JSON.stringify(body));
      await wheel(page, 'result').waitFor({ timeout: 10_000 });
      assert.equal(body.label, campaign.segments[body.segment_index].label);
      assert.deepEqual(await segmentUnderPointer(page), { index: body.segment_index, label: body.label }, `${campaign.id}: ${JSON.stringify(body)}`);
    }
    assert.deepEqual(page.pageErrors, []);
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-twelve.png') });
  }));

/** The rules as the shopper reads them once opened: each row's label, chance and stock left. */
const rulesRows = (page) => page.$eval('lojal-wheel', (el) =>
  [...el.shadowRoot.querySelectorAll('[part=rules] .odds li')].map((li) =>
    ['.rule-label', '.rule-chance', '.rule-left'].map((c) => li.querySelector(c).textContent.replace(/[\u00a0\u202f]/g, ' '))));

/** Opens the wheel's "Regler og vinnersjanser" from the Spin button with Tab and Enter. */
async function openRulesByKeyboard(page) {
  const rules = page.locator('lojal-wheel [part=rules]');
  assert.equal(await rules.evaluate((d) => d.open), false, 'the rules start closed');
  await wheel(page, 'play').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.$eval('lojal-wheel', (el) => el.shadowRoot.activeElement?.textContent), 'Regler og vinnersjanser');
  await page.keyboard.press('Enter');
  assert.equal(await rules.evaluate((d) => d.open), true, 'Enter opens the rules');
}

test('the rules, opened by keyboard, give each segment’s chance and the stock left as the API does; a campaign that keeps its odds shows none', () =>
  withCampaigns([FIVE, TWELVE], async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    for (const campaign of ['vinterhjulet', FIVE.id]) {
      if (campaign !== 'vinterhjulet') await showCampaign(page, campaign, FIVE.segments.length);
      const { body } = await api(shop, `/campaigns/${campaign}`);
      assert.equal(body.odds.length, body.segments.length);
      await openRulesByKeyboard(page);
      const rows = await rulesRows(page);
      assert.equal(rows.length, body.odds.length);
      body.odds.forEach((odds, i) => {
        const [label, chance, left] = rows[i];
        assert.equal(label, body.segments[odds.segment].label);
        // "31,6 % sjanse": the API's chance in percent, to the one decimal shown.
        const shown = chance.match(/^(\d+(?:,\d)?) % sjanse$/);
        assert.ok(shown, chance);
        assert.ok(Math.abs(Number(shown[1].replace(',', '.')) - odds.chance * 100) <= 0.05, `${label}: ${chance}, API ${odds.chance}`);
        assert.equal(left, odds.remaining == null ? '' : `${odds.remaining.toLocaleString('nb-NO').replace(/\u00a0/g, ' ')} igjen`, label);
      });
      if (campaign === FIVE.id) {
        // The prize out of stock: no chance left, and its weight went to "Prøv igjen".
        assert.deepEqual(rows[3], ['Lue', '0 % sjanse', '0 igjen']);
        assert.deepEqual(rows[1], ['Prøv igjen', '42,1 % sjanse', '']);
        await page.locator('lojal-wheel [part=rules]').screenshot({ path: join(ARTIFACTS, 'wheel-rules.png') });
      }
      // Enter again on the summary closes them.
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('lojal-wheel [part=rules]').evaluate((d) => d.open), false);
    }

    // Odds kept private: the API sends none, and the rules only link to the full text.
    await showCampaign(page, TWELVE.id, TWELVE.segments.length);
    const { body: twelve } = await api(shop, `/campaigns/${TWELVE.id}`);
    assert.equal(twelve.odds, undefined);
    await openRulesByKeyboard(page);
    assert.deepEqual(await rulesRows(page), []);
    assert.equal(await page.locator('lojal-wheel [part=rules]').textContent(), 'Regler og vinnersjanser' + 'Fullstendige regler');
    assert.equal(await page.locator('lojal-wheel [part=rules] a').getAttribute('href'), '/kampanje.html#regler');
    // The demo's scratch card neither discloses odds nor has a rules page: no rules at all.
    assert.equal((await api(shop, '/campaigns/skrapelodd')).body.odds, undefined);
    await scratch(page, 'reveal').waitFor();
    assert.equal(await scratch(page, 'rules').count(), 0);
    assert.deepEqual(page.pageErrors, []);
  }));

test('tampering gains nothing: edited segments in the DOM, and another customer’s id at the API', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    // Every segment now promises the 100 kr prize; an attribute offers made-up segments.
    await page.evaluate(() => {
      const host = document.querySelector('lojal-wheel');
      host.setAttribute('segments', JSON.stringify([{ label: '100 kr', weight: 1 }]));
      for (const text of host.shadowRoot.querySelectorAll('[part=segment] text')) text.textContent = '100 kr';
      for (const path of host.shadowRoot.querySelectorAll('[part=segment] path')) path.style.fill = '#b07d2b';
    });
    const answer = nextPlay(page);
    await wheel(page, 'play').click();
    const { body } = await answer;
    await wheel(page, 'result').waitFor({ timeout: 10_000 });
    // What the shopper is told is the server's draw, whatever the picture says.
    const campaign = (await api(shop, '/campaigns/vinterhjulet')).body;
    assert.equal(body.label, campaign.segments[body.segment_index].label);
    const headline = plain(await wheel(page, 'headline').textContent());
    assert.equal(headline, body.prize ? `Du vant: ${body.prize.name}!` : `«${body.label}» – ingen premie denne gangen.`);
    assert.equal((await landedSegment(page, campaign.segments.length)).index, body.segment_index);
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-tampered.png') });

    // From the browser's console: Ingrid's signature on Mart's id is refused, and Mart keeps his play.
    const ingridSig = await demoSignature(page, 'c-1001');
    const forged = await page.evaluate(async (sig) => {
      const r = await fetch('/api/v1/campaigns/vinterhjulet/play', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-lojal-signature': sig, 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ customer_id: 'c-1002' }),
      });
      return { status: r.status, body: await r.json() };
    }, ingridSig);
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error.code, 'invalid_signature');
    const mart = await api(shop, '/campaigns/vinterhjulet?customer_id=c-1002', { signature: await demoSignature(page, 'c-1002') });
    assert.equal(mart.body.next_play_at, undefined, 'Mart may still play');
  }));

test('an expired signature plays as a guest, with one console message that says it expired', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    const expired = signAt('c-1002', Math.floor(Date.now() / 1000) - 25 * 3600);
    const statuses = [];
    page.on('response', (r) => r.url().includes('/campaigns/vinterhjulet?customer_id=c-1002') && statuses.push(r.status()));
    await page.evaluate((sig) => {
      const element = document.querySelector('lojal-wheel');
      element.setAttribute('customer-id', 'c-1002');
      element.setAttribute('customer-sig', sig);
    }, expired);
    // The guest state: an email to play with, and nothing of Mart's.
    await wheel(page, 'email-input').waitFor();
    assert.deepEqual(statuses, [401]);
    const errors = page.consoleErrors.filter((e) => e.startsWith('lojal: <lojal-wheel>'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /HTTP 401: the customer signature has expired.*; playing as a guest$/);
    assert.deepEqual(page.pageErrors, []);
  }));

test('a guest plays with an email; the consent box starts unticked and is optional', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    await chooseShopper(page, 'Gjest (oppgir e-post)');
    await wheel(page, 'email-input').waitFor();
    const consent = page.locator('lojal-wheel [part=consent] input');
    assert.equal(await consent.isChecked(), false);
    assert.match(plain(await wheel(page, 'consent').textContent()), /^Ja takk, send meg tilbud .* \(valgfritt\)$/);

    // Without an address nothing is sent, and the field says why.
    const posts = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(r));
    await wheel(page, 'play').click();
    await page.locator('lojal-wheel .error').waitFor();
    assert.equal(plain(await page.locator('lojal-wheel .error').textContent()), 'Skriv inn en gyldig e-postadresse for å spille.');
    assert.equal(posts.length, 0);
    assert.equal(await page.evaluate(() =>
      document.querySelector('lojal-wheel').shadowRoot.activeElement?.getAttribute('part')), 'email-input');

    // Playing without consent works; the request says so.
    await wheel(page, 'email-input').fill(' Gjest@Example.NO ');
    const answer = nextPlay(page);
    await wheel(page, 'play').click();
    const { status, request } = await answer;
    assert.equal(status, 200);
    assert.deepEqual(request, { email: 'gjest@example.no', marketing_consent: false });
    await wheel(page, 'result').waitFor({ timeout: 10_000 });

    // Another guest ticks the box.
    await chooseShopper(page, 'Ingrid (innlogget)');
    await wheel(page, 'result').waitFor({ state: 'detached' });
    await chooseShopper(page, 'Gjest (oppgir e-post)');
    await wheel(page, 'email-input').fill('kari@example.no');
    await consent.check();
    const second = nextPlay(page);
    await wheel(page, 'play').click();
    assert.deepEqual((await second).request, {
      email: 'kari@example.no', marketing_consent: true,
      consent_text: 'Ja takk, send meg tilbud og nyheter fra Nordlys Strikk på e-post. Du kan melde deg av når som helst.',
    });
    await wheel(page, 'result').waitFor({ timeout: 10_000 });
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-guest.png') });
  }));

test('a consent given to a text the merchant has since changed is not recorded: she sees the new text and decides again', () => {
  const campaign = (consentText) => ({
    id: 'samtykkehjulet', name: 'Samtykkehjulet', game: 'wheel', starts_at: '2026-01-01T00:00:00Z',
    guest_email: true, consent_text: consentText,
    segments: [
      { label: '10 % rabatt', weight: 1, prize: '10 % rabatt' },
      { label: 'Prøv igjen', weight: 1, fallback: true },
    ],
  });
  return withCampaigns([campaign('Send meg tilbud på e-post.')], async (shop, put) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, { ...NORWAY, reducedMotion: 'reduce' });
    await wheel(page, 'play').waitFor();
    await chooseShopper(page, 'Gjest (oppgir e-post)');
    await showCampaign(page, 'samtykkehjulet', 2);
    await wheel(page, 'email-input').fill('ingrid@example.no');
    const consent = page.locator('lojal-wheel [part=consent] input');
    await consent.check();
    // The merchant rewrites the text while the form is open.
    put(campaign('Send meg tilbud og nyhetsbrev på e-post.'));

    const refused = nextPlay(page, 'samtykkehjulet');
    await wheel(page, 'play').click();
    const first = await refused;
    assert.deepEqual([first.status, first.body.error.code], [409, 'consent_text_changed']);
    assert.deepEqual(first.request, { email: 'ingrid@example.no', marketing_consent: true, consent_text: 'Send meg tilbud på e-post.' });
    await page.waitForFunction(() => document.querySelector('lojal-wheel').shadowRoot
      .querySelector('[part=consent]')?.textContent.startsWith('Send meg tilbud og nyhetsbrev'));
    assert.equal(plain(await wheel(page, 'notice').textContent()),
      'Butikken har endret samtykketeksten. Les den på nytt, og kryss av hvis du er enig.');
    assert.equal(await consent.isChecked(), false, 'she decides again');
    assert.equal(await wheel(page, 'email-input').inputValue(), 'ingrid@example.no', 'her address is kept');
    assert.equal(await wheel(page, 'result').count(), 0, 'nothing was drawn');
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-consent-changed.png') });

    await consent.check();
    const accepted = nextPlay(page, 'samtykkehjulet');
    await wheel(page, 'play').click();
    const second = await accepted;
    assert.equal(second.status, 200);
    assert.equal(second.request.consent_text, 'Send meg tilbud og nyhetsbrev på e-post.');
    await wheel(page, 'result').waitFor({ timeout: 10_000 });
    assert.deepEqual(page.pageErrors, []);
  });
});

test('campaign over, and the API down: calm messages, and the page keeps working', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    await page.evaluate(() => document.querySelector('lojal-wheel').setAttribute('campaign', 'sommerhjulet'));
    await page.waitForFunction(() =>
      document.querySelector('lojal-wheel').shadowRoot.querySelector('[part=state]')?.textContent === 'Kampanjen er over. Takk for at du var med!');
    assert.equal(await wheel(page, 'play').count(), 0);
    await page.locator('lojal-wheel').screenshot({ path: join(ARTIFACTS, 'wheel-over.png') });

    const down = await openPage(browser, null, NORWAY);
    await down.route('**/api/v1/campaigns/**', (route) => route.abort('connectionrefused'));
    await down.goto(shop.url + CAMPAIGN_PAGE);
    await down.locator('lojal-wheel [part=state]').waitFor({ timeout: 15_000 });
    assert.equal(
      plain(await down.locator('lojal-wheel [part=state]').textContent()),
      'Spillet er ikke tilgjengelig akkurat nå. Prøv igjen litt senere.',
    );
    assert.deepEqual(down.pageErrors, []);
    const errors = down.consoleErrors.filter((e) => e.startsWith('lojal: <lojal-wheel>'));
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/campaigns\/vinterhjulet\?customer_id=c-1001: no answer/);
    // The rest of the page is unaffected: the badge shows its balance.
    await down.locator('lojal-badge [part=points]').waitFor();
  }));

test('played earlier today: "come back in 3 hours" comes from Intl.RelativeTimeFormat, in Norwegian and English', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, NORWAY);
    // 10:00 in Oslo; the API says the next play opens at 13:00 the same day.
    await page.clock.setFixedTime(new Date('2026-12-01T09:00:00Z'));
    await page.route('**/api/v1/campaigns/vinterhjulet?*', async (route) => {
      const response = await route.fetch();
      const campaign = await response.json();
      await route.fulfill({ response, json: { ...campaign, next_play_at: '2026-12-01T12:00:00Z' } });
    });
    await page.goto(shop.url + CAMPAIGN_PAGE);
    await wheel(page, 'state').waitFor();
    assert.equal(plain(await wheel(page, 'state').textContent()), 'Du har allerede spilt — kom tilbake om 3 timer, kl. 13:00.');
    await page.$eval('lojal-wheel', (el) => el.setAttribute('locale', 'en'));
    await page.waitForFunction(() => document.querySelector('lojal-wheel').shadowRoot.querySelector('[part=state]').textContent.startsWith('You'));
    assert.equal(plain(await wheel(page, 'state').textContent()), 'You have already played — come back in 3 hours, at 1:00 PM.');
    await page.$eval('lojal-wheel', (el) => el.setAttribute('locale', 'fi'));
    await page.waitForFunction(() => document.querySelector('lojal-wheel').shadowRoot.querySelector('[part=state]').textContent.startsWith('Olet'));
    assert.equal(plain(await wheel(page, 'state').textContent()), 'Olet jo pelannut — tule takaisin 3 tunnin päästä, klo 13.00.');
    assert.deepEqual(page.pageErrors, []);
  }));

// --- scratch card -------------------------------------------------------------------------------

/** Drags the mouse over the card in horizontal strokes covering `rows` of it. */
async function scratchRows(page, rows) {
  await scratch(page, 'card').scrollIntoViewIfNeeded();
  const box = await scratch(page, 'coating').boundingBox();
  await page.mouse.move(box.x + 5, box.y + 5);
  await page.mouse.down();
  for (let i = 0; i < rows.length; i++) {
    const y = box.y + box.height * rows[i];
    const [from, to] = i % 2 ? [box.width - 4, 4] : [4, box.width - 4];
    await page.mouse.move(box.x + from, y, { steps: 4 });
    await page.mouse.move(box.x + to, y, { steps: 12 });
  }
  await page.mouse.up();
}

const scratched = (page) => scratch(page, 'card').getAttribute('data-scratched').then(Number);

test('scratch card: revealed by dragging past 60 %, showing the prize the server drew', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await scratch(page, 'reveal').waitFor();
    await recordEvents(page);
    await page.click('#consent-yes');
    // Nothing to find in the page before playing.
    const campaign = (await api(shop, '/campaigns/skrapelodd')).body;
    const before = await page.evaluate(() => document.querySelector('lojal-scratch').shadowRoot.textContent);
    for (const s of campaign.segments) assert.ok(!before.includes(s.label), s.label);

    const answer = nextPlay(page, 'skrapelodd');
    await scratchRows(page, [0.15, 0.3]);
    const { body } = await answer;
    const partly = await scratched(page);
    assert.ok(partly > 10 && partly < 60, `${partly} % after two strokes`);
    assert.equal(await scratch(page, 'result').count(), 0, 'not revealed yet');
    await page.screenshot({ path: join(ARTIFACTS, 'scratch-partly.png'), clip: await scratch(page, 'card').boundingBox() });

    await scratchRows(page, [0.45, 0.6, 0.75, 0.9]);
    await scratch(page, 'result').waitFor();
    assert.ok((await scratched(page)) >= 60);
    assert.equal(await scratch(page, 'card').evaluate((el) => el.classList.contains('revealed')), true);
    const shown = plain(await page.locator('lojal-scratch .prize-name').textContent());
    assert.equal(shown, body.prize ? body.prize.name : body.label);
    if (body.prize) assert.equal(await scratch(page, 'code').textContent(), body.prize.code);
    const events = await page.evaluate(() => window.lojalEvents.map((e) => e.name));
    assert.deepEqual(events, body.prize ? ['lojal:play', 'lojal:prize'] : ['lojal:play']);
    assert.deepEqual(page.pageErrors, []);
    await page.waitForTimeout(600);
    await page.locator('lojal-scratch').screenshot({ path: join(ARTIFACTS, 'scratch-dragged.png') });
  }));

test('scratch card: just under 60 % it stays covered, and the dab that reaches 60 % uncovers it', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await scratch(page, 'reveal').waitFor();
    const answer = nextPlay(page, 'skrapelodd');
    // Two strokes clear the top 40 % of the card.
    await scratchRows(page, [0.1, 0.3]);
    const { body } = await answer;
    const box = await scratch(page, 'coating').boundingBox();
    const revealed = () => scratch(page, 'card').evaluate((el) => el.classList.contains('revealed'));
    // Then single dabs of the brush on untouched coating, about 1.5 % each, read one by one.
    const readings = [];
    for (const y of [0.5, 0.7]) {
      for (let x = 0.05; x < 1 && !(readings.at(-1)?.revealed); x += 0.1) {
        await page.mouse.move(box.x + box.width * x, box.y + box.height * y);
        await page.mouse.down();
        await page.mouse.up();
        readings.push({ scratched: await scratched(page), revealed: await revealed() });
      }
    }
    const covered = readings.filter((r) => !r.revealed);
    const first = readings.find((r) => r.revealed);
    assert.ok(first, `never revealed: ${JSON.stringify(readings)}`);
    assert.ok(covered.every((r) => r.scratched < 60), JSON.stringify(readings));
    assert.ok(covered.at(-1).scratched >= 57, `the last covered reading is close below 60 %: ${JSON.stringify(readings)}`);
    assert.ok(first.scratched >= 60 && first.scratched < 62, JSON.stringify(readings));
    await scratch(page, 'result').waitFor();
    assert.equal(plain(await page.locator('lojal-scratch .prize-name').textContent()), body.prize ? body.prize.name : body.label);
    assert.deepEqual(page.pageErrors, []);
  }));

test('scratch card: a finger scratches it too (touch pointer events)', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, { ...NORWAY, hasTouch: true, viewport: { width: 390, height: 844 } });
    await scratch(page, 'reveal').waitFor();
    await scratch(page, 'card').scrollIntoViewIfNeeded();
    const box = await scratch(page, 'coating').boundingBox();
    const scrolled = await page.evaluate(() => window.scrollY);
    const cdp = await page.context().newCDPSession(page);
    const touch = (type, x, y) => cdp.send('Input.dispatchTouchEvent', {
      type, touchPoints: type === 'touchEnd' ? [] : [{ x, y, radiusX: 8, radiusY: 8, id: 1 }],
    });
    const answer = nextPlay(page, 'skrapelodd');
    await touch('touchStart', box.x + 4, box.y + box.height * 0.1);
    for (const row of [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95]) {
      for (let step = 0; step <= 10; step++) {
        await touch('touchMove', box.x + 4 + (box.width - 8) * (step / 10), box.y + box.height * row);
      }
    }
    await touch('touchEnd');
    const { body } = await answer;
    await scratch(page, 'result').waitFor();
    assert.ok((await scratched(page)) >= 60);
    const shown = plain(await page.locator('lojal-scratch .prize-name').textContent());
    assert.equal(shown, body.prize ? body.prize.name : body.label);
    assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the page did not scroll under the finger');
    await page.screenshot({ path: join(ARTIFACTS, 'scratch-touch.png') });
  }));

test('scratch card: the Reveal button plays and uncovers it for keyboard users', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await scratch(page, 'reveal').waitFor();
    assert.match(await scratch(page, 'card').getAttribute('aria-label'), /bruk knappen «Vis premien»/);
    const answer = nextPlay(page, 'skrapelodd');
    await scratch(page, 'reveal').focus();
    await page.keyboard.press('Enter');
    const { body } = await answer;
    await scratch(page, 'result').waitFor();
    assert.equal(await scratched(page), 0, 'nothing was scratched');
    const status = plain(await scratch(page, 'status').textContent());
    assert.ok(status.startsWith(body.prize ? `Du vant: ${body.prize.name}!` : `«${body.label}»`), status);
    assert.equal(await scratch(page, 'reveal').count(), 0, 'one play: the button is gone');

    // A reload: already played, said calmly; the card cannot be scratched again.
    await page.reload();
    await scratch(page, 'state').waitFor();
    assert.equal(plain(await scratch(page, 'state').textContent()), comeBackTomorrow(body.next_play_at, 'Europe/Oslo'));
    const posts = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
    await scratchRows(page, [0.3, 0.6]);
    assert.equal(await scratched(page), 0);
    assert.equal(posts.length, 0);
    await page.locator('lojal-scratch').screenshot({ path: join(ARTIFACTS, 'scratch-revealed.png') });
  }));

// --- consent and the shared frequency budget ------------------------------------------------------

const lojalKeys = (page) => page.evaluate(() =>
  [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((k) => k.startsWith('lojal:')).sort());

/** Plays the scratch card with the Reveal button and waits for the result. */
async function revealScratch(page) {
  const answer = nextPlay(page, 'skrapelodd');
  await scratch(page, 'reveal').click();
  const { body } = await answer;
  await scratch(page, 'result').waitFor();
  return body;
}

test('consent: no analytics event and nothing stored until the page allows it; queued events follow', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await scratch(page, 'reveal').waitFor();
    await recordEvents(page);
    const body = await revealScratch(page);
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => window.lojalEvents), [], 'nothing before consent');
    assert.deepEqual(await lojalKeys(page), []);

    // The page's consent tool says yes: the waiting events arrive, in order.
    await page.evaluate(() => lojal.consent(true));
    const names = await page.evaluate(() => window.lojalEvents.map((e) => e.name));
    assert.deepEqual(names, body.prize ? ['lojal:play', 'lojal:prize'] : ['lojal:play']);

    // Withdrawn: later plays stay silent.
    await page.evaluate(() => lojal.consent(false));
    await chooseShopper(page, 'Mart (innlogget)');
    await scratch(page, 'result').waitFor({ state: 'detached' });
    await revealScratch(page);
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.lojalEvents.length), names.length);
  }));

test('consent from Shopify’s Customer Privacy API, including a later visitorConsentCollected', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, NORWAY);
    await page.addInitScript(() => {
      let allowed = false;
      window.Shopify = {
        customerPrivacy: {
          analyticsProcessingAllowed: () => allowed,
          preferencesProcessingAllowed: () => allowed,
          marketingAllowed: () => false,
          grant() {
            allowed = true;
            document.dispatchEvent(new CustomEvent('visitorConsentCollected', {
              detail: { analyticsAllowed: true, preferencesAllowed: true, marketingAllowed: false, saleOfDataAllowed: false },
            }));
          },
        },
      };
    });
    await page.goto(shop.url + CAMPAIGN_PAGE);
    await scratch(page, 'reveal').waitFor();
    await recordEvents(page);
    await revealScratch(page);
    await page.waitForTimeout(300);
    assert.deepEqual(await page.evaluate(() => window.lojalEvents), []);
    await page.evaluate(() => window.Shopify.customerPrivacy.grant());
    const events = await page.evaluate(() => window.lojalEvents.map((e) => e.name));
    assert.equal(events[0], 'lojal:play');
  }));

/** Adds popup games for Mart (who has not played) to the page. */
async function addPopups(page, signature) {
  await page.evaluate((sig) => {
    for (const [tag, campaign] of [['lojal-wheel', 'vinterhjulet'], ['lojal-scratch', 'skrapelodd']]) {
      const el = document.createElement(tag);
      Object.entries({ campaign, 'customer-id': 'c-1002', 'customer-sig': sig, popup: '', 'popup-delay': '0.3' })
        .forEach(([k, v]) => el.setAttribute(k, v));
      el.className = 'test-popup';
      document.body.append(el);
    }
  }, signature);
}

const openDialogs = (page) => page.evaluate(() =>
  [...document.querySelectorAll('.test-popup')]
    .filter((el) => el.shadowRoot?.querySelector('dialog[open]'))
    .map((el) => el.tagName.toLowerCase()));

test('popups share one frequency budget: none without consent, one per visit, never again once dismissed', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    const mart = await demoSignature(page, 'c-1002');

    // No consent: the budget cannot be counted, so nothing interrupts and nothing is stored.
    await addPopups(page, mart);
    await page.waitForTimeout(1500);
    assert.deepEqual(await openDialogs(page), []);
    assert.deepEqual(await lojalKeys(page), []);

    // With consent: exactly one of the two popups opens.
    await page.reload();
    await wheel(page, 'play').waitFor();
    await page.evaluate(() => lojal.consent(true));
    await addPopups(page, mart);
    await page.waitForFunction(() => document.querySelector('.test-popup')?.shadowRoot?.querySelector('dialog[open]')
      || document.querySelectorAll('.test-popup')[1]?.shadowRoot?.querySelector('dialog[open]'));
    await page.waitForTimeout(1000);
    const opened = await openDialogs(page);
    assert.equal(opened.length, 1, JSON.stringify(opened));
    // A scratch card painted while its dialog was closed is painted again, sharp, once it shows.
    const sharp = () => document.querySelector('lojal-scratch.test-popup').shadowRoot.querySelector('canvas');
    const canvasFits = (page) => page.evaluate((f) => {
      const canvas = eval(f)();
      const rect = canvas.getBoundingClientRect();
      return Math.abs(canvas.width - Math.round(rect.width * devicePixelRatio)) <= 1 && rect.width > 100;
    }, `(${sharp})`);
    if (opened[0] === 'lojal-scratch') assert.ok(await canvasFits(page), 'the popup card is painted at its size');
    await page.screenshot({ path: join(ARTIFACTS, 'popup-open.png') });
    // Dismissed with Escape: remembered.
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => ![...document.querySelectorAll('.test-popup')].some((el) => el.shadowRoot.querySelector('dialog[open]')));
    const key = `${opened[0]}:${opened[0] === 'lojal-wheel' ? 'vinterhjulet' : 'skrapelodd'}`;
    // The dialog's `close` event, which records the dismissal, is queued as a task after the
    // dialog stops being open: wait for the record rather than racing it.
    await page.waitForFunction((k) => localStorage.getItem(`lojal:done:${k}`) !== null, key);
    assert.deepEqual(await lojalKeys(page), [`lojal:done:${key}`, 'lojal:prompted']);
    assert.equal(await page.evaluate((k) => localStorage.getItem(`lojal:done:${k}`), key), 'dismissed');

    // Same visit, next page: no second prompt.
    await page.reload();
    await wheel(page, 'play').waitFor();
    await page.evaluate(() => lojal.consent(true));
    await addPopups(page, mart);
    await page.waitForTimeout(1500);
    assert.deepEqual(await openDialogs(page), []);

    // A later visit (same browser, new session): the dismissed one stays away, the other may come.
    const state = await page.context().storageState();
    const later = await openPage(browser, null, { ...NORWAY, storageState: state });
    await later.goto(shop.url + CAMPAIGN_PAGE);
    await wheel(later, 'play').waitFor();
    await later.evaluate(() => lojal.consent(true));
    await addPopups(later, mart);
    await later.waitForTimeout(1500);
    const other = opened[0] === 'lojal-wheel' ? 'lojal-scratch' : 'lojal-wheel';
    assert.deepEqual(await openDialogs(later), [other]);

    // Consent withdrawn: everything lojal stored goes.
    await later.evaluate(() => lojal.consent(false));
    assert.deepEqual(await lojalKeys(later), []);
  }));

test('a popup game keeps the keyboard off the page behind, closes with Escape or its close button, and gives the focus back', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, shop.url + CAMPAIGN_PAGE, NORWAY);
    await wheel(page, 'play').waitFor();
    const mart = await demoSignature(page, 'c-1002');
    await page.evaluate(() => lojal.consent(true));
    // The shopper is on a link in the menu when the popup opens.
    const link = page.locator('header nav a').first();
    await link.focus();
    await addPopups(page, mart);
    await page.waitForFunction(() => [...document.querySelectorAll('.test-popup')].some((el) => el.shadowRoot?.querySelector('dialog[open]')));
    const inPopup = () => page.evaluate(() => document.activeElement?.classList.contains('test-popup') ?? false);
    assert.ok(await inPopup(), 'the open dialog has the focus');
    // Past its last control the modal dialog lets Tab out to the browser's own UI (the
    // document body here), never to the page behind it, which is inert.
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => (document.activeElement === document.body ? 'browser' : document.activeElement?.className));
      assert.ok(['test-popup', 'browser'].includes(where), `Tab ${i + 1} reached the page: ${where}`);
    }
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => ![...document.querySelectorAll('.test-popup')].some((el) => el.shadowRoot.querySelector('dialog[open]')));
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), await link.textContent(), 'focus is back on the menu link');

    // Next visit, the other game: its close button, pressed with Enter, does the same.
    const later = await openPage(browser, null, { ...NORWAY, storageState: await page.context().storageState() });
    await later.goto(shop.url + CAMPAIGN_PAGE);
    await wheel(later, 'play').waitFor();
    await later.evaluate(() => lojal.consent(true));
    const link2 = later.locator('header nav a').nth(1);
    await link2.focus();
    await addPopups(later, mart);
    await later.waitForFunction(() => [...document.querySelectorAll('.test-popup')].some((el) => el.shadowRoot?.querySelector('dialog[open]')));
    for (let i = 0; i < 10; i++) {
      const part = await later.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('part'));
      if (part === 'close') break;
      await later.keyboard.press('Tab');
    }
    assert.equal(await later.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.getAttribute('part')), 'close');
    await later.keyboard.press('Enter');
    await later.waitForFunction(() => ![...document.querySelectorAll('.test-popup')].some((el) => el.shadowRoot.querySelector('dialog[open]')));
    assert.equal(await later.evaluate(() => document.activeElement?.textContent), await link2.textContent(), 'focus is back on the menu link');
    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(later.pageErrors, []);
  }));
