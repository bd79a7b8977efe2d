// <lojal-carousel> against JavaScript carousels (tests/bench/peers.mjs): the same 12 products on
// the same page, each page loaded in a fresh browser context with the CPU throttled 4×, then moved.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { ROOT, ARTIFACTS } from '../e2e/harness.mjs';
import { PAGES, WWW } from './peers.mjs';
import { stats } from './stats.mjs';
import { withFreshPage, gotoMark, VIEWPORT } from './page.mjs';

const CPU_RATE = 4;
const READY_TIMEOUT_MS = 30_000;
const SETTLE_MS = 500; // shifts and long tasks of the first paint land right after the mark
const MOVES = 10; // timed moves (rAF deltas); 10 pages of 12 cards wrap round at least once
const MOVE_MS = 600; // long enough for one smooth scroll to finish at CPU 4×
const LEAK_MOVES = 100;
const PRODUCTS = 12; // limit=12 on every page

// Runs before any page script: layout shifts and long tasks from the very first one.
export function observe() {
  const seen = (window.__bench = { shifts: [], long: [] });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) if (!e.hadRecentInput) seen.shifts.push({ at: e.startTime, value: e.value });
  }).observe({ type: 'layout-shift', buffered: true });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) seen.long.push({ at: e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

/** The file behind a URL path on the bench site (the bundle lives in pkg/dist). */
const fileOf = (path) => (path.startsWith('/lojal/') ? join(ROOT, 'pkg', 'dist', path.slice(7)) : join(WWW, path));
const kindOf = (path) => (path.endsWith('.wasm') ? 'wasm' : path.endsWith('.css') ? 'css' : path.endsWith('.svg') ? 'image' : 'js');

export function sizesOf(paths) {
  const totals = {};
  for (const path of paths) {
    const bytes = readFileSync(fileOf(path));
    const t = (totals[kindOf(path)] ??= { raw: 0, gzip: 0, brotli: 0 });
    t.raw += bytes.length;
    t.gzip += gzipSync(bytes, { level: 9 }).length;
    t.brotli += brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return totals;
}

/** JS heap after a full GC, and the bytes of every live WebAssembly.Memory (found by prototype,
 *  so no hook in the bundle is needed). */
export async function memory(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const proto = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
  const { result } = await cdp.send('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { return this.reduce((a, m) => a + m.buffer.byteLength, 0); }',
    returnByValue: true,
  });
  return { heap: usedSize, wasm: result.value };
}

async function runOnce(browser, base, row, screenshots = false) {
  const url = `${base}/bench/${row.page}`;
  return withFreshPage(browser, { init: observe, cpuRate: CPU_RATE, viewport: VIEWPORT }, async ({ page, cdp, errors }) => {
    const ready = await gotoMark(page, url, { mark: row.ready, timeoutMs: READY_TIMEOUT_MS, cpuRate: CPU_RATE, errors });
    const load = await page.evaluate(async (until) => {
      await new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())));
      const b = window.__bench;
      return {
        cls: b.shifts.filter((s) => s.at <= until).reduce((a, s) => a + s.value, 0),
        long: b.long.filter((t) => t.at <= until).map((t) => t.ms),
        resources: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname),
      };
    }, ready + SETTLE_MS);
    // Every page must show the same thing: twelve product cards (in lojal's shadow root).
    const cards = await page.evaluate(() => {
      const rail = document.getElementById('rail');
      return (rail.shadowRoot ?? rail).querySelectorAll('a[href^="/product.html"]').length;
    });
    if (cards !== PRODUCTS) throw new Error(`${url} shows ${cards} product cards, not ${PRODUCTS}`);
    const afterLoad = await memory(cdp);
    const shot = (when) => screenshots && page.screenshot({ path: join(ARTIFACTS, `bench-carousel-${row.page.replace('.html', '')}-${when}.png`) });
    await shot('loaded');

    // Ten timed moves: every frame's rAF delta, and the long tasks while they run.
    const moves = await page.evaluate(
      async ({ moves, ms }) => {
        const deltas = [];
        let last = performance.now();
        let on = true;
        const tick = (t) => {
          deltas.push(t - last);
          last = t;
          if (on) requestAnimationFrame(tick);
        };
        await new Promise((r) => requestAnimationFrame((t) => ((last = t), r())));
        requestAnimationFrame(tick);
        const from = performance.now();
        for (let i = 0; i < moves; i++) {
          window.__benchNext();
          await new Promise((r) => setTimeout(r, ms));
        }
        on = false;
        return { deltas, long: window.__bench.long.filter((t) => t.at >= from).map((t) => t.ms) };
      },
      { moves: MOVES, ms: MOVE_MS },
    );
    await shot(`after-${MOVES}-moves`);
    // A hundred quick moves (one every other frame), then memory again: growth is what they leak.
    await page.evaluate(async (n) => {
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      for (let i = 0; i < n; i++) {
        window.__benchNext();
        await frame();
        await frame();
      }
      await new Promise((r) => setTimeout(r, 1000));
    }, LEAK_MOVES);
    const afterMoves = await memory(cdp);
    if (errors.length) throw new Error(`${url} reported errors: ${errors.join(' | ')}`);

    const f = stats(moves.deltas);
    return {
      resources: load.resources.filter((p) => row.adds.some((a) => p.startsWith(a))).sort(),
      sample: {
        readyMs: ready,
        cls: load.cls,
        longTasksLoad: load.long.length,
        longTaskMsLoad: load.long.reduce((a, b) => a + b, 0),
        frameMedianMs: f.median,
        frameP95Ms: f.p95,
        longTasksMoves: moves.long.length,
        heapAfterLoad: afterLoad.heap,
        heapGrowth: afterMoves.heap - afterLoad.heap,
        wasmAfterLoad: afterLoad.wasm,
        wasmGrowth: afterMoves.wasm - afterLoad.wasm,
      },
    };
  });
}

export const METRICS = [
  ['readyMs', 'navigation → ready (ms)', 1],
  ['longTasksLoad', 'long tasks during load (count)', 0],
  ['longTaskMsLoad', 'long tasks during load (ms)', 0],
  ['cls', 'layout shift during load', 4],
  ['frameMedianMs', `frame time, ${MOVES} moves, median (ms)`, 1],
  ['frameP95Ms', `frame time, ${MOVES} moves, p95 (ms)`, 1],
  ['longTasksMoves', `long tasks during ${MOVES} moves (count)`, 0],
  ['heapAfterLoad', 'JS heap after load, after GC (KiB)', 0, 1024],
  ['heapGrowth', `JS heap growth after ${LEAK_MOVES} moves (KiB)`, 1, 1024],
  ['wasmAfterLoad', 'wasm memory after load (KiB)', 0, 1024],
  ['wasmGrowth', `wasm memory growth after ${LEAK_MOVES} moves (KiB)`, 0, 1024],
];

/**
 * One page's figures: a discarded load first (cold caches; `load(run, screenshots)` takes its
 * screenshots into target/e2e/), then `runs` loads, which must all fetch the same files, summarised
 * per metric key.
 */
export async function benchPage(row, runs, metrics, load) {
  await load('warm-up', true);
  const samples = [];
  let resources = null;
  for (let i = 0; i < runs; i++) {
    const r = await load(i, false);
    if (resources && r.resources.join() !== resources.join()) {
      throw new Error(`${row.name} loaded ${r.resources.join(', ')} in one run and ${resources.join(', ')} in another`);
    }
    resources = r.resources;
    samples.push(r.sample);
  }
  const summary = Object.fromEntries(metrics.map(([key]) => [key, stats(samples.map((s) => s[key]))]));
  return { name: row.name, page: `/bench/${row.page}`, files: resources, sizes: sizesOf(resources), summary, samples };
}

export async function benchCarousels(browser, base, runs) {
  const out = [];
  for (const row of PAGES.carousel) {
    out.push(await benchPage(row, runs, METRICS, (_run, screenshots) => runOnce(browser, base, row, screenshots)));
    console.log(`carousel: ${row.name} done`);
  }
  return { cpuRate: CPU_RATE, moves: MOVES, moveMs: MOVE_MS, leakMoves: LEAK_MOVES, settleMs: SETTLE_MS, pages: out };
}

export const ratio = (a, b) => (b === 0 ? (a === 0 ? '1.00' : '–') : (a / b).toFixed(2));

/** Rows for the console and markdown: each page's median [min–max], then lojal ÷ each peer. */
export function carouselRows(result) {
  const [lojal, ...peers] = result.pages;
  const sizeRows = ['js', 'css', 'wasm'].flatMap((kind) =>
    ['raw', 'gzip', 'brotli'].map((c) => {
      const v = (p) => p.sizes[kind]?.[c] ?? 0;
      return {
        metric: `${kind} ${c} (bytes)`,
        ...Object.fromEntries(result.pages.map((p) => [p.name, String(v(p))])),
        ...Object.fromEntries(peers.map((p) => [`lojal ÷ ${p.name}`, ratio(v(lojal), v(p))])),
      };
    }),
  );
  const all = (p, c) => Object.values(p.sizes).reduce((a, s) => a + s[c], 0);
  sizeRows.push({
    metric: 'all brotli (bytes)',
    ...Object.fromEntries(result.pages.map((p) => [p.name, String(all(p, 'brotli'))])),
    ...Object.fromEntries(peers.map((p) => [`lojal ÷ ${p.name}`, ratio(all(lojal, 'brotli'), all(p, 'brotli'))])),
  });
  const timeRows = METRICS.map(([key, label, digits, div = 1]) => {
    const f = (v) => (v / div).toFixed(digits);
    const s = (p) => p.summary[key];
    return {
      metric: label,
      ...Object.fromEntries(result.pages.map((p) => [p.name, `${f(s(p).median)} [${f(s(p).min)}–${f(s(p).max)}]`])),
      ...Object.fromEntries(peers.map((p) => [`lojal ÷ ${p.name}`, ratio(s(lojal).median, s(p).median)])),
    };
  });
  return { sizeRows, timeRows };
}
