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

// The product's published reviews, newest first, as text (never as HTML).
const reviews = await fetch(`/api/v1/products/${encodeURIComponent(id)}/reviews?per_page=10`);
if (reviews.ok) {
  const page = await reviews.json();
  const list = document.getElementById('reviews');
  if (page.total > 0) {
    const average = new Intl.NumberFormat('nb-NO', { maximumFractionDigits: 1 }).format(page.average);
    document.getElementById('reviews-summary').textContent = `${average} av 5 fra ${page.total} ${page.total === 1 ? 'anmeldelse' : 'anmeldelser'}`;
  }
  for (const review of page.reviews) {
    const item = document.createElement('li');
    const title = document.createElement('h3');
    title.textContent = `${review.title ?? ''} (${review.score} av 5)`.trim();
    const text = document.createElement('p');
    text.textContent = review.text ?? '';
    const author = document.createElement('p');
    author.className = 'review-author';
    author.textContent = review.author ?? 'Kunde';
    item.append(title, text, author);
    list.append(item);
  }
}

document.addEventListener('lojal:recommendation-click', (event) => {
  console.info(`demo: clicked ${event.detail.productId} at ${event.detail.position} (${event.detail.intent})`);
});
