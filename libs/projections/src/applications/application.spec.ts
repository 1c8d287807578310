import { describe, expect, it } from '@jest/globals';
import { InvalidCursorError } from '../status/permit-status.queries.js';
import { applyAll, dumpTables, memoryDb, TestLog } from '../testing/events.js';
import { applicationsProjection } from './application.projection.js';
import { ApplicationQueries } from './application.queries.js';

const form = (applicationRef: string, destination = 'TR') => ({
  applicationRef,
  destination,
  exporter: { name: 'Northfield Optronics Inc.' },
  consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
  endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
  intendedEndUse: 'integration on unmanned aerial vehicles',
  items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 }],
  exceptionGround: null,
});

/** The 2019 halt holds three applications; one is withdrawn, one refused, one released and approved. */
function turkey(): TestLog {
  const log = new TestLog();
  const app = (ref: string, type: string, data: Record<string, unknown>, at: string) =>
    log.record(`application-${ref}`, type, { applicationRef: ref, ...data }, { at });
  for (const ref of ['APP-1', 'APP-2', 'APP-3']) {
    app(ref, 'ApplicationSubmitted', form(ref), '2019-10-20');
    app(ref, 'ApplicationPlacedOnHold', { measureId: 'TR-2019-HALT' }, '2019-10-20');
  }
  log.issued('EXP-1'); // other streams interleave in the global log
  app('APP-1', 'ApplicationWithdrawn', { reason: 'contract cancelled' }, '2019-12-01');
  app('APP-2', 'ApplicationRefused', { criteria: ['IHL_VIOLATION'], reason: 'risk', legalBasis: 'EIPA s.7.3' }, '2020-02-01');
  app('APP-3', 'ApplicationPlacedOnHold', { measureId: 'TR-NTE-992' }, '2020-04-16');
  app('APP-3', 'ApplicationReleasedFromHold', { measureId: 'TR-NTE-992' }, '2020-05-01');
  app(
    'APP-3',
    'ApplicationApproved',
    { permitNumber: 'EXP-20-005181', validFrom: '2020-05-14', expiresOn: '2022-05-13', conditions: [] },
    '2020-05-14',
  );
  app('APP-4', 'ApplicationSubmitted', form('APP-4', 'DE'), '2020-06-01');
  return log;
}

function given(log: TestLog) {
  const db = memoryDb(applicationsProjection);
  applyAll(db, applicationsProjection, log.events);
  return { db, queries: new ApplicationQueries(db) };
}

describe('applications projection', () => {
  it('keeps each application as it stands: status, hold, permit, criteria', () => {
    const { queries } = given(turkey());
    expect(queries.get('APP-1')).toMatchObject({ status: 'WITHDRAWN', heldBy: null, permitNumber: null, criteria: [] });
    expect(queries.get('APP-2')).toMatchObject({ status: 'REFUSED', criteria: ['IHL_VIOLATION'] });
    expect(queries.get('APP-3')).toEqual({
      ...form('APP-3'),
      status: 'APPROVED',
      heldBy: null,
      permitNumber: 'EXP-20-005181',
      criteria: [],
      submittedAt: '2019-10-20T00:00:00.000Z',
      updatedAt: '2020-05-14T00:00:00.000Z',
      revision: 4,
      position: 12,
    });
    expect(queries.get('APP-4')).toMatchObject({ status: 'SUBMITTED', destination: 'DE' });
    expect(queries.get('APP-9')).toBeNull();
  });

  it('shows the measure holding an application, and the one that took the hold over', () => {
    const log = turkey();
    const upToReplacement = log.events.slice(
      0,
      log.events.findIndex((e) => e.type === 'ApplicationReleasedFromHold'),
    );
    const db = memoryDb(applicationsProjection);
    applyAll(db, applicationsProjection, upToReplacement);
    const queries = new ApplicationQueries(db);
    expect(queries.get('APP-3')).toMatchObject({ status: 'ON_HOLD', heldBy: 'TR-NTE-992' });
    expect(queries.awaitingDecision('TR', 'TR-NTE-992')).toEqual(['APP-3']);
    expect(queries.awaitingDecision('TR', 'TR-2019-HALT')).toEqual([]);
    expect(queries.awaitingDecision('DE', null)).toEqual([]);
  });

  it('puts an application released from its hold back among those awaiting a decision', () => {
    const log = turkey();
    const upToRelease = log.events.slice(
      0,
      log.events.findIndex((e) => e.type === 'ApplicationApproved'),
    );
    const db = memoryDb(applicationsProjection);
    applyAll(db, applicationsProjection, upToRelease);
    const queries = new ApplicationQueries(db);
    expect(queries.get('APP-3')).toMatchObject({ status: 'SUBMITTED', heldBy: null, updatedAt: '2020-05-01T00:00:00.000Z' });
    expect(queries.awaitingDecision('TR', null)).toEqual(['APP-3']);
    expect(queries.awaitingDecision('TR', 'TR-NTE-992')).toEqual([]);
  });

  it('ignores event types it does not handle, and application events of other streams', () => {
    const log = new TestLog();
    log.record('application-A', 'ApplicationSubmitted', form('A'));
    log.record('application-A', 'ApplicationAnnotated', { applicationRef: 'A', note: 'future event type' });
    log.record('permit-EXP-1', 'ApplicationWithdrawn', { applicationRef: 'A', reason: 'not an application stream' });
    log.record('permit-EXP-2', 'ApplicationSubmitted', form('B'));
    const { queries } = given(log);
    expect(queries.get('A')).toMatchObject({ status: 'SUBMITTED', revision: 0, position: 1 });
    expect(queries.get('B')).toBeNull();
  });

  it('reset deletes every row; the log applied again rebuilds the same ones', () => {
    const log = turkey();
    const { db } = given(log);
    const before = dumpTables(db, ['application_status']);
    applicationsProjection.reset(db);
    expect(dumpTables(db, ['application_status'])).toEqual({ application_status: [] });
    applyAll(db, applicationsProjection, log.events);
    expect(dumpTables(db, ['application_status'])).toEqual(before);
  });

  it('lists by status and destination, a page at a time', () => {
    const { queries } = given(turkey());
    expect(queries.list({ destination: 'TR', limit: 10 }).items.map((a) => a.applicationRef)).toEqual(['APP-1', 'APP-2', 'APP-3']);
    expect(queries.list({ status: 'SUBMITTED', limit: 10 }).items.map((a) => a.applicationRef)).toEqual(['APP-4']);
    const first = queries.list({ limit: 2 });
    expect(first.items.map((a) => a.applicationRef)).toEqual(['APP-1', 'APP-2']);
    const second = queries.list({ limit: 2, cursor: first.nextCursor! });
    expect(second).toMatchObject({ items: [{ applicationRef: 'APP-3' }, { applicationRef: 'APP-4' }], nextCursor: null });
    expect(() => queries.list({ limit: 2, cursor: '!!' })).toThrow(InvalidCursorError);
  });

  it('is idempotent: the log delivered twice (or a batch again) leaves the same rows', () => {
    const log = turkey();
    const once = dumpTables(given(log).db, ['application_status']);
    const db = memoryDb(applicationsProjection);
    applyAll(db, applicationsProjection, log.events);
    applyAll(db, applicationsProjection, log.events.slice(3));
    expect(dumpTables(db, ['application_status'])).toEqual(once);
  });

  it('stops on an event for an application it never saw submitted, and on a newer schema', () => {
    const log = new TestLog();
    log.record('application-X', 'ApplicationWithdrawn', { applicationRef: 'X', reason: 'r' });
    expect(() => given(log)).toThrow('for unknown application X');
    const newer = new TestLog();
    newer.record('application-Y', 'ApplicationSubmitted', form('Y'), { schemaVersion: 2 });
    expect(() => given(newer)).toThrow('newer than this projection knows');
  });
});
