// Demo-only controls: switch the signed-in shopper, the locale and the theme accent, the way a
// theme's own scripts would change the badge's and the "for you" rail's attributes and custom
// properties.
const badge = document.getElementById('badge');
const forYou = document.getElementById('for-you');
const shopper = document.getElementById('shopper');
const locale = document.getElementById('locale');

shopper.addEventListener('change', () => {
  const option = shopper.selectedOptions[0];
  for (const element of [badge, forYou]) {
    if (option.value) {
      element.setAttribute('customer-id', option.value);
      element.setAttribute('customer-sig', option.dataset.sig);
    } else {
      element.removeAttribute('customer-id');
      element.removeAttribute('customer-sig');
    }
  }
  // A theme renders the "for you" rail for signed-in shoppers only.
  document.getElementById('for-you-section').hidden = !option.value;
});

locale.addEventListener('change', () => {
  for (const element of [badge, forYou]) element.setAttribute('locale', locale.value);
});

const accents = ['#0b6e4f', '#8c2f39', '#24486b'];
document.getElementById('accent').addEventListener('click', () => {
  const next = accents[(accents.indexOf(badge.style.getPropertyValue('--lojal-accent')) + 1) % accents.length];
  badge.style.setProperty('--lojal-accent', next);
});

document.addEventListener('lojal:redeem', (event) => {
  console.info(`demo: coupon ${event.detail.code} for ${event.detail.rewardId}`);
});
