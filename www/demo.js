// Demo-only controls: switch the signed-in shopper, the locale and the theme accent, the way a
// theme's own scripts would change the badge's attributes and custom properties.
const badge = document.getElementById('badge');
const shopper = document.getElementById('shopper');
const locale = document.getElementById('locale');

shopper.addEventListener('change', () => {
  const option = shopper.selectedOptions[0];
  if (option.value) {
    badge.setAttribute('customer-id', option.value);
    badge.setAttribute('customer-sig', option.dataset.sig);
  } else {
    badge.removeAttribute('customer-id');
    badge.removeAttribute('customer-sig');
  }
});

locale.addEventListener('change', () => badge.setAttribute('locale', locale.value));

const accents = ['#0b6e4f', '#8c2f39', '#24486b'];
document.getElementById('accent').addEventListener('click', () => {
  const next = accents[(accents.indexOf(badge.style.getPropertyValue('--lojal-accent')) + 1) % accents.length];
  badge.style.setProperty('--lojal-accent', next);
});

document.addEventListener('lojal:redeem', (event) => {
  console.info(`demo: coupon ${event.detail.code} for ${event.detail.rewardId}`);
});
