// The merchant console end to end: sign-in, the overview against the summary endpoint, the
// programme with the real badge as preview, a campaign refused, fixed, saved and played on the
// storefront, a stale form, a review published onto the product page, a manual adjustment in
// the ledger, what refuses without a session or with a forged CSRF token, axe-core on every page
// light and dark, and the keyboard alone. A real shop-api per test, Debian's Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, ROOT, MERCHANT_TOKEN, launch, openPage, axeViolations, plain, sign, withShop } from './harness.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

// The README's pictures are taken again only when asked (LOJAL_UPDATE_DOCS=1): a test run leaves
// the checkout as it found it.
const DOCS = process.env.LOJAL_UPDATE_DOCS ? join(ROOT, 'docs') : ARTIFACTS;
const WIDE = { viewport: { width: 1280, height: 900 } };

/** Posts a feedback answer as a prompt would. */
async function answer(shop, body) {
  const response = await fetch(`${shop.url}/api/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  return JSON.parse(text);
}

/** The merchant API with the bearer token, to compare with what the console shows. */
async function merchant(shop, path) {
  const response = await fetch(`${shop.url}/api/v1${path}`, { headers: { authorization: `Bearer ${MERCHANT_TOKEN}` } });
  assert.equal(response.status, 200, path);
  return response.json();
}

/** Signs in through the form (landing on it from a console page) and waits for the overview. */
async function signIn(page, shop, path = '/console/') {
  await page.goto(`${shop.url}${path}`);
  assert.match(page.url(), /\/console\/sign-in$/);
  await page.getByLabel('Merchant-token eller passord').fill(MERCHANT_TOKEN);
  await page.getByRole('button', { name: 'Logg inn' }).click();
  await page.waitForURL(`${shop.url}/console/`);
  await page.locator('h1', { hasText: 'Oversikt' }).waitFor();
}

const shadowText = (page, selector) =>
  page.evaluate((s) => document.querySelector(s)?.shadowRoot?.textContent ?? '', selector);

test('a merchant signs in, sees the real numbers, edits a tier and a reward in the badge preview, and adjusts points with a reason', () =>
  withShop(async (shop) => {
    for (const score of [10, 10, 9, 8, 7, 3, 0]) await answer(shop, { type: 'nps', score, campaign: '2026-Q4' });
    for (const score of [5, 4, 2]) await answer(shop, { type: 'csat', score, campaign: '2026-Q4' });
    const page = await openPage(browser, null, WIDE);
    await signIn(page, shop);

    // The overview's NPS and its weekly chart add up to what the summary endpoint says.
    await page.locator('[data-testid=nps-score]').waitFor();
    const from = await page.getByLabel('Fra').inputValue();
    const to = await page.getByLabel('Til').inputValue();
    const summary = await merchant(shop, `/feedback/summary?from=${from}&to=${to}`);
    assert.equal(await page.locator('[data-testid=nps-score]').textContent(), String(summary.nps.score));
    assert.equal(plain(await page.locator('[data-testid=nps-responses]').textContent()), String(summary.nps.responses));
    const weeks = await page.$$eval('#nps-chart tbody tr', (rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => Number(td.textContent))));
    const column = (i) => weeks.reduce((sum, week) => sum + week[i], 0);
    assert.deepEqual([column(0), column(1), column(2)], [summary.nps.promoters, summary.nps.passives, summary.nps.detractors]);
    assert.deepEqual([summary.nps.promoters, summary.nps.passives, summary.nps.detractors], [3, 2, 2]);
    assert.equal(await page.locator('#nps-chart svg rect').count(), weeks.length * 3);
    assert.equal(plain(await page.locator('[data-testid=csat-average]').textContent()), '3,67');
    await page.screenshot({ path: join(DOCS, 'console-overview.png'), fullPage: true });

    // Each card may have a period of its own: the page's set to a month without answers, the
    // NPS card's to the last 7 days, which the summary endpoint counts the same.
    await page.getByLabel('Fra').fill('2025-01-01');
    await page.getByLabel('Til').fill('2025-01-31');
    await page.locator('form.period button[type=submit]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=nps-responses]')?.textContent === '0');
    assert.equal(plain(await page.locator('[data-testid=csat-average]').textContent()), '–');
    await page.getByRole('combobox', { name: 'Periode NPS' }).selectOption('7');
    const day = (before) => new Date(Date.now() - before * 86_400_000).toISOString().slice(0, 10);
    const week = await merchant(shop, `/feedback/summary?from=${day(6)}&to=${day(0)}`);
    assert.equal(week.nps.responses, 7);
    await page.waitForFunction((n) => document.querySelector('[data-testid=nps-responses]')?.textContent === String(n), week.nps.responses);
    assert.equal(await page.locator('[data-testid=nps-score]').textContent(), String(week.nps.score));
    assert.equal(plain(await page.locator('[data-testid=csat-average]').textContent()), '–', 'the CSAT card keeps the page’s period');

    // The programme: the real badge shows the draft, as a member and as a guest.
    await page.getByRole('link', { name: 'Program' }).click();
    await page.locator('h1', { hasText: 'Fordelsprogram' }).waitFor();
    await page.waitForFunction(() => document.querySelector('#preview-member')?.shadowRoot?.querySelector('[part=tier]')?.textContent === 'Sølv');
    await page.waitForFunction(() => document.querySelector('#preview-guest')?.shadowRoot?.querySelector('[part=cta]'));
    const tier = page.getByRole('group', { name: 'Nivå 2' });
    await tier.getByLabel('Navn').fill('Sølv Pluss');
    await tier.getByLabel('Navn').press('Tab');
    await page.waitForFunction(() => document.querySelector('#preview-member').shadowRoot.querySelector('[part=tier]')?.textContent === 'Sølv Pluss');
    const reward = page.getByRole('group', { name: 'Belønning 1' });
    await reward.getByLabel('Navn').fill('Gratis frakt hele året');
    await reward.getByLabel('Navn').press('Tab');
    await page.locator('#preview-member [part=trigger]').click();
    await page.waitForFunction(() =>
      [...document.querySelector('#preview-member').shadowRoot.querySelectorAll('[part=reward]')].some((r) => r.textContent.includes('Gratis frakt hele året')));
    // The stored programme is untouched until it is saved.
    assert.equal((await merchant(shop, '/admin/programme')).programme.tiers[1].name, 'Sølv');
    await page.getByRole('button', { name: 'Lagre' }).click();
    await page.getByText('Lagret som revisjon 2.').waitFor();
    const saved = await merchant(shop, '/admin/programme');
    assert.equal(saved.programme.tiers[1].name, 'Sølv Pluss');
    assert.equal(saved.programme.rewards[0].name, 'Gratis frakt hele året');
    // A broken number is named with its field, as `shop-api programme put` would.
    await tier.getByLabel('Fra poeng').fill('mange');
    await tier.getByLabel('Fra poeng').press('Tab');
    await page.getByRole('alert').filter({ hasText: 'tiers[1].min_points' }).waitFor();

    // A customer's points adjusted with a reason: the ledger row, and the audit log's.
    await page.getByRole('link', { name: 'Kunder' }).click();
    await page.getByLabel('Kunde-id eller e-post').fill('mart@example.ee');
    await page.getByRole('button', { name: 'Søk' }).click();
    await page.getByRole('link', { name: 'c-1002' }).click();
    await page.locator('[data-testid=balance]').waitFor();
    assert.equal(await page.locator('[data-testid=balance]').textContent(), '300');
    await page.getByLabel('Poeng', { exact: true }).fill('50');
    await page.getByRole('button', { name: 'Juster', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Skriv en begrunnelse' }).waitFor();
    await page.getByLabel('Begrunnelse (påkrevd)').fill('Pakken kom aldri fram');
    await page.getByRole('button', { name: 'Juster', exact: true }).click();
    await page.getByText('Poengene er justert').waitFor();
    const row = page.locator('table.ledger tbody tr').first();
    assert.match(await row.textContent(), /Justert\+50Pakken kom aldri fram/);
    assert.equal(await page.locator('[data-testid=balance]').textContent(), '350');
    await page.getByRole('link', { name: 'Endringslogg' }).click();
    await page.locator('table.audit tbody tr').first().filter({ hasText: 'Justerte poeng' }).waitFor();
    assert.deepEqual(page.pageErrors, []);
  }));

test('a campaign whose chances do not add up is refused with why, then saved, played on the storefront, and a stale tab is told', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, WIDE);
    await signIn(page, shop);
    await page.getByRole('link', { name: 'Kampanjer' }).click();
    await page.getByRole('link', { name: 'Ny kampanje' }).click();
    await page.getByLabel('Id (a–z, 0–9, - og _)').fill('paskehjulet');
    await page.getByLabel('Navn', { exact: true }).fill('Påskehjulet');
    const second = page.getByRole('group', { name: 'Felt 2' });
    await second.getByLabel('Sjanse (%)').fill('40');
    await second.getByLabel('Sjanse (%)').press('Tab');
    const why = 'Sjansene er til sammen 90 %, ikke 100 %: 10 % er ikke gitt til noe felt.';
    await page.getByRole('alert').filter({ hasText: why }).waitFor();
    await page.getByRole('button', { name: 'Lagre' }).click();
    assert.equal((await fetch(`${shop.url}/api/v1/campaigns/paskehjulet`)).status, 404);

    await second.getByLabel('Sjanse (%)').fill('50');
    await second.getByLabel('Premie (tomt: ingen premie)').fill('10 % rabatt på påskegarn');
    await second.getByLabel('Premie (tomt: ingen premie)').press('Tab');
    assert.equal(await page.locator('[data-testid=odds-total]').textContent(), '100 %');
    // The live preview is the real wheel, drawing from the draft.
    await page.waitForFunction(() => document.querySelector('#preview-game')?.shadowRoot?.querySelectorAll('[part=segment]').length === 2);
    await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
    await page.screenshot({ path: join(DOCS, 'console-campaign.png'), fullPage: true });
    await page.getByRole('button', { name: 'Lagre' }).click();
    await page.waitForURL(`${shop.url}/console/campaigns/paskehjulet`);
    await page.getByText('Lagret som revisjon 1.').waitFor();

    // On the storefront, a shopper plays it.
    const storefront = await openPage(browser, null);
    await storefront.route(`${shop.url}/paske.html`, (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><html lang="nb"><head><script type="module" src="/lojal/lojal.js" data-api="/api/v1" data-locale="nb"></script></head>
        <body><lojal-wheel campaign="paskehjulet" customer-id="c-1001" customer-sig="${sign('c-1001')}"></lojal-wheel></body></html>`,
    }));
    await storefront.goto(`${shop.url}/paske.html`);
    await storefront.waitForFunction(() =>
      document.querySelector('lojal-wheel')?.shadowRoot?.querySelector('[part=play]')?.getAttribute('aria-disabled') === 'false');
    const played = storefront.waitForResponse((r) => r.url().endsWith('/api/v1/campaigns/paskehjulet/play'));
    await storefront.locator('lojal-wheel [part=play]').click();
    const play = await (await played).json();
    assert.ok([0, 1].includes(play.segment_index), JSON.stringify(play));
    await storefront.locator('lojal-wheel [part=result]').waitFor({ timeout: 10_000 });
    await storefront.context().close();

    // Two tabs on revision 1: the first saves, the second is told instead of overwriting.
    const other = await page.context().newPage();
    await other.goto(`${shop.url}/console/campaigns/paskehjulet`);
    await other.getByLabel('Navn', { exact: true }).waitFor();
    await page.reload();
    await page.getByLabel('Navn', { exact: true }).fill('Påskehjulet 2027');
    await page.getByLabel('Navn', { exact: true }).press('Tab');
    // Saving a running campaign says what the change means for plays already made.
    await page.getByRole('note').filter({ hasText: '1 spill er gjort' }).waitFor();
    await page.getByRole('button', { name: 'Lagre' }).click();
    await page.getByText('Lagret som revisjon 2.').waitFor();
    await other.getByLabel('Navn', { exact: true }).fill('Påskehjulet gammel fane');
    await other.getByLabel('Navn', { exact: true }).press('Tab');
    await other.getByRole('button', { name: 'Lagre' }).click();
    await other.getByText('Kampanjen ble endret et annet sted').waitFor();
    assert.equal((await merchant(shop, '/admin/campaigns/paskehjulet')).campaign.name, 'Påskehjulet 2027');
    assert.deepEqual(page.pageErrors, []);
  }));

test('without a session the console refuses, a forged CSRF token is refused, and a published review reaches the product page', () =>
  withShop(async (shop) => {
    const pages = ['/console/', '/console/programme', '/console/campaigns/vinterhjulet', '/console/feedback', '/console/customers/c-1001', '/console/audit'];
    for (const path of pages) {
      const response = await fetch(`${shop.url}${path}`, { redirect: 'manual' });
      assert.equal(response.status, 303, path);
      assert.equal(response.headers.get('location'), '/console/sign-in', path);
    }
    const endpoints = ['/admin/overview', '/admin/campaigns', '/admin/feedback', '/admin/customers?q=c', '/admin/customers/c-1001', '/admin/audit', '/admin/programme', '/feedback/summary', '/console/session'];
    for (const path of endpoints) assert.equal((await fetch(`${shop.url}/api/v1${path}`)).status, 401, path);

    const review = await answer(shop, { type: 'review', score: 5, title: 'Varm og god', text: 'Den beste genseren jeg har hatt.', product_id: 'p-setesdal', campaign: 'reviews' });
    const page = await openPage(browser, null, WIDE);
    await signIn(page, shop, '/console/feedback');
    const forged = await page.evaluate(async () => {
      const response = await fetch('/api/v1/admin/customers/c-1001/adjustments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': 'f'.repeat(64), 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ points: 1000, reason: 'forged' }),
      });
      return [response.status, (await response.json()).error.code];
    });
    assert.deepEqual(forged, [403, 'invalid_csrf_token']);

    await page.getByRole('link', { name: 'Tilbakemeldinger' }).click();
    const queued = page.locator(`[data-review-id="${review.id}"]`);
    await queued.waitFor();
    assert.match(await queued.textContent(), /Setesdal-genser/);
    await queued.getByRole('button', { name: 'Publiser' }).click();
    await page.getByText('Anmeldelsen er publisert.').waitFor();
    await queued.waitFor({ state: 'detached' });

    const product = await openPage(browser, `${shop.url}/product.html?id=p-setesdal`);
    await product.locator('#reviews li', { hasText: 'Den beste genseren jeg har hatt.' }).waitFor();
    assert.match(await product.locator('#reviews-summary').textContent(), /5 av 5 fra 1 anmeldelse/);
    await product.context().close();

    // Signing out ends the session: the console is shut again.
    await page.getByRole('button', { name: 'Logg ut' }).click();
    await page.waitForURL(/\/console\/sign-in\?signed_out=1$/);
    await page.goto(`${shop.url}/console/audit`);
    assert.match(page.url(), /\/console\/sign-in$/);
  }));

test('every console page has no WCAG 2.2 AA violations in light and dark, fits 320 px, and works by keyboard alone', () =>
  withShop(async (shop) => {
    await answer(shop, { type: 'nps', score: 9, campaign: '2026-Q4' });
    await answer(shop, { type: 'review', score: 4, title: 'Fin', text: 'Myk ull.', product_id: 'p-setesdal', campaign: 'reviews' });
    const paths = [
      ['/console/', 'Oversikt'],
      ['/console/programme', 'Fordelsprogram'],
      ['/console/campaigns', 'Kampanjer'],
      ['/console/campaigns/vinterhjulet', 'Kampanje'],
      ['/console/campaigns/new', 'Kampanje'],
      ['/console/feedback', 'Tilbakemeldinger'],
      ['/console/customers', 'Kunder'],
      ['/console/customers/c-1001', 'Kunde'],
      ['/console/audit', 'Endringslogg'],
    ];
    for (const colorScheme of ['light', 'dark']) {
      const page = await openPage(browser, null, { ...WIDE, bypassCSP: true, colorScheme });
      await page.goto(`${shop.url}/console/sign-in`);
      assert.deepEqual(await axeViolations(page), [], `sign-in, ${colorScheme}`);
      await signIn(page, shop);
      for (const [path, title] of paths) {
        await page.goto(`${shop.url}${path}`);
        await page.locator('h1', { hasText: title }).waitFor();
        await page.waitForFunction(() => !document.querySelector('.loading'));
        if (path === '/console/programme') {
          await page.waitForFunction(() => document.querySelector('#preview-member')?.shadowRoot?.querySelector('[part=tier]'));
        }
        if (path === '/console/campaigns/vinterhjulet') {
          await page.waitForFunction(() => document.querySelector('#preview-game')?.shadowRoot?.querySelector('[part=play]'));
        }
        assert.deepEqual(await axeViolations(page), [], `${path}, ${colorScheme}`);
      }
      await page.context().close();
    }

    // At 320 px the overview and the campaign editor scroll only downwards.
    const narrow = await openPage(browser, null, { viewport: { width: 320, height: 640 } });
    await signIn(narrow, shop);
    for (const path of ['/console/', '/console/campaigns/vinterhjulet']) {
      await narrow.goto(`${shop.url}${path}`);
      await narrow.waitForFunction(() => !document.querySelector('.loading') && document.querySelector('h1'));
      assert.ok(await narrow.evaluate(() => document.documentElement.scrollWidth <= 320), `${path} is wider than 320 px`);
    }
    await narrow.screenshot({ path: join(ARTIFACTS, 'console-campaign-320.png'), fullPage: true });
    await narrow.context().close();

    // The keyboard alone: sign in, skip to the content, go to the customers, adjust points.
    const page = await openPage(browser, `${shop.url}/console/sign-in`, WIDE);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type(MERCHANT_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Oversikt' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Hopp til innholdet');
    let guard = 0;
    while (await page.evaluate(() => document.activeElement.textContent) !== 'Kunder' && guard++ < 20) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Kunder' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type('c-1001');
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'c-1001' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'c-1001');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=balance]').waitFor();
    guard = 0;
    while (await page.evaluate(() => document.activeElement.name) !== 'points' && guard++ < 20) await page.keyboard.press('Tab');
    await page.keyboard.type('-25');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Dobbelt registrert kjøp');
    await page.keyboard.press('Enter');
    await page.getByText('Poengene er justert').waitFor();
    assert.match(await page.locator('table.ledger tbody tr').first().textContent(), /-25Dobbelt registrert kjøp/);
    assert.deepEqual(page.pageErrors, []);
  }));

/**
 * Tabs round the page once. Returns each stop (a name, whether it is the topmost element at its
 * centre) and the controls of the page that Tab could reach (visible, enabled, not taken out of
 * the order) but never did.
 */
async function tabRound(page) {
  const stops = [];
  for (let key = 0; key < 200; key++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      el.dataset.walked = '1';
      const r = el.getBoundingClientRect();
      // A link wrapped onto two lines is two boxes, with nothing of it between them.
      const boxes = [...el.getClientRects()].filter((b) => b.width > 0 && b.height > 0);
      const tops = (boxes.length ? boxes : [r]).map((b) => document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2));
      const top = tops[0];
      const topmost = tops.some((t) => t && (el === t || el.contains(t) || t.closest('label')?.control === el));
      const what = `${el.localName} "${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30)}"`;
      return { what: topmost ? what : `${what} under ${top?.localName}.${top?.className} at ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)}`, topmost, first: el.dataset.firstStop === '1' };
    });
    if (!stop) continue;
    if (stop.first) break;
    if (!stops.length) await page.evaluate(() => (document.activeElement.dataset.firstStop = '1'));
    stops.push(stop);
  }
  const missed = await page.evaluate(() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
    .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
    .filter((el) => !el.closest('lojal-badge, lojal-wheel, lojal-scratch'))
    .filter((el) => el.dataset.walked !== '1')
    // A radio group is one stop (arrow keys choose within it): reached when one of it was.
    .filter((el) => !(el.type === 'radio' && [...document.getElementsByName(el.name)].some((r) => r.dataset.walked === '1')))
    .map((el) => `${el.localName} "${(el.textContent || el.getAttribute('aria-label') || el.name || '').trim().slice(0, 30)}"`));
  return { stops, missed };
}

test('Tab reaches every control of every console page, at 1280 px and at 320 px, and none is hidden when it has focus', () =>
  withShop(async (shop) => {
    await answer(shop, { type: 'review', score: 4, title: 'Fin', text: 'Myk ull.', product_id: 'p-setesdal', campaign: 'reviews' });
    const paths = ['/console/', '/console/programme', '/console/campaigns', '/console/campaigns/vinterhjulet',
      '/console/campaigns/new', '/console/feedback', '/console/customers', '/console/customers/c-1001', '/console/audit'];
    for (const viewport of [{ width: 1280, height: 900 }, { width: 320, height: 640 }]) {
      const page = await openPage(browser, null, { viewport });
      await signIn(page, shop);
      for (const path of paths) {
        await page.goto(`${shop.url}${path}`);
        await page.locator('h1').waitFor();
        await page.waitForFunction(() => !document.querySelector('.loading'));
        const { stops, missed } = await tabRound(page);
        const where = `${path} at ${viewport.width} px`;
        assert.ok(stops.length > 5, `${where}: ${stops.length} stops`);
        assert.deepEqual(missed, [], `${where}: controls Tab never reached`);
        assert.deepEqual(stops.filter((s) => !s.topmost).map((s) => s.what), [], `${where}: focused but covered`);
      }
      assert.deepEqual(page.pageErrors, []);
      await page.context().close();
    }
  }));

test('a merchant who leaves a page while its answer is on the way (a page loading, a save) meets no error, and the console goes on working', () =>
  withShop(async (shop) => {
    const page = await openPage(browser, null, WIDE);
    await signIn(page, shop);
    // Every console request answers half a second late, so each page is left mid-request.
    await page.route('**/api/v1/admin/**', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await route.continue();
    });
    for (const [from, to] of [['Kampanjer', 'Program'], ['Program', 'Kunder'], ['Kunder', 'Tilbakemeldinger'], ['Tilbakemeldinger', 'Endringslogg'], ['Endringslogg', 'Kampanjer']]) {
      await page.getByRole('link', { name: from }).click();
      await page.waitForTimeout(100);
      await page.getByRole('link', { name: to }).click();
    }
    await page.waitForTimeout(1_000);

    // A save, left before its answer: it is stored all the same.
    await page.goto(`${shop.url}/console/campaigns/vinterhjulet`);
    await page.getByLabel('Navn', { exact: true }).fill('Vinterhjulet, lagret på vei ut');
    await page.getByLabel('Navn', { exact: true }).press('Tab');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/campaigns/vinterhjulet') && r.request().method() === 'PUT');
    await page.getByRole('button', { name: 'Lagre' }).click();
    await page.getByRole('link', { name: 'Tilbakemeldinger' }).click();
    assert.equal((await saved).status(), 200);
    await page.waitForTimeout(500);
    assert.equal((await merchant(shop, '/admin/campaigns/vinterhjulet')).campaign.name, 'Vinterhjulet, lagret på vei ut');

    await page.unroute('**/api/v1/admin/**');
    await page.getByRole('link', { name: 'Kampanjer' }).click();
    await page.getByRole('link', { name: 'Vinterhjulet, lagret på vei ut' }).waitFor();
    assert.deepEqual(page.pageErrors, []);
  }));
