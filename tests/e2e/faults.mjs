// A fault-injecting reverse proxy for the browser tests: it sits between the page and shop-api
// on loopback and, for the requests a rule matches, delays, resets the connection, answers an
// error status (with Retry-After), sends half a body, loses the answer after the server acted,
// or never answers. Everything else passes through unchanged.
import http from 'node:http';

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'content-length', 'content-encoding']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startFaultProxy(targetUrl) {
  const rules = [];
  const log = [];
  const hanging = new Set();
  const server = http.createServer(async (req, res) => {
    const entry = { method: req.method, path: req.url, at: Date.now(), headers: req.headers, fault: null };
    log.push(entry);
    const rule = rules.find((r) => r.times > 0 && r.method === req.method && r.path.test(req.url));
    const fault = rule ? (rule.times--, rule.fault) : null;
    entry.fault = fault?.kind ?? null;
    try {
      if (fault?.kind === 'hang') return void hanging.add(res);
      if (fault?.kind === 'reset') return void req.socket.destroy();
      if (fault?.kind === 'status') {
        const headers = { 'content-type': 'application/json' };
        if (fault.retryAfter != null) headers['retry-after'] = String(fault.retryAfter);
        res.writeHead(fault.status, headers);
        return void res.end(JSON.stringify({ error: { code: 'injected', message: `injected ${fault.status}` } }));
      }
      if (fault?.kind === 'delay') await sleep(fault.ms);

      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
      const upstream = await fetch(new URL(req.url, targetUrl), {
        method: req.method,
        headers,
        body: body.length ? body : undefined,
        redirect: 'manual',
      });
      const answer = Buffer.from(await upstream.arrayBuffer());
      // The server has acted (a coupon is issued); the shopper's browser never hears of it.
      if (fault?.kind === 'loseAnswer') {
        entry.lostAnswer = answer.toString();
        return void req.socket.destroy();
      }
      const out = {};
      upstream.headers.forEach((v, k) => !HOP_BY_HOP.has(k) && (out[k] = v));
      res.writeHead(upstream.status, out);
      if (fault?.kind === 'halfBody') return void res.end(answer.subarray(0, answer.length >> 1));
      res.end(answer);
    } catch (error) {
      if (!res.headersSent) res.writeHead(502).end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    /** The next `times` requests matching `method` and `path` get `fault`. */
    inject(method, path, fault, times = 1) {
      rules.push({ method, path, fault, times });
    },
    requests: (method, path) => log.filter((e) => e.method === method && path.test(e.path)),
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
