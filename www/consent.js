// Stands in for the shop's cookie banner on the demo's pages. The shopper's choice is the shop's
// to keep (here under the shop's own key), and the banner tells lojal on every page load:
// importing the loader's URL waits for the script tag's copy of it, since a module runs once.
const KEY = 'nordlys:consent';
const status = document.getElementById('consent-status');

async function tell(granted) {
  await import(document.querySelector('script[type=module][src$="/lojal.js"]')?.src ?? '/lojal/lojal.js');
  globalThis.lojal?.consent(granted);
  if (status) status.textContent = granted ? 'Du har godtatt lagring.' : 'Du har avslått lagring.';
}

const saved = localStorage.getItem(KEY);
if (saved) tell(saved === 'yes');
for (const button of document.querySelectorAll('button[data-choice]')) {
  button.addEventListener('click', () => {
    const granted = button.dataset.choice === 'yes';
    try {
      localStorage.setItem(KEY, granted ? 'yes' : 'no');
    } catch {
      // storage blocked: the choice holds for this page
    }
    tell(granted);
  });
}
