// The reference API under load, on loopback, with wrk (Debian's package; scripts/bench.sh
// installs it), at 1, 16 and 64 connections: anonymous feedback posts (each a new NPS answer with
// its own idempotency key), guest plays of the demo's wheel (each a new email and key), signed
// redemptions (members with millions of points in turn, each a new coupon), signed balance
// reads, and a storefront's mix of reads and writes (tests/bench/mixed.lua). The servers run
// with --no-rate-limits (or they would answer 429 long before they are busy) and their request
// logs on.
//
// Each workload runs against each configuration in the same run, each on a fresh database:
// SQLite with every write taking the lock itself (`--sqlite-writes per-request`, how shop-api
// wrote before one writer grouped them), SQLite with the writer, and PostgreSQL when
// LOJAL_BENCH_DATABASE_URL names an empty database (scripts/bench.sh starts a server). /metrics is read before
// and after every row, so the report also says where a write's time went.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startShop, sign, MERCHANT_TOKEN } from '../e2e/harness.mjs';

const LEVELS = [1, 16, 64];
const CAMPAIGN = 'vinterhjulet'; // seeded by the migrations, as on www/kampanje.html
const CUSTOMER = 'c-1001'; // seeded by the migrations, as on the demo page
const MEMBERS = 64; // bench members who redeem, each given 10 million points
const OUT = join(ROOT, 'target', 'bench');

const WORKLOADS = [
  { endpoint: 'POST /api/v1/feedback', script: 'feedback.lua' },
  { endpoint: `POST /api/v1/campaigns/${CAMPAIGN}/play (guests)`, script: 'plays.lua' },
  { endpoint: 'POST /api/v1/loyalty/{id}/redeem', script: 'redeem.lua' },
  { endpoint: `GET /api/v1/loyalty/${CUSTOMER}`, script: 'reads.lua' },
  { endpoint: 'mixed: 50 % balances, 15 % rails, 10 % campaigns, 10 % answers, 10 % plays, 5 % redemptions', script: 'mixed.lua' },
];

function configurations() {
  const configs = [
    { key: 'before', name: 'SQLite, each write takes the lock (before)', args: ['--sqlite-writes', 'per-request'] },
    { key: 'after', name: 'SQLite, one writer commits groups (after)', args: [] },
  ];
  const postgres = process.env.LOJAL_BENCH_DATABASE_URL;
  if (postgres) configs.push({ key: 'postgres', name: 'PostgreSQL', args: [], databaseUrl: postgres });
  return configs;
}

// Asynchronous, so that this process goes on reading the server's log while wrk runs: a
// server whose stderr pipe is full waits for it.
async function wrk(url, script, connections, seconds, env = {}) {
  const { stdout: out } = await promisify(execFile)(
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

/** The database figures /metrics reports, as sums and counts. */
async function figures(metricsUrl) {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  const figure = {};
  for (const name of ['wait', 'hold', 'lock_wait', 'commit', 'write_group_size', 'checkpoint']) {
    figure[name] = { sum: value(`lojal_db_${name}_seconds_sum`) || value(`lojal_db_${name}_sum`), count: value(`lojal_db_${name}_seconds_count`) || value(`lojal_db_${name}_count`) };
  }
  figure.connects = value('lojal_db_connects_total');
  figure.logFrames = value('lojal_db_log_frames');
  figure.logRestarts = value('lojal_db_log_restarts_total');
  return figure;
}

/** What happened between two readings of /metrics, per request: where a write's time went. */
function spent(before, after, requests) {
  const mean = (name) => {
    const count = after[name].count - before[name].count;
    return count ? ((after[name].sum - before[name].sum) / count) * 1000 : 0;
  };
  const count = (name) => after[name].count - before[name].count;
  return {
    waitMs: mean('wait'),
    holdMs: mean('hold'),
    lockWaitMs: mean('lock_wait'),
    commitMs: mean('commit'),
    commitsPerRequest: requests ? count('commit') / requests : 0,
    writesPerCommit: count('write_group_size') ? (after.write_group_size.sum - before.write_group_size.sum) / count('write_group_size') : 1,
    connects: after.connects - before.connects,
    // SQLite's write-ahead log at the end of the level (4 KiB pages), and how often it started over.
    logMiB: (after.logFrames * 4096) / 2 ** 20,
    logRestarts: after.logRestarts - before.logRestarts,
  };
}

/** 64 members with 10 million points each (an order of 10 million kroner, the programme's
 * pending days set to 0 first), and their signatures in a file for the wrk scripts. */
async function members(shop) {
  const merchant = { authorization: `Bearer ${MERCHANT_TOKEN}`, 'content-type': 'application/json' };
  const current = await (await fetch(`${shop.url}/api/v1/admin/programme`, { headers: merchant })).json();
  const put = await fetch(`${shop.url}/api/v1/admin/programme`, {
    method: 'PUT',
    headers: merchant,
    body: JSON.stringify({ ...current.programme, pending_days: 0 }),
  });
  if (!put.ok) throw new Error(`programme put: ${put.status} ${await put.text()}`);
  const lines = [];
  for (let i = 0; i < MEMBERS; i++) {
    const id = `bench-member-${String(i).padStart(2, '0')}`;
    const order = await fetch(`${shop.url}/api/v1/orders`, {
      method: 'POST',
      headers: merchant,
      body: JSON.stringify({ id: `bench-${id}`, customer_id: id, currency: 'NOK', subtotal: 1_000_000_000, status: 'paid' }),
    });
    if (!order.ok) throw new Error(`order for ${id}: ${order.status} ${await order.text()}`);
    lines.push(`${id} ${sign(id)}`);
  }
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, 'members.txt');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export async function benchApi(seconds) {
  // `wrk -v` prints its version and exits with status 1.
  const version = spawnSync(process.env.LOJAL_WRK || 'wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const configs = configurations();
  const rows = [];
  for (const config of configs) {
    // Request logs on, as in production.
    const env = { LOJAL_LOG: 'info', ...(config.databaseUrl ? { DATABASE_URL: config.databaseUrl } : {}) };
    const shop = await startShop({ args: ['--no-rate-limits', '--metrics-addr', '127.0.0.1:0', ...config.args], env });
    try {
      const memberFile = await members(shop);
      const sig = sign(CUSTOMER);
      for (const { endpoint, script } of WORKLOADS) {
        for (const c of LEVELS) {
          const before = await figures(shop.metricsUrl);
          const result = await wrk(shop.url, script, c, seconds, {
            BENCH_RUN: `${config.key}-${Date.now()}-${c}`,
            BENCH_CAMPAIGN: CAMPAIGN,
            BENCH_PATH: `/api/v1/loyalty/${CUSTOMER}`,
            BENCH_SIG: sig,
            BENCH_SHOPPERS: memberFile,
          });
          const after = await figures(shop.metricsUrl);
          rows.push({ config: config.key, endpoint, ...result, spent: spent(before, after, result.requests) });
        }
      }
    } finally {
      await shop.stop();
    }
  }
  return { tool: version.trim(), secondsPerLevel: seconds, configs: configs.map(({ key, name }) => ({ key, name })), rows };
}

const ms = (v) => v.toFixed(2);

/** One line per workload and level, the configurations side by side. */
export const apiRows = (api) => {
  const out = [];
  for (const row of api.rows.filter((r) => r.config === api.configs[0].key)) {
    const line = { endpoint: row.endpoint, connections: row.connections };
    for (const { key } of api.configs) {
      const r = api.rows.find((x) => x.config === key && x.endpoint === row.endpoint && x.connections === row.connections);
      line[`${key} req/s`] = r.perSecond.toFixed(0);
      line[`${key} p50 (ms)`] = ms(r.p50Ms);
      line[`${key} p99 (ms)`] = ms(r.p99Ms);
      if (r.socketErrors) line[`${key} socket errors`] = r.socketErrors;
    }
    out.push(line);
  }
  return out;
};

/** Where the time went at 64 connections, from /metrics, per configuration. */
export const apiTimeRows = (api) =>
  api.rows
    .filter((r) => r.connections === 64)
    .map((r) => ({
      config: r.config,
      endpoint: r.endpoint.split(' (')[0].split(':')[0],
      'wait for connection or writer (ms)': ms(r.spent.waitMs),
      'work on it (ms)': ms(r.spent.holdMs),
      'lock wait per transaction (ms)': ms(r.spent.lockWaitMs),
      'commit (ms)': ms(r.spent.commitMs),
      'writes per commit': r.spent.writesPerCommit.toFixed(1),
      'connections opened': r.spent.connects,
      // Only the SQLite writer counts them (the old path checkpoints as SQLite does by default).
      'SQLite log at the end (MiB)': r.spent.logMiB || r.spent.logRestarts ? r.spent.logMiB.toFixed(0) : '—',
      'log restarts': r.spent.logMiB || r.spent.logRestarts ? r.spent.logRestarts : '—',
    }));
