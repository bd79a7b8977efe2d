// skrapelodd with scratchcard-js: the first scratch (or the Reveal button) posts a guest's play;
// the prize appears under the coating once the server has answered; at 60 % scratched the
// coating goes and the result is shown. scratchcard-js paints its coating from an image (here an
// SVG like lojal's painted foil), counts the scratched share itself and reveals on mouse/finger
// up (lojal: pointer events, reveal as soon as 60 % is reached, a coarse grid in the pure core).
import { campaign, frame, play, ready, showResult } from './game.js';

const CAMPAIGN = 'skrapelodd';
const root = document.getElementById('game');
const c = await campaign(CAMPAIGN);
const { guest, status } = frame(root, c);
const card = root.querySelector('#card');
const reveal = root.querySelector('.reveal');

let answer = null; // the play's promise, once started
let revealed = false;
function start() {
  if (answer) return answer;
  const who = guest();
  if (!who) return null;
  answer = play(CAMPAIGN, who).then((result) => {
    card.querySelector('.prize').textContent = result.prize ? result.prize.name : result.label;
    return result;
  });
  return answer;
}
async function done() {
  if (revealed || !answer) return;
  revealed = true;
  reveal.remove();
  showResult(status, await answer);
}

const sc = new window.ScratchCard(card, {
  scratchType: window.SCRATCH_TYPE.LINE,
  containerWidth: card.clientWidth,
  containerHeight: card.clientHeight,
  imageForwardSrc: '/bench/scratch-coating.svg',
  htmlBackground: '<p class="prize"></p>',
  clearZoneRadius: Math.round(card.clientWidth * 0.048), // lojal's brush: 48 of 1000 units
  percentToFinish: 60,
  callback: done,
});
// The play starts with the first touch of the card, before the library's own handler runs.
card.addEventListener('mousedown', start, { capture: true });
card.addEventListener('touchstart', start, { capture: true });
reveal.addEventListener('click', () => {
  if (start()) {
    sc.clear();
    sc.canvas.style.pointerEvents = 'none';
    done();
  }
});
await sc.init();
ready('scratch', {
  email: (address) => (root.querySelector('#email').value = address),
  coating: () => sc.canvas.getBoundingClientRect().toJSON(),
  shown: () => Boolean(status.querySelector('.result')),
});
