// The shop's server side: renders the page with react-dom/server in Node, lojal imported as on
// the client. Without a DOM the import defines nothing and throws nothing.
import { renderToString } from 'react-dom/server';
import { defineLojal } from 'lojal';
import { App } from './App';

defineLojal({ api: '/api/v1', locale: 'nb' });

export function render(url: string, customer: string, signature: string): string {
  return renderToString(<App url={url} customer={customer} signature={signature} />);
}
