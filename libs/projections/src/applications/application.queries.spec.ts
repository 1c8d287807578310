import { beforeAll, describe, expect, it } from '@jest/globals';
import { encodeCursor, MAX_PAGE_SIZE } from '../status/permit-status.queries.js';
import { applyAll, memoryDb, TestLog } from '../testing/events.js';
import { applicationsProjection } from './application.projection.js';
import { ApplicationQueries } from './application.queries.js';

const form = (applicationRef: string, destination: string) => ({
  applicationRef,
  destination,
  exporter: { name: 'Northfield Optronics Inc.' },
  consignee: { name: 'Anadolu UAV Systems', country: destination },
  endUser: { name: 'Anadolu UAV Systems', country: destination },
  intendedEndUse: 'integration on unmanned aerial vehicles',
  items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 }],
  exceptionGround: null,
});

const ref = (i: number) => `APP-${String(i).padStart(4, '0')}`;

/** Applications submitted to TR and DE; some of TR's held by one of two measures. */
function given(count: number) {
  const log = new TestLog();
  const app = (r: string, type: string, data: Record<string, unknown>) =>
    log.record(`application-${r}`, type, { applicationRef: r, ...data }, { at: '2020-06-01' });
  // Submitted in descending order: the lists are ordered by reference, not by submission.
  for (let i = count; i >= 1; i--) app(ref(i), 'ApplicationSubmitted', form(ref(i), i % 2 === 0 ? 'DE' : 'TR'));
  app(ref(1), 'ApplicationPlacedOnHold', { measureId: 'TR-HALT' });
  app(ref(3), 'ApplicationPlacedOnHold', { measureId: 'TR-NTE' });
  app(ref(5), 'ApplicationPlacedOnHold', { measureId: 'TR-HALT' });
  const db = memoryDb(applicationsProjection);
  applyAll(db, applicationsProjection, log.events);
  return new ApplicationQueries(db);
}

describe('ApplicationQueries', () => {
  // Built only when one of these tests runs: a mutation run picks tests by name.
  let queries: ApplicationQueries;
  beforeAll(() => {
    queries = given(MAX_PAGE_SIZE + 2);
  });
  const refs = (filter: Parameters<ApplicationQueries['list']>[0]) => queries.list(filter).items.map((a) => a.applicationRef);

  it('lists the applications awaiting a decision on a change of measures: held by that measure, or submitted and not held', () => {
    expect(queries.awaitingDecision('TR', 'TR-HALT')).toEqual([ref(1), ref(5)]);
    expect(queries.awaitingDecision('TR', 'TR-NTE')).toEqual([ref(3)]);
    expect(queries.awaitingDecision('DE', 'TR-HALT')).toEqual([]);
    expect(queries.awaitingDecision('TR', null).slice(0, 3)).toEqual([ref(7), ref(9), ref(11)]);
    expect(queries.awaitingDecision('DE', null).slice(0, 2)).toEqual([ref(2), ref(4)]);
    expect(queries.awaitingDecision('FR', null)).toEqual([]);
  });

  it('filters by status and destination together, in reference order', () => {
    expect(refs({ status: 'ON_HOLD', limit: 10 })).toEqual([ref(1), ref(3), ref(5)]);
    expect(refs({ status: 'ON_HOLD', destination: 'DE', limit: 10 })).toEqual([]);
    expect(refs({ status: 'SUBMITTED', destination: 'TR', limit: 2 })).toEqual([ref(7), ref(9)]);
    expect(refs({ destination: 'DE', limit: 2 })).toEqual([ref(2), ref(4)]);
  });

  it(`pages: the limit cut to a whole number within 1..${MAX_PAGE_SIZE}, a next cursor only while rows are left`, () => {
    expect(refs({ limit: 2.7 })).toEqual([ref(1), ref(2)]);
    for (const limit of [0, -1, 0.5, Number.NaN]) expect(refs({ limit })).toEqual([ref(1)]);
    const full = queries.list({ limit: MAX_PAGE_SIZE + 1 });
    expect(full.items).toHaveLength(MAX_PAGE_SIZE);
    expect(full.nextCursor).toBe(encodeCursor(ref(MAX_PAGE_SIZE)));
    const last = queries.list({ limit: 2, cursor: full.nextCursor! });
    expect(last).toMatchObject({
      items: [{ applicationRef: ref(MAX_PAGE_SIZE + 1) }, { applicationRef: ref(MAX_PAGE_SIZE + 2) }],
      nextCursor: null,
    });
    expect(queries.list({ limit: 1, status: 'ON_HOLD', cursor: encodeCursor(ref(1)) })).toMatchObject({
      items: [{ applicationRef: ref(3) }],
      nextCursor: encodeCursor(ref(3)),
    });
  });

  it('answers a held application whole, and null for an unknown one', () => {
    expect(queries.get(ref(3))).toEqual({
      ...form(ref(3), 'TR'),
      status: 'ON_HOLD',
      heldBy: 'TR-NTE',
      permitNumber: null,
      criteria: [],
      submittedAt: '2020-06-01T00:00:00.000Z',
      updatedAt: '2020-06-01T00:00:00.000Z',
      revision: 1,
      position: MAX_PAGE_SIZE + 4,
    });
    expect(queries.get('APP-X')).toBeNull();
  });
});
