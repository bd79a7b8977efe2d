// lojal loader: the one script a merchant pastes.
//   <script type="module" src="https://cdn.example/lojal/lojal.js" data-api="https://shop.example/api/v1" data-locale="nb" async></script>
// It defines the custom elements straight away and fetches the wasm only when the first lojal
// element connects, so a page without widgets pays for this file alone. Loaded twice (a theme
// and an app both adding the tag), the first copy wins and the second does nothing.

const registry = (globalThis.__lojal ??= { defined: false });

if (!registry.defined) {
  registry.defined = true;

  const script = [...document.querySelectorAll('script[src]')].find((s) => s.src === import.meta.url);
  const page = {
    api: script?.dataset.api || null,
    locale: script?.dataset.locale || null,
  };

  // Consent. Nothing is written to storage and no analytics event (lojal:play, lojal:prize)
  // is dispatched until the page's consent tool allows it. Who decides, first that answers:
  //   1. the page: lojal.consent(true | false), e.g. from its cookie banner;
  //   2. Shopify's Customer Privacy API: analyticsProcessingAllowed() for events,
  //      preferencesProcessingAllowed() for storage, re-read on `visitorConsentCollected`;
  //   3. the script tag's data-consent="granted", for a shop that settles consent elsewhere.
  // Undecided, events wait in a short queue (sent once allowed) and nothing is stored.
  const consent = { page: null, preset: script?.dataset.consent === 'granted' ? true : null };
  const allowed = (kind) => {
    if (consent.page !== null) return consent.page;
    const privacy = globalThis.Shopify?.customerPrivacy;
    const check = kind === 'storage' ? privacy?.preferencesProcessingAllowed : privacy?.analyticsProcessingAllowed;
    if (typeof check === 'function') {
      try {
        if (check.call(privacy)) return true;
      } catch {
        // An older or broken Customer Privacy API decides nothing.
      }
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
  document.addEventListener('visitorConsentCollected', flush);

  // Storage, only with consent; keys start with "lojal:" and go when consent is withdrawn.
  const area = (kind) => {
    try {
      return kind === 'session' ? globalThis.sessionStorage : globalThis.localStorage;
    } catch {
      return null; // storage blocked by the browser
    }
  };
  const read = (kind, key) => {
    try {
      return area(kind)?.getItem(key) ?? null;
    } catch {
      return null;
    }
  };
  const write = (kind, key, value) => {
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
        for (const key of Object.keys(store)) if (key.startsWith('lojal:')) store.removeItem(key);
      } catch {
        // nothing to forget
      }
    }
  };

  // One frequency budget for every interrupting prompt (popups) of every lojal widget: at most
  // one per visit (sessionStorage), and a prompt the shopper dismissed or played never comes
  // back (localStorage). Without storage consent nothing can be counted, so nothing interrupts.
  const prompted = new Set();
  registry.budget = {
    request(key) {
      if (allowed('storage') !== true) return false;
      if (prompted.size > 0 || read('session', 'lojal:prompted') || read('local', `lojal:done:${key}`)) return false;
      prompted.add(key);
      return write('session', 'lojal:prompted', key);
    },
    settle(key, outcome) {
      write('local', `lojal:done:${key}`, outcome);
    },
  };

  const api = (globalThis.lojal ??= {});
  api.consent = (granted) => {
    consent.page = Boolean(granted);
    if (consent.page) flush();
    else {
      queued.length = 0;
      forget();
    }
  };

  // Reserves each widget's final box before the wasm arrives, so nothing on the page shifts.
  // Keep in step with the `:host` sizes in the widget's own CSS.
  const placeholder = new CSSStyleSheet();
  placeholder.replaceSync(`
    :host { display: inline-block; vertical-align: middle; }
    :host(lojal-badge) { inline-size: 15rem; block-size: 3.25rem; }
    :host(lojal-wheel), :host(lojal-scratch) { display: block; inline-size: 100%; max-inline-size: 24rem; margin-inline: auto; }
    :host(lojal-wheel) { min-block-size: 30rem; }
    :host(lojal-scratch) { min-block-size: 19rem; }
    :host([popup]) { min-block-size: 0 !important; }
    .placeholder { box-sizing: border-box; block-size: 100%; border-radius: 0.75rem;
      background: color-mix(in srgb, currentColor 6%, transparent); }
  `);

  let wasm = null;
  const loadWasm = () =>
    (wasm ??= import('./lojal_wasm.js').then(async (module) => {
      await module.default();
      return module;
    }));

  const widgets = {
    'lojal-badge': ['customer-id', 'customer-sig', 'locale', 'api', 'signup-url'],
    'lojal-wheel': ['campaign', 'customer-id', 'customer-sig', 'locale', 'api', 'popup', 'popup-delay'],
    'lojal-scratch': ['campaign', 'customer-id', 'customer-sig', 'locale', 'api', 'popup', 'popup-delay'],
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
          loadWasm()
            .then((module) => {
              // Removed or already mounted while the wasm was on its way.
              if (!this.isConnected || this.#mounted) return;
              this.#mounted = module.mount(tag, this, root, page.api, page.locale);
            })
            .catch((error) => console.error(`lojal: <${tag}> could not start: ${error}`));
        }

        disconnectedCallback() {
          this.#mounted?.free();
          this.#mounted = null;
        }

        attributeChangedCallback(name, oldValue, value) {
          if (oldValue !== value) this.#mounted?.attribute_changed(name, value);
        }
      },
    );
  }
}
