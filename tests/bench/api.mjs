// The reference API under load, on loopback: feedback posts/s (each a new anonymous NPS answer
// with its own idempotency key) and loyalty reads/s (GET /api/v1/loyalty/{id}, signed), at 1, 16
// and 64 connections, with wrk (Debian's package; scripts/bench.sh installs it). The server runs
// with --no-rate-limits, or it would answer 429 long before it is busy.
// Then reward plays/s: guests playing the demo's wheel (POST /api/v1/campaigns/{id}/play), each
// with a new email and idempotency key, since an email plays once a day.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startShop } from '../e2e/harness.mjs';

const LEVELS = [1, 16, 64];
const CAMPAIGN = 'vinterhjulet'; // seeded by the migrations, as on www/kampanje.html
const CUSTOMER = 'c-1001'; // seeded by the migrations, as on the demo page
const SECRET = 'e2e-secret'; // what startShop gives the server

function wrk(url, script, connections, seconds, env = {}) {
  const out = execFileSync(
    process.env.LOJAL_WRK || 'wrk',
    ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', join(ROOT, 'tests', 'bench', script), url],
    { encoding: 'utf8', env: { ...process.env, ...env } },
  );
  const line = out.split('\n').find((l) => l.startsWith('BENCH-JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const r = JSON.parse(line.slice('BENCH-JSON '.length));
  // A wrong answer means the script or the server is broken; a socket error or a timeout (10 s)
  // under load is a result, and is reported.
  if (r.non2xx) throw new Error(`${script} at ${connections} connections: ${r.non2xx} unexpected statuses of ${r.requests} answers`);
  return { connections, requests: r.requests, socketErrors: r.errors, perSecond: r.requests / r.seconds, p50Ms: r.p50us / 1000, p99Ms: r.p99us / 1000 };
}

export async function benchApi(seconds) {
  const shop = await startShop({ args: ['--no-rate-limits'] });
  try {
    const sig = execFileSync(join(ROOT, 'target', 'release', 'shop-api'), ['sign', CUSTOMER], {
      encoding: 'utf8',
      env: { ...process.env, LOJAL_SHOP_SECRET: SECRET },
    }).trim();
    // `wrk -v` prints its version and exits with status 1.
    const version = spawnSync(process.env.LOJAL_WRK || 'wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0];
    const rows = [];
    for (const c of LEVELS) {
      rows.push({ endpoint: 'POST /api/v1/feedback', ...wrk(shop.url, 'feedback.lua', c, seconds, { BENCH_RUN: `${Date.now()}-${c}` }) });
    }
    for (const c of LEVELS) {
      rows.push({ endpoint: `GET /api/v1/loyalty/${CUSTOMER}`, ...wrk(shop.url, 'reads.lua', c, seconds, { BENCH_PATH: `/api/v1/loyalty/${CUSTOMER}`, BENCH_SIG: sig }) });
    }
    for (const c of LEVELS) {
      rows.push({ endpoint: `POST /api/v1/campaigns/${CAMPAIGN}/play`, ...wrk(shop.url, 'plays.lua', c, seconds, { BENCH_RUN: `${Date.now()}-${c}`, BENCH_CAMPAIGN: CAMPAIGN }) });
    }
    return { tool: version.trim(), secondsPerLevel: seconds, rows };
  } finally {
    await shop.stop();
  }
}

export const apiRows = (api) =>
  api.rows.map((r) => ({
    endpoint: r.endpoint,
    connections: r.connections,
    'requests/s': r.perSecond.toFixed(0),
    'p50 (ms)': r.p50Ms.toFixed(2),
    'p99 (ms)': r.p99Ms.toFixed(2),
    requests: r.requests,
    'socket errors': r.socketErrors,
  }));
