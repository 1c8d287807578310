import { $, clear, h, svg } from './dom.js';
import { count, money, monthIndex, monthName, statusClass } from './format.js';
import { state } from './state.js';
import { KINDS, type DestinationFigure, type MonthFigures } from './types.js';

interface BarPart {
  value: number;
  cls: string;
  title?: string;
}

/** A horizontal bar of coloured parts, scaled to `total` (decoration: the table cells hold the figures). */
function bar(parts: BarPart[], total: number): HTMLDivElement {
  const el = h('div', { class: 'bar', 'aria-hidden': 'true' });
  for (const p of parts) {
    if (!p.value || !total) continue;
    const seg = h('span', { class: p.cls, title: p.title });
    seg.style.width = `${((100 * p.value) / total).toFixed(2)}%`;
    el.appendChild(seg);
  }
  return el;
}

/** The tiles, the by-status and by-destination tables and the per-month chart, from GET /stats. */
export function renderStats(): void {
  const stats = state.stats;
  const by = state.barsBy;
  const measure = (r: { count: number; valueCad: number }) => (by === 'count' ? r.count : r.valueCad);
  $('tile-permits').textContent = stats ? count.format(stats.totals.permits) : '-';
  $('tile-value').textContent = stats ? money.format(stats.totals.valueCad) : '-';
  $('tile-destinations').textContent = stats ? count.format(new Set(stats.byDestination.map((r) => r.destination)).size) : '-';
  $('tile-active').textContent = stats
    ? count.format(stats.byStatus.filter((r) => r.status === 'ISSUED' || r.status === 'SUSPENDED').reduce((a, r) => a + r.count, 0))
    : '-';

  const body = clear($('by-status-body'));
  if (!stats || !stats.byStatus.length) {
    body.appendChild(h('tr', null, [h('td', { colspan: 4, class: 'empty', text: stats ? 'No permits yet.' : 'No figures loaded.' })]));
  } else {
    const maxS = Math.max(...stats.byStatus.map(measure));
    for (const r of stats.byStatus) {
      body.appendChild(
        h('tr', { 'data-status': r.status }, [
          h('th', { scope: 'row' }, [h('span', { class: `swatch ${statusClass(r.status)}`, 'aria-hidden': 'true' }), r.status]),
          h('td', { class: 'num', text: count.format(r.count) }),
          h('td', { class: 'num', text: money.format(r.valueCad) }),
          h('td', { class: 'bar-cell' }, [bar([{ value: measure(r), cls: statusClass(r.status) }], maxS)]),
        ]),
      );
    }
  }

  const dbody = clear($('by-destination-body'));
  if (!stats || !stats.byDestination.length) {
    dbody.appendChild(h('tr', null, [h('td', { colspan: 5, class: 'empty', text: stats ? 'No permits yet.' : 'No figures loaded.' })]));
  } else {
    // One row per destination, in the order the answer first names it, with a part per status.
    const groups = new Map<string, { count: number; valueCad: number; rows: DestinationFigure[] }>();
    for (const r of stats.byDestination) {
      const g = groups.get(r.destination) ?? { count: 0, valueCad: 0, rows: [] };
      groups.set(r.destination, g);
      g.count += r.count;
      g.valueCad += r.valueCad;
      g.rows.push(r);
    }
    const maxD = Math.max(...Array.from(groups.values(), measure));
    for (const [d, g] of groups) {
      dbody.appendChild(
        h('tr', { 'data-destination': d }, [
          h('th', { scope: 'row', text: d }),
          h('td', null, [
            h(
              'ul',
              { class: 'statuses' },
              g.rows.map((r) =>
                h('li', null, [
                  h('span', { class: `swatch ${statusClass(r.status)}`, 'aria-hidden': 'true' }),
                  `${r.status} ${count.format(r.count)}`,
                ]),
              ),
            ),
          ]),
          h('td', { class: 'num', text: count.format(g.count) }),
          h('td', { class: 'num', text: money.format(g.valueCad) }),
          h('td', { class: 'bar-cell' }, [
            bar(
              g.rows.map((r) => ({ value: measure(r), cls: statusClass(r.status), title: r.status })),
              maxD,
            ),
          ]),
        ]),
      );
    }
  }
  $('bars-note').textContent = by === 'count' ? 'Bars show the number of permits.' : 'Bars show the value in CAD.';
  renderPerMonth();
}

/** Lifecycle events per month as stacked bars over whole years, and the same figures as a table. */
export function renderPerMonth(): void {
  const box = clear($('per-month-chart'));
  const tbody = clear($('per-month-body'));
  const rows: MonthFigures[] = state.stats ? state.stats.perMonth : [];
  if (!rows.length) {
    box.appendChild(h('p', { class: 'empty', text: state.stats ? 'No lifecycle events yet.' : 'No figures loaded.' }));
    return;
  }
  for (const r of rows) {
    tbody.appendChild(
      h('tr', null, [h('th', { scope: 'row', text: r.month }), ...KINDS.map((k) => h('td', { class: 'num', text: r[k] }))]),
    );
  }
  const firstRow = rows[0];
  const lastRow = rows[rows.length - 1];
  let first = monthIndex(firstRow.month);
  let last = monthIndex(lastRow.month);
  first -= first % 12;
  last += 11 - (last % 12);
  const byMonth = new Map(rows.map((r) => [monthIndex(r.month), r]));
  const totals = rows.map((r) => KINDS.reduce((a, k) => a + r[k], 0));
  const max = Math.max(...totals);
  const step = max <= 5 ? 1 : Math.ceil(max / 5);
  const top = Math.ceil(max / step) * step;
  const W = Math.max(360, box.clientWidth || 600);
  const H = 210;
  const L = 34;
  const R = 10;
  const T = 20;
  const B = 26;
  const n = last - first + 1;
  const cw = (W - L - R) / n;
  const bw = Math.max(2, Math.min(cw * 0.8, 26));
  const y = (v: number) => T + (H - T - B) * (1 - v / top);
  const peak = rows[totals.indexOf(max)];
  const chart = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'pm-title pm-desc' }, [
    svg('title', { id: 'pm-title', text: 'Lifecycle events per month' }),
    svg('desc', {
      id: 'pm-desc',
      text: `${rows.length} months with events from ${firstRow.month} to ${lastRow.month}; the busiest is ${peak.month} with ${max} events. The table below holds every figure.`,
    }),
  ]);
  for (let v = 0; v <= top; v += step) {
    chart.appendChild(svg('line', { class: 'grid-line', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    chart.appendChild(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', text: v }));
  }
  for (let i = first; i <= last; i++) {
    const x = L + (i - first) * cw + (cw - bw) / 2;
    if (i % 12 === 0) {
      chart.appendChild(svg('line', { class: 'axis', x1: L + (i - first) * cw, x2: L + (i - first) * cw, y1: H - B, y2: H - B + 5 }));
      chart.appendChild(svg('text', { x: L + (i - first) * cw + 3, y: H - 8, text: Math.floor(i / 12) }));
    }
    const r = byMonth.get(i);
    if (!r) continue;
    let base = 0;
    for (const k of KINDS) {
      if (!r[k]) continue;
      chart.appendChild(
        svg(
          'rect',
          {
            class: `k-${k}`,
            x: x.toFixed(1),
            width: bw.toFixed(1),
            y: y(base + r[k]).toFixed(1),
            height: (y(base) - y(base + r[k])).toFixed(1),
          },
          [svg('title', { text: `${monthName(i)}: ${r[k]} ${k}` })],
        ),
      );
      base += r[k];
    }
    if (bw >= 8) {
      chart.appendChild(
        svg('text', {
          class: 'count',
          x: (x + bw / 2).toFixed(1),
          y: (y(base) - 4).toFixed(1),
          'text-anchor': 'middle',
          'aria-hidden': 'true',
          text: base,
        }),
      );
    }
  }
  chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  box.appendChild(chart);
}
