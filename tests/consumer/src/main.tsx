// A React app that uses lojal the way the package README tells theme developers to (the JSX
// types of lojal's elements: src/lojal-jsx.d.ts).
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { defineLojal } from 'lojal';

defineLojal({ api: '/api/v1', locale: 'nb' });

// The package's types at work: the element, the event and its detail are all typed.
document.addEventListener('lojal:redeem', (event) => {
  const code: string = event.detail.code;
  const points: number = event.detail.points;
  // @ts-expect-error the detail has no such field; this line fails the build if the types were `any`
  void event.detail.nonexistent;
  console.info(`redeemed ${code}, ${points} points left`);
});
const badge: HTMLElement | null = document.querySelector('lojal-badge');
void badge;

function App({ customer, signature }: { customer: string; signature: string }) {
  const [signedIn, setSignedIn] = useState(true);
  return (
    <header>
      {signedIn ? (
        <lojal-badge id="badge" customer-id={customer} customer-sig={signature} />
      ) : (
        <lojal-badge id="badge" />
      )}
      <button type="button" id="sign-out" onClick={() => setSignedIn(false)}>
        Logg ut
      </button>
    </header>
  );
}

const root = document.getElementById('root')!;
createRoot(root).render(
  <StrictMode>
    <App customer={root.dataset.customer!} signature={root.dataset.sig!} />
  </StrictMode>,
);
