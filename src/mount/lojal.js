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

  // Reserves each widget's final box before the wasm arrives, so nothing on the page shifts.
  // Keep in step with the `:host` sizes in the widget's own CSS.
  const placeholder = new CSSStyleSheet();
  placeholder.replaceSync(`
    :host { display: inline-block; vertical-align: middle; }
    :host(lojal-badge) { inline-size: 15rem; block-size: 3.25rem; }
    :host(lojal-wheel), :host(lojal-scratch) { display: block; inline-size: 100%; max-inline-size: 24rem; margin-inline: auto; }
    :host(lojal-wheel) { min-block-size: 30rem; }
    :host(lojal-scratch) { min-block-size: 19rem; }
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
    'lojal-wheel': ['campaign', 'customer-id', 'customer-sig', 'locale', 'api'],
    'lojal-scratch': ['campaign', 'customer-id', 'customer-sig', 'locale', 'api'],
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
