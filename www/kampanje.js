// Demo-only controls for the campaign page: switch the signed-in shopper and the locale on every
// lojal element, the way a theme's own scripts would, and log the games' analytics events.
const elements = () => document.querySelectorAll('lojal-badge, lojal-wheel, lojal-scratch');
const shopper = document.getElementById('shopper');
const locale = document.getElementById('locale');

shopper.addEventListener('change', () => {
  const option = shopper.selectedOptions[0];
  for (const element of elements()) {
    if (option.value) {
      element.setAttribute('customer-id', option.value);
      element.setAttribute('customer-sig', option.dataset.sig);
    } else {
      element.removeAttribute('customer-id');
      element.removeAttribute('customer-sig');
    }
  }
});

locale.addEventListener('change', () => {
  for (const element of elements()) element.setAttribute('locale', locale.value);
});

document.addEventListener('lojal:play', (event) => {
  const { campaignId, segmentIndex, label, won } = event.detail;
  console.info(`demo: ${campaignId} landed on ${segmentIndex} (${label}), ${won ? 'a prize' : 'no prize'}`);
});
document.addEventListener('lojal:prize', (event) => {
  console.info(`demo: ${event.detail.prize} – coupon ${event.detail.code}`);
});

// Stands in for the shop's cookie banner: lojal waits for it before analytics and storage.
document.getElementById('consent-yes').addEventListener('click', () => globalThis.lojal?.consent(true));
document.getElementById('consent-no').addEventListener('click', () => globalThis.lojal?.consent(false));

// A popup wheel for the shopper chosen above, as a theme would add it to any page.
document.getElementById('add-popup').addEventListener('click', () => {
  const inline = document.getElementById('wheel');
  const popup = document.createElement('lojal-wheel');
  for (const name of ['campaign', 'customer-id', 'customer-sig', 'locale']) {
    if (inline.hasAttribute(name)) popup.setAttribute(name, inline.getAttribute(name));
  }
  popup.setAttribute('popup', '');
  popup.setAttribute('popup-delay', '2');
  document.body.append(popup);
});
