import { describe, expect, it } from '@jest/globals';
import { applyAll, memoryDb, TestLog } from '../testing/events.js';
import { permitHistoryProjection } from './permit-history.projection.js';
import { HistoryQueries, toHistoryEntry } from './permit-history.queries.js';

describe('HistoryQueries', () => {
  it('leaves out what the event does not record: no executor, reason, legal basis or decision key at all', () => {
    const log = new TestLog();
    const issued = log.issued('EXP-19-004120', {}, { at: '2019-03-20' });
    const entry = toHistoryEntry(issued);
    expect(Object.keys(entry).sort()).toEqual(
      [
        'type',
        'schemaVersion',
        'revision',
        'position',
        'recordedAt',
        'effectiveAt',
        'actor',
        'data',
        'commandId',
        'correlationId',
        'causationId',
        'eventId',
        'prevHash',
        'hash',
      ].sort(),
    );
    expect(Object.keys(entry.actor)).toEqual(['id', 'role']);
  });

  it('keeps each of them on its own when the event records it, the decision from the data when the metadata has none', () => {
    const log = new TestLog();
    log.issued('EXP-19-004120');
    const byExecutor = toHistoryEntry(log.reinstated('EXP-19-004120', { actor: { id: 'minister-1', role: 'minister', executor: 'pm' } }));
    expect(byExecutor.actor).toStrictEqual({ id: 'minister-1', role: 'minister', executor: 'pm' });
    expect('reason' in byExecutor || 'legalBasis' in byExecutor || 'decisionRef' in byExecutor).toBe(false);
    const reasoned = toHistoryEntry(log.reinstated('EXP-19-004120', { reason: 'review found no breach' }));
    expect(reasoned).toMatchObject({ reason: 'review found no breach' });
    expect('legalBasis' in reasoned || 'decisionRef' in reasoned).toBe(false);
    const based = toHistoryEntry(log.reinstated('EXP-19-004120', { legalBasis: 'EIPA s.10(1)' }));
    expect(based).toMatchObject({ legalBasis: 'EIPA s.10(1)' });
    expect('reason' in based || 'decisionRef' in based).toBe(false);
    const decided = toHistoryEntry(log.suspended('EXP-19-004120', { dataDecisionRef: 'MIN-2020-10-05' }));
    expect(decided).toMatchObject({ decisionRef: 'MIN-2020-10-05' });
    expect('reason' in decided || 'legalBasis' in decided).toBe(false);
  });

  it('answers the history oldest first from the stored envelopes, and null for a permit with none', () => {
    const log = new TestLog();
    log.issued('EXP-2');
    log.issued('EXP-1');
    log.suspended('EXP-1', { reason: 'r' });
    log.reinstated('EXP-1');
    const db = memoryDb(permitHistoryProjection);
    applyAll(db, permitHistoryProjection, log.events);
    const queries = new HistoryQueries(db);
    expect(queries.history('EXP-1')).toStrictEqual(log.events.filter((e) => e.stream === 'permit-EXP-1').map(toHistoryEntry));
    expect(queries.history('EXP-1')!.map((e) => e.type)).toEqual(['PermitIssued', 'PermitSuspended', 'PermitReinstated']);
    expect(queries.history('EXP-3')).toBeNull();
  });
});
