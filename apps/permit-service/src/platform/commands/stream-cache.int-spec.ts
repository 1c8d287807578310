import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type EventStore, type NewEvent, type ReadStreamOptions } from '@permit-ledger/event-store';
import { loadConfig } from '@permit-ledger/config';
import type { Decider } from '@permit-ledger/permits';
import { CommandRunner } from './command-runner.js';
import { StreamCache } from './stream-cache.js';

let n = 0;
const event = (data: Record<string, unknown> = {}): NewEvent => {
  const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  return {
    eventId: id,
    type: 'PermitReviewFindingRecorded',
    schemaVersion: 1,
    data: { n, ...data },
    metadata: {
      effectiveAt: '2020-01-01T00:00:00.000Z',
      actor: { id: 'other', role: 'officer' },
      commandId: id,
      correlationId: id,
      causationId: null,
    },
  };
};

describe('StreamCache: streams kept parsed between commands, never trusted over the store', () => {
  let dir: string;
  let store: SqliteEventStore;
  /** The store the cache reads through, and the reads it made. */
  let through: EventStore;
  let reads: { stream: string; options: ReadStreamOptions | undefined }[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stream-cache-'));
    store = SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
    reads = [];
    through = Object.create(store) as EventStore;
    through.readStream = (stream, options) => {
      reads.push({ stream, options });
      return store.readStream(stream, options);
    };
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads only what follows the cached events, and sees what another writer appended', async () => {
    const cache = new StreamCache(through, 100);
    await store.append('permit-A', [event(), event()], { expectedRevision: 'no_stream' });
    expect((await cache.read('permit-A')).events.map((e) => e.revision)).toEqual([0, 1]);
    await store.append('permit-A', [event({ other: true })], { expectedRevision: 1 });
    const again = await cache.read('permit-A');
    expect(reads.map((r) => r.options?.fromRevision)).toEqual([undefined, 1]);
    expect(again.events).toEqual(await store.readStream('permit-A'));
    expect(again.stored.map((e) => e.data.other ?? false)).toEqual([false, false, true]);
  });

  it('gives overlapping reads of one stream the same events, none twice', async () => {
    const cache = new StreamCache(through, 100);
    await store.append('destination-TR', [event()], { expectedRevision: 'no_stream' });
    await cache.read('destination-TR');
    await store.append('destination-TR', [event(), event()], { expectedRevision: 0 });
    const [a, b, c] = await Promise.all([cache.read('destination-TR'), cache.read('destination-TR'), cache.read('destination-TR')]);
    for (const seen of [a, b, c]) expect(seen.events.map((e) => e.revision)).toEqual([0, 1, 2]);
    expect((await cache.read('destination-TR')).events).toHaveLength(3);
  });

  it("takes in the process's own appends, and drops a stream whose append does not chain onto it", async () => {
    const cache = new StreamCache(through, 100);
    const first = await store.append('permit-B', [event()], { expectedRevision: 'no_stream' });
    await cache.read('permit-B');
    const second = await store.append('permit-B', [event()], { expectedRevision: 0 });
    cache.appended('permit-B', second.events);
    expect((await cache.read('permit-B')).events).toHaveLength(2);
    expect(reads.at(-1)?.options?.fromRevision).toBe(1);
    cache.appended('permit-B', first.events); // revision 0 again: not what follows
    await cache.read('permit-B');
    expect(reads.at(-1)?.options).toEqual({});
  });

  it('reads a stream whole again when the store no longer holds what was cached (restored underneath)', async () => {
    const cache = new StreamCache(through, 100);
    await store.append('permit-C', [event(), event()], { expectedRevision: 'no_stream' });
    await cache.read('permit-C');
    const restoredDir = mkdtempSync(join(tmpdir(), 'stream-cache-restored-'));
    const restored = SqliteEventStore.open({ file: join(restoredDir, 'events.sqlite') });
    try {
      await restored.append('permit-C', [event(), event(), event()], { expectedRevision: 'no_stream' });
      through.readStream = (stream, options) => restored.readStream(stream, options);
      expect((await cache.read('permit-C')).events).toEqual(await restored.readStream('permit-C'));
      // Restored to fewer events than were cached, with none after: the last cached one is gone.
      const shorter = SqliteEventStore.open({ file: join(restoredDir, 'shorter.sqlite') });
      await shorter.append('permit-C', [event()], { expectedRevision: 'no_stream' });
      through.readStream = (stream, options) => shorter.readStream(stream, options);
      expect((await cache.read('permit-C')).events).toEqual(await shorter.readStream('permit-C'));
      await shorter.close();
    } finally {
      await restored.close();
      rmSync(restoredDir, { recursive: true, force: true });
    }
  });

  it('holds at most its bound of events: the least recently read stream goes, a long stream is never kept', async () => {
    const cache = new StreamCache(through, 9);
    for (const s of ['permit-1', 'permit-2', 'permit-3', 'permit-4', 'permit-5']) {
      await store.append(s, [event(), event()], { expectedRevision: 'no_stream' });
    }
    await store.append('permit-long', [event(), event(), event()], { expectedRevision: 'no_stream' });
    for (const s of ['permit-1', 'permit-2', 'permit-3', 'permit-1', 'permit-4']) await cache.read(s);
    await cache.read('permit-5'); // 10 events would be held: permit-2, read least recently, goes
    reads = [];
    for (const s of ['permit-1', 'permit-2', 'permit-long', 'permit-long']) await cache.read(s);
    expect(reads.map((r) => [r.stream, r.options?.fromRevision])).toEqual([
      ['permit-1', 1],
      ['permit-2', undefined],
      ['permit-long', undefined],
      ['permit-long', undefined],
    ]);
  });

  it('keeps nothing with a bound of 0', async () => {
    const cache = new StreamCache(through, 0);
    await store.append('permit-D', [event()], { expectedRevision: 'no_stream' });
    await cache.read('permit-D');
    await cache.read('permit-D');
    expect(reads.map((r) => r.options)).toEqual([{}, {}]);
  });

  describe('under the command runner', () => {
    interface Count {
      type: 'Count';
      effectiveAt: string;
    }
    interface Counted {
      type: 'PermitReviewFindingRecorded';
      data: { seen: number };
    }
    let evolved = 0;
    const counting: Decider<Count, Counted, number> = {
      streamName: (id) => `permit-${id}`,
      initialState: () => 0,
      evolve: (seen) => (evolved++, seen + 1),
      decide: (_, seen) => [{ type: 'PermitReviewFindingRecorded', data: { seen } }],
      schemaVersions: { PermitReviewFindingRecorded: 1 },
      upcast: ({ data, effectiveAt }) => ({ type: 'PermitReviewFindingRecorded', data: data as Counted['data'], effectiveAt }),
      effectiveAt: (_, command) => command.effectiveAt,
    };
    const count: Count = { type: 'Count', effectiveAt: '2020-01-01T00:00:00.000Z' };
    const meta = { actor: { id: 'officer-1', role: 'officer' as const } };

    it('folds only the events after its last fold, and decides on what other writers appended since', async () => {
      const runner = new CommandRunner(through, loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: 'x'.repeat(32) }));
      evolved = 0;
      for (let i = 0; i < 3; i++) await runner.run(counting, 'E', count, meta);
      expect(evolved).toBe(2); // 0, then 1, then 1: never the whole stream again
      await store.append('permit-E', [event(), event()], { expectedRevision: 2 });
      const answer = await runner.run(counting, 'E', count, meta);
      expect(answer.events[0].data).toEqual({ seen: 5 });
      expect(answer.revision).toBe(5);
    });
  });
});
