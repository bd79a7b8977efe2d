// "For you" at scale: a generated shop of 10 000 products and 100 000 orders (shop-api
// generate-shop, seeded), the reference API on it, and wrk asking for signed shoppers' rails
// at 16 connections; the server's resident memory after the model has learned every order.
// Then the offline evaluation (shop-api recs-eval) on the default generated shop.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startShop, sign } from '../e2e/harness.mjs';

const SERVER = join(ROOT, 'target', 'release', 'shop-api');
const SHAPE = ['--seed', '7', '--products', '10000', '--categories', '50', '--shoppers', '20000', '--orders', '100000'];

function residentKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)[1]);
}

export async function benchRecs(seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'lojal-recs-'));
  try {
    const generated = execFileSync(SERVER, ['--db', join(dir, 'shop.sqlite'), 'generate-shop', ...SHAPE], { encoding: 'utf8' }).trim();
    const shop = await startShop({ dir, args: ['--no-rate-limits'] });
    try {
      const before = residentKb(shop.pid);
      const shoppers = Array.from({ length: 500 }, (_, n) => `s-${String(n * 37).padStart(6, '0')}`);
      // The first request learns all 100 000 orders; its time is reported apart.
      const started = performance.now();
      const first = await fetch(`${shop.url}/api/v1/recommendations?intent=for-you&customer_id=${shoppers[0]}&limit=12`, { headers: { 'x-lojal-signature': sign(shoppers[0]) } });
      if (first.status !== 200) throw new Error(`for-you answered ${first.status}`);
      const learnMs = performance.now() - started;
      const file = join(dir, 'shoppers.txt');
      writeFileSync(file, shoppers.map((s) => `/api/v1/recommendations?intent=for-you&customer_id=${s}&limit=12 ${sign(s)}`).join('\n'));
      // Asynchronous, so that the server's log is read while wrk runs (a full pipe stalls it).
      const { stdout: out } = await promisify(execFile)(process.env.LOJAL_WRK || 'wrk', ['-t', '2', '-c', '16', '-d', `${seconds}s`, '--timeout', '10s', '-s', join(ROOT, 'tests', 'bench', 'foryou.lua'), shop.url], {
        encoding: 'utf8', env: { ...process.env, BENCH_SHOPPERS: file },
      });
      const line = out.split('\n').find((l) => l.startsWith('BENCH-JSON '));
      const r = JSON.parse(line.slice('BENCH-JSON '.length));
      if (r.non2xx) throw new Error(`for-you: ${r.non2xx} unexpected statuses`);
      const after = residentKb(shop.pid);
      const evaluation = execFileSync(SERVER, ['recs-eval'], { encoding: 'utf8' }).trim();
      return {
        generated,
        connections: 16,
        perSecond: r.requests / r.seconds,
        p50Ms: r.p50us / 1000,
        p99Ms: r.p99us / 1000,
        socketErrors: r.errors,
        learnMs,
        residentMbBefore: before / 1024,
        residentMbAfter: after / 1024,
        evaluation,
      };
    } finally {
      await shop.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
