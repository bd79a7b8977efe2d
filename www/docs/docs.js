// Fills each docs page's reference tables from the package's custom-elements.json, the same file
// the TypeScript types are generated from and a test checks against the code, so the docs
// cannot drift from what ships. Text only: nothing from the manifest is parsed as HTML.
const references = document.querySelectorAll('[data-reference]');

function table(headings, rows) {
  const element = document.createElement('table');
  const head = element.createTHead().insertRow();
  for (const heading of headings) head.append(Object.assign(document.createElement('th'), { textContent: heading }));
  const body = element.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((cell, i) => {
      const td = tr.insertCell();
      if (i === 0) td.append(Object.assign(document.createElement('code'), { textContent: cell }));
      else td.textContent = cell ?? '';
    });
  }
  return element;
}

function section(title, headings, rows) {
  if (!rows.length) return [];
  return [Object.assign(document.createElement('h3'), { textContent: title }), table(headings, rows)];
}

const manifestLoaded = references.length
  ? fetch('/lojal/custom-elements.json').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.url}: ${r.status}`))))
  : null;

for (const reference of references) {
  const tag = reference.dataset.reference;
  manifestLoaded
    .then((manifest) => {
      const element = manifest.modules.flatMap((m) => m.declarations).find((d) => d.tagName === tag);
      if (!element) throw new Error(`custom-elements.json has no <${tag}>`);
      reference.replaceChildren(
        ...section('Attributes', ['attribute', 'type', 'meaning'], element.attributes.map((a) => [a.name, a.type?.text, a.description])),
        ...section('Events', ['event', 'type', 'when'], (element.events ?? []).map((e) => [e.name, e.type?.text, e.description])),
        ...section('CSS custom properties', ['property', 'default', 'meaning'], (element.cssProperties ?? []).map((p) => [p.name, p.default, p.description])),
        ...section('Parts (::part())', ['part', 'element'], (element.cssParts ?? []).map((p) => [p.name, p.description])),
      );
    })
    .catch((error) => {
      reference.textContent = `The reference could not be loaded (${error.message}); see custom-elements.json in the package.`;
      console.error(`docs: ${error.message}`);
    });
}
