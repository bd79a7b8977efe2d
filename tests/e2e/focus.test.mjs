// Keyboard focus is never hidden by lojal's own overlays, nor cut off at a rail's edge (WCAG 2.2
// SC 2.4.11 Focus Not Obscured): every demo and docs page, walked with Tab at 390 px, 1280 px and
// 200 % zoom, as it loads and with each overlay lojal draws open (the badge's popover, a popup
// game, a floating feedback prompt). After each key the focused element, found through shadow
// roots, must be the topmost element at its own centre and lie fully inside its scroll
// container's visible box. axe-core cannot see either.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, startShop, sign } from './harness.mjs';

let browser;
let shop;
before(async () => {
  browser = await launch();
  shop = await startShop({ args: ['--no-rate-limits'] });
});
after(async () => {
  await browser?.close();
  await shop?.stop();
});

const PAGES = [
  '/', '/product.html?id=p-setesdal', '/kampanje.html', '/kasse.html', '/ordre.html', '/venn/',
  '/bli-medlem/', '/docs/', '/docs/badge.html', '/docs/carousel.html', '/docs/feedback.html',
  '/docs/games.html',
];
// 200 %: a 1280 × 720 window zoomed lays out in 640 × 360 CSS px at two device pixels each.
const VIEWS = {
  '390 px': { viewport: { width: 390, height: 844 }, hasTouch: true },
  '1280 px': { viewport: { width: 1280, height: 800 } },
  '200 % zoom': { viewport: { width: 640, height: 360 }, deviceScaleFactor: 2 },
};
const MOST_KEYS = 70;

/**
 * Where focus is and whether it can be seen: the focused element through shadow roots, whether
 * it is the topmost element at its centre, and whether it lies inside the visible box of every
 * scroll container around it (the window included). `null` when nothing of the page has focus.
 */
function focusState() {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const name = (n) => n && `${n.localName}${n.id ? `#${n.id}` : ''}${n.getAttribute?.('part') ? `[part=${n.getAttribute('part')}]` : ''}${n.className && typeof n.className === 'string' ? `.${n.className.trim().split(/\s+/).join('.')}` : ''} "${(n.textContent || n.getAttribute?.('aria-label') || '').trim().slice(0, 30)}"`;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return { what: name(el), topmost: true, inside: true, empty: true };
  // The focused element, or something drawn inside it (its label's text, an icon).
  const within = (outer, inner) => {
    for (let n = inner; n; n = n.parentNode || n.host) if (n === outer) return true;
    return false;
  };
  const hitAt = (x, y) => {
    let top = document.elementFromPoint(Math.min(Math.max(x, 0), innerWidth - 1), Math.min(Math.max(y, 0), innerHeight - 1));
    while (top?.shadowRoot) {
      const inner = top.shadowRoot.elementFromPoint(x, y);
      if (!inner || inner === top) break;
      top = inner;
    }
    return top;
  };
  // A link that wraps onto two lines is two boxes; the centre of its bounding box may lie
  // between them. Its own boxes' centres are where it is drawn.
  const boxes = [...el.getClientRects()].filter((b) => b.width > 0 && b.height > 0);
  const hits = (boxes.length ? boxes : [r]).map((b) => hitAt(b.left + b.width / 2, b.top + b.height / 2));
  const topmost = hits.some((top) => top && within(el, top));
  const top = hits[0];
  // Every scroll container the element sits in (through shadow roots), then the window.
  const containers = [{ left: 0, top: 0, right: innerWidth, bottom: innerHeight, what: 'window' }];
  for (let n = el.parentNode || el.host; n && n !== document; n = n.parentNode || n.host) {
    if (!(n instanceof Element)) continue;
    const style = getComputedStyle(n);
    const clips = (v) => v !== 'visible';
    if (clips(style.overflowX) || clips(style.overflowY)) {
      const b = n.getBoundingClientRect();
      const left = b.left + n.clientLeft;
      const topEdge = b.top + n.clientTop;
      containers.push({ left, top: topEdge, right: left + n.clientWidth, bottom: topEdge + n.clientHeight, what: name(n) });
    }
  }
  const slack = 1;
  const outside = containers.find((b) =>
    // An element larger than its box cannot fit: it must then cover the box along that axis.
    (r.width <= b.right - b.left ? r.left < b.left - slack || r.right > b.right + slack : r.left > b.left || r.right < b.right)
    || (r.height <= b.bottom - b.top ? r.top < b.top - slack || r.bottom > b.bottom + slack : r.top > b.top || r.bottom < b.bottom));
  return { what: name(el), topmost, hit: topmost ? null : name(top), inside: !outside, clippedBy: outside?.what ?? null };
}

/** Tabs through the page from where focus is, checking each stop; returns the problems seen. */
async function walk(page) {
  const problems = [];
  const seen = [];
  for (let key = 0; key < MOST_KEYS; key++) {
    await page.keyboard.press('Tab');
    const state = await page.evaluate(focusState);
    if (!state) continue;
    if (!state.topmost) problems.push(`${state.what} is hidden under ${state.hit}`);
    if (!state.inside) problems.push(`${state.what} is cut off by ${state.clippedBy}`);
    // Round once: the first stop seen again ends the walk.
    if (seen.length > 2 && state.what === seen[0]) break;
    seen.push(state.what);
  }
  return { problems, stops: seen.length };
}

/** Overlays lojal draws, each opened on a loaded page; `false` when the page has no room for one. */
const OVERLAYS = {
  async 'as loaded'() {
    return true;
  },
  async 'badge popover open'(page) {
    const trigger = page.locator('lojal-badge [part=trigger]').first();
    if (!(await trigger.count())) return false;
    await trigger.click();
    await page.locator('lojal-badge [part=popover]').first().waitFor();
    return true;
  },
  async 'popup game open'(page) {
    await page.evaluate((sig) => {
      globalThis.lojal.consent(true);
      document.body.insertAdjacentHTML('beforeend', `<lojal-wheel class="walk-popup" campaign="vinterhjulet" customer-id="c-1003" customer-sig="${sig}" popup popup-delay="0"></lojal-wheel>`);
    }, sign('c-1003'));
    await page.waitForFunction(() => document.querySelector('.walk-popup')?.shadowRoot?.querySelector('dialog[open] [part=play]'));
    return true;
  },
  async 'floating prompt open'(page) {
    await page.evaluate(() => {
      globalThis.lojal.consent(true);
      document.body.insertAdjacentHTML('beforeend', '<lojal-csat class="walk-prompt" trigger="delay" delay-seconds="0" campaign="focus-walk"></lojal-csat>');
    });
    await page.locator('lojal-csat.walk-prompt fieldset').waitFor();
    return true;
  },
};

for (const [viewName, options] of Object.entries(VIEWS)) {
  test(`Tab never lands on something hidden or cut off, at ${viewName}`, async (t) => {
    for (const path of PAGES) {
      for (const [overlay, open] of Object.entries(OVERLAYS)) {
        const page = await openPage(browser, null, { ...options, reducedMotion: 'reduce' });
        try {
          await page.goto(`${shop.url}${path}`);
          // A page without lojal's script (the docs' index) has no overlay of lojal's to open.
          const lojal = await page.evaluate(() => Boolean(document.querySelector('script[src*="lojal.js"]')));
          if (!lojal && overlay !== 'as loaded') continue;
          if (lojal) await page.waitForFunction(() => typeof globalThis.lojal?.consent === 'function');
          // Each widget on the page has drawn (or given up) before the walk.
          await page.waitForFunction(() => [...document.querySelectorAll('*')]
            .filter((el) => el.localName.startsWith('lojal-'))
            .every((el) => el.shadowRoot?.querySelector('[part]') && !el.shadowRoot.querySelector('[part=skeleton]')), null, { timeout: 10_000 })
            .catch(() => {});
          if (!(await open(page))) continue;
          const { problems, stops } = await walk(page);
          t.diagnostic(`${path}, ${overlay}: ${stops} stops`);
          assert.deepEqual(problems, [], `${path} at ${viewName}, ${overlay}`);
          assert.deepEqual(page.pageErrors, []);
        } finally {
          await page.context().close();
        }
      }
    }
  });
}
