// One measured page load, shared by the bench's parts (the badge in bench.mjs, carousel.mjs,
// games.mjs): a fresh browser context, the page's errors collected, the CPU (and network)
// throttled over CDP, and the wait for the performance mark that says the widget is in the DOM.

// The window of the carousel and game pages; the badge's loads keep Playwright's default
// (1280×720), as in the figures published so far.
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * Runs `fn({ page, cdp, errors })` on a new page in a fresh context, closed afterwards whatever
 * happens. `init` runs before any page script; `errors` collects uncaught exceptions, console
 * errors and responses ≥ 400; `viewport` left out keeps Playwright's default.
 */
export async function withFreshPage(browser, { init, cpuRate, network, viewport }, fn) {
  // A fresh context has an empty HTTP cache and no compiled-wasm cache: every run is a first visit.
  const context = await browser.newContext({ locale: 'nb-NO', ...(viewport && { viewport }) });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
    await page.addInitScript(init);

    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (cpuRate !== 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuRate });
    if (network) await cdp.send('Network.emulateNetworkConditions', { offline: false, ...network });
    return await fn({ page, cdp, errors });
  } finally {
    await context.close();
  }
}

/** What to append to a failure's message: the page's own errors usually say why. */
export const pageErrors = (errors) => (errors.length ? ` Page errors: ${errors.join(' | ')}` : '');

/** Navigates to `url` and resolves with the start time of the performance mark `mark`. */
export async function gotoMark(page, url, { mark, timeoutMs, cpuRate, errors }) {
  await page.goto(url, { waitUntil: 'commit' });
  // The mark carries its own timestamp, so how often we poll does not change the measurement.
  return page
    .waitForFunction((name) => performance.getEntriesByName(name, 'mark')[0]?.startTime, mark, { timeout: timeoutMs, polling: 50 })
    .then((h) => h.jsonValue())
    .catch((e) => {
      const why = e.message.split('\n')[0].replace(/\.$/, '');
      throw new Error(`'${mark}' was not marked within ${timeoutMs / 1000} s on ${url} (CPU ${cpuRate}×): ${why}.${pageErrors(errors)}`);
    });
}
