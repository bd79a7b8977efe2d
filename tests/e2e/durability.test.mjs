// Durability: sixteen clients write answers, plays and redemptions as fast as the reference API takes
// them; the server is killed with SIGKILL in the middle, restarted on the same SQLite file, and
// every write it had acknowledged must still be there, each exactly once. Acknowledged means a
// 2xx reached the client: what was in flight when the process died may or may not have landed,
// but never twice. With DATABASE_URL set (scripts/test.sh runs it so too), the server keeps its
// data in that PostgreSQL database instead of the SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startShop, MERCHANT_TOKEN, sign, shopifyWebhook, shopifyOrder } from './harness.mjs';

const CLIENTS = 16;
const KILL_AFTER_ACKS = 600; // of about 1 000 writes the clients would make
const KARI = 'c-1003'; // 4 200 points; free shipping costs 300

function feedbackRequest(key) {
  return {
    path: '/feedback',
    key,
    headers: {},
    body: { type: 'nps', score: key.length % 11, text: `svar ${key} – æøå 🧶`, campaign: 'durability' },
  };
}

function playRequest(key) {
  // A guest plays the wheel with an address of her own (one play per address and day).
  return { path: '/campaigns/vinterhjulet/play', key, headers: {}, body: { email: `${key}@example.no`, marketing_consent: false } };
}

function redeemRequest(key) {
  return { path: `/loyalty/${KARI}/redeem`, key, headers: { 'x-lojal-signature': sign(KARI) }, body: { reward_id: 'r-ship' } };
}

async function send(url, { path, key, headers, body }) {
  const response = await fetch(`${url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

test('after kill -9 under 16 writers, every acknowledged answer, play and redemption is stored exactly once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lojal-durability-'));
  const args = ['--no-rate-limits'];
  try {
    const shop = await startShop({ dir, args });
    const acked = { feedback: [], redeem: new Map(), plays: new Map() };
    let attempts = 0;
    let killed = false;
    const kill = async () => {
      if (killed) return;
      killed = true;
      await shop.stop(); // SIGKILL: no graceful shutdown, no flush
    };

    const client = async (id) => {
      for (let n = 0; n < 1_000 / CLIENTS && !killed; n++) {
        // Every eighth write spends Kari's points, every third plays the wheel, the rest are
        // anonymous NPS answers.
        const request =
          n % 8 === 0 ? redeemRequest(`redeem-${id}-${n}`) : n % 3 === 0 ? playRequest(`play-${id}-${n}`) : feedbackRequest(`answer-${id}-${n}`);
        attempts++;
        try {
          const answer = await send(shop.url, request);
          if (answer.status >= 200 && answer.status < 300) {
            if (request.path === '/feedback') acked.feedback.push(request);
            else if (request.path.startsWith('/campaigns')) acked.plays.set(request.key, { request, result: answer.body });
            else acked.redeem.set(request.key, { request, code: answer.body.coupon.code });
          }
        } catch {
          // The server died with this request in flight: not acknowledged.
        }
        if (acked.feedback.length + acked.redeem.size + acked.plays.size >= KILL_AFTER_ACKS) await kill();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    await kill();
    assert.ok(acked.feedback.length > 300, `enough answers acknowledged before the kill: ${acked.feedback.length}`);
    assert.ok(acked.redeem.size >= 5, `enough redemptions acknowledged: ${acked.redeem.size}`);
    assert.ok(acked.plays.size > 50, `enough plays acknowledged: ${acked.plays.size}`);

    const again = await startShop({ dir, args });
    try {
      // Each acknowledged answer is there: sending it again is a duplicate, not a new row.
      for (const request of acked.feedback) {
        const answer = await send(again.url, request);
        assert.equal(answer.status, 200, `${request.key} was acknowledged but not stored`);
        assert.equal(answer.body.duplicate, true);
      }
      // Each acknowledged coupon is there, and a retry returns that same coupon.
      const codes = new Set();
      for (const [key, { request, code }] of acked.redeem) {
        const answer = await send(again.url, request);
        assert.ok(answer.status === 200 || answer.status === 201, `${key}: ${answer.status}`);
        assert.equal(answer.body.coupon.code, code, `${key} paid out a second coupon`);
        codes.add(code);
      }
      // Each acknowledged play is there with the same segment and coupon: a retry replays it.
      for (const [key, { request, result }] of acked.plays) {
        const answer = await send(again.url, request);
        assert.equal(answer.status, 200, `${key}: ${answer.status}`);
        assert.equal(answer.body.segment_index, result.segment_index, `${key} was drawn again`);
        assert.equal(answer.body.prize?.code, result.prize?.code);
        if (result.prize) codes.add(result.prize.code);
      }
      const prizes = [...acked.plays.values()].filter((p) => p.result.prize).length;
      assert.equal(codes.size, acked.redeem.size + prizes, 'no coupon code issued twice');

      // Points: paid once per stored coupon, for at least the acknowledged ones and never more
      // than were attempted.
      const status = await (await fetch(`${again.url}/api/v1/loyalty/${KARI}`, { headers: { 'x-lojal-signature': sign(KARI) } })).json();
      const paidFor = (4200 - status.points) / 300;
      assert.ok(Number.isInteger(paidFor), `the balance moved in whole rewards: ${status.points}`);
      assert.ok(paidFor >= acked.redeem.size, `${paidFor} coupons paid for, ${acked.redeem.size} acknowledged`);

      const summary = await (await fetch(`${again.url}/api/v1/feedback/summary`, { headers: { authorization: `Bearer ${MERCHANT_TOKEN}` } })).json();
      assert.ok(summary.nps.responses >= acked.feedback.length, `${summary.nps.responses} stored, ${acked.feedback.length} acknowledged`);
      assert.ok(summary.nps.responses <= attempts, `${summary.nps.responses} stored, only ${attempts} sent`);
      t.diagnostic(`${attempts} writes sent, ${acked.feedback.length} answers, ${acked.redeem.size} redemptions and ${acked.plays.size} plays acknowledged before the kill; ${summary.nps.responses} answers and ${paidFor} redemptions stored`);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('after kill -9 while Shopify delivers orders, every delivery answered 2xx is in the ledger exactly once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lojal-durability-'));
  const args = ['--no-rate-limits'];
  // Each order is its own new customer's, so her pending points say how often it was credited:
  // 499 kr earn 499 points (bronze, 1 per krone), pending for the demo's 14 days.
  const ORDERS = 400;
  const order = (n) => shopifyOrder({ id: 5_000_000 + n, customer: 9_000_000 + n, email: `kunde${n}@example.no`, subtotal: '499.00' });
  // Shopify retries a delivery that was not answered 2xx with the same webhook id.
  const delivery = (n) => ({ n, id: `webhook-${n}` });
  try {
    const shop = await startShop({ dir, args });
    const acked = new Set();
    let killed = false;
    const kill = async () => {
      if (killed) return;
      killed = true;
      await shop.stop();
    };
    let next = 0;
    const client = async () => {
      while (!killed && next < ORDERS) {
        const { n, id } = delivery(next++);
        // Every fourth event is delivered twice at once, as Shopify may.
        const copies = n % 4 === 0 ? 2 : 1;
        const answers = await Promise.all(Array.from({ length: copies }, () =>
          shopifyWebhook(shop, 'orders/paid', order(n), { id }).catch(() => null)));
        if (answers.some((a) => a && a.status === 200)) acked.add(n);
        if (acked.size >= ORDERS / 2) await kill();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, () => client()));
    await kill();
    assert.ok(acked.size >= ORDERS / 2, `enough deliveries acknowledged: ${acked.size}`);

    const again = await startShop({ dir, args });
    try {
      const points = async (n) => {
        const customer = String(9_000_000 + n);
        const answer = await fetch(`${again.url}/api/v1/loyalty/${customer}`, { headers: { 'x-lojal-signature': sign(customer) } });
        return answer.status === 404 ? null : (await answer.json()).pending_points;
      };
      for (const n of acked) {
        assert.equal(await points(n), 499, `order ${n} was acknowledged: credited exactly once`);
      }
      // Shopify then retries what was never answered (and, harmlessly, some that were):
      // afterwards every order is credited exactly once.
      for (let n = 0; n < ORDERS; n++) {
        const { id } = delivery(n);
        const answer = await shopifyWebhook(again, 'orders/paid', order(n), { id });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        if (acked.has(n)) assert.equal(answer.body.duplicate, true, `order ${n} taken twice`);
      }
      for (let n = 0; n < ORDERS; n++) assert.equal(await points(n), 499, `order ${n}`);
      t.diagnostic(`${acked.size} of ${ORDERS} deliveries acknowledged before the kill; all ${ORDERS} credited once after the retries`);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
