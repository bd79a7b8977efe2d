// The part of a peer page a merchant would write around a JavaScript carousel: fetch the same 12
// popular products <lojal-carousel intent="popular" limit="12"> shows, and render the same card
// (image, title, price formatted by Intl) into the library's slide markup.
// Whole amounts without decimals ("349 kr"), as <lojal-carousel> shows them.
const formats = new Map();
function money({ amount, currency, minor_unit: minor }) {
  const whole = amount % 10 ** minor === 0;
  const key = `${currency}:${whole}`;
  if (!formats.has(key)) formats.set(key, new Intl.NumberFormat('nb-NO', { style: 'currency', currency, minimumFractionDigits: whole ? 0 : minor }));
  return formats.get(key).format(amount / 10 ** minor);
}

export async function popular() {
  const response = await fetch('/api/v1/recommendations?intent=popular&limit=12');
  if (!response.ok) throw new Error(`GET /api/v1/recommendations: ${response.status}`);
  return (await response.json()).products;
}

/** One slide: `<slideTag class="{slideClass}"><a class="card">…</a></slideTag>`. */
export function slide(product, slideClass, slideTag = 'div') {
  const el = document.createElement(slideTag);
  el.className = slideClass;
  const card = el.appendChild(document.createElement('a'));
  card.className = 'bench-card';
  card.href = product.url;
  const media = card.appendChild(document.createElement('span'));
  media.className = 'media';
  if (product.image) {
    const img = media.appendChild(document.createElement('img'));
    img.src = product.image.src;
    if (product.image.srcset) img.srcset = product.image.srcset;
    img.sizes = '12rem';
    img.alt = product.image.alt;
    img.width = 192;
    img.height = 240;
    img.loading = 'lazy';
  }
  const name = card.appendChild(document.createElement('span'));
  name.className = 'name';
  name.textContent = product.title;
  const price = card.appendChild(document.createElement('span'));
  price.className = 'price';
  price.textContent = money(product.price);
  return el;
}

/** The bench's hooks: the mark it waits for and the move it repeats. */
export function ready(next) {
  window.__benchNext = next;
  performance.mark('bench:carousel:ready');
}
