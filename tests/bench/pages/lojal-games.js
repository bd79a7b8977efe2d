// <lojal-wheel> and <lojal-scratch> mark lojal:wheel:ready / lojal:scratch:ready themselves;
// these are only the bench's hooks into their shadow roots (the same hooks the peer pages set).
const part = (name) => document.getElementById('game').shadowRoot?.querySelector(`[part=${name}]`);

window.__benchGame = {
  email(address) {
    const input = part('email-input');
    input.value = address;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  },
  play: () => part('play').click(),
  shown: () => Boolean(part('result')),
  /** The segment under the pointer at 12 o'clock, from the rotor's turn (as tests/e2e/games.test.mjs). */
  landed() {
    const count = document.getElementById('game').shadowRoot.querySelectorAll('[part=segment]').length;
    const transform = getComputedStyle(part('rotor')).transform;
    if (transform === 'none') return 0;
    const [a, b] = transform.match(/matrix\(([^)]+)\)/)[1].split(',').map(Number);
    const rotation = (Math.atan2(b, a) * 180) / Math.PI;
    return Math.floor((((-rotation % 360) + 360) % 360) / (360 / count));
  },
  coating: () => part('coating').getBoundingClientRect().toJSON(),
};
