// Stand-ins for shop platforms that cannot be reached from here, following their documented
// request and answer shapes: Shopify's Admin GraphQL API (discountCodeBasicCreate,
// discountCodeFreeShippingCreate, codeDiscountNodeByCode, userErrors, the access-token header).
import { createServer } from 'node:http';

export const TOKEN = 'shpat_e2e_stand_in';

/**
 * A stand-in Shopify that takes `delayMs` per creation and records every call; with `refuse`,
 * it refuses every creation with a userError, as Shopify does for input it will not take.
 */
export async function standInShopify({ delayMs = 0, refuse = false } = {}) {
  const coupons = new Map(); // code → input
  const inFlight = new Map(); // code → concurrent creations now
  let overlaps = 0;
  let creations = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      if (req.headers['x-shopify-access-token'] !== TOKEN) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' }));
      }
      const { query, variables } = JSON.parse(body);
      const reply = (data) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data }));
      };
      if (query.includes('codeDiscountNodeByCode')) {
        return reply({ codeDiscountNodeByCode: coupons.has(variables.code) ? { id: `gid://shopify/DiscountCodeNode/${variables.code}` } : null });
      }
      const field = query.includes('discountCodeFreeShippingCreate') ? 'discountCodeFreeShippingCreate' : 'discountCodeBasicCreate';
      const { code } = variables.discount;
      creations++;
      inFlight.set(code, (inFlight.get(code) ?? 0) + 1);
      if (inFlight.get(code) > 1) overlaps++;
      await new Promise((r) => setTimeout(r, delayMs));
      inFlight.set(code, inFlight.get(code) - 1);
      if (refuse) {
        return reply({ [field]: { codeDiscountNode: null, userErrors: [{ field: ['basicCodeDiscount', 'customerSelection'], code: 'INVALID', message: 'Customer selection is invalid.' }] } });
      }
      if (coupons.has(code)) {
        return reply({ [field]: { codeDiscountNode: null, userErrors: [{ field: ['basicCodeDiscount', 'code'], code: 'TAKEN', message: 'Code must be unique. Please try a different code.' }] } });
      }
      coupons.set(code, variables.discount);
      reply({ [field]: { codeDiscountNode: { id: `gid://shopify/DiscountCodeNode/${coupons.size}` }, userErrors: [] } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/admin/api/2026-07/graphql.json`;
  return { url, coupons, stats: () => ({ creations, overlaps }), close: () => new Promise((r) => server.close(r)) };
}

export const providerEnv = (url) => ({ LOJAL_COUPON_PROVIDER: 'shopify', LOJAL_SHOPIFY_ADMIN_URL: url, LOJAL_SHOPIFY_ADMIN_TOKEN: TOKEN });
