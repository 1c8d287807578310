import { describe, expect, it } from '@jest/globals';
import { permitStatusProjection } from '../status/permit-status.projection.js';
import { applyAll, dumpTables, memoryDb, TestLog } from '../testing/events.js';
import { statsProjection } from './stats.projection.js';
import { StatsQueries } from './stats.queries.js';

const item = (eclItem: string, valueCad: number) => [{ eclItem, description: 'goods', quantity: 1, unit: 'unit', valueCad }];

function story(): TestLog {
  const log = new TestLog();
  log.issued('EXP-19-001940', { items: item('2-10', 2_000_000) }, { at: '2019-02-01' });
  log.issued('EXP-19-004120', { items: item('2-15.a', 4_200_000) }, { at: '2019-03-20' });
  log.issued('EXP-20-005181', { items: item('2-15.a', 5_600_000) }, { at: '2020-05-14' });
  log.issued('EXP-20-000100', { destination: 'DE', items: item('2-1', 100_000) }, { at: '2020-05-20' });
  log.suspended('EXP-19-004120', { at: '2020-10-05' });
  log.suspended('EXP-20-005181', { at: '2020-10-05' });
  log.reinstated('EXP-20-005181', { at: '2020-10-30' });
  log.reviewOpened('EXP-19-001940', 'R1', { at: '2020-10-06' }); // not a lifecycle figure
  log.expired('EXP-19-001940', '2020-12-31');
  log.suspended('EXP-20-005181', { at: '2021-01-04' });
  log.cancelled('EXP-19-004120', { at: '2021-04-12' });
  log.cancelled('EXP-20-005181', { at: '2021-04-12' });
  return log;
}

function given(log: TestLog) {
  const db = memoryDb(permitStatusProjection, statsProjection);
  applyAll(db, permitStatusProjection, log.events);
  applyAll(db, statsProjection, log.events);
  return { db, queries: new StatsQueries(db) };
}

describe('stats', () => {
  it('given the story: figures by status, by destination, per month and in total', () => {
    expect(given(story()).queries.stats()).toEqual({
      byStatus: [
        { status: 'CANCELLED', count: 2, valueCad: 9_800_000 },
        { status: 'EXPIRED', count: 1, valueCad: 2_000_000 },
        { status: 'ISSUED', count: 1, valueCad: 100_000 },
      ],
      byDestination: [
        { destination: 'DE', status: 'ISSUED', count: 1, valueCad: 100_000 },
        { destination: 'TR', status: 'CANCELLED', count: 2, valueCad: 9_800_000 },
        { destination: 'TR', status: 'EXPIRED', count: 1, valueCad: 2_000_000 },
      ],
      perMonth: [
        { month: '2019-02', issued: 1, suspended: 0, reinstated: 0, cancelled: 0, expired: 0, exhausted: 0 },
        { month: '2019-03', issued: 1, suspended: 0, reinstated: 0, cancelled: 0, expired: 0, exhausted: 0 },
        { month: '2020-05', issued: 2, suspended: 0, reinstated: 0, cancelled: 0, expired: 0, exhausted: 0 },
        { month: '2020-10', issued: 0, suspended: 2, reinstated: 1, cancelled: 0, expired: 0, exhausted: 0 },
        { month: '2020-12', issued: 0, suspended: 0, reinstated: 0, cancelled: 0, expired: 1, exhausted: 0 },
        { month: '2021-01', issued: 0, suspended: 1, reinstated: 0, cancelled: 0, expired: 0, exhausted: 0 },
        { month: '2021-04', issued: 0, suspended: 0, reinstated: 0, cancelled: 2, expired: 0, exhausted: 0 },
      ],
      totals: { permits: 4, valueCad: 11_900_000 },
    });
  });

  it('counts a month by effective time in UTC, not by when it was recorded', () => {
    const log = new TestLog();
    log.issued('EXP-1', {}, { at: '2020-06-30T23:30:00-02:00' }); // 2020-07-01T01:30Z
    expect(given(log).queries.stats().perMonth).toEqual([
      { month: '2020-07', issued: 1, suspended: 0, reinstated: 0, cancelled: 0, expired: 0, exhausted: 0 },
    ]);
  });

  it('counts an exhausted permit by its status and in the month it was used up', () => {
    const log = new TestLog();
    log.issued('EXP-1', {}, { at: '2020-03-01' });
    log.record(
      'permit-EXP-1',
      'ShipmentRecorded',
      { permitNumber: 'EXP-1', declarationRef: 'D-1', lines: [], exportedOn: '2020-04-02' },
      { at: '2020-04-02' },
    );
    log.record('permit-EXP-1', 'PermitExhausted', { permitNumber: 'EXP-1' }, { at: '2020-04-02' });
    const stats = given(log).queries.stats();
    expect(stats.byStatus).toEqual([{ status: 'EXHAUSTED', count: 1, valueCad: 4_200_000 }]);
    expect(stats.perMonth).toEqual([
      { month: '2020-03', issued: 1, suspended: 0, reinstated: 0, cancelled: 0, expired: 0, exhausted: 0 },
      { month: '2020-04', issued: 0, suspended: 0, reinstated: 0, cancelled: 0, expired: 0, exhausted: 1 },
    ]);
  });

  it('given no events: empty figures', () => {
    expect(given(new TestLog()).queries.stats()).toEqual({
      byStatus: [],
      byDestination: [],
      perMonth: [],
      totals: { permits: 0, valueCad: 0 },
    });
  });

  it('the same events twice: same rows', () => {
    const log = story();
    const once = given(log);
    const twice = given(log);
    applyAll(twice.db, statsProjection, log.events);
    expect(dumpTables(twice.db, ['permit_lifecycle_event'])).toEqual(dumpTables(once.db, ['permit_lifecycle_event']));
    expect(twice.queries.stats()).toEqual(once.queries.stats());
  });
  it('ignores events that are no lifecycle figure, those without a permitNumber too', () => {
    const log = new TestLog();
    log.issued('EXP-1', {}, { at: '2020-03-01' });
    log.reviewOpened('EXP-1', 'R1', { at: '2020-03-02' });
    log.measureImposed('TR', 'M-1', {}, { at: '2020-03-03' });
    log.record('permit-EXP-1', 'toString', { permitNumber: 'EXP-1' }, { at: '2020-03-04' });
    const { db } = given(log);
    expect(dumpTables(db, ['permit_lifecycle_event'])).toEqual({
      permit_lifecycle_event: [{ permit_number: 'EXP-1', revision: 0, position: 1, kind: 'issued', month: '2020-03' }],
    });
  });

  it('refuses a lifecycle event without a permitNumber rather than dropping it', () => {
    const log = new TestLog();
    log.record('permit-EXP-1', 'PermitSuspended', { reason: 'review' }, { at: '2020-03-01' });
    const db = memoryDb(statsProjection);
    expect(() => applyAll(db, statsProjection, log.events)).toThrow('PermitSuspended without a permitNumber');
  });

  it('reset empties the figures; the events applied again give the same figures', () => {
    const log = story();
    const { db, queries } = given(log);
    const before = queries.stats().perMonth;
    statsProjection.reset(db);
    expect(dumpTables(db, ['permit_lifecycle_event'])).toEqual({ permit_lifecycle_event: [] });
    expect(queries.stats().perMonth).toEqual([]);
    applyAll(db, statsProjection, log.events);
    expect(queries.stats().perMonth).toEqual(before);
  });
});
