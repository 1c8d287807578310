import { $, clear, h, svg, time } from './dom.js';
import { humanWord, worldDate } from './format.js';
import { state } from './state.js';
import type { Measure } from './types.js';

const groups = (m: Measure) => (m.eclGroups ? ` (Group ${m.eclGroups.join(', ')})` : '');

/** The measures on the chosen destination: what is in force, a timeline over whole years, and a table. */
export function renderDestination(): void {
  const view = state.destination;
  const box = clear($('measures-chart'));
  const body = clear($('measures-body'));
  const inForce = clear($('in-force'));
  $('measures-country').textContent = state.country;
  if (!view) {
    inForce.appendChild(h('span', { class: 'empty', text: 'No measures loaded.' }));
    return;
  }
  inForce.appendChild(h('strong', { text: 'In force now: ' }));
  inForce.appendChild(
    document.createTextNode(view.inForce.length ? view.inForce.map((m) => `${m.reference} (${humanWord(m.kind)})`).join(', ') : 'none'),
  );
  if (!view.measures.length) {
    body.appendChild(h('tr', null, [h('td', { colspan: 6, class: 'empty', text: `No measure was ever imposed on ${view.country}.` })]));
    return;
  }
  for (const m of view.measures) {
    body.appendChild(
      h('tr', { 'data-measure': m.measureId }, [
        h('th', { scope: 'row', text: m.reference }),
        h('td', {
          text:
            humanWord(m.kind) +
            (m.eclGroups ? groups(m) : ' (all goods)') +
            (m.exceptionGrounds.length ? `; exceptions: ${m.exceptionGrounds.map(humanWord).join(', ')}` : ''),
        }),
        h('td', { class: 'nowrap' }, [time(m.imposedAt, worldDate(m.imposedAt))]),
        h('td', { class: 'nowrap' }, m.liftedAt ? [time(m.liftedAt, worldDate(m.liftedAt))] : ['in force']),
        h('td', { class: 'nowrap', text: m.liftReference || '' }),
        h('td', { text: m.reason + (m.liftReason ? ` / lifted: ${m.liftReason}` : '') }),
      ]),
    );
  }

  const now = Date.now();
  const starts = view.measures.map((m) => Date.parse(m.imposedAt));
  const ends = view.measures.map((m) => (m.liftedAt ? Date.parse(m.liftedAt) : now));
  const y0 = new Date(Math.min(...starts)).getUTCFullYear();
  const y1 = new Date(Math.max(...ends)).getUTCFullYear() + 1;
  const t0 = Date.UTC(y0, 0, 1);
  const t1 = Date.UTC(y1, 0, 1);
  const W = Math.max(360, box.clientWidth || 600);
  const L = 10;
  const R = 10;
  const rowH = 44;
  const T = 6;
  const B = 24;
  const H = T + rowH * view.measures.length + B;
  const x = (t: number) => L + ((W - L - R) * (t - t0)) / (t1 - t0);
  const chart = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'ms-title ms-desc' }, [
    svg('title', { id: 'ms-title', text: `Timeline of the measures on ${view.country}` }),
    svg('desc', {
      id: 'ms-desc',
      text: view.measures
        .map(
          (m) =>
            `${m.reference} from ${worldDate(m.imposedAt)}` +
            (m.liftedAt ? ` to ${worldDate(m.liftedAt)} (lifted by ${String(m.liftReference)})` : ', still in force'),
        )
        .join('; '),
    }),
  ]);
  for (let yr = y0; yr <= y1; yr++) {
    const gx = x(Date.UTC(yr, 0, 1));
    chart.appendChild(svg('line', { class: 'grid-line', x1: gx, x2: gx, y1: T, y2: H - B }));
    if (yr < y1) chart.appendChild(svg('text', { x: gx + 3, y: H - 7, text: yr }));
  }
  view.measures.forEach((m, i) => {
    const a = x(Date.parse(m.imposedAt));
    const b = x(m.liftedAt ? Date.parse(m.liftedAt) : now);
    const top = T + i * rowH + 18;
    const cls = 'measure' + (m.kind === 'issuance_suspended' ? ' halt' : '') + (m.liftedAt ? '' : ' open');
    chart.appendChild(
      svg('rect', { class: cls, x: a.toFixed(1), y: top, width: Math.max(2, b - a).toFixed(1), height: 16, rx: 3 }, [
        svg('title', { text: `${m.reference}: ${humanWord(m.kind)}` }),
      ]),
    );
    // The label sits left of the bar's end when the bar starts far to the right.
    const right = a > W * 0.55;
    chart.appendChild(
      svg('text', {
        class: 'label',
        x: right ? b : a,
        y: top - 4,
        'text-anchor': right ? 'end' : 'start',
        text: `${m.reference} - ${humanWord(m.kind)}${groups(m)}`,
      }),
    );
    const endText = m.liftedAt ? `lifted ${worldDate(m.liftedAt)}${m.liftReference ? ` by ${m.liftReference}` : ''}` : 'in force';
    const fits = b + 8 + endText.length * 6.5 < W - R;
    chart.appendChild(svg('text', { x: fits ? b + 6 : b - 6, y: top + 12, 'text-anchor': fits ? 'start' : 'end', text: endText }));
  });
  if (view.measures.some((m) => !m.liftedAt)) {
    chart.appendChild(svg('line', { class: 'now', x1: x(now), x2: x(now), y1: T, y2: H - B }));
  }
  chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  box.appendChild(chart);
}
