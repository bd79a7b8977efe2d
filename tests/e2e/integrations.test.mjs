// Coupons created at the shop platform survive the worst: shop-api killed with SIGKILL while
// it creates them at a stand-in Shopify Admin GraphQL API (slow, so creations are in flight),
// and, on PostgreSQL, two shop-api processes working one queue. Every coupon ends active and
// exists at the platform exactly once; no creation is worked by two processes at a time. The
// stand-in follows Shopify's documented discountCodeBasicCreate / codeDiscountNodeByCode shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startShop, sign } from './harness.mjs';
import { standInShopify, providerEnv } from './standins.mjs';

/** Redeems free shipping (300 points) for Kari with a new key; answers the pending ticket. */
async function redeem(shop, key) {
  const response = await fetch(`${shop.url}/api/v1/loyalty/c-1003/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-lojal-signature': sign('c-1003'), 'idempotency-key': key },
    body: JSON.stringify({ reward_id: 'r-ship' }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.coupon.status, 'pending');
  return body.coupon.ticket;
}

async function settled(shop, ticket, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const state = await (await fetch(`${shop.url}/api/v1/coupons/${ticket}`)).json();
    if (state.status !== 'pending' || Date.now() > until) return state;
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('kill -9 while coupons are being created at the platform loses none and creates none twice', async (t) => {
  const platform = await standInShopify({ delayMs: 400 });
  const dir = mkdtempSync(join(tmpdir(), 'lojal-coupons-'));
  const args = ['--no-rate-limits'];
  try {
    const shop = await startShop({ dir, args, env: providerEnv(platform.url) });
    const tickets = [];
    for (let n = 0; n < 12; n++) tickets.push(await redeem(shop, `kill-redeem-${n}`));
    // Some creations are at the platform now, their answers not back yet.
    await new Promise((r) => setTimeout(r, 600));
    await shop.stop(); // SIGKILL
    const before = platform.coupons.size;
    const again = await startShop({ dir, args, env: providerEnv(platform.url) });
    try {
      const codes = [];
      for (const ticket of tickets) {
        const state = await settled(again, ticket);
        assert.equal(state.status, 'active', JSON.stringify(state));
        codes.push(state.code);
      }
      assert.equal(new Set(codes).size, 12, 'twelve different codes');
      assert.deepEqual([...platform.coupons.keys()].sort(), [...codes].sort(), 'each at the platform, exactly once');
      const status = await (await fetch(`${again.url}/api/v1/loyalty/c-1003`, { headers: { 'x-lojal-signature': sign('c-1003') } })).json();
      assert.equal(status.points, 4200 - 12 * 300, 'charged once each');
      t.diagnostic(`${before} of 12 created before the kill; ${platform.stats().creations} creation calls in all`);
    } finally {
      await again.stop();
    }
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two shop-api processes on one PostgreSQL work each coupon once, never at the same time', { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL' }, async (t) => {
  const platform = await standInShopify({ delayMs: 150 });
  const args = ['--no-rate-limits'];
  const first = await startShop({ args, env: providerEnv(platform.url) });
  const second = await startShop({ args, env: providerEnv(platform.url) });
  try {
    // Guests play the demo's wheel through either process; its prizes are discounts.
    const run = Date.now();
    const plays = await Promise.all(Array.from({ length: 30 }, async (_, n) => {
      const shop = n % 2 ? first : second;
      const response = await fetch(`${shop.url}/api/v1/campaigns/vinterhjulet/play`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `pair-play-${run}-${n}` },
        body: JSON.stringify({ email: `pair${run}-${n}@example.no`, marketing_consent: false }),
      });
      assert.equal(response.status, 200);
      return (await response.json()).prize;
    }));
    const tickets = plays.filter((prize) => prize?.status === 'pending').map((prize) => prize.ticket);
    assert.ok(tickets.length >= 10, `enough prizes to create: ${tickets.length}`);
    const states = await Promise.all(tickets.map((ticket) => settled(first, ticket)));
    assert.ok(states.every((s) => s.status === 'active'), JSON.stringify(states));
    const codes = states.map((s) => s.code);
    for (const code of codes) assert.ok(platform.coupons.has(code), code);
    assert.equal(platform.stats().overlaps, 0, 'no coupon was created by two workers at once');
    assert.equal(platform.stats().creations, codes.length, 'one creation per coupon');
    t.diagnostic(`${codes.length} coupons, ${platform.stats().creations} creation calls`);
  } finally {
    await first.stop();
    await second.stop();
    await platform.close();
  }
});
