import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStore, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import { EsdbTestServer } from '@permit-ledger/esdb-test-server';
import { newEvent, uniqueStream } from '../../../event-store/src/contract/event-store.contract.js';
import { openReadModelDb, type ReadModelDb } from '../read-model/read-model-db.js';
import { SqliteCheckpointStore } from './checkpoint-store.js';
import { CheckpointedSubscription, type CheckpointedSubscriptionOptions, type LogConsumer } from './checkpointed-subscription.js';
import { ConsumerRegistry } from './consumer-registry.js';

/**
 * The engine on both stores: the embedded SQLite log (gap-free positions) and EventStoreDB's $all
 * (commit positions with gaps) — a real server when EVENTSTORE_CONNECTION_STRING is set, else the
 * in-process test server. TEST_STORES=sqlite (or esdb) narrows it, as for the service's suites.
 */
const KINDS = (process.env.TEST_STORES ?? 'sqlite,esdb').split(',').filter((k): k is 'sqlite' | 'esdb' => k === 'sqlite' || k === 'esdb');
const real = process.env.EVENTSTORE_CONNECTION_STRING;
const FAST = { retry: { initialMs: 5, maxMs: 20 } } satisfies CheckpointedSubscriptionOptions;

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(KINDS)('CheckpointedSubscription on %s', (kind) => {
  // On a shared real server other suites write too: exact lag only where the log is ours alone.
  const isolated = kind === 'sqlite' || !real;
  let server: EsdbTestServer | undefined;
  let dir: string;
  let store: EventStore;
  let db: ReadModelDb;
  let checkpoints: SqliteCheckpointStore;
  const running: CheckpointedSubscription[] = [];

  beforeAll(async () => {
    if (kind === 'esdb' && !real) server = await EsdbTestServer.start();
    dir = mkdtempSync(join(tmpdir(), 'subscription-'));
    ({ store } = await openEventStore({ connectionString: kind === 'esdb' ? (real ?? server!.connectionString) : null, dataDir: dir }));
    db = openReadModelDb(join(dir, 'read-models.sqlite'));
    checkpoints = new SqliteCheckpointStore(db);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await store.close();
    db.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Appends `count` events to one new stream named after the consumer; answers them as recorded. */
  async function append(name: string, count: number): Promise<RecordedEvent[]> {
    const stream = uniqueStream(name);
    const events: RecordedEvent[] = [];
    for (let i = 0; i < count; i++) {
      const result = await store.append(stream, [newEvent('PermitAmended', { i })], { expectedRevision: i === 0 ? 'no_stream' : i - 1 });
      events.push(...result.events);
    }
    return events;
  }

  /** Records only the events of its own streams: the log may hold other suites' events. */
  function recorder(name: string) {
    const consumer = {
      name,
      handled: [] as number[],
      failAt: null as number | null,
      handle(events: RecordedEvent[]) {
        for (const e of events) {
          if (e.position === consumer.failAt) throw new Error(`cannot handle ${e.position}`);
          if (e.stream.startsWith(`${name}-`)) consumer.handled.push(e.position);
        }
      },
    } satisfies LogConsumer & Record<string, unknown>;
    return consumer;
  }

  function run(consumer: LogConsumer, options: CheckpointedSubscriptionOptions = {}) {
    const subscription = new CheckpointedSubscription(store, checkpoints, consumer, { ...FAST, ...options });
    running.push(subscription);
    return subscription;
  }

  it('delivers in log order from the checkpoint, goes live, and resumes after its checkpoint', async () => {
    const name = `ordered-${kind}`;
    await checkpoints.store(name, await store.headPosition());
    const before = await append(name, 5);
    const first = recorder(name);
    const one = run(first, { batchSize: 2 });
    await one.start();
    expect(await one.waitFor(before[4]!.position, 10_000)).toBe(true);
    await until(() => one.status().state === 'live');
    const live = await append(name, 2);
    expect(await one.waitFor(live[1]!.position, 10_000)).toBe(true);
    await one.stop();
    expect(first.handled).toEqual([...before, ...live].map((e) => e.position));
    expect(await checkpoints.load(name)).toBeGreaterThanOrEqual(live[1]!.position);

    const after = await append(name, 3);
    const second = recorder(name);
    const two = run(second);
    await two.start();
    expect(await two.waitFor(after[2]!.position, 10_000)).toBe(true);
    expect(second.handled).toEqual(after.map((e) => e.position));
  });

  it('stops before a failing event, counts its lag in events, and goes on once the fault is gone', async () => {
    const name = `failing-${kind}`;
    await checkpoints.store(name, await store.headPosition());
    const events = await append(name, 6);
    const consumer = recorder(name);
    consumer.failAt = events[2]!.position;
    const subscription = run(consumer, { batchSize: 1 });

    await subscription.start();
    await until(() => subscription.status().retries >= 2);
    const stuck = await subscription.refresh();
    expect(stuck).toMatchObject({ state: 'retrying', position: events[1]!.position, lastError: `cannot handle ${events[2]!.position}` });
    expect(await checkpoints.load(name)).toBe(events[1]!.position);
    if (isolated) expect(stuck.lag).toBe(4);
    else expect(stuck.lag).toBeGreaterThanOrEqual(4);
    // EventStoreDB numbers $all by commit position: the distance in positions is not a count of events.
    if (kind === 'esdb') expect(stuck.head - stuck.position).toBeGreaterThan(4);

    consumer.failAt = null;
    expect(await subscription.waitFor(events[5]!.position, 10_000)).toBe(true);
    await until(() => subscription.status().state === 'live');
    expect(subscription.status()).toMatchObject({ lag: 0, lastError: null, retries: 0 });
    expect(consumer.handled).toEqual(events.map((e) => e.position));
  });

  it("counts every consumer's lag in events with one head read and one count, reading no event", async () => {
    const names = ['lag-a', 'lag-b', 'lag-c'].map((n) => `${n}-${kind}`);
    const from = await store.headPosition();
    for (const name of names) await checkpoints.store(name, from);
    const events: RecordedEvent[] = [];
    const stream = uniqueStream('lag');
    for (let i = 0; i < 6; i++) {
      const batch = Array.from({ length: 50 }, (_, n) => newEvent('PermitAmended', { i, n }));
      events.push(...(await store.append(stream, batch, { expectedRevision: i === 0 ? 'no_stream' : i * 50 - 1 })).events);
    }
    // What the engine and the registry use of the store, with its calls counted.
    const calls = { headPosition: 0, countAfter: 0, readAll: 0 };
    const counted = {
      subscribeToAll: (handler, options) => store.subscribeToAll(handler, options),
      headPosition: () => (calls.headPosition++, store.headPosition()),
      countAfter: (after, limit) => (calls.countAfter++, store.countAfter(after, limit)),
      readAll: (options) => (calls.readAll++, store.readAll(options)),
    } satisfies Partial<EventStore> as unknown as EventStore;
    const registry = new ConsumerRegistry(counted);
    for (const name of names) {
      // Stuck on the first event: each stays at its checkpoint, 300 events behind.
      const consumer = recorder(name);
      consumer.failAt = events[0]!.position;
      const subscription = new CheckpointedSubscription(counted, checkpoints, consumer, FAST);
      running.push(subscription);
      registry.register({ kind: 'projector', subscription });
      await subscription.start();
    }
    await until(() => registry.reports().every((r) => r.status.retries > 0));

    const reports = await registry.refresh(10_000);
    for (const { status } of reports) {
      expect(status.position).toBe(from);
      if (isolated) expect(status.lag).toBe(300);
      else expect(status.lag).toBeGreaterThanOrEqual(300);
    }
    expect(calls).toEqual({ headPosition: 1, countAfter: 1, readAll: 0 });
    if (kind === 'esdb') expect(reports[0]!.status.head - from).toBeGreaterThan(300);

    // Nothing moved: the next refresh counts nothing.
    await registry.refresh(10_000);
    expect(calls).toEqual({ headPosition: 2, countAfter: 1, readAll: 0 });
  });

  if (kind === 'esdb' && !real) {
    it('resubscribes from its checkpoint when the server drops the subscription', async () => {
      const name = 'dropped-esdb';
      await checkpoints.store(name, await store.headPosition());
      const first = await append(name, 2);
      const consumer = recorder(name);
      const subscription = run(consumer);
      await subscription.start();
      expect(await subscription.waitFor(first[1]!.position, 10_000)).toBe(true);

      server!.dropSubscriptions();
      const more = await append(name, 2);
      expect(await subscription.waitFor(more[1]!.position, 10_000)).toBe(true);
      expect(consumer.handled).toEqual([...first, ...more].map((e) => e.position));
    });
  }
});
