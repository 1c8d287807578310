import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
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
    log.issued('EXP-C', { items: item(2) }, { at: '0020-06-01T00:00:00.000Z' });
    log.issued('EXP-D', { items: item(4) }, { at: '1920-06-01T00:00:00.000Z' });
    const { report } = given(log);
    expect(report({ year: 2020 })[0].permits.issued).toBe(1);
    expect(report({ year: 2021 })[0].permits.issued).toBe(1);
    expect(report({ year: 20 })).toEqual([
      entry(20, 'TR', { permits: { issued: 1, suspended: 0, cancelled: 0, expired: 0, exhausted: 0 }, valueAuthorizedCad: 2 }),
    ]);
  });

  it('entries are by destination code, also those only a hold from an earlier year brings in', () => {
    const log = new TestLog();
    submitted(log, 'APP-US', '2019-11-01', 'US');
    held(log, 'APP-US', '2019-11-02', 'US-2019-11');
    log.issued('EXP-TR', { items: item(10) }, { at: '2020-02-01' });
    log.issued('EXP-DE', { destination: 'DE', items: item(20) }, { at: '2020-03-01' });
    submitted(log, 'APP-AE', '2019-12-01', 'AE');
    held(log, 'APP-AE', '2019-12-02', 'AE-2019-12');
    const onHold = { received: 0, approved: 0, refused: 0, withdrawn: 0, onHold: 1 };
    const issued = { issued: 1, suspended: 0, cancelled: 0, expired: 0, exhausted: 0 };
    expect(given(log).report({ year: 2020 })).toEqual([
      entry(2020, 'AE', { applications: onHold }),
      entry(2020, 'DE', { permits: issued, valueAuthorizedCad: 20 }),
      entry(2020, 'TR', { permits: issued, valueAuthorizedCad: 10 }),
      entry(2020, 'US', { applications: onHold }),
    ]);
  });

  it('a refusal citing no criterion (none given, or null) counts as a refusal under none', () => {
    const log = new TestLog();
    for (const ref of ['APP-1', 'APP-2']) submitted(log, ref, '2020-03-01');
    log.record('application-APP-1', 'ApplicationRefused', { applicationRef: 'APP-1', reason: 'risk' }, { at: '2020-04-01' });
    log.record('application-APP-2', 'ApplicationRefused', { applicationRef: 'APP-2', reason: 'risk', criteria: null }, { at: '2020-04-01' });
    expect(given(log).report({ year: 2020 })).toEqual([
      entry(2020, 'TR', { applications: { received: 2, approved: 0, refused: 2, withdrawn: 0, onHold: 0 } }),
    ]);
  });

  it('reset empties both tables; the same events again give the same figures', () => {
    const log = story();
    const { db, report } = given(log);
    const before = report({ year: 2020 });
    reportProjection.reset(db);
    expect(dumpTables(db, ['report_fact', 'report_subject'])).toEqual({ report_fact: [], report_subject: [] });
    expect(report({ year: 2020 })).toEqual([]);
    applyAll(db, reportProjection, log.events);
    expect(report({ year: 2020 })).toEqual(before);
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

describe('events the report cannot read: it stops there, saying which and why', () => {
  const application = (data: Record<string, unknown>) => {
    const log = new TestLog();
    log.record('application-A', 'ApplicationSubmitted', { applicationRef: 'A', exceptionGround: null, ...data });
    return log;
  };
  const issue = (overrides: Record<string, unknown>, meta: { at?: string } = {}) => {
    const log = new TestLog();
    log.issued('EXP-1', { items: item(10), ...overrides }, meta);
    return log;
  };
  /** An issue that reads, then an event of `type` on its permit. */
  const then = (type: string, data: Record<string, unknown>, meta: { at?: string } = {}) => {
    const log = issue({});
    log.record('permit-EXP-1', type, { permitNumber: 'EXP-1', ...data }, meta);
    return log;
  };
  const recordedAt = (log: TestLog, time: string) => {
    log.events[log.events.length - 1].recordedAt = time;
    return log;
  };
  const notAList = 'PermitSuspended at 2 with criteria that are not a list of codes';
  it.each([
    ['a submission without a destination', application({}), 'ApplicationSubmitted at 1 without a destination'],
    ['a submission to the destination ""', application({ destination: '' }), 'ApplicationSubmitted at 1 without a destination'],
    ['an issue to a destination that is not a text', issue({ destination: 7 }), 'PermitIssued at 1 without a destination'],
    ['an issue without a total value', issue({ totalValueCad: undefined }), 'PermitIssued at 1 without a numeric totalValueCad'],
    ['an issue whose total value is a text', issue({ totalValueCad: '10' }), 'PermitIssued at 1 without a numeric totalValueCad'],
    // JSON reads 1e400 as Infinity.
    ['an issue whose total value is not finite', issue({ totalValueCad: JSON.parse('1e400') }), 'PermitIssued at 1 without a numeric totalValueCad'],
    ['an issue in effect at no time', issue({}, { at: 'someday' }), 'PermitIssued at 1: not a time: "someday"'],
    ['an amendment without a total value', then('PermitAmended', { totalValueCad: null }), 'PermitAmended at 2 without a numeric totalValueCad'],
    ['a shipment without lines', then('ShipmentRecorded', { exportedOn: '2020-02-01' }), 'ShipmentRecorded at 2 without lines'],
    ['a shipment with a line that is null', then('ShipmentRecorded', { lines: [null] }), 'ShipmentRecorded at 2 without a numeric lines.valueCad'],
    ['a suspension citing a text, not a list', then('PermitSuspended', { criteria: 'PEACE_AND_SECURITY' }), notAList],
    ['a suspension citing a list with a number in it', then('PermitSuspended', { criteria: ['PEACE_AND_SECURITY', 7] }), notAList],
    ['a suspension in effect at no time', then('PermitSuspended', {}, { at: 'someday' }), 'PermitSuspended at 2: not a time: "someday"'],
    ['a cancellation recorded at no time', recordedAt(then('PermitCancelled', {}), 'later'), 'PermitCancelled at 2: not a time: "later"'],
  ])('%s', (_, log, message) => {
    expect(() => given(log)).toThrow(new Error(message));
  });
});

describe('replay cost', () => {
  it('an event of a stream it knows takes one statement; a start, an amendment or a re-delivery looks the stream up', () => {
    const executed: string[] = [];
    const db = new Database(':memory:', { verbose: (sql) => executed.push(String(sql).trim().split(/\s+/).slice(0, 3).join(' ')) });
    reportProjection.setup(db);
    const log = new TestLog();
    log.issued('EXP-1', { items: item(10) });
    log.suspended('EXP-1');
    shipped(log, 'EXP-1', '2020-02-01', [5]);
    log.amended('EXP-1', { items: item(8) }, 8);
    submitted(log, 'APP-1', '2020-01-01');
    held(log, 'APP-1', '2020-01-02');
    const statements = [...log.events, log.events[1]].map((event) => {
      executed.length = 0;
      reportProjection.apply(db, event);
      return [event.type, ...executed];
    });
    const lookup = 'SELECT EXISTS (SELECT';
    const known = 'INSERT OR IGNORE';
    expect(statements).toEqual([
      ['PermitIssued', lookup, 'INSERT OR REPLACE', 'INSERT INTO report_fact'],
      ['PermitSuspended', known],
      ['ShipmentRecorded', known],
      ['PermitAmended', lookup, 'UPDATE report_subject SET', 'INSERT INTO report_fact'],
      ['ApplicationSubmitted', lookup, 'INSERT OR REPLACE', 'INSERT INTO report_fact'],
      ['ApplicationPlacedOnHold', known],
      ['PermitSuspended', known, lookup],
    ]);
  });
});
