import { describe, expect, it } from '@jest/globals';
import { applyAll, dumpTables, memoryDb, TestLog } from '../testing/events.js';
import { permitHistoryProjection } from './permit-history.projection.js';
import { HistoryQueries } from './permit-history.queries.js';

function given(log: TestLog) {
  const db = memoryDb(permitHistoryProjection);
  applyAll(db, permitHistoryProjection, log.events);
  return { db, queries: new HistoryQueries(db) };
}

describe('permit history projection', () => {
  it('given a permit life: every event with its whole envelope, oldest first', () => {
    const log = new TestLog();
    const issued = log.issued('EXP-19-004120', {}, { at: '2019-03-20' });
    log.measureImposed('TR', 'M1'); // another stream: not in the permit's history
    const suspended = log.suspended('EXP-19-004120', {
      at: '2020-10-05',
      decisionRef: 'MIN-2020-10-05',
      reason: 'credible risk',
      legalBasis: 'EIPA s.10(1)',
      actor: { id: 'minister-1', role: 'minister', executor: 'decision-process' },
      causationId: 'evt-decision',
    });

    const history = given(log).queries.history('EXP-19-004120');

    expect(history).toHaveLength(2);
    expect(history![0]).toEqual({
      type: 'PermitIssued',
      schemaVersion: 1,
      revision: 0,
      position: issued.position,
      recordedAt: issued.recordedAt,
      effectiveAt: '2019-03-20T00:00:00.000Z',
      actor: { id: 'officer-1', role: 'officer' },
      data: issued.data,
      commandId: issued.metadata.commandId,
      correlationId: issued.metadata.correlationId,
      causationId: null,
      eventId: issued.eventId,
      prevHash: null,
      hash: issued.hash,
    });
    expect(history![1]).toMatchObject({
      type: 'PermitSuspended',
      revision: 1,
      position: 3,
      actor: { id: 'minister-1', role: 'minister', executor: 'decision-process' },
      reason: 'credible risk',
      legalBasis: 'EIPA s.10(1)',
      decisionRef: 'MIN-2020-10-05',
      causationId: 'evt-decision',
      prevHash: issued.hash,
      hash: suspended.hash,
    });
  });

  it('keeps event types it does not know: an audit history is complete', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.record('permit-EXP-1', 'PermitAnnotated', { permitNumber: 'EXP-1', note: 'future event type' });
    expect(
      given(log)
        .queries.history('EXP-1')!
        .map((e) => e.type),
    ).toEqual(['PermitIssued', 'PermitAnnotated']);
  });

  it('answers null for an unknown permit', () => {
    expect(given(new TestLog()).queries.history('EXP-0')).toBeNull();
  });

  it('the same events twice: same rows', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.issued('EXP-2');
    log.suspended('EXP-1');
    log.cancelled('EXP-1');
    const once = given(log);
    const twice = given(log);
    applyAll(twice.db, permitHistoryProjection, log.events);
    applyAll(twice.db, permitHistoryProjection, [log.events[0]!]);
    expect(dumpTables(twice.db, ['permit_history'])).toEqual(dumpTables(once.db, ['permit_history']));
  });

  it('fails on a revision gap rather than record a history with a hole', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.suspended('EXP-1');
    log.reinstated('EXP-1');
    const db = memoryDb(permitHistoryProjection);
    expect(() => applyAll(db, permitHistoryProjection, [log.events[0]!, log.events[2]!])).toThrow(
      new Error('permit-EXP-1: revision 2 arrived after 0; events are missing'),
    );
  });

  it('fails on a stream whose first event arrives without revision 0', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.suspended('EXP-1');
    const db = memoryDb(permitHistoryProjection);
    expect(() => applyAll(db, permitHistoryProjection, [log.events[1]!])).toThrow(
      new Error('permit-EXP-1: revision 1 arrived after none; events are missing'),
    );
  });

  it('keeps only the events of permit streams', () => {
    const log = new TestLog();
    log.measureImposed('TR', 'M1');
    log.record('application-APP-1', 'ApplicationWithdrawn', { applicationRef: 'APP-1', reason: 'r' });
    log.issued('EXP-1');
    const rows = dumpTables(given(log).db, ['permit_history'])['permit_history'] as Array<{ permit_number: string; position: number }>;
    expect(rows.map((r) => [r.permit_number, r.position])).toEqual([['EXP-1', 3]]);
  });

  it('reset deletes every row; the log applied again rebuilds the same ones', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.suspended('EXP-1');
    const { db } = given(log);
    const before = dumpTables(db, ['permit_history']);
    permitHistoryProjection.reset(db);
    expect(dumpTables(db, ['permit_history'])).toEqual({ permit_history: [] });
    applyAll(db, permitHistoryProjection, log.events);
    expect(dumpTables(db, ['permit_history'])).toEqual(before);
  });
});
