import { describe, expect, it } from '@jest/globals';
import { permitHistoryProjection } from '../history/permit-history.projection.js';
import { applyAll, dumpTables, memoryDb, TestLog } from '../testing/events.js';
import { permitStatusProjection } from './permit-status.projection.js';
import { encodeCursor, InvalidCursorError, PermitStatusQueries } from './permit-status.queries.js';

const TABLES = ['permit_status', 'permit_ecl_item', 'permit_decision'];

function given(log: TestLog) {
  const db = memoryDb(permitStatusProjection);
  applyAll(db, permitStatusProjection, log.events);
  return { db, queries: new PermitStatusQueries(db) };
}

describe('permit status projection', () => {
  it('given PermitIssued: a row with the permit as issued', () => {
    const log = new TestLog();
    log.issued('EXP-19-004120', { supersedes: 'EXP-18-000001' }, { at: '2019-03-20' });

    expect(given(log).queries.get('EXP-19-004120')).toEqual({
      permitNumber: 'EXP-19-004120',
      status: 'ISSUED',
      destination: 'TR',
      exporter: { name: 'Northfield Optronics Inc.', businessNumber: '861234567' },
      consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
      endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
      eclItems: ['2-15.a'],
      totalValueCad: 4_200_000,
      validFrom: '2019-03-20',
      expiresOn: '2022-03-19',
      revision: 0,
      position: 1,
      openReview: null,
      lastDecisionRef: null,
      supersedes: 'EXP-18-000001',
      issuedAt: '2019-03-20T00:00:00.000Z',
      updatedAt: '2019-03-20T00:00:00.000Z',
      usage: [{ item: 0, quantityShipped: 0, valueShippedCad: 0, quantityRemaining: 6, valueRemainingCad: 4_200_000 }],
    });
  });

  describe('usage', () => {
    const N = 'EXP-19-004120';
    const items = [
      { eclItem: '2-15.a', description: 'EO/IR sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 },
      { eclItem: '2-15.a', description: 'EO/IR sensor spare', quantity: 2, unit: 'unit', valueCad: 100_000.5 },
    ];
    const shipment = (log: TestLog, ref: string, exportedOn: string, lines: Array<{ item: number; quantity: number; valueCad: number }>) =>
      log.record(`permit-${N}`, 'ShipmentRecorded', { permitNumber: N, declarationRef: ref, lines, exportedOn }, { at: exportedOn });

    it('adds each declaration to its items and shows what is left, to the cent', () => {
      const log = new TestLog();
      log.issued(N, { items }, { at: '2019-03-20' });
      shipment(log, 'D-1', '2019-06-01', [
        { item: 0, quantity: 2, valueCad: 1_400_000 },
        { item: 1, quantity: 1, valueCad: 50_000.25 },
      ]);
      shipment(log, 'D-2', '2019-07-01', [{ item: 0, quantity: 1, valueCad: 700_000 }]);
      expect(given(log).queries.get(N)).toMatchObject({
        status: 'ISSUED',
        usage: [
          { item: 0, quantityShipped: 3, valueShippedCad: 2_100_000, quantityRemaining: 3, valueRemainingCad: 2_100_000 },
          { item: 1, quantityShipped: 1, valueShippedCad: 50_000.25, quantityRemaining: 1, valueRemainingCad: 50_000.25 },
        ],
      });
    });

    it('a late declaration counts on a suspended permit and does not move updatedAt back', () => {
      const log = new TestLog();
      log.issued(N, { items }, { at: '2019-03-20' });
      log.suspended(N, { at: '2020-10-05' });
      shipment(log, 'D-LATE', '2020-09-30', [{ item: 1, quantity: 2, valueCad: 100_000.5 }]);
      expect(given(log).queries.get(N)).toMatchObject({
        status: 'SUSPENDED',
        revision: 2,
        updatedAt: '2020-10-05T00:00:00.000Z',
        usage: [
          { item: 0, quantityShipped: 0, quantityRemaining: 6 },
          { item: 1, quantityShipped: 2, valueShippedCad: 100_000.5, quantityRemaining: 0, valueRemainingCad: 0 },
        ],
      });
    });

    it('an amendment of the items keeps what was shipped of each; PermitExhausted sets EXHAUSTED', () => {
      const log = new TestLog();
      log.issued(N, { items }, { at: '2019-03-20' });
      shipment(log, 'D-1', '2019-06-01', [{ item: 0, quantity: 4, valueCad: 2_800_000 }]);
      log.amended(N, { items: [{ ...items[0]!, quantity: 4, valueCad: 2_800_000 }, items[1]!] }, 2_900_000.5, { at: '2019-07-01' });
      expect(given(log).queries.get(N)?.usage[0]).toEqual({
        item: 0,
        quantityShipped: 4,
        valueShippedCad: 2_800_000,
        quantityRemaining: 0,
        valueRemainingCad: 0,
      });
      shipment(log, 'D-2', '2019-08-01', [{ item: 1, quantity: 2, valueCad: 100_000.5 }]);
      log.record(`permit-${N}`, 'PermitExhausted', { permitNumber: N }, { at: '2019-08-01' });
      const { queries } = given(log);
      expect(queries.get(N)?.status).toBe('EXHAUSTED');
      expect(queries.list({ status: 'EXHAUSTED', limit: 10 }).items.map((r) => r.permitNumber)).toEqual([N]);
    });

    describe('a read-models file from before usage was kept', () => {
      /** The permit issued, one shipment D-1 projected, in a file whose rows have no usage yet. */
      function upgraded(addColumn: boolean) {
        const log = new TestLog();
        log.issued(N, { items }, { at: '2019-03-20' });
        shipment(log, 'D-1', '2019-06-01', [{ item: 0, quantity: 2, valueCad: 1_400_000 }]);
        const db = memoryDb(permitHistoryProjection, permitStatusProjection);
        applyAll(db, permitHistoryProjection, log.events);
        applyAll(db, permitStatusProjection, log.events);
        if (addColumn) {
          db.exec('ALTER TABLE permit_status DROP COLUMN usage_json');
          permitStatusProjection.setup(db);
        } else {
          db.exec("UPDATE permit_status SET usage_json = '[]'");
        }
        return { log, db, queries: new PermitStatusQueries(db) };
      }

      it('gains usage from the permit items when the column is added, and counts new shipments', () => {
        const { log, db, queries } = upgraded(true);
        // D-1 came before the column: it shows only after a rebuild.
        expect(queries.get(N)?.usage.map((u) => u.quantityRemaining)).toEqual([6, 2]);
        shipment(log, 'D-2', '2019-07-01', [{ item: 0, quantity: 1, valueCad: 700_000 }]);
        applyAll(db, permitStatusProjection, log.events);
        expect(queries.get(N)?.usage[0]).toMatchObject({ quantityShipped: 1, quantityRemaining: 5 });
      });

      it('a row left without usage starts it from its items at its next shipment', () => {
        const { log, db, queries } = upgraded(false);
        shipment(log, 'D-2', '2019-07-01', [{ item: 1, quantity: 1, valueCad: 50_000 }]);
        applyAll(db, permitHistoryProjection, log.events);
        applyAll(db, permitStatusProjection, log.events);
        expect(queries.get(N)?.usage).toMatchObject([
          { item: 0, quantityShipped: 0, quantityRemaining: 6 },
          { item: 1, quantityShipped: 1, valueShippedCad: 50_000, quantityRemaining: 1, valueRemainingCad: 50_000.5 },
        ]);
      });

      it('takes the items from the last amendment of them, an amendment of the expiry only keeping them', () => {
        const log = new TestLog();
        log.issued(N, { items }, { at: '2019-03-20' });
        log.amended(N, { items: [{ ...items[0]!, quantity: 4, valueCad: 2_800_000 }, items[1]!] }, 2_900_000.5, { at: '2019-05-01' });
        log.amended(N, { expiresOn: '2023-01-01' }, 2_900_000.5, { at: '2019-06-01' });
        const db = memoryDb(permitHistoryProjection, permitStatusProjection);
        applyAll(db, permitHistoryProjection, log.events);
        applyAll(db, permitStatusProjection, log.events);
        db.exec('ALTER TABLE permit_status DROP COLUMN usage_json');
        permitStatusProjection.setup(db);
        expect(new PermitStatusQueries(db).get(N)?.usage).toEqual([
          { item: 0, quantityShipped: 0, valueShippedCad: 0, quantityRemaining: 4, valueRemainingCad: 2_800_000 },
          { item: 1, quantityShipped: 0, valueShippedCad: 0, quantityRemaining: 2, valueRemainingCad: 100_000.5 },
        ]);
      });

      it('starts a row from the items it had before the shipment, not from a later amendment the history holds', () => {
        const { log, db, queries } = upgraded(false);
        shipment(log, 'D-2', '2019-07-01', [{ item: 0, quantity: 1, valueCad: 700_000 }]);
        log.amended(N, { items: [{ ...items[0]!, quantity: 3, valueCad: 2_100_000 }, items[1]!] }, 2_200_000.5, { at: '2019-08-01' });
        // The history projection is ahead: it holds the amendment when the status projection applies D-2.
        applyAll(db, permitHistoryProjection, log.events);
        applyAll(db, permitStatusProjection, log.events.slice(0, -1));
        expect(queries.get(N)?.usage.map((u) => [u.quantityShipped, u.quantityRemaining])).toEqual([
          [1, 5],
          [0, 2],
        ]);
      });

      it('without an audit history in the file, a row keeps no usage, and its shipments none, until a rebuild', () => {
        const log = new TestLog();
        log.issued(N, { items }, { at: '2019-03-20' });
        const db = memoryDb(permitStatusProjection);
        applyAll(db, permitStatusProjection, log.events);
        db.exec('ALTER TABLE permit_status DROP COLUMN usage_json');
        permitStatusProjection.setup(db);
        const queries = new PermitStatusQueries(db);
        expect(queries.get(N)?.usage).toEqual([]);
        shipment(log, 'D-1', '2019-06-01', [{ item: 0, quantity: 2, valueCad: 1_400_000 }]);
        applyAll(db, permitStatusProjection, log.events);
        expect(queries.get(N)).toMatchObject({ revision: 1, usage: [] });
      });
    });

    it('a re-delivered declaration is counted once', () => {
      const log = new TestLog();
      log.issued(N, { items }, { at: '2019-03-20' });
      shipment(log, 'D-1', '2019-06-01', [{ item: 0, quantity: 2, valueCad: 1_400_000 }]);
      const { db, queries } = given(log);
      applyAll(db, permitStatusProjection, log.events);
      expect(queries.get(N)?.usage[0]).toMatchObject({ quantityShipped: 2, quantityRemaining: 4 });
    });
  });

  it('given the 2019-2021 life of a Turkish permit: cancelled, review closed, last decision kept', () => {
    const log = new TestLog();
    log.issued('EXP-19-004120', {}, { at: '2019-03-20' });
    log.suspended('EXP-19-004120', { at: '2020-10-05', decisionRef: 'MIN-2020-10-05' });
    log.reviewOpened('EXP-19-004120', 'REV-1', { at: '2020-10-06' });
    const opened = given(log).queries.get('EXP-19-004120');
    expect(opened).toMatchObject({ status: 'SUSPENDED', openReview: { reviewId: 'REV-1', openedAt: '2020-10-06T00:00:00.000Z' } });

    log.findingRecorded('EXP-19-004120', 'REV-1', { at: '2021-01-15' });
    log.reviewConcluded('EXP-19-004120', 'REV-1', { at: '2021-03-30' });
    const cancel = log.cancelled('EXP-19-004120', { at: '2021-04-12', decisionRef: 'MIN-2021-04-12' });

    expect(given(log).queries.get('EXP-19-004120')).toMatchObject({
      status: 'CANCELLED',
      openReview: null,
      lastDecisionRef: 'MIN-2021-04-12',
      revision: 5,
      position: cancel.position,
      issuedAt: '2019-03-20T00:00:00.000Z',
      updatedAt: '2021-04-12T00:00:00.000Z',
    });
  });

  it('keeps the exporter name folded (NFKC, lower case) for the exporter filter, as existing read-models files hold it', () => {
    const log = new TestLog();
    log.issued('EXP-1', { exporter: { name: 'ＮＯＲＴＨＦＩＥＬＤ Optronics' } });
    const { db, queries } = given(log);
    // The column outlives a deploy: a fold that changed would miss the rows folded before it, until a rebuild.
    expect(db.prepare('SELECT exporter_search FROM permit_status').pluck().get()).toBe('northfield optronics');
    expect(queries.list({ exporter: 'Northfield OPTRONICS', limit: 10 }).items.map((p) => p.permitNumber)).toEqual(['EXP-1']);
  });

  it('takes a decisionRef from the event data when the metadata has none', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.suspended('EXP-1', { dataDecisionRef: 'MIN-A' });
    log.reinstated('EXP-1');

    const { queries } = given(log);
    expect(queries.get('EXP-1')).toMatchObject({ status: 'ISSUED', lastDecisionRef: 'MIN-A' });
    expect(queries.list({ decisionRef: 'MIN-A', limit: 10 }).items.map((p) => p.permitNumber)).toEqual(['EXP-1']);
  });

  it('given PermitAmended: new expiry, ECL items and value; untouched fields stay', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.amended('EXP-1', { expiresOn: '2023-01-01' }, 999); // value ignored: the items did not change
    log.amended(
      'EXP-1',
      {
        items: [
          { eclItem: '2-15.a', description: 'sensor', quantity: 2, unit: 'unit', valueCad: 1_000_000 },
          { eclItem: '2-21.a', description: 'software', quantity: 1, unit: 'licence', valueCad: 50_000 },
          { eclItem: '2-15.a', description: 'spare sensor', quantity: 1, unit: 'unit', valueCad: 500_000 },
        ],
      },
      1_550_000,
    );

    const { queries } = given(log);
    expect(queries.get('EXP-1')).toMatchObject({
      status: 'ISSUED',
      expiresOn: '2023-01-01',
      eclItems: ['2-15.a', '2-21.a'],
      totalValueCad: 1_550_000,
      revision: 2,
    });
    expect(queries.list({ eclItem: '2-21', limit: 10 }).items).toHaveLength(1);
  });

  it('given PermitExpired: EXPIRED', () => {
    const log = new TestLog();
    log.issued('EXP-19-001940', {}, { at: '2019-02-01' });
    log.expired('EXP-19-001940', '2020-12-31');
    expect(given(log).queries.get('EXP-19-001940')).toMatchObject({ status: 'EXPIRED', updatedAt: '2020-12-31T00:00:00.000Z' });
  });

  it('the same events twice: same rows', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.reviewOpened('EXP-1', 'R1');
    log.suspended('EXP-1', { decisionRef: 'MIN-1' });
    log.issued('EXP-2', { items: [{ eclItem: '2-14', description: 'sim', quantity: 1, unit: 'unit', valueCad: 10 }] });
    log.cancelled('EXP-1');

    const once = given(log);
    const twice = given(log);
    applyAll(twice.db, permitStatusProjection, log.events);
    // and a stale re-delivery of an older event in a later batch
    applyAll(twice.db, permitStatusProjection, [log.events[2]!]);

    expect(dumpTables(twice.db, TABLES)).toEqual(dumpTables(once.db, TABLES));
    expect(once.queries.get('EXP-1')!.status).toBe('CANCELLED');
  });

  it('ignores events it does not handle', () => {
    const log = new TestLog();
    log.measureImposed('TR', 'M1');
    log.record('decision-MIN-1', 'DecisionRecorded', { decisionRef: 'MIN-1' });
    const { db } = given(log);
    expect(dumpTables(db, TABLES)).toEqual({ permit_status: [], permit_ecl_item: [], permit_decision: [] });
  });

  it('fails (rather than guesses) on an event for a permit it never saw issued', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    const suspended = log.suspended('EXP-1');
    const db = memoryDb(permitStatusProjection);
    expect(() => applyAll(db, permitStatusProjection, [suspended])).toThrow(/never issued/);
  });

  it('a review concluded under another id leaves the open review; re-delivered, a conclusion changes nothing', () => {
    const log = new TestLog();
    log.issued('EXP-1', {}, { at: '2020-01-01' });
    log.reviewOpened('EXP-1', 'R1', { at: '2020-02-01' });
    const concluded = log.reviewConcluded('EXP-1', 'R1', { at: '2020-03-01' });
    log.reviewOpened('EXP-1', 'R2', { at: '2020-04-01' });
    log.reviewConcluded('EXP-1', 'R1', { at: '2020-05-01' });
    const { db, queries } = given(log);
    expect(queries.get('EXP-1')).toMatchObject({ openReview: { reviewId: 'R2', openedAt: '2020-04-01T00:00:00.000Z' }, revision: 4 });
    applyAll(db, permitStatusProjection, [concluded]);
    expect(queries.get('EXP-1')).toMatchObject({ openReview: { reviewId: 'R2' }, revision: 4, updatedAt: '2020-05-01T00:00:00.000Z' });
  });

  it('fails on a second issue of a permit rather than overwrite it', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    const again = log.issued('EXP-1');
    expect(() => given(log)).toThrow(/issued twice/);
    const db = memoryDb(permitStatusProjection);
    applyAll(db, permitStatusProjection, [log.events[0]!]);
    // Delivered again at its own revision it is a re-delivery, not a second issue.
    applyAll(db, permitStatusProjection, [log.events[0]!]);
    expect(() => applyAll(db, permitStatusProjection, [again])).toThrow(/issued twice/);
  });

  it('fails on a permit event without a permit number, naming its type', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    const { db, queries } = given(log);
    for (const permitNumber of [undefined, 1]) {
      const event = log.record('permit-EXP-1', 'PermitSuspended', { permitNumber, reason: 'r', legalBasis: 'b', decisionRef: null });
      expect(() => applyAll(db, permitStatusProjection, [event])).toThrow(new Error('PermitSuspended without a permitNumber'));
    }
    expect(queries.get('EXP-1')).toMatchObject({ status: 'ISSUED', revision: 0 });
  });

  it('reset empties its tables; replayed, the events give the same rows again', () => {
    const log = new TestLog();
    log.issued('EXP-1');
    log.suspended('EXP-1', { decisionRef: 'MIN-1' });
    const { db } = given(log);
    const before = dumpTables(db, TABLES);
    permitStatusProjection.reset(db);
    expect(dumpTables(db, TABLES)).toEqual({ permit_status: [], permit_ecl_item: [], permit_decision: [] });
    applyAll(db, permitStatusProjection, log.events);
    expect(dumpTables(db, TABLES)).toEqual(before);
  });

  it('fails on an event with a newer schema than it knows', () => {
    const log = new TestLog();
    log.issued('EXP-1', {}, { schemaVersion: 3 });
    const db = memoryDb(permitStatusProjection);
    expect(() => applyAll(db, permitStatusProjection, log.events)).toThrow(/schemaVersion 3/);
  });
});

describe('PermitStatusQueries.list', () => {
  const item = (eclItem: string) => [{ eclItem, description: 'goods', quantity: 1, unit: 'unit', valueCad: 100 }];
  const log = new TestLog();
  log.issued('EXP-19-001940', { exporter: { name: 'Boreal Aero Parts' }, items: item('2-10.a') });
  log.issued('EXP-19-002770', { exporter: { name: 'Laurentide SimTech' }, items: item('2-14') });
  log.issued('EXP-19-003305', { exporter: { name: 'Kestrel Arms Components' }, items: item('2-1.a') });
  log.issued('EXP-19-004120', { items: item('2-15.a') });
  log.issued('EXP-20-005182', { items: item('2-21') });
  log.issued('EXP-20-009999', { destination: 'DE', exporter: { name: 'ÉCLAIR Systèmes' }, items: item('2-15.b') });
  for (const n of ['EXP-19-002770', 'EXP-19-003305', 'EXP-19-004120']) log.suspended(n, { decisionRef: 'MIN-2020-10-05' });
  const { queries } = given(log);
  const numbers = (filter: Parameters<PermitStatusQueries['list']>[0]) => queries.list(filter).items.map((p) => p.permitNumber);

  it('filters by status and destination (exact)', () => {
    expect(numbers({ status: 'SUSPENDED', limit: 10 })).toEqual(['EXP-19-002770', 'EXP-19-003305', 'EXP-19-004120']);
    expect(numbers({ destination: 'DE', limit: 10 })).toEqual(['EXP-20-009999']);
    expect(numbers({ status: 'ISSUED', destination: 'TR', limit: 10 })).toEqual(['EXP-19-001940', 'EXP-20-005182']);
    expect(numbers({ status: 'BOGUS', limit: 10 })).toEqual([]);
  });

  it('filters by exporter: case-insensitive contains, Unicode included, no wildcards', () => {
    expect(numbers({ exporter: 'northfield', limit: 10 })).toEqual(['EXP-19-004120', 'EXP-20-005182']);
    expect(numbers({ exporter: 'éclair', limit: 10 })).toEqual(['EXP-20-009999']);
    expect(numbers({ exporter: '%', limit: 10 })).toEqual([]);
  });

  it.each([
    ['ΟΔΥΣΣΕΥΣ Αεροδιαστημική', 'ΟΔΥΣ', 'a final sigma in the term, a medial one in the name'],
    ['ΟΔΥΣΣΕΥΣ Systems', 'οδυσσευσ', 'a medial sigma typed at the end of the term'],
    ['Rheinstraße Optik', 'STRASSE', 'ß against SS'],
    ['RHEINSTRASSE Optik', 'straße', 'SS against ß'],
    ['İstanbul Savunma', 'istanbul', 'the dotted capital I against i'],
    ['Istanbul Savunma', 'İSTANBUL', 'the dotted capital I in the term'],
  ])('filters %j by %j (%s)', (name, term) => {
    const log = new TestLog();
    log.issued('EXP-1', { exporter: { name } });
    // Names a term matches once a letter of it is lost.
    log.issued('EXP-2', { exporter: { name: 'Οδυνη Systems' } });
    log.issued('EXP-3', { exporter: { name: 'Rheinstra Optik' } });
    const { queries } = given(log);
    expect(queries.list({ exporter: term, limit: 10 }).items.map((p) => p.permitNumber)).toEqual(['EXP-1']);
  });

  it('filters by ECL item prefix, cut at a boundary', () => {
    expect(numbers({ eclItem: '2-15', limit: 10 })).toEqual(['EXP-19-004120', 'EXP-20-009999']);
    expect(numbers({ eclItem: '2-15.a', limit: 10 })).toEqual(['EXP-19-004120']);
    expect(numbers({ eclItem: '2-1', limit: 10 })).toEqual(['EXP-19-003305']); // not 2-10, 2-14, 2-15
    expect(numbers({ eclItem: '2-21', limit: 10 })).toEqual(['EXP-20-005182']);
    expect(numbers({ eclItem: '2', limit: 10 })).toHaveLength(6);
    expect(numbers({ eclItem: '2-', limit: 10 })).toHaveLength(6);
  });

  it('filters by decision', () => {
    expect(numbers({ decisionRef: 'MIN-2020-10-05', limit: 10 })).toEqual(['EXP-19-002770', 'EXP-19-003305', 'EXP-19-004120']);
    expect(numbers({ decisionRef: 'MIN-unknown', limit: 10 })).toEqual([]);
  });

  it('pages by permit number with an opaque cursor; the last page has no next cursor', () => {
    const first = queries.list({ limit: 4 });
    expect(first.items.map((p) => p.permitNumber)).toEqual(['EXP-19-001940', 'EXP-19-002770', 'EXP-19-003305', 'EXP-19-004120']);
    expect(first.nextCursor).toBe(encodeCursor('EXP-19-004120'));
    const second = queries.list({ limit: 4, cursor: first.nextCursor! });
    expect(second).toMatchObject({ nextCursor: null });
    expect(second.items.map((p) => p.permitNumber)).toEqual(['EXP-20-005182', 'EXP-20-009999']);

    const filtered = queries.list({ status: 'SUSPENDED', limit: 2 });
    expect(filtered.items).toHaveLength(2);
    expect(numbers({ status: 'SUSPENDED', limit: 2, cursor: filtered.nextCursor! })).toEqual(['EXP-19-004120']);
    // exactly a full last page: no empty page after it
    expect(queries.list({ status: 'SUSPENDED', limit: 3 }).nextCursor).toBeNull();
  });

  it('refuses a cursor it did not hand out', () => {
    // empty, not base64url, padded, non-canonical trailing bits, not UTF-8
    for (const bad of ['', '!!!', 'RVhQLTE=', 'RVhQLTF', '_w']) {
      expect(() => queries.list({ limit: 1, cursor: bad })).toThrow(InvalidCursorError);
    }
    expect(queries.list({ limit: 1, cursor: 'RVhQLTE' }).items).toHaveLength(1); // "EXP-1"
  });

  it('answers null for an unknown permit', () => {
    expect(queries.get('EXP-00-000000')).toBeNull();
  });
});
