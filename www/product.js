// Demo-only: the product page of a static demo. A real theme renders the product and the rails'
// `product-id` on its server; here the page reads `?id=` and asks the reference API.
const id = new URLSearchParams(location.search).get('id') || 'p-setesdal';
for (const rail of document.querySelectorAll('lojal-carousel[product-id]')) rail.setAttribute('product-id', id);

const price = (p) =>
  new Intl.NumberFormat('nb-NO', { style: 'currency', currency: p.currency, trailingZeroDisplay: 'stripIfInteger' })
    .format(p.amount / 10 ** p.minor_unit);

const response = await fetch(`/api/v1/products/${encodeURIComponent(id)}`);
if (response.ok) {
  const product = await response.json();
  document.title = `${product.title} – Nordlys Strikk`;
  document.getElementById('product').dataset.productId = product.id;
  document.getElementById('product-title').textContent = product.title;
  document.getElementById('product-price').textContent = price(product.price);
  const image = document.getElementById('product-image');
  if (product.image) {
    image.src = product.image.src;
    image.srcset = product.image.srcset ?? '';
    image.alt = product.image.alt;
  }
  // What a theme does on every product page, so a "recently viewed" rail needs no server.
  const report = () => globalThis.lojal?.viewed?.(product);
  if (globalThis.lojal?.viewed) report();
  else document.querySelector('script[src$="lojal.js"]')?.addEventListener('load', report);
}

document.addEventListener('lojal:recommendation-click', (event) => {
  console.info(`demo: clicked ${event.detail.productId} at ${event.detail.position} (${event.detail.intent})`);
});
