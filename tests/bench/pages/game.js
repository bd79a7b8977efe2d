// The part of a peer game page a merchant would write around a JavaScript wheel or scratch card:
// load the campaign from the reference API, ask a guest for an email (with the optional, unticked
// consent box), post the play (the server draws the segment and issues the coupon) and show the
// result with its code. The same endpoints and requests as <lojal-wheel> / <lojal-scratch>.
// Differences from lojal's widgets (fairness): no i18n (Norwegian strings only), no signed
// customer, no "already played / over / upcoming" states beyond a line of text, no odds list,
// no popup or frequency budget, no analytics events or consent gate, no retry or offline outbox,
// no reduced-motion variant, light DOM instead of a shadow root.

export async function campaign(id) {
  const response = await fetch(`/api/v1/campaigns/${encodeURIComponent(id)}`);
  if (!response.ok) throw new Error(`GET /api/v1/campaigns/${id}: ${response.status}`);
  return response.json();
}

/** Black or white text on a segment's colour, whichever reads better (WCAG relative luminance). */
export function textOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#1d1d1f' : '#ffffff';
}

/** The title, the email form and the status region, filled into the page's `.game` box. */
export function frame(root, c) {
  root.querySelector('.title').textContent = c.name;
  const email = root.querySelector('.email');
  email.innerHTML = `<label for="email">E-postadresse</label><input id="email" type="email" autocomplete="email" required>
    <p class="error" role="alert"></p>
    <label class="consent"><input type="checkbox"><span></span></label>`;
  email.querySelector('.consent span').textContent = `${c.consent_text} (valgfritt)`;
  const input = email.querySelector('input[type=email]');
  root.querySelector('.game').classList.remove('loading');
  return {
    /** The guest's normalised email, or null (and the field says why). */
    guest() {
      const value = input.value.trim().toLowerCase();
      const ok = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
      email.querySelector('.error').textContent = ok ? '' : 'Skriv inn en gyldig e-postadresse for å spille.';
      const consent = email.querySelector('.consent input').checked;
      return ok ? { email: value, marketing_consent: consent, ...(consent && { consent_text: c.consent_text }) } : null;
    },
    status: root.querySelector('.status'),
  };
}

export async function play(id, guest) {
  const response = await fetch(`/api/v1/campaigns/${encodeURIComponent(id)}/play`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify(guest),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error?.message ?? `POST play: ${response.status}`);
  return body;
}

const date = new Intl.DateTimeFormat('nb-NO', { dateStyle: 'long' });

/** The result card: the prize with its code, a copy button and the expiry, or the empty segment. */
export function showResult(status, result) {
  const card = document.createElement('div');
  card.className = 'result';
  const line = (tag, cls, text) => {
    const el = card.appendChild(document.createElement(tag));
    el.className = cls;
    el.textContent = text;
    return el;
  };
  if (result.prize) {
    line('p', 'headline', `Du vant: ${result.prize.name}!`);
    line('code', 'code', result.prize.code);
    line('button', 'copy', 'Kopier').addEventListener('click', () => navigator.clipboard.writeText(result.prize.code));
    line('p', 'expires', `Gyldig til ${date.format(new Date(result.prize.expires_at))}`);
  } else {
    line('p', 'headline', `«${result.label}» – ingen premie denne gangen.`);
  }
  status.replaceChildren(card);
}

/** The bench's hooks: the mark it waits for, and how it plays the page's game. */
export function ready(name, hooks) {
  window.__benchGame = hooks;
  performance.mark(`bench:${name}:ready`);
}
