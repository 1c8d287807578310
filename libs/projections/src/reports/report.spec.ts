import { describe, expect, it } from '@jest/globals';
import { applyAll, dumpTables, memoryDb, TestLog } from '../testing/events.js';
import { reportProjection } from './report.projection.js';
import { ReportQueries, type ExportReportEntry, type ReportFilter } from './report.queries.js';

const item = (valueCad: number) => [{ eclItem: '2-15.a', description: 'sensor', quantity: 10, unit: 'unit', valueCad }];
const ms = (time: string) => Date.parse(time.length === 10 ? `${time}T23:59:59.999Z` : time);

function submitted(log: TestLog, ref: string, at: string, destination = 'TR') {
  return log.record(`application-${ref}`, 'ApplicationSubmitted', { applicationRef: ref, destination, exceptionGround: null }, { at });
}
const held = (log: TestLog, ref: string, at: string, measureId = 'TR-2019-10') =>
  log.record(`application-${ref}`, 'ApplicationPlacedOnHold', { applicationRef: ref, measureId }, { at });
const released = (log: TestLog, ref: string, at: string) =>
  log.record(`application-${ref}`, 'ApplicationReleasedFromHold', { applicationRef: ref, measureId: 'TR-2019-10' }, { at });
const refused = (log: TestLog, ref: string, at: string, criteria: string[]) =>
  log.record(`application-${ref}`, 'ApplicationRefused', { applicationRef: ref, criteria, reason: 'risk', legalBasis: 'EIPA s.7.3' }, { at });
const withdrawn = (log: TestLog, ref: string, at: string) =>
  log.record(`application-${ref}`, 'ApplicationWithdrawn', { applicationRef: ref, reason: 'no longer needed' }, { at });
const approved = (log: TestLog, ref: string, permitNumber: string, at: string) =>
  log.record(
    `application-${ref}`,
    'ApplicationApproved',
    { applicationRef: ref, permitNumber, validFrom: at, expiresOn: '2021-06-30', conditions: [] },
    { at },
  );
const shipped = (log: TestLog, permitNumber: string, exportedOn: string, values: number[]) =>
  log.record(
    `permit-${permitNumber}`,
    'ShipmentRecorded',
    {
      permitNumber,
      declarationRef: `D-${log.events.length}`,
      lines: values.map((valueCad) => ({ item: 0, quantity: 1, valueCad })),
      exportedOn,
    },
    { at: exportedOn, actor: { id: 'cbsa', role: 'customs' } },
  );

/** The TR story with applications and shipments, and one DE permit. */
function story(): TestLog {
  const log = new TestLog();
  log.issued('EXP-19-004120', { items: item(4_200_000) }, { at: '2019-03-20' });
  log.issued('EXP-19-002770', { items: item(1_100_000) }, { at: '2019-06-03' });
  log.issued('EXP-19-000900', { destination: 'DE', items: item(300_000) }, { at: '2019-07-01' });
  shipped(log, 'EXP-19-004120', '2019-09-10', [700_000, 0.1]);
  shipped(log, 'EXP-19-000900', '2019-09-12', [300_000]);
  log.record('permit-EXP-19-000900', 'PermitExhausted', { permitNumber: 'EXP-19-000900' }, { at: '2019-09-12' });
  for (const ref of ['APP-19-1', 'APP-19-2', 'APP-19-3']) {
    submitted(log, ref, '2019-10-20');
    held(log, ref, '2019-10-20');
  }
  withdrawn(log, 'APP-19-3', '2019-12-02');
  released(log, 'APP-19-1', '2020-04-16');
  held(log, 'APP-19-1', '2020-04-16', 'TR-2020-04');
  released(log, 'APP-19-1', '2020-05-14');
  approved(log, 'APP-19-1', 'EXP-20-005181', '2020-05-14');
  log.issued('EXP-20-005181', { items: item(5_600_000), applicationRef: 'APP-19-1' } as never, { at: '2020-05-14' });
  shipped(log, 'EXP-19-004120', '2020-06-01', [500_000]);
  shipped(log, 'EXP-19-002770', '2020-07-15', [200_000.2]);
  refused(log, 'APP-19-2', '2020-07-01', ['PEACE_AND_SECURITY', 'IHRL_VIOLATION']);
  for (const n of ['EXP-19-004120', 'EXP-19-002770', 'EXP-20-005181']) log.suspended(n, { at: '2020-10-05' });
  log.amended('EXP-20-005181', { items: item(5_000_000) }, 5_000_000, { at: '2020-11-01' });
  log.expired('EXP-19-002770', '2021-12-31');
  log.cancelled('EXP-19-004120', { at: '2021-04-12' });
  log.cancelled('EXP-20-005181', { at: '2021-04-12' });
  // Recorded an hour after each took effect (TestLog's own recordedAt are all in 2024).
  for (const e of log.events) e.recordedAt = new Date(Date.parse(e.metadata.effectiveAt) + 3_600_000).toISOString();
  return log;
}

function given(log: TestLog) {
  const db = memoryDb(reportProjection);
  applyAll(db, reportProjection, log.events);
  const queries = new ReportQueries(db);
  return { db, report: (filter: ReportFilter) => queries.exports(filter) };
}

const zeroCriteria = {
  PEACE_AND_SECURITY: 0,
  IHL_VIOLATION: 0,
  IHRL_VIOLATION: 0,
  TERRORISM: 0,
  ORGANIZED_CRIME: 0,
  GENDER_BASED_VIOLENCE: 0,
  SUBSTANTIAL_RISK: 0,
  END_USE_ASSURANCE_BREACH: 0,
};
const entry = (year: number, destination: string, figures: Partial<ExportReportEntry>): ExportReportEntry => ({
  year,
  destination,
  applications: { received: 0, approved: 0, refused: 0, withdrawn: 0, onHold: 0 },
  refusalsByCriterion: zeroCriteria,
  permits: { issued: 0, suspended: 0, cancelled: 0, expired: 0, exhausted: 0 },
  valueAuthorizedCad: 0,
  permitsUtilized: 0,
  valueExportedCad: 0,
  ...figures,
});

describe('annual report on exports', () => {
  it('2019: one entry per destination; value per destination; holds at the year end', () => {
    expect(given(story()).report({ year: 2019 })).toEqual([
      entry(2019, 'DE', {
        permits: { issued: 1, suspended: 0, cancelled: 0, expired: 0, exhausted: 1 },
        valueAuthorizedCad: 300_000,
        permitsUtilized: 1,
        valueExportedCad: 300_000,
      }),
      entry(2019, 'TR', {
        applications: { received: 3, approved: 0, refused: 0, withdrawn: 1, onHold: 2 },
        permits: { issued: 2, suspended: 0, cancelled: 0, expired: 0, exhausted: 0 },
        valueAuthorizedCad: 5_300_000,
        permitsUtilized: 1,
        valueExportedCad: 700_000.1,
      }),
    ]);
  });

  it('2020 for TR: refusals by criterion, amendments in the value authorized, permits utilized (not shipments)', () => {
    const log = story();
    shipped(log, 'EXP-19-004120', '2020-06-02', [1]); // a second shipment under one permit: still one permit utilized
    expect(given(log).report({ year: 2020, destination: 'TR' })).toEqual([
      entry(2020, 'TR', {
        applications: { received: 0, approved: 1, refused: 1, withdrawn: 0, onHold: 0 },
        refusalsByCriterion: { ...zeroCriteria, PEACE_AND_SECURITY: 1, IHRL_VIOLATION: 1 },
        permits: { issued: 1, suspended: 3, cancelled: 0, expired: 0, exhausted: 0 },
        valueAuthorizedCad: 5_000_000,
        permitsUtilized: 2,
        valueExportedCad: 700_001.2,
      }),
    ]);
  });

  it('2021: cancellations and expiry; a destination asked for with nothing in the year is one entry of zeros', () => {
    const { report } = given(story());
    expect(report({ year: 2021, destination: 'TR' })[0].permits).toEqual({ issued: 0, suspended: 0, cancelled: 2, expired: 1, exhausted: 0 });
    expect(report({ year: 2021, destination: 'DE' })).toEqual([entry(2021, 'DE', {})]);
    expect(report({ year: 2018 })).toEqual([]);
  });

  it('asOf leaves out what took effect later, holds included', () => {
    const { report } = given(story());
    const [tr] = report({ year: 2020, destination: 'TR', asOfMs: ms('2020-05-13') });
    // APP-19-1 held again under the measure that replaced the halt; APP-19-2 not yet refused.
    expect(tr.applications).toEqual({ received: 0, approved: 0, refused: 0, withdrawn: 0, onHold: 2 });
    expect(tr.permits.issued).toBe(0);
    expect(tr.valueExportedCad).toBe(0);
    const [later] = report({ year: 2020, destination: 'TR', asOfMs: ms('2020-10-05') });
    expect(later.permits).toMatchObject({ issued: 1, suspended: 3 });
    expect(later.valueAuthorizedCad).toBe(5_600_000); // the amendment came after
  });

  it('a late-recorded shipment: knownAt before its recording leaves it out, after it counts it in its year', () => {
    const log = story();
    const late = shipped(log, 'EXP-19-002770', '2019-11-30', [50_000]);
    late.recordedAt = '2022-02-01T10:00:00.000Z';
    const { report } = given(log);
    const tr = (knownAtMs?: number) => report({ year: 2019, destination: 'TR', knownAtMs })[0];
    expect(tr(ms('2022-01-31'))).toMatchObject({ permitsUtilized: 1, valueExportedCad: 700_000.1 });
    expect(tr(ms('2022-02-01T10:00:00Z'))).toMatchObject({ permitsUtilized: 2, valueExportedCad: 750_000.1 });
    expect(tr()).toMatchObject({ permitsUtilized: 2, valueExportedCad: 750_000.1 });
  });

  it('knownAt before a recording also leaves the application state it set: the hold stands', () => {
    const log = story();
    const withdrawal = log.events.find((e) => e.type === 'ApplicationWithdrawn')!;
    withdrawal.recordedAt = '2023-01-01T00:00:00.000Z';
    const { report } = given(log);
    expect(report({ year: 2019, destination: 'TR', knownAtMs: ms('2022-12-31') })[0].applications).toEqual({
      received: 3,
      approved: 0,
      refused: 0,
      withdrawn: 0,
      onHold: 3,
    });
  });

  it('the same events twice: the same rows and figures', () => {
    const log = story();
    const once = given(log);
    const twice = given(log);
    applyAll(twice.db, reportProjection, log.events);
    expect(dumpTables(twice.db, ['report_fact', 'report_subject'])).toEqual(dumpTables(once.db, ['report_fact', 'report_subject']));
    expect(twice.report({ year: 2020 })).toEqual(once.report({ year: 2020 }));
  });

  it('years before 100 are not read as 19xx; the year end is inclusive to the millisecond', () => {
    const log = new TestLog();
    log.issued('EXP-A', { items: item(1) }, { at: '2020-12-31T23:59:59.999Z' });
    log.issued('EXP-B', { items: item(1) }, { at: '2021-01-01T00:00:00.000Z' });
    const { report } = given(log);
    expect(report({ year: 2020 })[0].permits.issued).toBe(1);
    expect(report({ year: 2021 })[0].permits.issued).toBe(1);
    expect(report({ year: 20 })).toEqual([]);
  });

  it('fails on an event of a stream it never saw begin, and on a shipment without values', () => {
    const orphan = new TestLog();
    orphan.record('application-X', 'ApplicationWithdrawn', { applicationRef: 'X', reason: 'r' });
    expect(() => given(orphan)).toThrow(/no submission or issue before it/);
    const bad = new TestLog();
    bad.issued('EXP-C');
    bad.record('permit-EXP-C', 'ShipmentRecorded', { permitNumber: 'EXP-C', lines: [{ item: 0, quantity: 1 }] });
    expect(() => given(bad)).toThrow(/lines.valueCad/);
  });

  it('ignores events it does not count, and streams of other kinds', () => {
    const log = new TestLog();
    log.measureImposed('TR', 'TR-2019-10', {}, { at: '2019-10-11' });
    log.reviewOpened('EXP-Z', 'R1'); // no issue before it, but not a report fact
    expect(given(log).report({ year: 2019 })).toEqual([]);
  });
});
