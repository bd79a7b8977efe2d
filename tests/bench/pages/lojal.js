// <lojal-carousel> marks lojal:carousel:ready itself; the bench's move is a click on its own
// next button, or, at the end of the rail, what its auto-rotation does there (back to the start).
window.__benchNext = () => {
  const root = document.getElementById('rail').shadowRoot;
  const next = root.querySelector('[part=next]');
  if (next.getAttribute('aria-disabled') === 'true') root.querySelector('[part=rail]').scrollLeft = 0;
  else next.click();
};
