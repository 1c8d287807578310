import { answerError, API, ApiError, describe, messageOf } from './api.js';
import { loadAll, scheduleRefresh } from './load.js';
import { renderRecent } from './recent-view.js';
import { sseParser, type SseEvent } from './sse.js';
import { state } from './state.js';
import { fail, say, setLive } from './status.js';
import type { EventView } from './types.js';

/** How many of the feed's events the "Live events" list keeps. */
const RECENT_KEPT = 8;
/** Events arriving together are shown with one reload of the figures. */
const REFRESH_DELAY_MS = 400;

export function stopLive(): void {
  state.feedAbort?.abort();
  state.feedAbort = null;
  clearTimeout(state.feedTimer);
  clearInterval(state.pollTimer);
  clearTimeout(state.refreshTimer);
  state.pollTimer = undefined;
}

/** Follow GET /feed for this session; the figures reload when events arrive. */
export function startLive(): void {
  stopLive();
  void connect(state.generation, 0);
}

/** Without the feed (a role that may not read it, a server without one), reload the figures every minute. */
function poll(reason: string): void {
  clearInterval(state.pollTimer);
  state.pollTimer = setInterval(() => {
    void loadAll(0, state.generation);
  }, 60000);
  setLive('polling', `Live updates: off (${reason}); figures refresh every minute`);
}

/** One connection to the feed, resumed from the last event id; on failure, reconnect with back-off. */
async function connect(generation: number, failures: number): Promise<void> {
  if (generation !== state.generation || !state.token) return;
  const abort = new AbortController();
  state.feedAbort = abort;
  const headers: Record<string, string> = { Authorization: `Bearer ${state.token}`, Accept: 'text/event-stream' };
  if (state.lastEventId !== null) headers['Last-Event-ID'] = state.lastEventId;
  let retryMs = 2000;
  let failed = failures;
  setLive('reconnecting', failed ? 'Live updates: reconnecting' : 'Live updates: connecting');
  try {
    const res = await fetch(`${API}/feed`, { headers, cache: 'no-store', signal: abort.signal });
    if (!res.ok) {
      const error = answerError(res, await res.text());
      if (res.status === 401) {
        fail('Live feed (GET /feed): the token was refused', error);
        setLive('off', 'Live updates: off (token refused)');
        return;
      }
      if (res.status === 403) {
        say(`Live feed (GET /feed): ${describe(error)}`, 'warn');
        poll('this role may not read the feed');
        return;
      }
      if (res.status === 404) {
        fail('Live feed (GET /feed) is not available on this server', error);
        poll('no feed on this server');
        return;
      }
      throw error;
    }
    if (!res.body) throw new ApiError(0, 'NO_STREAM', 'this browser cannot read a streamed answer');
    failed = 0;
    setLive('connected', 'Live updates: connected' + (state.lastEventId !== null ? ` (from position ${state.lastEventId})` : ''));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parse = sseParser({
      event: (event) => onFeedEvent(event, generation),
      lastEventId: (id) => {
        state.lastEventId = id;
      },
      retry: (ms) => {
        if (ms) retryMs = ms;
      },
    });
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      parse(chunk.value);
    }
    if (generation !== state.generation) return;
    say('Live feed closed by the server; reconnecting.', 'warn');
  } catch (error) {
    if (abort.signal.aborted || generation !== state.generation) return;
    failed++;
    fail('Live feed (GET /feed)', error);
  }
  const delay = Math.min(30000, retryMs * Math.pow(2, Math.min(failed, 4)));
  setLive('reconnecting', `Live updates: reconnecting in ${Math.round(delay / 1000)} s`);
  state.feedTimer = setTimeout(() => {
    void connect(generation, failed);
  }, delay);
}

function onFeedEvent(frame: SseEvent, generation: number): void {
  if (generation !== state.generation) return;
  let event: EventView;
  try {
    event = JSON.parse(frame.data) as EventView;
  } catch (e) {
    say(`Live feed: an event could not be read (${messageOf(e)})`, 'error');
    return;
  }
  const position = Number(frame.id || event.position) || 0;
  // A reconnection may deliver an event again.
  if (state.recent.some((r) => r.position === position)) return;
  const type = event.type || frame.type;
  state.recent.unshift({ position, type, stream: event.stream, effectiveAt: event.effectiveAt, actor: event.actor, data: event.data });
  state.recent.length = Math.min(state.recent.length, RECENT_KEPT);
  state.pending.push(type);
  state.minPosition = Math.max(state.minPosition, position);
  renderRecent();
  setLive('connected', `Live updates: connected (last event at position ${position})`);
  scheduleRefresh(REFRESH_DELAY_MS);
}
