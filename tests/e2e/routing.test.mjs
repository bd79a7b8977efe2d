// Every link lojal draws announces itself before it navigates, so a headless shop's router can
// take over (issue 22): the badge's sign-up offer and a game's rules link, as the carousel's
// cards do (carousel.test.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, startShop } from './harness.mjs';

let browser;
let shop;
before(async () => {
  [browser, shop] = await Promise.all([launch(), startShop()]);
});
after(async () => {
  await browser?.close();
  await shop?.stop();
});

/** Routes `type` as an app would: a cancelable click becomes a pushState, and is recorded. */
function routeOn(page, type) {
  return page.evaluate((type) => {
    window.marker = 'same document';
    window.seen = [];
    document.addEventListener(type, (event) => {
      window.seen.push({ type: event.type, cancelable: event.cancelable, detail: event.detail });
      if (!event.cancelable) return;
      event.preventDefault();
      history.pushState(null, '', `/app${new URL(event.detail.url, location.href).pathname}`);
    });
  }, type);
}

test('a guest’s sign-up offer: a plain click is the router’s, a Ctrl+click opens the tab she asked for', async () => {
  const page = await openPage(browser, `${shop.url}/`);
  await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<lojal-badge id="guest" signup-url="/bli-medlem"></lojal-badge>'));
  const cta = page.locator('#guest [part=cta]');
  await cta.waitFor();
  await routeOn(page, 'lojal:signup-click');
  await cta.click();
  assert.deepEqual(await page.evaluate(() => window.seen), [
    { type: 'lojal:signup-click', cancelable: true, detail: { url: '/bli-medlem' } },
  ]);
  assert.equal(await page.evaluate(() => window.marker), 'same document', 'no page load');
  assert.equal(new URL(page.url()).pathname, '/app/bli-medlem', 'the router moved');

  const opened = page.context().waitForEvent('page');
  await cta.click({ modifiers: ['Control'] });
  const tab = await opened;
  await tab.waitForLoadState();
  // The demo's sign-up page is a directory: the server adds its slash.
  assert.match(new URL(tab.url()).pathname, /^\/bli-medlem\/?$/);
  assert.equal((await page.evaluate(() => window.seen))[1].cancelable, false);
  assert.deepEqual(page.pageErrors, []);
  await page.context().close();
});

test('a game’s rules link is announced with its campaign, and a listener that lets it be navigates', async () => {
  const page = await openPage(browser, `${shop.url}/kampanje.html`);
  const wheel = page.locator('#wheel');
  await wheel.locator('[part=rules] summary').click();
  await routeOn(page, 'lojal:rules-click');
  await wheel.locator('.rules-link').click();
  assert.deepEqual(await page.evaluate(() => window.seen), [
    { type: 'lojal:rules-click', cancelable: true, detail: { campaignId: 'vinterhjulet', url: '/kampanje.html#regler' } },
  ]);
  assert.equal(new URL(page.url()).pathname, '/app/kampanje.html');

  // Nobody listening: the link goes where it says.
  const plainPage = await openPage(browser, `${shop.url}/kampanje.html`);
  await plainPage.locator('#wheel [part=rules] summary').click();
  await plainPage.locator('#wheel .rules-link').click();
  await plainPage.waitForURL(/#regler$/);
  assert.deepEqual(page.pageErrors, []);
  await page.context().close();
  await plainPage.context().close();
});
