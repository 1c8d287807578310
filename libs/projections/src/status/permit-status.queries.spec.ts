import { beforeAll, describe, expect, it } from '@jest/globals';
import { applyAll, memoryDb, TestLog } from '../testing/events.js';
import { permitStatusProjection } from './permit-status.projection.js';
import { decodeCursor, encodeCursor, InvalidCursorError, MAX_PAGE_SIZE, PermitStatusQueries } from './permit-status.queries.js';

function given(log: TestLog) {
  const db = memoryDb(permitStatusProjection);
  applyAll(db, permitStatusProjection, log.events);
  return new PermitStatusQueries(db);
}

const permitNumber = (i: number) => `EXP-19-${String(i).padStart(6, '0')}`;

describe('PermitStatusQueries', () => {
  describe('page size', () => {
    // Built only when one of these tests runs: a mutation run picks tests by name.
    let queries: PermitStatusQueries;
    beforeAll(() => {
      const log = new TestLog();
      for (let i = 1; i <= MAX_PAGE_SIZE + 2; i++) log.issued(permitNumber(i));
      queries = given(log);
    });
    const size = (limit: number) => queries.list({ limit }).items.length;

    it('is the limit asked for, cut to a whole number, with a next cursor while rows are left', () => {
      expect(size(3)).toBe(3);
      expect(size(3.9)).toBe(3);
      const page = queries.list({ limit: 2 });
      expect(page.nextCursor).toBe(encodeCursor(permitNumber(2)));
      expect(decodeCursor(page.nextCursor!)).toBe(permitNumber(2));
    });

    it('is at least one: zero, a negative, a fraction below one or no number ask for one row', () => {
      for (const limit of [0, -5, 0.5, Number.NaN]) {
        expect(queries.list({ limit }).items.map((p) => p.permitNumber)).toEqual([permitNumber(1)]);
      }
    });

    it(`is at most ${MAX_PAGE_SIZE}`, () => {
      expect(size(MAX_PAGE_SIZE)).toBe(MAX_PAGE_SIZE);
      const page = queries.list({ limit: MAX_PAGE_SIZE + 1 });
      expect(page.items).toHaveLength(MAX_PAGE_SIZE);
      expect(page.nextCursor).toBe(encodeCursor(permitNumber(MAX_PAGE_SIZE)));
      expect(size(Number.POSITIVE_INFINITY)).toBe(MAX_PAGE_SIZE);
      // The last page: exactly the rows left, no next cursor.
      const last = queries.list({ limit: 3, cursor: encodeCursor(permitNumber(MAX_PAGE_SIZE - 1)) });
      expect(last.items.map((p) => p.permitNumber)).toEqual([
        permitNumber(MAX_PAGE_SIZE),
        permitNumber(MAX_PAGE_SIZE + 1),
        permitNumber(MAX_PAGE_SIZE + 2),
      ]);
      expect(last.nextCursor).toBeNull();
    });
  });

  describe('cursor', () => {
    it('round-trips any permit number, Unicode included', () => {
      for (const n of ['EXP-19-004120', 'a', 'é/+_-?', '\u{1F6E9}']) expect(decodeCursor(encodeCursor(n))).toBe(n);
      expect(encodeCursor('EXP-1')).toBe('RVhQLTE');
    });

    it('refuses, with INVALID_CURSOR and the cursor, what encodeCursor never gives', () => {
      // empty; not base64url; base64 (not url) letters; padded; one character (no byte); non-canonical bits; not UTF-8
      for (const bad of ['', '!!!', 'RVhQ+TE', 'RVhQ/TE', 'RVhQLTE=', 'R', 'RVhQLTF', '_w', ' RVhQLTE', 'RVhQLTE\n']) {
        let error: unknown;
        try {
          decodeCursor(bad);
        } catch (thrown) {
          error = thrown;
        }
        expect(error).toBeInstanceOf(InvalidCursorError);
        expect(error).toMatchObject({
          code: 'INVALID_CURSOR',
          name: 'InvalidCursorError',
          cursor: bad,
          message: 'cursor is malformed: pass nextCursor from a previous page unchanged',
        });
      }
    });
  });

  describe('a row', () => {
    it('shows the open review with when it opened, and none once it is concluded', () => {
      const log = new TestLog();
      log.issued('EXP-19-004120', {}, { at: '2019-03-20' });
      log.reviewOpened('EXP-19-004120', 'R-1', { at: '2020-10-05' });
      expect(given(log).get('EXP-19-004120')?.openReview).toEqual({ reviewId: 'R-1', openedAt: '2020-10-05T00:00:00.000Z' });
      log.reviewConcluded('EXP-19-004120', 'R-1', { at: '2020-11-05' });
      expect(given(log).get('EXP-19-004120')?.openReview).toBeNull();
    });

    it('rounds what is left of an item to the cent', () => {
      const N = 'EXP-19-004120';
      const log = new TestLog();
      log.issued(N, { items: [{ eclItem: '2-15.a', description: 'sensor', quantity: 3, unit: 'unit', valueCad: 0.3 }] });
      log.record(`permit-${N}`, 'ShipmentRecorded', {
        permitNumber: N,
        declarationRef: 'D-1',
        exportedOn: '2020-01-02',
        lines: [{ item: 0, quantity: 1, valueCad: 0.1 }],
      });
      // 0.3 - 0.1 is 0.19999999999999998 in binary floating point.
      expect(given(log).get(N)?.usage).toEqual([
        { item: 0, quantityShipped: 1, valueShippedCad: 0.1, quantityRemaining: 2, valueRemainingCad: 0.2 },
      ]);
    });
  });
});
