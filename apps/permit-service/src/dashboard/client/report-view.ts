import { api } from './api.js';
import { $as, clear, h, svg } from './dom.js';
import { count, money } from './format.js';
import { state } from './state.js';
import { fail } from './status.js';
import type { ExportReport, ReportEntry } from './types.js';

/**
 * The annual report on exports (GET /reports/exports): the chosen year's figures per destination as a
 * table, and a chart of the main counts for that year and the four before it. The section is built here,
 * so the page's HTML holds only the grid it goes into.
 */

/** The years the chart shows, ending with the chosen one. */
const CHART_YEARS = 5;

const COLUMNS: Array<[label: string, value: (e: ReportEntry) => number, kind: 'count' | 'money']> = [
  ['Applications received', (e) => e.applications.received, 'count'],
  ['Approved', (e) => e.applications.approved, 'count'],
  ['Refused', (e) => e.applications.refused, 'count'],
  ['Withdrawn', (e) => e.applications.withdrawn, 'count'],
  ['On hold at year end', (e) => e.applications.onHold, 'count'],
  ['Permits issued', (e) => e.permits.issued, 'count'],
  ['Suspended', (e) => e.permits.suspended, 'count'],
  ['Cancelled', (e) => e.permits.cancelled, 'count'],
  ['Expired', (e) => e.permits.expired, 'count'],
  ['Exhausted', (e) => e.permits.exhausted, 'count'],
  ['Value authorized (CAD)', (e) => e.valueAuthorizedCad, 'money'],
  ['Permits utilized', (e) => e.permitsUtilized, 'count'],
  ['Value exported (CAD)', (e) => e.valueExportedCad, 'money'],
];

/**
 * The counts the chart draws, one bar each per year (summed over the destinations shown), with their colour:
 * SVG `fill` attributes and CSSOM styles, which the page's CSP allows (a style attribute it would not).
 */
const SERIES: Array<[key: string, label: string, colour: string, value: (e: ReportEntry) => number]> = [
  ['received', 'applications received', '#6b7280', (e) => e.applications.received],
  ['issued', 'permits issued', '#2563eb', (e) => e.permits.issued],
  ['refused', 'refused', '#7c3aed', (e) => e.applications.refused],
  ['suspended', 'suspended', '#d97706', (e) => e.permits.suspended],
  ['cancelled', 'cancelled', '#dc2626', (e) => e.permits.cancelled],
  ['utilized', 'permits utilized', '#059669', (e) => e.permitsUtilized],
];

function swatch(colour: string): HTMLSpanElement {
  const el = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  el.style.background = colour;
  return el;
}

const report = {
  year: new Date().getUTCFullYear() - 1,
  destination: '',
  /** The chosen year's answer, and every chart year's, oldest first. */
  shown: null as ExportReport | null,
  years: [] as ExportReport[],
};

/** Builds the section (once) at the end of the page's grid and wires its form. */
export function mountReport(grid: Element): void {
  const year = h('input', {
    id: 'report-year',
    class: 'code',
    value: report.year,
    inputmode: 'numeric',
    maxlength: 4,
    autocomplete: 'off',
  });
  const destination = h('input', {
    id: 'report-destination',
    class: 'code',
    maxlength: 2,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'all',
  });
  const form = h('form', { id: 'report-form', class: 'bar-row hinted', role: 'search', 'aria-label': 'Report' }, [
    h('div', { class: 'field' }, [h('label', { for: 'report-year', text: 'Year' }), year]),
    h('div', { class: 'field' }, [
      h('label', { for: 'report-destination', text: 'Destination' }),
      destination,
      h('span', { class: 'hint', text: 'ISO 3166 alpha-2; empty for every destination' }),
    ]),
    h('button', { type: 'submit', text: 'Show report' }),
  ]);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showReport($as('report-year', HTMLInputElement).value, $as('report-destination', HTMLInputElement).value);
  });
  const head = h('tr', null, [
    h('th', { scope: 'col', text: 'Destination' }),
    ...COLUMNS.map(([label]) => h('th', { scope: 'col', class: 'num', text: label })),
  ]);
  grid.appendChild(
    h('section', { class: 'card span-2', 'aria-labelledby': 'report-title' }, [
      h('div', { class: 'card-head' }, [h('h2', { id: 'report-title', text: 'Annual report on exports' }), form]),
      h('p', { id: 'report-note', class: 'hint' }),
      h('div', { id: 'report-chart' }),
      h(
        'ul',
        { class: 'legend', 'aria-label': 'Legend' },
        SERIES.map(([, label, colour]) => h('li', null, [swatch(colour), label])),
      ),
      h('div', { class: 'scroll' }, [
        h('table', { id: 'report', 'aria-labelledby': 'report-title' }, [h('thead', null, [head]), h('tbody', { id: 'report-body' })]),
      ]),
    ]),
  );
  renderReport();
}

function showReport(rawYear: string, rawDestination: string): void {
  const year = rawYear.trim();
  const destination = rawDestination.trim().toUpperCase();
  if (!/^[0-9]{4}$/.test(year)) {
    fail('Report', new Error('a year is four digits, such as 2020'));
    return;
  }
  if (destination && !/^[A-Z]{2}$/.test(destination)) {
    fail('Report', new Error('a destination is a two-letter country code, such as TR'));
    return;
  }
  report.year = Number(year);
  report.destination = destination;
  $as('report-destination', HTMLInputElement).value = destination;
  void loadReport(state.minPosition, state.generation);
}

/** The chosen year and the chart's years, read together; dropped if the session or the choice changed meanwhile. */
export async function loadReport(minPosition: number, generation: number): Promise<void> {
  const { year, destination } = report;
  const years = Array.from({ length: CHART_YEARS }, (_, i) => year - CHART_YEARS + 1 + i).filter((y) => y >= 0);
  const query = (y: number) => `/reports/exports?year=${String(y).padStart(4, '0')}${destination ? `&destination=${destination}` : ''}`;
  try {
    const answers = await Promise.all(years.map((y) => api<ExportReport>(query(y), { minPosition })));
    if (generation !== state.generation || year !== report.year || destination !== report.destination) return;
    report.years = answers;
    report.shown = answers[answers.length - 1] ?? null;
    renderReport();
  } catch (error) {
    fail(`Annual report (GET /reports/exports?year=${year})`, error);
  }
}

export function renderReport(): void {
  const shown = report.shown;
  const body = clear($as('report-body', HTMLTableSectionElement));
  $as('report-note', HTMLParagraphElement).textContent = shown
    ? `${shown.year}, ${shown.destination ?? 'every destination'}: counted by the date each event took effect (UTC).`
    : 'No report loaded.';
  if (!shown || !shown.entries.length) {
    body.appendChild(
      h('tr', null, [
        h('td', { colspan: COLUMNS.length + 1, class: 'empty', text: shown ? `No figures for ${shown.year}.` : 'No report loaded.' }),
      ]),
    );
  } else {
    const cell = (value: number, kind: 'count' | 'money') =>
      h('td', { class: 'num', text: kind === 'money' ? money.format(value) : count.format(value) });
    for (const e of shown.entries) {
      body.appendChild(
        h('tr', { 'data-destination': e.destination }, [
          h('th', { scope: 'row', text: e.destination }),
          ...COLUMNS.map(([, v, k]) => cell(v(e), k)),
        ]),
      );
    }
    if (shown.entries.length > 1) {
      body.appendChild(
        h('tr', { class: 'total', 'data-destination': 'total' }, [
          h('th', { scope: 'row', text: 'Total' }),
          ...COLUMNS.map(([, v, k]) =>
            cell(
              shown.entries.reduce((a, e) => a + v(e), 0),
              k,
            ),
          ),
        ]),
      );
    }
  }
  renderChart();
}

/** Grouped bars: per year, one bar per series (a decoration of the figures; the table holds them). */
function renderChart(): void {
  const box = clear($as('report-chart', HTMLDivElement));
  if (!report.years.length) return;
  const sums = report.years.map((r) => SERIES.map(([, , , value]) => r.entries.reduce((a, e) => a + value(e), 0)));
  const max = Math.max(1, ...sums.flat());
  const W = Math.max(360, box.clientWidth || 600);
  const H = 200;
  const L = 34;
  const R = 10;
  const T = 14;
  const B = 24;
  const gw = (W - L - R) / report.years.length;
  const bw = Math.max(2, Math.min((gw * 0.8) / SERIES.length, 18));
  const y = (v: number) => T + (H - T - B) * (1 - v / max);
  const first = report.years[0].year;
  const last = report.years[report.years.length - 1].year;
  const chart = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'report-chart-title' }, [
    svg('title', {
      id: 'report-chart-title',
      text: `Applications and permits per year, ${first} to ${last}; the table holds the chosen year's figures`,
    }),
  ]);
  chart.appendChild(svg('text', { x: L - 6, y: y(max) + 4, 'text-anchor': 'end', text: max }));
  chart.appendChild(svg('text', { x: L - 6, y: y(0) + 4, 'text-anchor': 'end', text: 0 }));
  report.years.forEach((r, i) => {
    const x0 = L + i * gw + (gw - bw * SERIES.length) / 2;
    chart.appendChild(svg('text', { x: (L + i * gw + gw / 2).toFixed(1), y: H - 6, 'text-anchor': 'middle', text: r.year }));
    SERIES.forEach(([key, label, colour], j) => {
      const v = sums[i][j];
      if (!v) return;
      chart.appendChild(
        svg(
          'rect',
          {
            'data-series': key,
            fill: colour,
            'data-year': r.year,
            x: (x0 + j * bw).toFixed(1),
            width: (bw - 1).toFixed(1),
            y: y(v).toFixed(1),
            height: (y(0) - y(v)).toFixed(1),
          },
          [svg('title', { text: `${r.year}: ${v} ${label}` })],
        ),
      );
    });
  });
  chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  box.appendChild(chart);
}
