// A headless shop's app, rendered on the server and hydrated in the browser: a badge, a rail,
// and a router of its own that takes over a card's click (README, Headless storefronts).
import { useEffect, useState } from 'react';

type Props = { url: string; customer: string; signature: string };

export function App({ url: first, customer, signature }: Props) {
  const [url, setUrl] = useState(first);
  const [views, setViews] = useState(0);
  useEffect(() => {
    const back = () => setUrl(location.pathname + location.search);
    // The router's lines: a cancelable click on a card is the app's to route. On `document`,
    // not as an `onlojal:…` prop: React 19 attaches a custom element's event props only from
    // the first client render on, not while hydrating (facebook/react#35446).
    const route = (event: CustomEvent<{ url: string }>) => {
      if (!event.cancelable) return;
      event.preventDefault();
      const to = new URL(event.detail.url, location.href);
      history.pushState(null, '', to.pathname + to.search);
      setUrl(to.pathname + to.search);
    };
    addEventListener('popstate', back);
    // Every link lojal draws: cards, the badge's sign-up offer, a game's rules.
    const links = ['lojal:recommendation-click', 'lojal:signup-click', 'lojal:rules-click'] as const;
    for (const type of links) document.addEventListener(type, route);
    return () => {
      removeEventListener('popstate', back);
      for (const type of links) document.removeEventListener(type, route);
    };
  }, []);
  const product = new URL(url, 'http://app.invalid').searchParams.get('id');
  return (
    <>
      <header>
        <lojal-badge id="badge" customer-id={customer} customer-sig={signature} />
      </header>
      <main>
        <h1 id="heading">{product ? `Produkt ${product}` : 'Forsiden'}</h1>
        {/* The same element on both routes: React 19 passes the new attributes to it, `title`
            as the HTMLElement property, and listens to its events through `on<event name>`. */}
        <lojal-carousel
          id="recs"
          intent={product ? 'bought-together' : 'popular'}
          product-id={product ?? undefined}
          limit="4"
          title={product ? 'Kjøpes ofte sammen' : 'Populært nå'}
          onlojal:recommendation-view={() => setViews((n) => n + 1)}
        />
        <p>
          Sett: <output id="views">{views}</output>
        </p>
      </main>
    </>
  );
}
