import { describe } from './api.js';
import { $, h, time } from './dom.js';
import { clock } from './format.js';

/** The status region keeps the latest few messages, newest first (a polite live region). */
const KEPT_MESSAGES = 6;

export type MessageKind = 'info' | 'ok' | 'warn' | 'error';

export function say(text: string, kind: MessageKind = 'info'): void {
  const list = $('messages');
  const now = new Date();
  const item = h('li', { class: kind }, [time(now.toISOString(), clock(now)), h('span', { text })]);
  list.insertBefore(item, list.firstChild);
  while (list.children.length > KEPT_MESSAGES && list.lastChild) list.removeChild(list.lastChild);
}

/** A failed read, named by what the reader was looking at and the route it came from. */
export function fail(what: string, error: unknown): void {
  say(`${what}: ${describe(error)}`, 'error');
}

/** The live-updates indicator in the header. */
export type LiveState = 'off' | 'connected' | 'reconnecting' | 'polling';

export function setLive(live: LiveState, text: string): void {
  $('live').setAttribute('data-state', live);
  $('live-text').textContent = text;
}
