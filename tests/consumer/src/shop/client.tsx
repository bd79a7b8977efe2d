// The shop's client side: lojal's elements upgrade, then React hydrates the server's markup.
import { hydrateRoot } from 'react-dom/client';
import { defineLojal } from 'lojal';
import 'lojal/lojal.css';
import { App } from './App';

defineLojal({ api: '/api/v1', locale: 'nb' });

const root = document.getElementById('shop')!;
hydrateRoot(
  root,
  <App url={location.pathname + location.search} customer={root.dataset.customer!} signature={root.dataset.sig!} />,
);
