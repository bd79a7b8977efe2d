// <lojal-wheel> and <lojal-scratch> against JavaScript peers (spin-wheel, scratchcard-js; see
// tests/bench/peers.mjs and pages/game.js): the same campaign from the reference API on the same
// page, each page loaded in a fresh browser context with the CPU throttled 4×, then played once
// as a new guest (shop-api runs with --no-rate-limits; one email plays once a day): the wheel is
// spun, the card scratched with the mouse until it shows the result.
import { join } from 'node:path';
import { ARTIFACTS } from '../e2e/harness.mjs';
import { PAGES } from './peers.mjs';
import { observe, memory, benchPage, ratio } from './carousel.mjs';
import { stats } from './stats.mjs';
import { withFreshPage, gotoMark, pageErrors, VIEWPORT } from './page.mjs';

const CPU_RATE = 4;
const READY_TIMEOUT_MS = 30_000;
const SETTLE_MS = 500; // shifts and long tasks of the first paint land right after the mark
const RESULT_TIMEOUT_MS = 30_000; // a 5.2 s spin at CPU 4× on a shared machine
// The scratch: horizontal strokes at these heights of the card (fractions), as the e2e test.
const SCRATCH_ROWS = [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95];
const SCRATCH_STEPS = 12; // mouse moves per stroke

/** In the page: every rAF delta and the long tasks from now until `stop()`. */
function startRecording() {
  const rec = (window.__benchRec = { deltas: [], from: performance.now(), on: true });
  let last = null;
  const tick = (t) => {
    if (last !== null) rec.deltas.push(t - last);
    last = t;
    if (rec.on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** In the page: waits (one check per frame) until the game shows its result, then stops recording. */
async function stopWhenShown(timeoutMs) {
  const rec = window.__benchRec;
  const until = performance.now() + timeoutMs;
  while (!window.__benchGame.shown()) {
    if (performance.now() > until) throw new Error(`no result shown within ${timeoutMs / 1000} s`);
    await new Promise((r) => requestAnimationFrame(r));
  }
  const shownAt = performance.now();
  rec.on = false;
  const long = window.__bench.long.filter((t) => t.at + t.ms >= rec.from).map((t) => t.ms);
  return { deltas: rec.deltas, long, shownMs: shownAt - rec.from };
}

/** Drags the mouse over the card in horizontal strokes, as a shopper scratching it. */
async function scratch(page) {
  const box = await page.evaluate(() => window.__benchGame.coating());
  await page.mouse.move(box.x + 4, box.y + box.height * SCRATCH_ROWS[0]);
  await page.mouse.down();
  for (let i = 0; i < SCRATCH_ROWS.length; i++) {
    const y = box.y + box.height * SCRATCH_ROWS[i];
    const [from, to] = i % 2 ? [box.width - 4, 4] : [4, box.width - 4];
    await page.mouse.move(box.x + from, y, { steps: 3 });
    await page.mouse.move(box.x + to, y, { steps: SCRATCH_STEPS });
  }
  await page.mouse.up();
}

async function runOnce(browser, base, game, row, run, screenshots = false) {
  const url = `${base}/bench/${row.page}`;
  return withFreshPage(browser, { init: observe, cpuRate: CPU_RATE, viewport: VIEWPORT }, async ({ page, cdp, errors }) => {
    const ready = await gotoMark(page, url, { mark: row.ready, timeoutMs: READY_TIMEOUT_MS, cpuRate: CPU_RATE, errors });
    const load = await page.evaluate(async (until) => {
      await new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())));
      const b = window.__bench;
      const long = b.long.filter((t) => t.at <= until);
      return {
        cls: b.shifts.filter((s) => s.at <= until).reduce((a, s) => a + s.value, 0),
        long: long.map((t) => t.ms),
        lastLongEnd: long.reduce((a, t) => Math.max(a, t.at + t.ms), 0),
        resources: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
      };
    }, ready + SETTLE_MS);
    const afterLoad = await memory(cdp);
    const shot = (when) => screenshots && page.screenshot({ path: join(ARTIFACTS, `bench-${game}-${row.page.replace('.html', '')}-${when}.png`) });
    await shot('loaded');

    // One play as a new guest; the answer is read off the wire to check what the page shows.
    await page.evaluate((email) => window.__benchGame.email(email), `bench-${game}-${row.name.replace(/\W/g, '')}-${run}-${Date.now()}@example.no`);
    const answer = page
      .waitForResponse((r) => r.url().endsWith(`/api/v1/campaigns/${row.campaign}/play`) && r.request().method() === 'POST', { timeout: RESULT_TIMEOUT_MS })
      .then(async (r) => ({ status: r.status(), body: await r.json() }));
    await page.evaluate(startRecording);
    if (game === 'wheel') await page.evaluate(() => window.__benchGame.play());
    else await scratch(page);
    const played = await page.evaluate(stopWhenShown, RESULT_TIMEOUT_MS).catch((e) => {
      throw new Error(`${url}: ${e.message.split('\n')[0]}${pageErrors(errors)}`);
    });
    const { status, body } = await answer;
    if (status !== 200) throw new Error(`${url}: the play was answered ${status}: ${JSON.stringify(body)}`);
    if (game === 'wheel') {
      const landed = await page.evaluate(() => window.__benchGame.landed());
      if (landed !== body.segment_index) throw new Error(`${url}: the wheel stopped on segment ${landed}, the server drew ${body.segment_index}`);
    }
    await shot('played');
    if (errors.length) throw new Error(`${url} reported errors: ${errors.join(' | ')}`);

    const f = stats(played.deltas);
    return {
      resources: load.resources.filter((p) => row.adds.some((a) => p.startsWith(a))).sort(),
      sample: {
        readyMs: ready,
        interactiveMs: Math.max(ready, load.lastLongEnd),
        longTasksLoad: load.long.length,
        longTaskMsLoad: load.long.reduce((a, b) => a + b, 0),
        cls: load.cls,
        heapAfterLoad: afterLoad.heap,
        wasmAfterLoad: afterLoad.wasm,
        playMs: played.shownMs,
        frameMedianMs: f.median,
        frameP95Ms: f.p95,
        longTasksPlay: played.long.length,
        longTaskMsPlay: played.long.reduce((a, b) => a + b, 0),
      },
    };
  });
}

/** [key, label, digits, divisor] per game; `play` names what the timed interaction is. */
export function metrics(game) {
  const play = game === 'wheel' ? 'the spin' : 'the scratch';
  return [
    ['readyMs', 'navigation → ready (ms)', 1],
    ['interactiveMs', 'navigation → interactive (ms)', 1],
    ['longTasksLoad', 'long tasks during load (count)', 0],
    ['longTaskMsLoad', 'long tasks during load (ms)', 0],
    ['cls', 'layout shift during load', 4],
    ['heapAfterLoad', 'JS heap after load, after GC (KiB)', 0, 1024],
    ['wasmAfterLoad', 'wasm memory after load (KiB)', 0, 1024],
    ['playMs', game === 'wheel' ? 'click → result shown (ms)' : 'scratch start → result shown (ms)', 0],
    ['frameMedianMs', `frame time during ${play}, median (ms)`, 1],
    ['frameP95Ms', `frame time during ${play}, p95 (ms)`, 1],
    ['longTasksPlay', `long tasks during ${play} (count)`, 0],
    ['longTaskMsPlay', `long tasks during ${play} (ms)`, 0],
  ];
}

export async function benchGames(browser, base, runs) {
  const out = {};
  for (const game of ['wheel', 'scratch']) {
    const pages = [];
    for (const row of PAGES[game]) {
      pages.push(await benchPage(row, runs, metrics(game), (run, screenshots) => runOnce(browser, base, game, row, run, screenshots)));
      console.log(`${game}: ${row.name} done`);
    }
    out[game] = pages;
  }
  return {
    cpuRate: CPU_RATE,
    settleMs: SETTLE_MS,
    scratchRows: SCRATCH_ROWS.length,
    scratchSteps: SCRATCH_STEPS,
    ...out,
  };
}

/** Rows for one game: each page's median [min–max], then lojal ÷ the peer (below 1: lojal is
 *  smaller or faster). Sizes per kind of file (js, css, wasm, image) and in all. */
export function gameRows(result, game) {
  const [lojal, ...peers] = result[game];
  const all = result[game];
  const kinds = ['js', 'css', 'wasm', 'image'].filter((k) => all.some((p) => p.sizes[k]));
  const sizeRow = (metric, v) => ({
    metric,
    ...Object.fromEntries(all.map((p) => [p.name, String(v(p))])),
    ...Object.fromEntries(peers.map((p) => [`lojal ÷ ${p.name}`, ratio(v(lojal), v(p))])),
  });
  const sizeRows = kinds.flatMap((kind) => ['raw', 'gzip', 'brotli'].map((c) => sizeRow(`${kind} ${c} (bytes)`, (p) => p.sizes[kind]?.[c] ?? 0)));
  sizeRows.push(sizeRow('all brotli (bytes)', (p) => Object.values(p.sizes).reduce((a, s) => a + s.brotli, 0)));
  const timeRows = metrics(game).map(([key, label, digits, div = 1]) => {
    const f = (v) => (v / div).toFixed(digits);
    const s = (p) => p.summary[key];
    return {
      metric: label,
      ...Object.fromEntries(all.map((p) => [p.name, `${f(s(p).median)} [${f(s(p).min)}–${f(s(p).max)}]`])),
      ...Object.fromEntries(peers.map((p) => [`lojal ÷ ${p.name}`, ratio(s(lojal).median, s(p).median)])),
    };
  });
  return { sizeRows, timeRows };
}
