import { api, ApiError, messageOf } from './api.js';
import { $, $as, clear } from './dom.js';
import { renderDestination } from './destination-view.js';
import { startLive, stopLive } from './feed.js';
import { recordedDate } from './format.js';
import { renderHistory } from './history-view.js';
import { loadAll } from './load.js';
import { renderRecent } from './recent-view.js';
import { state, type Claims } from './state.js';
import { renderStats } from './stats-view.js';
import { fail, say, setLive } from './status.js';
import type { DevToken } from './types.js';

/** The token is kept in this tab's sessionStorage only, under this key. */
export const TOKEN_KEY = 'permit-ledger.dashboard.token';
/** Set once the server answered 404 to the dev login, so the page stops offering it. */
export const NO_DEV_LOGIN_KEY = `${TOKEN_KEY}.no-dev-login`;

/** The claims of a JWT, read without verifying it (only to name the reader; the service verifies). */
function decodeClaims(token: string): Claims | null {
  try {
    const parts = token.split('.');
    if (parts.length < 2) return null;
    const part = parts[1];
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((part.length + 3) % 4));
    // The payload is UTF-8: percent-encode its bytes and let decodeURIComponent decode them.
    const json = decodeURIComponent(Array.from(binary, (c) => '%' + ('00' + c.charCodeAt(0).toString(16)).slice(-2)).join(''));
    const raw: unknown = JSON.parse(json);
    if (typeof raw !== 'object' || raw === null) return null;
    const { sub, roles, exp } = raw as Record<string, unknown>;
    return {
      sub: typeof sub === 'string' && sub ? sub : null,
      roles: Array.isArray(roles) ? roles.map(String) : [],
      exp: typeof exp === 'number' && exp ? exp : null,
    };
  } catch {
    return null;
  }
}

export function signIn(raw: string, how: string, focus = false): void {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  if (!token) {
    say('Paste a token first.', 'error');
    $('token').focus();
    return;
  }
  state.token = token;
  state.claims = decodeClaims(token);
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch (e) {
    say(`This browser would not keep the token for the session: ${messageOf(e)}`, 'warn');
  }
  if (!state.claims) say('This token does not look like a JWT; the service will decide.', 'warn');
  renderIdentity();
  say(`Signed in ${how}${state.claims ? ` as ${state.claims.sub || '?'} (${state.claims.roles.join(', ')})` : ''}.`, 'ok');
  if (focus) $('content').focus();
  void start();
}

export function signOut(): void {
  stopLive();
  state.generation++;
  state.token = null;
  state.claims = null;
  state.stats = null;
  state.destination = null;
  state.history = null;
  state.permitRow = null;
  state.permit = null;
  state.lastEventId = null;
  state.recent = [];
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing was kept
  }
  $as('token', HTMLInputElement).value = '';
  clear($('messages'));
  renderAll();
  say('Signed out; the token is forgotten.', 'info');
  $('token').focus();
}

/** Every part of the page from the state as it is. */
export function renderAll(): void {
  renderIdentity();
  renderStats();
  renderDestination();
  renderHistory();
  renderRecent();
}

function renderIdentity(): void {
  const signedIn = !!state.token;
  $('signin-form').hidden = signedIn;
  $('identity').hidden = !signedIn;
  $('content').hidden = !signedIn;
  if (!signedIn) {
    setLive('off', 'Live updates: off (not signed in)');
    return;
  }
  const c = state.claims;
  $('who').textContent = c?.sub || 'unknown subject';
  $('who-roles').textContent = c?.roles.join(', ') || 'no roles named';
  $('who-exp').textContent = c?.exp ? `token valid until ${recordedDate(new Date(c.exp * 1000).toISOString())}` : '';
}

/** A short-lived token for the chosen role from POST /dev/token, where the server offers it. */
export async function devLogin(): Promise<void> {
  const role = $as('dev-role', HTMLSelectElement).value;
  const button = $as('dev-login', HTMLButtonElement);
  button.disabled = true;
  try {
    const answer = await api<DevToken>('/dev/token', { method: 'POST', body: { role }, anonymous: true });
    if (!answer.token) throw new ApiError(0, 'BAD_ANSWER', 'no token in the answer');
    signIn(answer.token, 'with the dev login', true);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      $('dev-login-box').hidden = true;
      try {
        sessionStorage.setItem(NO_DEV_LOGIN_KEY, '1');
      } catch {
        // the page offers it again next time
      }
      say('Dev login is not available on this server (404): paste a token instead.', 'error');
      $('token').focus();
    } else fail('Dev login', error);
  } finally {
    button.disabled = false;
  }
}

async function start(): Promise<void> {
  const generation = ++state.generation;
  startLive();
  await loadAll(0, generation);
}
