import { describe, expect, it } from '@jest/globals';
import type { ExportReport } from '@permit-ledger/projections';
import { reportCsv } from './report-csv.js';

type Entry = ExportReport['entries'][number];
const entry = (overrides: Partial<Entry>): Entry => ({
  year: 2020,
  destination: 'TR',
  applications: { received: 0, approved: 0, refused: 0, withdrawn: 0, onHold: 0 },
  refusalsByCriterion: {},
  permits: { issued: 0, suspended: 0, cancelled: 0, expired: 0, exhausted: 0 },
  valueAuthorizedCad: 0,
  permitsUtilized: 0,
  valueExportedCad: 0,
  ...overrides,
});
const cells = (report: ExportReport) => {
  const [header, row] = reportCsv(report)
    .split('\r\n')
    .map((line) => line.split(','));
  return (name: string) => row[header.indexOf(name)];
};

describe('reportCsv', () => {
  it('writes figures as numbers, a negative one included, and neutralises formula-looking text only', () => {
    const cell = cells({
      year: 2020,
      destination: null,
      asOf: null,
      knownAt: '2021-01-31',
      entries: [entry({ destination: '=HYPERLINK("x")', valueExportedCad: -500, valueAuthorizedCad: -0.25 })],
    });
    expect(cell('value_exported_cad')).toBe('-500');
    expect(cell('value_authorized_cad')).toBe('-0.25');
    expect(cell('destination')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(cell('known_at')).toBe('2021-01-31');
  });

  it('writes a figure that is not a finite number as an empty cell', () => {
    const cell = cells({ year: 2020, destination: null, asOf: null, knownAt: null, entries: [entry({ valueExportedCad: Number.NaN, permitsUtilized: Infinity })] });
    expect(cell('value_exported_cad')).toBe('');
    expect(cell('permits_utilized')).toBe('');
  });
});
