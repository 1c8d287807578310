import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { eventStoreContract, newEvent, uniqueStream } from '../contract/event-store.contract.js';
import { DuplicateEventIdError, StoreUnavailableError, WrongExpectedRevisionError } from '../port/errors.js';
import { verifyStreamChain } from '../integrity/integrity.js';
import { SqliteEventStore } from './sqlite-event-store.js';

async function tempFile(): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'permit-ledger-store-'));
  return { file: join(dir, 'events.db'), remove: () => rm(dir, { recursive: true, force: true }) };
}

eventStoreContract('sqlite', async () => {
  const { file, remove } = await tempFile();
  const store = SqliteEventStore.open({ file });
  return {
    store,
    gapFreePositions: true,
    cleanup: async () => {
      await store.close();
      await remove();
    },
  };
});

describe('SqliteEventStore', () => {
  let file: string;
  let remove: () => Promise<void>;
  let store: SqliteEventStore;

  beforeEach(async () => {
    ({ file, remove } = await tempFile());
    store = SqliteEventStore.open({ file });
  });

  afterEach(async () => {
    await store.close();
    await remove();
  });

  describe('the file', () => {
    it('runs in WAL mode with synchronous=FULL and a busy timeout', () => {
      expect(store.pragmas()).toEqual({ journalMode: 'wal', synchronous: 'FULL', busyTimeoutMs: 5000 });
    });

    it('refuses UPDATE, DELETE and INSERT OR REPLACE of events, whoever opens it', async () => {
      const stream = uniqueStream();
      await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
      const before = await store.readStream(stream);
      await store.close();

      const raw = new Database(file);
      try {
        expect(() => raw.prepare(`UPDATE events SET data = '{"forged":true}' WHERE revision = 0`).run()).toThrow('UPDATE refused');
        expect(() => raw.prepare('DELETE FROM events WHERE position = 2').run()).toThrow('DELETE refused');
        expect(() =>
          raw
            .prepare(
              `INSERT OR REPLACE INTO events SELECT position, stream, revision, event_id, type, schema_version, '{}', metadata, recorded_at, prev_hash, hash FROM events WHERE position = 1`,
            )
            .run(),
        ).toThrow('duplicate event_id');
        // An insert that would leave a gap in the global log.
        expect(() =>
          raw.prepare(`INSERT INTO events VALUES (9, 's', 0, 'e9', 'T', 1, '{}', '{}', '2021-01-01T00:00:00.000Z', NULL, 'h')`).run(),
        ).toThrow('head position + 1');
      } finally {
        raw.close();
      }

      store = SqliteEventStore.open({ file });
      expect(await store.readStream(stream)).toEqual(before);
    });

    it('keeps events across close and reopen, and continues the log without a gap', async () => {
      const stream = uniqueStream();
      await store.append(stream, [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
      const before = await store.readAll();
      await store.close();

      store = SqliteEventStore.open({ file });
      expect(await store.readAll()).toEqual(before);
      expect(await store.streamRevision(stream)).toBe(1);
      const next = await store.append(stream, [newEvent()], { expectedRevision: 1 });
      expect(next.position).toBe(3);
      expect(verifyStreamChain(await store.readStream(stream)).valid).toBe(true);
    });

    it('reports a file it cannot open as unavailable', () => {
      expect(() => SqliteEventStore.open({ file: join(file, 'no', 'such', 'dir.db') })).toThrow(StoreUnavailableError);
    });
  });

  describe('append', () => {
    it('takes recordedAt from the injected clock', async () => {
      await store.close();
      store = SqliteEventStore.open({ file, clock: () => new Date('2021-06-01T12:00:00.000Z') });
      const { events } = await store.append(uniqueStream(), [newEvent()], { expectedRevision: 'any' });
      expect(events[0].recordedAt).toBe('2021-06-01T12:00:00.000Z');
    });

    it('refuses an event id that is already in the log, or twice in one append, writing nothing', async () => {
      const stream = uniqueStream();
      const event = newEvent();
      await store.append(stream, [event], { expectedRevision: 'no_stream' });

      await expect(store.append(uniqueStream(), [newEvent(), event], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        DuplicateEventIdError,
      );
      const twice = newEvent();
      await expect(store.append(stream, [twice, twice], { expectedRevision: 0 })).rejects.toMatchObject({
        code: 'DUPLICATE_EVENT_ID',
        eventId: twice.eventId,
      });
      expect(await store.headPosition()).toBe(1);
    });

    it('writes what append() was given, even if the caller mutates its objects before the commit', async () => {
      const event = newEvent('PermitApplied', { qty: 1 });
      const pending = store.append(uniqueStream(), [event], { expectedRevision: 'any' });
      event.data.qty = 999;
      const { events } = await pending;
      expect(events[0].data).toEqual({ qty: 1 });
      expect((await store.readAll())[0].data).toEqual({ qty: 1 });
    });

    it('refuses non-JSON data and a -1 expected revision before queueing', async () => {
      await expect(store.append(uniqueStream(), [newEvent('T', { at: new Date() })], { expectedRevision: 'any' })).rejects.toThrow(
        TypeError,
      );
      await expect(store.append(uniqueStream(), [newEvent()], { expectedRevision: -1 })).rejects.toThrow(RangeError);
      expect(await store.headPosition()).toBe(0);
    });

    it('close() writes queued appends first; afterwards the store is unavailable', async () => {
      const stream = uniqueStream();
      const pending = store.append(stream, [newEvent()], { expectedRevision: 'no_stream' });
      await store.close();
      await expect(pending).resolves.toMatchObject({ revision: 0, position: 1 });
      await expect(store.append(stream, [newEvent()], { expectedRevision: 0 })).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readStream(stream)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);

      store = SqliteEventStore.open({ file });
      expect(await store.streamRevision(stream)).toBe(0);
    });
  });

  describe('group commit', () => {
    it('writes 500 concurrent appends to distinct streams in fewer transactions than appends', async () => {
      const before = store.stats();
      const results = await Promise.all(
        Array.from({ length: 500 }, () => store.append(uniqueStream(), [newEvent()], { expectedRevision: 'no_stream' })),
      );

      const stats = store.stats();
      expect(stats.appends - before.appends).toBe(500);
      expect(stats.commits - before.commits).toBeLessThan(500);
      expect(stats.commits - before.commits).toBeLessThanOrEqual(2);
      expect(results.map((r) => r.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      expect(await store.headPosition()).toBe(500);
    });

    it('a refused append in a batch does not affect the others, and later appends see earlier ones of the batch', async () => {
      const taken = uniqueStream('taken');
      const used = newEvent();
      await store.append(taken, [used], { expectedRevision: 'no_stream' });
      const commitsBefore = store.stats().commits;
      const fresh = uniqueStream('fresh');

      const outcomes = await Promise.allSettled([
        store.append(fresh, [newEvent()], { expectedRevision: 'no_stream' }),
        store.append(taken, [newEvent()], { expectedRevision: 'no_stream' }), // wrong revision
        store.append(fresh, [newEvent()], { expectedRevision: 0 }), // depends on the first
        store.append(uniqueStream(), [{ ...newEvent(), eventId: used.eventId }], { expectedRevision: 'any' }), // an id already in the log
        store.append(taken, [newEvent(), newEvent()], { expectedRevision: 0 }),
      ]);

      expect(store.stats().commits).toBe(commitsBefore + 1);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
      expect(await store.streamRevision(fresh)).toBe(1);
      expect(await store.streamRevision(taken)).toBe(2);
      expect((await store.readAll()).map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
      expect(verifyStreamChain(await store.readStream(taken)).valid).toBe(true);
      expect(verifyStreamChain(await store.readStream(fresh)).valid).toBe(true);
    });

    it('with groupCommit off, commits once per append', async () => {
      await store.close();
      store = SqliteEventStore.open({ file, groupCommit: false });
      await Promise.all(Array.from({ length: 10 }, () => store.append(uniqueStream(), [newEvent()], { expectedRevision: 'any' })));
      expect(store.stats()).toMatchObject({ commits: 10, appends: 10, largestBatch: 1 });
    });
  });

  describe('subscribeToAll', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('goes live without timers: it sleeps until an append commits', async () => {
      // setTimeout/setInterval are frozen; a polling subscription would never see the append.
      jest.useFakeTimers({ doNotFake: ['setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask', 'Date', 'performance'] });
      const received: number[] = [];
      let caughtUp!: () => void;
      const isCaughtUp = new Promise<void>((resolve) => (caughtUp = resolve));
      let delivered!: () => void;
      const isDelivered = new Promise<void>((resolve) => (delivered = resolve));
      const subscription = store.subscribeToAll(
        (events) => {
          received.push(...events.map((e) => e.position));
          delivered();
        },
        { onCaughtUp: () => caughtUp() },
      );

      await isCaughtUp;
      expect(jest.getTimerCount()).toBe(0);
      await store.append(uniqueStream(), [newEvent()], { expectedRevision: 'no_stream' });
      await isDelivered;
      expect(received).toEqual([1]);
      await subscription.close();
    });

    it('store.close() ends open subscriptions', async () => {
      let caughtUp!: () => void;
      const isCaughtUp = new Promise<void>((resolve) => (caughtUp = resolve));
      const subscription = store.subscribeToAll(() => undefined, { onCaughtUp: () => caughtUp() });
      await isCaughtUp;
      await store.close();
      await expect(subscription.done).resolves.toBeUndefined();
    });
  });
});
