import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type NewEvent, type RecordedEvent } from '@permit-ledger/event-store';
import { allProjections } from './index.js';
import type { Projection } from './read-model/projection.js';
import { Projections } from './projections.js';
import { Projector } from './projector.js';
import { loadCheckpoint, openReadModelDb, type ReadModelDb } from './read-model/read-model-db.js';
import { permitHistoryProjection } from './history/permit-history.projection.js';
import { PermitStatusQueries } from './status/permit-status.queries.js';
import { permitStatusProjection } from './status/permit-status.projection.js';
import { TestLog } from './testing/events.js';

const FAST_RETRY = { retry: { initialMs: 10, maxMs: 40 } };

let dir: string;
let store: SqliteEventStore;
let db: ReadModelDb;
const running: Array<{ stop(): Promise<void> }> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'projector-'));
  store = SqliteEventStore.open({ file: join(dir, 'events.db') });
  db = openReadModelDb(join(dir, 'read-models.db'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  await store.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function track<T extends { stop(): Promise<void> }>(p: T): T {
  running.push(p);
  return p;
}

/** Appends the builder's events to the real store, stream by stream, in the builder's order. */
async function append(log: TestLog, events: RecordedEvent[] = log.events): Promise<number> {
  let position = 0;
  for (const e of events) {
    const event: NewEvent = { eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata };
    const result = await store.append(e.stream, [event], { expectedRevision: e.revision === 0 ? 'no_stream' : e.revision - 1 });
    position = result.position;
  }
  return position;
}

/** Counts committed applies per position: a re-applied event would show up as 2. */
function counting(inner: Projection): Projection & { applied: Map<number, number>; fault: ((e: RecordedEvent) => boolean) | null } {
  const wrapper = {
    name: inner.name,
    applied: new Map<number, number>(),
    fault: null as ((e: RecordedEvent) => boolean) | null,
    setup: (d: ReadModelDb) => inner.setup(d),
    reset: (d: ReadModelDb) => inner.reset(d),
    apply(d: ReadModelDb, event: RecordedEvent) {
      inner.apply(d, event);
      if (wrapper.fault?.(event)) throw new Error(`injected fault at position ${event.position}`);
      wrapper.applied.set(event.position, (wrapper.applied.get(event.position) ?? 0) + 1);
    },
  };
  return wrapper;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function dumpAll(d: ReadModelDb): Record<string, unknown[]> {
  const tables = (d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map(
    (t) => t.name,
  );
  const dump: Record<string, unknown[]> = {};
  for (const t of tables) dump[t] = (d.prepare(`SELECT * FROM ${t}`).all() as unknown[]).map((r) => JSON.stringify(r)).sort();
  return dump;
}

function story(): TestLog {
  const log = new TestLog();
  log.measureImposed('TR', 'TR-2019-halt', {}, { at: '2019-10-11' });
  log.issued('EXP-19-004120', {}, { at: '2019-03-20' });
  log.issued(
    'EXP-19-001940',
    { items: [{ eclItem: '2-10', description: 'parts', quantity: 1, unit: 'unit', valueCad: 2_000_000 }] },
    { at: '2019-02-01' },
  );
  log.measureLifted('TR', 'TR-2019-halt', 'NtE 992', { at: '2020-04-16' });
  log.measureImposed(
    'TR',
    'TR-nte-992',
    { kind: 'presumptive_denial', eclGroups: [2], exceptionGrounds: ['nato_cooperation'] },
    { at: '2020-04-16' },
  );
  log.suspended('EXP-19-004120', { at: '2020-10-05', decisionRef: 'MIN-2020-10-05' });
  log.reviewOpened('EXP-19-001940', 'R1', { at: '2020-10-06' });
  log.reviewConcluded('EXP-19-001940', 'R1', { at: '2020-11-30' });
  log.expired('EXP-19-001940', '2020-12-31');
  log.cancelled('EXP-19-004120', { at: '2021-04-12', decisionRef: 'MIN-2021-04-12' });
  return log;
}

describe('Projector on the SQLite store', () => {
  it('stores the checkpoint with the rows and goes live', async () => {
    const log = story();
    const head = await append(log);
    const projector = track(new Projector(store, db, permitStatusProjection));

    await projector.start();
    expect(await projector.waitFor(head, 5000)).toBe(true);
    await until(() => projector.status().state === 'live');

    expect(loadCheckpoint(db, 'permit-status')).toBe(head);
    expect(new PermitStatusQueries(db).get('EXP-19-004120')).toMatchObject({ status: 'CANCELLED', position: head });
    expect(projector.status()).toEqual({ name: 'permit-status', position: head, head, lag: 0, state: 'live', lastError: null, retries: 0 });
  });

  it('follows appends made after it went live', async () => {
    const log = new TestLog();
    log.issued('EXP-1');
    await append(log);
    const projector = track(new Projector(store, db, permitStatusProjection));
    await projector.start();
    await until(() => projector.status().state === 'live');

    const suspended = log.suspended('EXP-1');
    const position = await append(log, [suspended]);
    expect(await projector.waitFor(position, 5000)).toBe(true);
    expect(new PermitStatusQueries(db).get('EXP-1')!.status).toBe('SUSPENDED');
  });

  it('after a restart continues from its checkpoint without re-applying anything', async () => {
    const log = story();
    const firstHalf = log.events.slice(0, 5);
    const head1 = await append(log, firstHalf);
    const projection = counting(permitHistoryProjection);
    const first = new Projector(store, db, projection, { batchSize: 2 });
    await first.start();
    expect(await first.waitFor(head1, 5000)).toBe(true);
    await first.stop();
    expect(first.status().state).toBe('stopped');

    const head2 = await append(log, log.events.slice(5));
    // A new process: a fresh connection to the same read-model file.
    db.close();
    db = openReadModelDb(join(dir, 'read-models.db'));
    const second = track(new Projector(store, db, projection, { batchSize: 2 }));
    expect(loadCheckpoint(db, 'permit-history')).toBe(head1);
    await second.start();
    expect(await second.waitFor(head2, 5000)).toBe(true);

    expect([...projection.applied.values()].every((n) => n === 1)).toBe(true);
    expect(projection.applied.size).toBe(head2);
    expect(loadCheckpoint(db, 'permit-history')).toBe(head2);
  });

  it('stops at the last good event when a projection fails, reports it, and recovers once the fault is gone', async () => {
    const log = story();
    const head = await append(log);
    const faulty = log.events.find((e) => e.type === 'PermitSuspended')!;
    const projection = counting(permitStatusProjection);
    projection.fault = (e) => e.position === faulty.position;
    const projector = track(new Projector(store, db, projection, { batchSize: 100, ...FAST_RETRY }));

    await projector.start();
    await until(() => projector.status().retries >= 2);

    // Lag is counted when asked for (health and metrics ask through the consumer registry).
    const stuck = await projector.refresh();
    expect(stuck).toMatchObject({ position: faulty.position - 1, head, lag: head - faulty.position + 1 });
    expect(stuck.state).toBe('retrying');
    expect(stuck.lastError).toMatch(/cannot apply PermitSuspended permit-EXP-19-004120@1 .*injected fault/);
    // The events before the faulty one are committed with their checkpoint; the faulty one is rolled back.
    expect(loadCheckpoint(db, 'permit-status')).toBe(faulty.position - 1);
    expect(new PermitStatusQueries(db).get('EXP-19-004120')).toMatchObject({ status: 'ISSUED', revision: 0 });
    expect(await projector.waitFor(head, 50)).toBe(false);

    projection.fault = null;
    expect(await projector.waitFor(head, 5000)).toBe(true);
    await until(() => projector.status().state === 'live');
    expect(projector.status()).toMatchObject({ position: head, lag: 0, lastError: null, retries: 0 });
    expect(new PermitStatusQueries(db).get('EXP-19-004120')!.status).toBe('CANCELLED');
    expect([...projection.applied.values()].every((n) => n === 1)).toBe(true);
    expect(projection.applied.size).toBe(head);
  });

  it('resolves waitFor when the checkpoint advances, and false on timeout', async () => {
    const log = new TestLog();
    const projector = track(new Projector(store, db, permitStatusProjection));
    await projector.start();
    expect(await projector.waitFor(0, 0)).toBe(true);

    const started = Date.now();
    const waiting = projector.waitFor(1, 5000);
    log.issued('EXP-1');
    await append(log);
    expect(await waiting).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);

    expect(await projector.waitFor(99, 30)).toBe(false);
  });
});

describe('Projections', () => {
  it('rebuild gives the same tables as the live run, and as a fresh run', async () => {
    const log = story();
    const events = log.events;
    await append(log, events.slice(0, 4));
    const projections = track(new Projections(store, db, allProjections(), { batchSize: 3 }));
    await projections.start();
    // the rest arrives while live
    const head = await append(log, events.slice(4));
    expect(await projections.waitFor(head, 5000)).toBe(true);
    const live = dumpAll(db);

    await projections.rebuild();
    expect(projections.statuses().map((s) => [s.name, s.position, s.state])).toEqual([
      ['permit-status', head, 'live'],
      ['permit-history', head, 'live'],
      ['destinations', head, 'live'],
      ['stats', head, 'live'],
      ['reports', head, 'live'],
      ['applications', head, 'live'],
    ]);
    expect(dumpAll(db)).toEqual(live);

    const other = openReadModelDb(join(dir, 'fresh.db'));
    const fresh = track(new Projections(store, other, allProjections(), { batchSize: 50 }));
    await fresh.start();
    expect(await fresh.waitFor(head, 5000)).toBe(true);
    expect(dumpAll(other)).toEqual(live);
    await fresh.stop();
    other.close();
  });

  it('rebuild writes the same rows as the live run whatever the events hold, and hands the connection back in WAL', async () => {
    // Text the store reads back as stored and text it must serialize again (keys that are array indexes come
    // first in a parsed object), escapes, non-ASCII, numbers JSON writes in exponent form, an event of an older
    // schema (upcast for every projection but the history), an event type no projection but the history knows.
    const log = story();
    const odd = {
      text: 'quote " backslash \\ newline \n tab \t nul \u0000 del \u007f separators \u2028\u2029 é 漢字 🚀',
      numbers: [0, -0, 1e21, 1e-7, 0.1, 123456789012345, -1.5e300, 5e-324],
      nested: { a: [[], {}, [null, true, false]], '': 'empty key', ' ': 'space', '-1': 'not an index', '01': 'nor this' },
      ...(JSON.parse('{"__proto__":"an own key"}') as object),
    };
    log.issued('EXP-V1', { exporter: 'Old Style Exporter Ltd.' } as never, { at: '2019-05-01', schemaVersion: 1 });
    log.record('permit-EXP-V1', 'PermitNoteAdded', { permitNumber: 'EXP-V1', ...odd }, { reason: 'é 🚀 "quoted"' });
    log.record('permit-EXP-V1', 'PermitNoteAdded', { permitNumber: 'EXP-V1', byLine: { '10': 'b', '2': 'a', x: 'c' } });
    log.record('permit-EXP-V1', 'PermitNoteAdded', { permitNumber: 'EXP-V1' }, { nested: { '0': 'index key in metadata' } } as never);
    log.suspended('EXP-V1', { at: '2020-10-05' });
    const head = await append(log);

    const read = await store.readAllWithJson();
    expect(read.events).toEqual(await store.readAll());
    expect(read.json).toEqual(read.events.map((e) => JSON.stringify(e)));

    const projections = track(new Projections(store, db, allProjections(), { batchSize: 4, rebuildPage: 3, rebuildCommit: 5 }));
    await projections.start();
    expect(await projections.waitFor(head, 5000)).toBe(true);
    const live = dumpAll(db);
    expect(live['permit_history']).toHaveLength(read.events.filter((e) => e.stream.startsWith('permit-')).length);

    await projections.rebuild();
    expect(dumpAll(db)).toEqual(live);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('rebuild with another connection on the read models stays in WAL and gives the same rows', async () => {
    const head = await append(story());
    const projections = track(new Projections(store, db, allProjections()));
    await projections.start();
    expect(await projections.waitFor(head, 5000)).toBe(true);
    const live = dumpAll(db);

    const reader = openReadModelDb(join(dir, 'read-models.db'));
    try {
      reader.prepare('SELECT count(*) FROM permit_status').get();
      await projections.rebuild();
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(dumpAll(db)).toEqual(live);
      expect(dumpAll(reader)).toEqual(live);
    } finally {
      reader.close();
    }
  });

  it('rebuild rejects when a projection fails before catching up, and keeps retrying', async () => {
    const log = story();
    const head = await append(log);
    const projection = counting(permitStatusProjection);
    // Reads 3 events at a time and commits after every second page: the bad event is not in the first commit.
    const projections = track(new Projections(store, db, [projection], { ...FAST_RETRY, rebuildPage: 3, rebuildCommit: 4 }));
    await projections.start();
    expect(await projections.waitFor(head, 5000)).toBe(true);

    const expired = log.events.find((e) => e.type === 'PermitExpired')!;
    projection.fault = (e) => e.type === 'PermitExpired';
    await expect(projections.rebuild()).rejects.toThrow(/injected fault/);
    // Never past the bad event: the rebuild's last commit, or the projector's since (it resumes from there).
    expect(loadCheckpoint(db, 'permit-status')).toBeLessThan(expired.position);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // The projector resumes from the last commit and stops, visibly, on the same event.
    for (let i = 0; i < 100 && !projections.statuses()[0]!.lastError; i++) await new Promise((r) => setTimeout(r, 20));
    expect(projections.statuses()[0]!.lastError).toMatch(/PermitExpired/);

    projection.fault = null;
    expect(await projections.waitFor(head, 5000)).toBe(true);
    expect(new PermitStatusQueries(db).get('EXP-19-004120')).toMatchObject({ status: 'CANCELLED', position: head });
  });

  it('refuses two projections with one name (they would share a checkpoint)', () => {
    expect(() => new Projections(store, db, [permitStatusProjection, permitStatusProjection])).toThrow(/duplicate/);
  });
});
