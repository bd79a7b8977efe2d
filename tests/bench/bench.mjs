// What <lojal-badge> costs a page: the bytes it adds, the time until its content is in the DOM,
// the layout shift it causes and the JS heap it leaves, measured on the demo page served by a
// real shop-api in Debian's Chromium; then <lojal-carousel> side by side with JavaScript
// carousels (carousel.mjs), <lojal-wheel> and <lojal-scratch> next to spin-wheel and
// scratchcard-js (games.mjs), and the reference API under load (api.mjs). Prints tables and writes
// target/bench/report.{json,md}. Numbers never fail the run (machines differ too much); only
// errors do.
// Usage: node tests/bench/bench.mjs [--runs N] [--api-seconds S] [--parts badge,carousel,games,api]
//   (scripts/bench.sh builds first)
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { ROOT, startShop, launch } from '../e2e/harness.mjs';
import { stats, mdTable as table } from './stats.mjs';
import { assembleSite, peerVersions, WWW } from './peers.mjs';
import { benchCarousels, carouselRows } from './carousel.mjs';
import { benchGames, gameRows } from './games.mjs';
import { benchApi, apiRows, apiTimeRows } from './api.mjs';
import { benchRecs } from './recs.mjs';
import { withFreshPage, gotoMark } from './page.mjs';
import { PAGE_KINDS, pageSizes } from '../package/pages.mjs';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    'api-seconds': { type: 'string', default: '5' },
    parts: { type: 'string', default: 'badge,carousel,games,api,recs' },
  },
});
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs wants a whole number ≥ 1, got '${args.runs}'`);
const API_SECONDS = Number(args['api-seconds']);
if (!Number.isInteger(API_SECONDS) || API_SECONDS < 1) throw new Error(`--api-seconds wants a whole number ≥ 1, got '${args['api-seconds']}'`);
const PARTS = new Set(args.parts.split(','));
for (const p of PARTS) if (!['badge', 'carousel', 'games', 'api', 'recs'].includes(p)) throw new Error(`--parts: unknown part '${p}' (badge, carousel, games, api, recs)`);

const DIST = join(ROOT, 'pkg', 'dist');
const OUT = join(ROOT, 'target', 'bench');
// What each kind of page loads from the bundle: the loader, and the glue and wasm (content-hashed
// names) of each family its elements belong to, with their strings in the demo's locale, Bokmål
// (tests/package/pages.mjs, as the size budget). Only the browser parts need the built bundle;
// the API and "for you" parts need the server alone.
const BROWSER_PARTS = ['badge', 'carousel', 'games'].filter((p) => PARTS.has(p));
const PAGES = BROWSER_PARTS.length ? pageSizes('nb') : null;
// The demo's front page, where the badge is timed, shows a badge and a carousel: the loader
// serves both from the storefront bundle, so that is what its size table counts.
const DEMO_PAGE_KIND = 'badge+carousel';
const FILES = PAGES ? Object.keys(PAGES[DEMO_PAGE_KIND].files) : [];
const WASM_FILE = FILES.find((f) => f.endsWith('.wasm'));
const DIST_PATH = '/lojal/'; // where shop-api serves pkg/dist (see www/index.html)
const READY = 'lojal:badge:ready'; // Host::mark_ready in src/widgets/host.rs
const READY_TIMEOUT_MS = 20_000;
// Shifts caused by the badge's first paint land right after the mark; half a second covers
// them without counting whatever the rest of the page might do later.
const SETTLE_MS = 500;
// The third is Lighthouse's mobile profile: a phone's CPU and a slow 4G connection (every
// response 150 ms late, 1.6 Mbit/s down, 750 kbit/s up), where round trips and bytes show.
const MODES = [
  { name: 'no throttling', cpuRate: 1 },
  { name: 'CPU 4× slower', cpuRate: 4 },
  { name: 'mobile: CPU 4×, 150 ms RTT, 1.6 Mbit/s', cpuRate: 4, network: { latency: 150, downloadThroughput: 1_638_400 / 8, uploadThroughput: 750_000 / 8 } },
];

// ---- 1. Transfer sizes: what a CDN would send, at the strongest common compression settings.

const compressed = (file) => {
  const bytes = readFileSync(join(DIST, file));
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
};

/** Each kind of page: the elements on it, the families it fetches (or `all` of them in one), and
 *  their bytes together. */
function pageRows() {
  return Object.entries(PAGES).map(([kind, { fetched, files }]) => {
    const sum = (k) => Object.keys(files).reduce((a, f) => a + compressed(f)[k], 0);
    return {
      page: kind,
      elements: PAGE_KINDS[kind].join(' ') || '(none)',
      families: fetched.join(' + ') || '(loader only)',
      raw: sum('raw'),
      gzip: sum('gzip'),
      brotli: sum('brotli'),
    };
  });
}

function sizes() {
  const rows = FILES.map((file) => ({ file, kind: file.match(/\.(wasm|json)$/)?.[1] ?? 'js', ...compressed(file) }));
  const sum = (file, kind) => {
    const of = rows.filter((r) => !kind || r.kind === kind);
    return { file, kind: kind ?? 'all', ...Object.fromEntries(['raw', 'gzip', 'brotli'].map((k) => [k, of.reduce((a, r) => a + r[k], 0)])) };
  };
  return [...rows, sum('all js', 'js'), sum('all wasm', 'wasm'), sum('all strings', 'json'), sum('total')];
}

// ---- 2./3. One page load in a fresh context: timings, layout shift, heap.

// Runs before any page script, so no shift (and no early mark) can slip past the observer.
function observeShifts() {
  window.__lojalShifts = [];
  window.__lojalShiftObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__lojalShifts.push({ at: e.startTime, value: e.value });
  });
  window.__lojalShiftObserver.observe({ type: 'layout-shift', buffered: true });
}

async function loadOnce(browser, url, { cpuRate, network }) {
  return withFreshPage(browser, { init: observeShifts, cpuRate, network }, async ({ page, cdp, errors }) => {
    await cdp.send('Performance.enable'); // for the heap: Performance.getMetrics below
    const ready = await gotoMark(page, url, { mark: READY, timeoutMs: READY_TIMEOUT_MS, cpuRate, errors });

    const seen = await page.evaluate(
      async ({ until, prefix }) => {
        await new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())));
        // takeRecords: shifts already queued but not yet handed to the callback count too.
        for (const e of window.__lojalShiftObserver.takeRecords()) {
          if (!e.hadRecentInput) window.__lojalShifts.push({ at: e.startTime, value: e.value });
        }
        const bundle = performance
          .getEntriesByType('resource')
          .map((e) => ({ path: new URL(e.name).pathname, responseEnd: e.responseEnd }))
          .filter((e) => e.path.startsWith(prefix));
        return { cls: window.__lojalShifts.filter((s) => s.at <= until).reduce((a, s) => a + s.value, 0), bundle };
      },
      { until: ready + SETTLE_MS, prefix: DIST_PATH },
    );
    const { metrics } = await cdp.send('Performance.getMetrics');
    if (errors.length) throw new Error(`the demo page reported errors: ${errors.join(' | ')}`);

    // Sizes above are only honest if the page loads exactly these files from the bundle.
    const loaded = seen.bundle.map((e) => e.path.slice(DIST_PATH.length)).sort();
    if (loaded.join() !== [...FILES].sort().join()) {
      throw new Error(`the page loaded ${loaded.join(', ') || 'nothing'} from ${DIST_PATH}, the size table counts ${FILES.join(', ')}`);
    }
    const end = (file) => seen.bundle.find((e) => e.path === DIST_PATH + file).responseEnd;
    return {
      readyMs: ready,
      loaderEndMs: end('lojal.js'),
      wasmEndMs: end(WASM_FILE),
      cls: seen.cls,
      heapBytes: metrics.find((m) => m.name === 'JSHeapUsedSize').value,
    };
  });
}

// ---- 4. What the wasm bytes are spent on: twiggy over the named (pre-wasm-opt) module.

// One per family (see scripts/bench.sh).
const namedWasm = (family) => join(ROOT, 'target', 'wasm', `lojal_${family}_named_opt.wasm`);

/** The crate an item's demangled name belongs to (the first path segment; approximate for
 *  generic code, which is counted where its type lives). */
function crateOf(name) {
  if (/^(data|elem|type|table|global|import|export)\b|section|^code\[/.test(name)) return '(wasm sections and data)';
  // Names look like `<serde_json[40aedea8d362a009]::de::Deserializer<…>>::parse`.
  const m = name.match(/([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/);
  return m ? m[1] : '(unnamed)';
}

/** twiggy's table of every family: what each family's code is, and the badge's in detail. */
function twiggyAll() {
  if (!process.env.LOJAL_TWIGGY) return null; // scripts/bench.sh installs it; a bare `node bench.mjs` may not have it
  const families = PAGES.all.families.map((family) => ({ family, ...twiggy(namedWasm(family)) }));
  return { ...families.find((f) => f.family === 'badge'), families: families.map(({ family, totalBytes, crates }) => ({ family, totalBytes, crates })) };
}

function twiggy(file) {
  const bin = process.env.LOJAL_TWIGGY;
  const items = JSON.parse(execFileSync(bin, ['top', '-n', '1000000', '-f', 'json', file], { maxBuffer: 1 << 28, encoding: 'utf8' }))
    // The names kept for this table are not shipped.
    .filter((i) => !/"(function names|name)" (sub)?section|custom section/.test(i.name));
  const total = items.reduce((a, i) => a + i.shallow_size, 0);
  const pct = (n) => ((100 * n) / total).toFixed(1);
  const short = (name) => name.replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 100);
  const functions = items.slice(0, 10).map((i) => ({ item: short(i.name), bytes: i.shallow_size, '%': pct(i.shallow_size) }));
  const byCrate = new Map();
  for (const i of items) byCrate.set(crateOf(i.name), (byCrate.get(crateOf(i.name)) ?? 0) + i.shallow_size);
  const crates = [...byCrate].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([crate, bytes]) => ({ crate, bytes, '%': pct(bytes) }));
  return { totalBytes: total, functions, crates };
}

// ---- Statistics and output.

const METRICS = [
  ['readyMs', 'navigation → badge ready (ms)', (v) => v.toFixed(1)],
  ['loaderEndMs', 'navigation → lojal.js responseEnd (ms)', (v) => v.toFixed(1)],
  ['wasmEndMs', 'navigation → wasm responseEnd (ms)', (v) => v.toFixed(1)],
  ['cls', `layout shift until ready + ${SETTLE_MS} ms`, (v) => v.toFixed(4)],
  ['heapBytes', 'JS heap used after load (KiB)', (v) => (v / 1024).toFixed(0)],
];

function timingRows(results) {
  return results.flatMap(({ mode, summary }) =>
    METRICS.map(([key, label, fmt]) => ({
      mode: mode.name,
      metric: label,
      ...Object.fromEntries(Object.entries(summary[key]).map(([k, v]) => [k, fmt(v)])),
    })),
  );
}

function markdown(report, sizeRows, rows, code, carousel, games, api, pages) {
  const m = report.machine;
  // The installed version of each peer on these pages.
  const versions = (pages) => pages.filter((p) => report.peers[p.name]).map((p) => `${p.name} ${report.peers[p.name]}`).join(', ');
  const pagesPart = `
## What each kind of page downloads of lojal (bytes)

The loader and the glue and wasm of each widget family the page's elements belong to
(tests/package/pages.mjs; the budgets in tests/package/size-budget.json count the same files).

${table(pages)}
`;
  const badge = rows
    ? `
## <lojal-badge>: transfer size of the demo's front page (a badge and a carousel: ${PAGES[DEMO_PAGE_KIND].fetched.join(', ')}; bytes)

${table(sizeRows)}

## <lojal-badge>: demo front page, fresh context and cache disabled each run

${table(rows)}

Times count from navigation start. The heap is V8's used JS heap (no forced GC); the wasm
linear memory is an ArrayBuffer outside it. CPU throttling slows the renderer's main thread.
`
    : '';
  const twiggyPart = code
    ? `
## Where the wasm bytes go (twiggy on the shipped optimisation with names kept)

Each family's wasm, and its three costliest crates (an item counts for the first crate its name mentions):

${table(code.families.map(({ family, totalBytes, crates }) => ({ family, bytes: totalBytes, ...Object.fromEntries(crates.slice(0, 3).map((c, i) => [`#${i + 1}`, `${c.crate} ${c.bytes} (${c['%']} %)`])) })))}

The badge's wasm (${code.totalBytes} bytes), top 10 items:

${table(code.functions.map((f) => ({ ...f, item: `\`${f.item.replaceAll('|', '\\|')}\`` })))}

Top 10 crates (an item counts for the first crate its name mentions):

${table(code.crates)}
`
    : '';
  const carouselPart = carousel
    ? `
## <lojal-carousel> and JavaScript carousels (${versions(carousel.pages)})

The same 12 popular products from the reference API on the same page (bench pages in
tests/bench/pages/), ${report.runs} loads each in a fresh context with the cache disabled and the CPU
throttled ${carousel.cpuRate}×; median [min–max], and lojal's median divided by each peer's (below 1:
lojal is smaller or faster). "What the widget adds" is every file the page loads for it: for
lojal the bundle, for a peer the library, its CSS and the page's own fetch-and-render script.

${table(carousel.rows.sizeRows)}

${table(carousel.rows.timeRows)}

Long tasks: main-thread tasks over 50 ms (PerformanceObserver 'longtask') until ready + ${carousel.settleMs} ms,
and during the ${carousel.moves} timed moves (one every ${carousel.moveMs} ms). Frame times are
requestAnimationFrame deltas during those moves. Memory is measured after a forced GC, after
load and after ${carousel.leakMoves} further moves; wasm memory is the size of every live
WebAssembly.Memory (found through CDP Runtime.queryObjects, so no hook is needed in the bundle).
`
    : '';
  const gamesPart = games
    ? `
## <lojal-wheel> and <lojal-scratch> next to JavaScript games (${versions([...games.wheel, ...games.scratch])})

The campaigns \`vinterhjulet\` and \`skrapelodd\` from the reference API (shop-api --no-rate-limits)
on the same page (bench pages in tests/bench/pages/; how the peer pages differ from lojal's widgets
is in tests/bench/pages/game.js), ${report.runs} loads each in a fresh context with the cache disabled
and the CPU throttled ${games.cpuRate}×, each load played once as a new guest with an email; median
[min–max], and lojal's median divided by the peer's (below 1: lojal is smaller or faster). "What the
widget adds" is every file the page loads for it: for lojal the bundle (the same for every
widget), for a peer the library, the page's own glue and CSS (and the scratch card's coating image).

### Wheel

${table(games.rows.wheel.sizeRows)}

${table(games.rows.wheel.timeRows)}

### Scratch card

${table(games.rows.scratch.sizeRows)}

${table(games.rows.scratch.timeRows)}

Ready is the widget's own mark (lojal:wheel:ready, lojal:scratch:ready; the peer pages mark
bench:wheel:ready / bench:scratch:ready once their content is in the DOM: the wheel built, the
card's coating painted). Interactive is the later of ready and the end of the last long task
(> 50 ms, PerformanceObserver 'longtask') that started before ready + ${games.settleMs} ms; layout shift
is counted until ready + ${games.settleMs} ms. Memory is measured after a forced GC; wasm memory is the size of every
live WebAssembly.Memory. The wheel's play is a click on the page's own Spin button (after its
email field is filled): frame times (requestAnimationFrame deltas) and long tasks from the click
until the result is shown, which also checks that the wheel stopped on the segment the server
drew. The scratch is ${games.scratchRows} horizontal mouse strokes across the card (${games.scratchSteps} moves each,
the same for every page) until the result is shown; lojal reveals at 60 % while the mouse moves,
scratchcard-js when the button is released past 60 %.
`
    : '';
  const apiPart = apiMarkdown(api);
  return `# lojal benchmark

${report.date} · ${m.cpu} × ${m.cpus} · ${m.os} · Node ${m.node} · Chromium ${m.chromium} · ${report.runs} runs per page and mode
${pagesPart}${badge}${carouselPart}${gamesPart}${apiPart}${twiggyPart}`;
}

async function badgeLoads(browser, url) {
  const results = [];
  for (const mode of MODES) {
    // One discarded load first: it pays for process start-up and the server's cold caches.
    await loadOnce(browser, url, mode);
    const samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(await loadOnce(browser, url, mode));
    const summary = Object.fromEntries(METRICS.map(([key]) => [key, stats(samples.map((s) => s[key]))]));
    results.push({ mode, summary, samples });
  }
  return results;
}

/** The API part of the report: each workload and level, the configurations side by side. */
function apiMarkdown(api) {
  if (!api) return '';
  return `
## Reference API on loopback (${api.tool}, ${api.secondsPerLevel} s per row, shop-api --no-rate-limits, request logs on)

${api.configs.map(({ key, name }) => `- \`${key}\`: ${name}`).join('\n')}

${table(apiRows(api))}

Where the time went at 64 connections, per request, from the servers' /metrics (lock wait is per
transaction: SQLite's BEGIN IMMEDIATE, with its busy retries, or the writer's one per group):

${table(apiTimeRows(api))}

Feedback posts are anonymous NPS answers, each with its own idempotency key (tests/bench/feedback.lua);
plays are guests spinning the demo's wheel, each with a new email and idempotency key
(tests/bench/plays.lua); redemptions are 64 members with 10 million points in turn, each a new
coupon (tests/bench/redeem.lua); the mix is tests/bench/mixed.lua. Each configuration starts on a
fresh database. The client and the server share the machine's CPUs.
`;
}

/** The API and "for you" parts alone: no bundle, no browser. */
async function serverParts() {
  const report = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cpus: os.cpus().length, os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version },
  };
  if (PARTS.has('api')) report.api = await benchApi(API_SECONDS);
  if (PARTS.has('recs')) report.recs = await benchRecs(Math.max(API_SECONDS, 10));
  const m = report.machine;
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(OUT, 'report.md'), `# lojal benchmark\n\n${report.date} · ${m.cpu} × ${m.cpus} · ${m.os} · Node ${m.node}\n${apiMarkdown(report.api)}${recsMarkdown(report.recs)}`);
  if (report.api) {
    console.table(apiRows(report.api));
    console.table(apiTimeRows(report.api));
  }
  if (report.recs) console.log(recsMarkdown(report.recs));
  console.log(`report: ${join(OUT, 'report.md')} and report.json`);
}

async function main() {
  if (!BROWSER_PARTS.length) return serverParts();
  const sizeRows = PARTS.has('badge') ? sizes() : null;
  const pages = pageRows();
  const shop = await startShop({ www: PARTS.has('carousel') ? assembleSite() : undefined });
  const browser = await launch();
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.cpus().length,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      chromium: browser.version(),
    },
    runs: RUNS,
    settleMs: SETTLE_MS,
    pages,
  };
  let rows = null;
  let carousel = null;
  let games = null;
  try {
    if (PARTS.has('badge')) {
      // The demo's index.html is not on the bench site: serve the demo next to it.
      const demo = PARTS.has('carousel') ? await startShop() : shop;
      try {
        const results = await badgeLoads(browser, demo.url);
        report.sizes = sizeRows;
        report.loads = results.map(({ mode, summary, samples }) => ({ mode: mode.name, cpuRate: mode.cpuRate, summary, samples }));
        rows = timingRows(results);
      } finally {
        if (demo !== shop) await demo.stop();
      }
    }
    if (PARTS.has('carousel')) {
      report.peers = peerVersions();
      carousel = await benchCarousels(browser, shop.url, RUNS);
      report.carousel = carousel;
      carousel = { ...carousel, rows: carouselRows(carousel) };
    }
    if (PARTS.has('games')) {
      // Every load plays once as a new guest: no rate limit may refuse the bench's plays.
      const site = PARTS.has('carousel') ? WWW : assembleSite();
      const arcade = await startShop({ www: site, args: ['--no-rate-limits'] });
      try {
        report.peers = peerVersions();
        games = await benchGames(browser, arcade.url, RUNS);
        report.games = games;
        games = { ...games, rows: { wheel: gameRows(games, 'wheel'), scratch: gameRows(games, 'scratch') } };
      } finally {
        await arcade.stop();
      }
    }
  } finally {
    await browser.close();
    await shop.stop();
  }
  if (PARTS.has('api')) report.api = await benchApi(API_SECONDS);
  if (PARTS.has('recs')) report.recs = await benchRecs(Math.max(API_SECONDS, 10));
  const code = PARTS.has('badge') ? twiggyAll() : null;
  report.wasmCode = code;

  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(OUT, 'report.md'), markdown(report, sizeRows, rows, code, carousel, games, report.api, pages) + recsMarkdown(report.recs));

  console.log(`\n${report.machine.cpu} × ${report.machine.cpus}, Node ${report.machine.node}, Chromium ${report.machine.chromium}, ${RUNS} runs per page and mode`);
  console.table(pages);
  if (rows) {
    console.table(sizeRows);
    console.table(rows);
  }
  if (carousel) {
    console.table(carousel.rows.sizeRows);
    console.table(carousel.rows.timeRows);
  }
  if (games) {
    for (const game of ['wheel', 'scratch']) {
      console.table(games.rows[game].sizeRows);
      console.table(games.rows[game].timeRows);
    }
  }
  if (report.api) {
    console.table(apiRows(report.api));
    console.table(apiTimeRows(report.api));
  }
  if (report.recs) console.log(recsMarkdown(report.recs));
  if (code) {
    console.table(code.families.map(({ family, totalBytes }) => ({ family, bytes: totalBytes })));
    console.table(code.functions);
    console.table(code.crates);
  }
  console.log(`report: ${join(OUT, 'report.md')} and report.json`);
}

/** The "for you" part: latency at 16 connections on the generated shop, memory, evaluation. */
function recsMarkdown(recs) {
  if (!recs) return '';
  return `
## "For you" on a generated shop

${recs.generated}. GET /api/v1/recommendations?intent=for-you for 500 signed shoppers in turn,
wrk at ${recs.connections} connections: ${recs.perSecond.toFixed(0)} requests/s, p50 ${recs.p50Ms.toFixed(1)} ms,
p99 ${recs.p99Ms.toFixed(1)} ms, ${recs.socketErrors} socket errors. Learning every order on the first request:
${recs.learnMs.toFixed(0)} ms. Resident memory ${recs.residentMbBefore.toFixed(0)} MB before, ${recs.residentMbAfter.toFixed(0)} MB after.

${recs.evaluation}
`;
}

await main();
