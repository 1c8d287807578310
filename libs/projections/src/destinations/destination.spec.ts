import { describe, expect, it } from '@jest/globals';
import { applyAll, dumpTables, memoryDb, TestLog } from '../testing/events.js';
import { destinationsProjection } from './destination.projection.js';
import { DestinationQueries } from './destination.queries.js';

const TABLES = ['destination_measure', 'destination_event'];

/** Turkey, 2019-2024 (domain.md "The story"). */
function turkey(): TestLog {
  const log = new TestLog();
  log.measureImposed('TR', 'TR-2019-halt', { reference: 'ministerial statement 2019-10-11' }, { at: '2019-10-11' });
  log.issued('EXP-1'); // other streams interleave in the global log
  log.measureLifted('TR', 'TR-2019-halt', 'NtE 992', { at: '2020-04-16' });
  log.measureImposed(
    'TR',
    'TR-2020-nte-992',
    { kind: 'presumptive_denial', eclGroups: [2], exceptionGrounds: ['nato_cooperation'], reference: 'NtE 992' },
    { at: '2020-04-16' },
  );
  log.measureLifted('TR', 'TR-2020-nte-992', 'NtE 1108', { at: '2024-01-29' });
  return log;
}

function given(log: TestLog) {
  const db = memoryDb(destinationsProjection);
  applyAll(db, destinationsProjection, log.events);
  return { db, queries: new DestinationQueries(db) };
}

describe('destinations projection', () => {
  it('given the Turkish measures: both lifted, nothing in force today, a four-event timeline', () => {
    const view = given(turkey()).queries.get('TR')!;

    expect(view.inForce).toEqual([]);
    expect(view.measures).toEqual([
      {
        country: 'TR',
        measureId: 'TR-2019-halt',
        kind: 'issuance_suspended',
        eclGroups: null,
        exceptionGrounds: [],
        reference: 'ministerial statement 2019-10-11',
        reason: 'military operation in north-eastern Syria',
        imposedAt: '2019-10-11T00:00:00.000Z',
        liftedAt: '2020-04-16T00:00:00.000Z',
        liftReference: 'NtE 992',
        liftReason: 'superseded',
        revision: 1,
      },
      expect.objectContaining({
        measureId: 'TR-2020-nte-992',
        kind: 'presumptive_denial',
        eclGroups: [2],
        exceptionGrounds: ['nato_cooperation'],
        liftedAt: '2024-01-29T00:00:00.000Z',
        liftReference: 'NtE 1108',
        revision: 3,
      }),
    ]);
    expect(view.history.map((h) => [h.type, h.revision, h.position, h.effectiveAt.slice(0, 10)])).toEqual([
      ['DestinationMeasureImposed', 0, 1, '2019-10-11'],
      ['DestinationMeasureLifted', 1, 3, '2020-04-16'],
      ['DestinationMeasureImposed', 2, 4, '2020-04-16'],
      ['DestinationMeasureLifted', 3, 5, '2024-01-29'],
    ]);
    expect(view.history[1]!.data).toEqual({ country: 'TR', measureId: 'TR-2019-halt', reference: 'NtE 992', reason: 'superseded' });
  });

  it('answers what was in force at a date', () => {
    const { queries } = given(turkey());
    const inForce = (at: string) => queries.get('TR', at)!.inForce.map((m) => m.measureId);
    expect(inForce('2019-10-10')).toEqual([]);
    expect(inForce('2019-12-01')).toEqual(['TR-2019-halt']);
    expect(inForce('2020-04-16')).toEqual(['TR-2020-nte-992']); // the lifting and the new measure, same day
    expect(inForce('2020-05-14T12:00:00Z')).toEqual(['TR-2020-nte-992']);
    expect(inForce('2024-01-29')).toEqual([]);
  });

  it('lists a measure not yet lifted as in force', () => {
    const log = new TestLog();
    log.measureImposed('TR', 'M1', {}, { at: '2019-10-11' });
    expect(
      given(log)
        .queries.get('TR')!
        .inForce.map((m) => m.measureId),
    ).toEqual(['M1']);
  });

  it('answers null for a country with no record', () => {
    expect(given(turkey()).queries.get('DE')).toBeNull();
  });

  it('the same events twice: same rows', () => {
    const log = turkey();
    const once = given(log);
    const twice = given(log);
    applyAll(twice.db, destinationsProjection, log.events);
    applyAll(twice.db, destinationsProjection, [log.events[0]!, log.events[2]!]);
    expect(dumpTables(twice.db, TABLES)).toEqual(dumpTables(once.db, TABLES));
  });

  it('reads a measure recorded without exception grounds as allowing none', () => {
    const log = new TestLog();
    const data = { country: 'TR', measureId: 'M1', kind: 'issuance_suspended', eclGroups: null, reference: 'ref', reason: 'r' };
    log.record('destination-TR', 'DestinationMeasureImposed', data);
    expect(given(log).queries.get('TR')!.measures).toEqual([expect.objectContaining({ measureId: 'M1', exceptionGrounds: [] })]);
  });

  it('reset deletes every row; the log applied again rebuilds the same ones', () => {
    const log = turkey();
    const { db } = given(log);
    const before = dumpTables(db, TABLES);
    destinationsProjection.reset(db);
    expect(dumpTables(db, TABLES)).toEqual({ destination_measure: [], destination_event: [] });
    applyAll(db, destinationsProjection, log.events);
    expect(dumpTables(db, TABLES)).toEqual(before);
  });

  it('fails on a measure imposed again in a later event, which is no re-delivery', () => {
    const log = new TestLog();
    log.measureImposed('TR', 'M1');
    log.measureImposed('TR', 'M1');
    const db = memoryDb(destinationsProjection);
    expect(() => applyAll(db, destinationsProjection, log.events)).toThrow(new Error('measure M1 imposed twice on TR'));
  });

  it('fails on a destination event without a country, naming its type', () => {
    const log = new TestLog();
    log.record('destination-TR', 'DestinationMeasureLifted', { measureId: 'M1', reference: 'NtE 1', reason: 'r' });
    const db = memoryDb(destinationsProjection);
    expect(() => applyAll(db, destinationsProjection, log.events)).toThrow(new Error('DestinationMeasureLifted without a country'));
  });

  it('fails on a lift of a measure it never saw imposed', () => {
    const log = new TestLog();
    log.measureLifted('TR', 'M-unknown', 'NtE 1');
    const db = memoryDb(destinationsProjection);
    expect(() => applyAll(db, destinationsProjection, log.events)).toThrow(/not in force/);
  });
});
