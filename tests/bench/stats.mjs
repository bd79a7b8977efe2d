// Small helpers shared by the bench's parts: order statistics and markdown tables.

/** Median, spread and p90/p95 by nearest rank. */
export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], p90: at(0.9), p95: at(0.95) };
}

export function mdTable(objs) {
  const keys = Object.keys(objs[0]);
  return [`| ${keys.join(' | ')} |`, `|${keys.map(() => ' --- ').join('|')}|`, ...objs.map((o) => `| ${keys.map((k) => o[k]).join(' | ')} |`)].join('\n');
}
