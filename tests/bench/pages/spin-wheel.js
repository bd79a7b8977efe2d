// vinterhjulet with spin-wheel: the same segments and colours from the API, a guest's play
// posted on Spin, and the wheel spun onto the segment the server drew (as lojal, a random spot
// inside it, six full turns, 5.2 s, easing out), then the result with its coupon.
// spin-wheel draws on a canvas in a requestAnimationFrame loop (lojal: an SVG turned by a CSS
// transition on the compositor).
import { Wheel } from '/peers/spin-wheel/spin-wheel-esm.js';
import { campaign, frame, play, ready, showResult, textOn } from './game.js';

const CAMPAIGN = 'vinterhjulet';
const root = document.getElementById('game');
const c = await campaign(CAMPAIGN);
const { guest, status } = frame(root, c);
const wheel = new Wheel(root.querySelector('.stage'), {
  items: c.segments.map((s) => ({ label: s.label, backgroundColor: s.color, labelColor: textOn(s.color) })),
  isInteractive: false, // the server draws; a flick must not turn it
  pointerAngle: 0,
  radius: 0.98,
  itemLabelFont: 'system-ui, sans-serif',
  itemLabelRadius: 0.9,
  itemLabelRadiusMax: 0.3,
  lineColor: '#fff',
  lineWidth: 1,
  borderColor: '#1d1d1fcc',
  borderWidth: 4,
});
const button = root.querySelector('.play');
let played = false;
button.setAttribute('aria-disabled', 'false');
button.addEventListener('click', async () => {
  if (played) return;
  const who = guest();
  if (!who) return;
  played = true;
  button.setAttribute('aria-disabled', 'true');
  button.textContent = 'Snurrer …';
  let result;
  try {
    result = await play(CAMPAIGN, who);
  } catch (e) {
    status.textContent = 'Noe gikk galt. Prøv igjen.';
    played = false;
    button.setAttribute('aria-disabled', 'false');
    button.textContent = 'Snurr hjulet';
    throw e;
  }
  wheel.onRest = () => {
    button.textContent = 'Snurr hjulet';
    showResult(status, result);
  };
  wheel.spinToItem(result.segment_index, 5200, false, 6, 1, (n) => 1 - (1 - n) ** 3);
});
ready('wheel', {
  email: (address) => (root.querySelector('#email').value = address),
  play: () => button.click(),
  shown: () => Boolean(status.querySelector('.result')),
  landed: () => wheel.getCurrentIndex(),
});
