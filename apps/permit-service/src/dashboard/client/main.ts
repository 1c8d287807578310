/**
 * The dashboard page's script: the entry point that esbuild bundles into the one inline script the page
 * serves (scripts/build-dashboard.mjs). It wires the forms and buttons and restores a kept session.
 * Every figure comes from the public API with the reader's token; the live feed keeps them current.
 */
import { $, $as } from './dom.js';
import { loadAll, loadDestination, loadHistory } from './load.js';
import { devLogin, NO_DEV_LOGIN_KEY, renderAll, signIn, signOut, TOKEN_KEY } from './session.js';
import { renderDestination } from './destination-view.js';
import { renderHistory } from './history-view.js';
import { mountReport, renderReport } from './report-view.js';
import { renderPerMonth, renderStats } from './stats-view.js';
import { state } from './state.js';
import { say } from './status.js';

function showCountry(raw: string): void {
  const input = $as('country', HTMLInputElement);
  const c = raw.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(c)) {
    say('A destination is a two-letter country code, such as TR.', 'error');
    input.focus();
    return;
  }
  input.value = c;
  state.country = c;
  state.destination = null;
  renderDestination();
  void loadDestination(state.minPosition, state.generation);
}

function openPermit(raw: string): void {
  const input = $as('permit', HTMLInputElement);
  const n = raw.trim().toUpperCase();
  if (!n) {
    say('Type a permit number, such as EXP-19-004120.', 'error');
    input.focus();
    return;
  }
  input.value = n;
  state.permit = n;
  state.history = null;
  state.permitRow = null;
  renderHistory();
  void loadHistory(n, state.minPosition, state.generation, true);
}

$('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn($as('token', HTMLInputElement).value, 'with a pasted token', true);
});
$('dev-login').addEventListener('click', () => {
  void devLogin();
});
$('sign-out').addEventListener('click', signOut);
$('refresh').addEventListener('click', () => {
  say('Refreshing the figures.', 'info');
  void loadAll(state.minPosition, state.generation);
});
$('country-form').addEventListener('submit', (e) => {
  e.preventDefault();
  showCountry($as('country', HTMLInputElement).value);
});
$('permit-form').addEventListener('submit', (e) => {
  e.preventDefault();
  openPermit($as('permit', HTMLInputElement).value);
});
document.querySelectorAll<HTMLInputElement>('input[name="bars-by"]').forEach((r) => {
  r.addEventListener('change', () => {
    if (!r.checked) return;
    state.barsBy = r.value === 'value' ? 'value' : 'count';
    renderStats();
  });
});
// The charts are drawn to the width of their box: redraw once resizing settles.
let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (state.token) {
      renderPerMonth();
      renderDestination();
      renderReport();
    }
  }, 150);
});

const grid = document.querySelector('#content .grid');
if (!grid) throw new Error('the page has no #content .grid');
mountReport(grid);
try {
  if (sessionStorage.getItem(NO_DEV_LOGIN_KEY)) $('dev-login-box').hidden = true;
} catch {
  // without session storage the page keeps offering the dev login
}
renderAll();
let kept: string | null = null;
try {
  kept = sessionStorage.getItem(TOKEN_KEY);
} catch {
  say('This browser does not allow session storage: the token cannot be kept.', 'warn');
}
if (kept) signIn(kept, 'with the token kept for this session');
else say('Paste a bearer token or use the dev login to see the figures.', 'info');
