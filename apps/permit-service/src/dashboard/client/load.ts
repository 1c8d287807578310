import { api, ApiError } from './api.js';
import { $, clear, h } from './dom.js';
import { renderDestination } from './destination-view.js';
import { renderHistory } from './history-view.js';
import { loadReport } from './report-view.js';
import { state } from './state.js';
import { renderStats } from './stats-view.js';
import { fail, say } from './status.js';
import type { DestinationView, PermitHistory, PermitPage, PermitRow, Stats } from './types.js';

/**
 * Reads of the figures. Each takes the session's generation and drops an answer that arrives after a
 * sign-out or another sign-in; `minPosition` makes the service wait until its projections hold an event
 * the page has already heard of.
 */

export async function loadAll(minPosition: number, generation: number): Promise<void> {
  const tasks = [
    loadStats(minPosition, generation),
    loadDestination(minPosition, generation),
    loadPermitNumbers(generation),
    loadReport(minPosition, generation),
  ];
  if (state.permit) tasks.push(loadHistory(state.permit, minPosition, generation, false));
  await Promise.all(tasks);
}

async function loadStats(minPosition: number, generation: number): Promise<void> {
  try {
    const stats = await api<Stats>('/stats', { minPosition });
    if (generation !== state.generation) return;
    state.stats = stats;
    renderStats();
  } catch (error) {
    retryIfBehind(error);
    fail('Figures (GET /stats)', error);
  }
}

export async function loadDestination(minPosition: number, generation: number): Promise<void> {
  const country = state.country;
  try {
    const view = await api<DestinationView>(`/destinations/${encodeURIComponent(country)}`, { minPosition });
    if (generation !== state.generation || country !== state.country) return;
    state.destination = view;
    renderDestination();
  } catch (error) {
    if (country === state.country) {
      state.destination = null;
      renderDestination();
    }
    retryIfBehind(error);
    fail(`Measures for ${country} (GET /destinations/${country})`, error);
  }
}

/** The permit numbers offered while typing one (the permit field's datalist). */
async function loadPermitNumbers(generation: number): Promise<void> {
  try {
    const page = await api<PermitPage>('/permits?limit=500');
    if (generation !== state.generation) return;
    const list = clear($('permit-numbers'));
    for (const p of page.items || []) {
      list.appendChild(h('option', { value: p.permitNumber, label: `${p.permitNumber} - ${p.status} - ${p.destination}` }));
    }
  } catch (error) {
    fail('Permit list (GET /permits)', error);
  }
}

/** A permit's status row and history; a viewer may read the row but not the history, so each is shown or refused on its own. */
export async function loadHistory(permitNumber: string, minPosition: number, generation: number, announce: boolean): Promise<void> {
  const encoded = encodeURIComponent(permitNumber);
  const [row, history] = await Promise.allSettled([
    api<PermitRow>(`/permits/${encoded}`, { minPosition }),
    api<PermitHistory>(`/permits/${encoded}/history`, { minPosition }),
  ]);
  if (generation !== state.generation || permitNumber !== state.permit) return;
  state.permitRow = row.status === 'fulfilled' ? row.value : null;
  state.history = history.status === 'fulfilled' ? history.value : null;
  renderHistory();
  if (row.status === 'rejected') fail(`Status of ${permitNumber} (GET /permits/${permitNumber})`, row.reason);
  if (history.status === 'rejected') {
    retryIfBehind(history.reason);
    fail(`History of ${permitNumber} (GET /permits/${permitNumber}/history)`, history.reason);
  } else if (announce) {
    say(`History of ${permitNumber}: ${history.value.events.length} events.`, 'ok');
  }
}

/** A 503 (projections behind, store unavailable) is tried again shortly. */
function retryIfBehind(error: unknown): void {
  if (error instanceof ApiError && error.status === 503) scheduleRefresh(2000);
}

/** Reload everything after `delay` ms (once, however often asked meanwhile), then say which new events it shows. */
export function scheduleRefresh(delay: number): void {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => {
    const pending = state.pending;
    state.pending = [];
    void loadAll(state.minPosition, state.generation).then(() => {
      if (pending.length)
        say(`Updated after ${pending.length} new event${pending.length > 1 ? 's' : ''} (last: ${String(pending.at(-1))}).`, 'ok');
    });
  }, delay);
}
