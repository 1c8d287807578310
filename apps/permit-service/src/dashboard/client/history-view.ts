import { $, clear, h, time, type Kid } from './dom.js';
import { humanType, humanWord, money, recordedDate, statusClass, worldDate } from './format.js';
import { state } from './state.js';
import type { EventView } from './types.js';

/** What an event changed, in a line, for the event types that carry more than their envelope says. */
function dataSummary(e: EventView): string {
  const d = e.data ?? {};
  switch (e.type) {
    case 'PermitIssued':
    case 'PermitAmended': {
      const items = Array.isArray(d.items)
        ? d.items.map((it) => `${it.quantity} ${it.unit} ${it.description} (${it.eclItem}, ${money.format(it.valueCad)})`).join('; ')
        : '';
      return [
        items,
        d.destination ? `to ${d.destination}${d.endUser?.name ? `, end user ${d.endUser.name}` : ''}` : '',
        d.validFrom ? `valid ${d.validFrom} to ${String(d.expiresOn)}` : '',
      ]
        .filter(Boolean)
        .join('; ');
    }
    case 'PermitReviewOpened':
      return `review ${d.reviewId || ''}`;
    case 'PermitReviewFindingRecorded':
      return [
        d.finding,
        d.theatre ? `theatre: ${d.theatre}` : '',
        d.assuranceBreached ? 'end-use assurance breached' : '',
        d.evidenceRef ? `evidence ${d.evidenceRef}` : '',
      ]
        .filter(Boolean)
        .join('; ');
    case 'PermitReviewConcluded':
      return [d.outcome ? humanWord(d.outcome) : '', d.summary].filter(Boolean).join(': ');
    default:
      return '';
  }
}

/** One fact of an event; a missing value leaves the fact out. */
function fact(label: string, value: Kid, wide = false): HTMLDivElement | null {
  if (value === null || value === undefined || value === '') return null;
  return h('div', { class: wide ? 'wide' : null }, [h('dt', { text: label }), h('dd', null, [value])]);
}

/** The chosen permit's status line and its events in order: who, when in the world and in the ledger, why. */
export function renderHistory(): void {
  const out = clear($('history'));
  const n = state.permit;
  if (!n) {
    out.appendChild(h('p', { class: 'empty', text: 'Search a permit number to see its history.' }));
    return;
  }
  const row = state.permitRow;
  out.appendChild(h('h3', { id: 'history-title', text: `History of ${n}` }));
  if (row) {
    out.appendChild(
      h('p', { class: 'summary-line' }, [
        h('span', { class: `badge ${statusClass(row.status)}`, text: row.status }),
        ' ',
        `${row.destination} - ${row.exporter?.name ? row.exporter.name : ''} - ${money.format(row.totalValueCad)} - expires ${row.expiresOn}` +
          (row.lastDecisionRef ? ` - last decision ${row.lastDecisionRef}` : ''),
      ]),
    );
  }
  const history = state.history;
  if (!history) {
    out.appendChild(h('p', { class: 'empty', text: 'No history shown (see the status messages above).' }));
    return;
  }
  const list = h('ol', { class: 'timeline', 'aria-labelledby': 'history-title' });
  history.events.forEach((e, i) => {
    const actor = e.actor;
    const who = `${actor?.id || '?'} (${actor?.role || '?'})`;
    const why = e.reason || e.data?.reason || null;
    list.appendChild(
      h('li', { class: `t-${e.type}`, 'data-type': e.type }, [
        h('h3', null, [`${i + 1}. ${humanType(e.type)}`, h('span', { class: 'type', text: `${e.type} #${e.position}` })]),
        h('dl', { class: 'facts' }, [
          fact('In the world', time(e.effectiveAt, worldDate(e.effectiveAt))),
          fact('Recorded', time(e.recordedAt, recordedDate(e.recordedAt))),
          fact('Who', who),
          fact('Executed by', actor?.executor || null),
          fact('Why', why, true),
          fact('Legal basis', e.legalBasis || null),
          fact('Decision', e.decisionRef || null),
          fact('What', dataSummary(e) || null, true),
        ]),
        h('details', null, [h('summary', { text: 'Event data' }), h('pre', { text: JSON.stringify(e.data, null, 2) })]),
      ]),
    );
  });
  out.appendChild(list);
}
