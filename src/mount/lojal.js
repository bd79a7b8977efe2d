// lojal loader: the one script a merchant pastes,
//   <script type="module" src="https://cdn.example/lojal/lojal.js" data-api="https://shop.example/api/v1" data-locale="nb" async></script>
// and the module a theme developer imports (`import { defineLojal } from 'lojal'`).
// It defines the custom elements straight away and fetches a family's wasm (badge, carousel,
// feedback prompts, games) only when the first element of that family connects, so a page without
// widgets pays for this file alone, and a page with a badge for the badge's wasm alone; a page
// that starts with elements of several families gets one wasm of them all when that is fewer
// bytes. Loaded twice (a theme and an app both adding the tag), the first copy defines the
// elements and later copies only update the shared settings. No inline script, no eval: it runs
// under `script-src 'self' 'wasm-unsafe-eval'`.

// Shared by every copy of this file on the page (a second copy is a second module instance).
const registry = (globalThis.__lojal ??= { defined: false, page: { api: null, locale: null } });
registry.page ??= { api: null, locale: null }; // set by an older copy of this file
// Locales added at run time (tag → JSON text, parsed by the wasm), the shipped locales' strings
// fetched so far (family → tag → the file's text, or the Error that kept it) and the mounted
// elements.
registry.locales ??= {};
registry.strings ??= {};
registry.live ??= new Set();

// Each family's glue and wasm, and each bundle's (several families in one wasm: `bundles` below).
// The build replaces these names with the content-hashed files next to this file.
const families = {
  badge: [() => import('./lojal_badge.js'), new URL('./lojal_badge_bg.wasm', import.meta.url)],
  carousel: [() => import('./lojal_carousel.js'), new URL('./lojal_carousel_bg.wasm', import.meta.url)],
  feedback: [() => import('./lojal_feedback.js'), new URL('./lojal_feedback_bg.wasm', import.meta.url)],
  games: [() => import('./lojal_games.js'), new URL('./lojal_games_bg.wasm', import.meta.url)],
  storefront: [() => import('./lojal_storefront.js'), new URL('./lojal_storefront_bg.wasm', import.meta.url)],
  order: [() => import('./lojal_order.js'), new URL('./lojal_order_bg.wasm', import.meta.url)],
  campaign: [() => import('./lojal_campaign.js'), new URL('./lojal_campaign_bg.wasm', import.meta.url)],
  all: [() => import('./lojal_all.js'), new URL('./lojal_all_bg.wasm', import.meta.url)],
};
// The wasm files of several families, and which (families/storefront, families/order,
// families/campaign, families/all).
const bundles = { storefront: ['badge', 'carousel'], order: ['badge', 'feedback'], campaign: ['badge', 'games'], all: ['badge', 'carousel', 'feedback', 'games'] };
// The brotli bytes of each one's glue and wasm together: the build writes what it measured here.
// Unmeasured (this file as it is in src/), no page gets a bundle of several.
const bytes = { badge: 0, carousel: 0, feedback: 0, games: 0, storefront: 0, order: 0, campaign: 0, all: 0 };
// Each family's strings in every shipped locale but English, which each wasm carries itself (the
// fallback): one file per family and locale, fetched beside the wasm for the locales the page's
// elements speak. The build writes the table here, `{ badge: { da: new URL('./lojal_badge.da.<hash>.json?no-inline',
// import.meta.url), … }, … }`, literal URLs so that bundlers copy the files as they copy the wasm.
// Empty (this file as it is in src/), every element speaks English.
const strings = {};
// The family that draws each element (its table in src/widgets/mod.rs; a test compares them).
const familyOf = {
  'lojal-badge': 'badge',
  'lojal-carousel': 'carousel',
  'lojal-nps': 'feedback',
  'lojal-csat': 'feedback',
  'lojal-review': 'feedback',
  'lojal-wheel': 'games',
  'lojal-scratch': 'games',
};

// Reserves each widget's final box before the wasm arrives, so nothing on the page shifts.
// Keep in step with the `:host` sizes in the widget's own CSS (an inline prompt: its smallest).
const PLACEHOLDER_CSS = `
    :host { display: inline-block; vertical-align: middle; }
    :host(lojal-badge) { inline-size: 15rem; block-size: 3.25rem; }
    :host(lojal-carousel) { display: block; block-size: 24.75rem; }
    :host(lojal-nps), :host(lojal-csat), :host(lojal-review) { display: block; }
    :host(lojal-nps) { min-block-size: 13rem; }
    :host(lojal-csat) { min-block-size: 21rem; }
    :host(lojal-review) { min-block-size: 29.75rem; }
    :host(lojal-wheel), :host(lojal-scratch) { display: block; inline-size: 100%; max-inline-size: 24rem; margin-inline: auto; }
    :host(lojal-wheel) { min-block-size: 30rem; }
    :host(lojal-scratch) { min-block-size: 19rem; }
    :host([popup]), :host([trigger=delay i]), :host([trigger=scroll i]) { min-block-size: 0 !important; }
    .placeholder { box-sizing: border-box; block-size: 100%; border-radius: 0.75rem;
      background: color-mix(in srgb, currentColor 6%, transparent); }
  `;

// Every element and the attributes it observes. custom-elements.json documents the same
// lists, and a test fails when the two differ.
const widgets = {
  'lojal-badge': ['customer-id', 'customer-sig', 'locale', 'strings', 'api', 'signup-url', 'referral-url', 'source', 'endpoint'],
  'lojal-carousel': ['source', 'endpoint', 'product-id', 'product-ids', 'customer-id', 'customer-sig', 'intent', 'limit', 'title', 'locale', 'strings', 'api', 'auto-rotate', 'storefront'],
  'lojal-nps': ['customer-id', 'customer-sig', 'locale', 'strings', 'api', 'trigger', 'delay-seconds', 'scroll-percent', 'order-id', 'campaign', 'question'],
  'lojal-csat': ['customer-id', 'customer-sig', 'locale', 'strings', 'api', 'trigger', 'delay-seconds', 'scroll-percent', 'order-id', 'campaign', 'question', 'variant'],
  'lojal-review': ['customer-id', 'customer-sig', 'locale', 'strings', 'api', 'trigger', 'delay-seconds', 'scroll-percent', 'order-id', 'campaign', 'product-id', 'product-name', 'moderation-note'],
  'lojal-wheel': ['campaign', 'customer-id', 'customer-sig', 'locale', 'strings', 'api', 'popup', 'popup-delay'],
  'lojal-scratch': ['campaign', 'customer-id', 'customer-sig', 'locale', 'strings', 'api', 'popup', 'popup-delay'],
};

// The page reports what the shopper looks at: `viewed({ id, title, url, image, price, in_stock,
// rating })` (also `window.lojal.viewed`), in the reference API's product shape. Kept in this
// browser only, newest first, with storage consent; a `recently-viewed` rail reads it (through
// the same checks as any API's JSON) with no server at all. Snapshots over 4 KB are not kept.
const VIEWED_KEY = 'lojal:recently-viewed';
export function viewed(product) {
  try {
    const snapshot = JSON.stringify(product);
    if (!product?.id || snapshot.length > 4096) return;
    const kept = JSON.parse(registry.storage?.read('local', VIEWED_KEY) || '[]');
    const list = (Array.isArray(kept) ? kept : []).filter((p) => p?.id !== product.id);
    registry.storage?.write('local', VIEWED_KEY, JSON.stringify([JSON.parse(snapshot), ...list].slice(0, 20)));
  } catch (error) {
    console.warn(`lojal: viewed() could not keep the product: ${error}`);
  }
}

/** Adds a locale without a rebuild: strings nested as in locales/en.json (README, Locales). */
export function addLocale(tag, strings) {
  registry.locales[tag] = JSON.stringify(strings);
  for (const element of registry.live) element.refreshLocale();
}

/**
 * Defines every lojal element (once per page) and sets the page-wide defaults: `api`, the base
 * URL of the shop's lojal API, and `locale`. Elements read them when they connect; their own
 * `api` and `locale` attributes win. Calling it again only updates the defaults.
 */
export function defineLojal(options = {}) {
  for (const key of ['api', 'locale']) {
    if (options[key] != null) registry.page[key] = String(options[key]);
  }
  // Server-side rendering imports modules without a DOM: there is nothing to define there.
  if (registry.defined || typeof customElements === 'undefined') return;
  registry.defined = true;
  (globalThis.lojal ??= {}).viewed ??= viewed;
  globalThis.lojal.addLocale ??= addLocale;

  // Consent: no analytics event (lojal:play, lojal:prize) and nothing stored until the page's
  // consent tool allows it. The first that answers decides: 1. the page, lojal.consent(true |
  // false); 2. Shopify's Customer Privacy API, when present: analyticsProcessingAllowed() for
  // events, preferencesProcessingAllowed() for storage, re-read on `visitorConsentCollected`;
  // 3. only without it, the script tag's data-consent="granted" (defineLojal's `consent`).
  // Undecided, events wait in a short queue. Exempt, as strictly necessary: the outbox
  // (lojal:outbox:*) keeps an answer the shopper sent until the server has it, consent or not,
  // and lojal.consent(false) leaves it.
  const consent = { page: null, preset: options.consent === 'granted' ? true : null };
  const allowed = (kind) => {
    if (consent.page !== null) return consent.page;
    const privacy = globalThis.Shopify?.customerPrivacy;
    try {
      const answer = privacy[kind === 'storage' ? 'preferencesProcessingAllowed' : 'analyticsProcessingAllowed']();
      if (typeof answer === 'boolean') return answer;
    } catch {
      // none, or an older or broken one: it decides nothing
    }
    return consent.preset;
  };
  const queued = [];
  const MAX_QUEUED = 50;
  const dispatch = (element, name, detail) =>
    element.isConnected && element.dispatchEvent(new CustomEvent(`lojal:${name}`, { detail, bubbles: true, composed: true }));
  const flush = () => {
    if (allowed('analytics') !== true) return;
    for (const [element, name, detail] of queued.splice(0)) dispatch(element, name, detail);
  };
  registry.analytics = (element, name, detail) => {
    const decision = allowed('analytics');
    if (decision === true) dispatch(element, name, detail);
    else if (consent.page !== false && queued.length < MAX_QUEUED) queued.push([element, name, detail]);
  };

  // Storage, for the widgets too (registry.storage): "lojal:" keys, gone when consent is
  // withdrawn. What may not be stored yet is kept for this page, and stored if consent comes
  // later in the visit (a cookie banner often answers after the page reported a product).
  const kept = new Map();
  const area = (kind) => {
    try {
      return kind === 'session' ? globalThis.sessionStorage : globalThis.localStorage;
    } catch {
      return null; // storage blocked by the browser
    }
  };
  const read = (kind, key) => {
    try {
      return kept.get(key)?.[1] ?? area(kind)?.getItem(key) ?? null;
    } catch {
      return null;
    }
  };
  const write = (kind, key, value) => {
    kept.set(key, [kind, value]);
    if (allowed('storage') !== true) return false;
    try {
      area(kind)?.setItem(key, value);
      return true;
    } catch {
      return false;
    }
  };
  const forget = () => {
    for (const kind of ['session', 'local']) {
      const store = area(kind);
      if (!store) continue;
      try {
        for (const key of Object.keys(store)) if (/^lojal:(?!outbox:)/.test(key)) store.removeItem(key);
      } catch {
        // nothing to forget
      }
    }
  };
  // `allowed`: whether storage consent was given, which is also what lets a `for-you` rail send
  // the ids of the products viewed here.
  registry.storage = { read, write, allowed: () => allowed('storage') === true };
  // Consent given (by the page or by Shopify's banner): queued events go out, kept values in.
  // `lojal:consent` on the window tells the mounted widgets to read it again (a `for-you` rail
  // asks again, with the shopper's views).
  const changed = () => globalThis.dispatchEvent(new Event('lojal:consent'));
  const granted = () => {
    flush();
    if (allowed('storage') === true) for (const [key, [kind, value]] of kept) write(kind, key, value);
    changed();
  };
  document.addEventListener('visitorConsentCollected', granted);

  // One frequency budget for every interrupting prompt (popups) of every lojal widget: at most
  // one per visit (sessionStorage), and a prompt the shopper dismissed or played never comes
  // back (localStorage). Without storage consent nothing can be counted, so nothing interrupts.
  registry.budget = {
    request(key) {
      if (allowed('storage') !== true || read('session', 'lojal:prompted') || read('local', `lojal:done:${key}`)) return false;
      return write('session', 'lojal:prompted', key);
    },
    settle(key, outcome) {
      write('local', `lojal:done:${key}`, outcome);
    },
  };

  const api = (globalThis.lojal ??= {});
  api.consent = (choice) => {
    consent.page = Boolean(choice);
    if (consent.page) granted();
    else {
      queued.length = 0;
      forget();
      changed();
    }
  };


  const placeholder = new CSSStyleSheet();
  placeholder.replaceSync(PLACEHOLDER_CSS);

  // One instance per family, fetched when its first element connects; or one of several
  // families (`bundles`), chosen once, when the first element connects: the cheapest way, in
  // bytes, to cover the families of the elements then in the document, each family's own wasm
  // or one bundle with the others' own. A bundle then serves its families' elements, those
  // added later too, so no family ever has two runtimes on the page; a family outside it
  // fetches its own wasm. The wasm download starts with the glue's, not after it: one round
  // trip less before the first widget shows. The glue compiles it as it streams in. Families
  // load and fail independently.
  const loading = {};
  let servedBy;
  // The strings file `element` will be drawn with, fetched once per page: that of the first of its
  // `locale`, the page's and `<html lang>` whose language is shipped (src/core/i18n.rs, `resolve`,
  // which the wasm then runs), none for English. Locales the page adds are not asked: at worst
  // that fetches a file the element does not show. The promise never fails: a failure is kept
  // for the wasm, which shows English and says why.
  const fetching = {};
  const stringsFor = (element) => {
    const family = familyOf[element.localName];
    for (const candidate of [element.getAttribute('locale'), registry.page.locale, document.documentElement.getAttribute('lang')]) {
      let language = (candidate ?? '').trim().split(/[-_]/)[0].toLowerCase();
      if (language === 'no') language = 'nb';
      if (language === 'en') return;
      const url = strings[family]?.[language];
      if (url) {
        return (fetching[url] ??= fetch(url)
          .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`HTTP ${response.status}`))))
          .catch((error) => new Error(`${url}: ${error.message}`))
          .then((text) => ((registry.strings[family] ??= {})[language] = text)));
      }
    }
  };
  const load = (family) => {
    if (!servedBy) {
      const present = new Set([family]);
      for (const element of document.querySelectorAll(Object.keys(familyOf))) present.add(familyOf[element.localName]);
      const own = (families) => families.reduce((sum, f) => sum + bytes[f], 0);
      let best = own([...present]);
      servedBy = {};
      for (const [bundle, covered] of Object.entries(bundles)) {
        const cost = bytes[bundle] + own([...present].filter((f) => !covered.includes(f)));
        if (covered.filter((f) => present.has(f)).length > 1 && cost < best) {
          best = cost;
          servedBy = Object.fromEntries(covered.map((f) => [f, bundle]));
        }
      }
    }
    const key = servedBy[family] ?? family;
    if (!loading[key]) {
      const [glue, url] = families[key];
      const download = fetch(url);
      download.catch(() => {}); // reported once, by the glue's own await below
      loading[key] = glue().then(async (module) => {
        await module.default({ module_or_path: download });
        return module;
      });
      // A failed download may succeed on the next connect (the shopper came back online).
      loading[key].catch(() => delete loading[key]);
    }
    return loading[key];
  };

  for (const [tag, attributes] of Object.entries(widgets)) {
    if (customElements.get(tag)) continue;
    customElements.define(
      tag,
      class extends HTMLElement {
        static observedAttributes = attributes;
        #mounted = null;

        connectedCallback() {
          if (this.#mounted) return;
          const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
          if (!root.firstChild) {
            root.adoptedStyleSheets = [placeholder];
            const box = document.createElement('div');
            box.className = 'placeholder';
            box.setAttribute('aria-hidden', 'true');
            root.append(box);
          }
          // The element's strings come beside its wasm, not after it.
          Promise.all([load(familyOf[tag]), stringsFor(this)])
            .then(async ([module]) => {
              // Its locale may have changed while the wasm was on its way.
              await stringsFor(this);
              // Removed or already mounted while the wasm was on its way.
              if (!this.isConnected || this.#mounted) return;
              const { api, locale } = registry.page;
              this.#mounted = module.mount(tag, this, root, api, locale);
              registry.live.add(this);
            })
            .catch((error) => {
              console.error(`lojal: <${tag}> could not start: ${error}`);
            });
        }

        disconnectedCallback() {
          const mounted = this.#mounted;
          this.#mounted = null;
          registry.live.delete(this);
          // After the current task's code, not at once: a theme's listener for one of the
          // widget's own events may remove it while the widget's code is still running.
          if (mounted) queueMicrotask(() => mounted.free());
        }

        // A locale was added, or the element's changed: choose again, once the strings file the
        // choice needs is here (the widget would show English until then).
        async refreshLocale() {
          await stringsFor(this);
          this.#mounted?.attribute_changed('locale', this.getAttribute('locale'));
        }

        attributeChangedCallback(name, oldValue, value) {
          if (oldValue === value || !this.#mounted) return;
          if (name === 'locale') this.refreshLocale();
          else this.#mounted.attribute_changed(name, value);
        }
      },
    );
  }

  // Answers an earlier page could not deliver (offline, the API down) wait in localStorage:
  // send them now, even from a page without any prompt on it. The feedback family owns the outbox
  // (or the bundle that carries it, `order` or `all`, when this page has one).
  try {
    if (Object.keys(localStorage).some((key) => key.startsWith('lojal:outbox:'))) {
      load('feedback')
        .then((module) => module.flushOutbox())
        .catch((error) => console.error(`lojal: outbox: could not start: ${error}`));
    }
  } catch {
    // No storage for this page (a sandboxed frame): nothing can be waiting either.
  }
}

// The merchant's script tag configures and defines everything by itself. Behind a redirect
// import.meta.url is the final URL, not the tag's: then it is the one named lojal.js or with data-api.
const scripts = typeof document === 'undefined' ? [] : [...document.querySelectorAll('script[type=module][src]')];
const script =
  scripts.find((s) => s.src === import.meta.url) ??
  scripts.find((s) => s.hasAttribute('data-api') || /\/lojal\.js(?:[?#]|$)/.test(s.src));
if (script) defineLojal({ api: script.dataset.api, locale: script.dataset.locale, consent: script.dataset.consent });
