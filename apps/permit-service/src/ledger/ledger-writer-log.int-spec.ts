import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { EsdbTestServer } from '@permit-ledger/esdb-test-server';
import { ANCHOR_STREAM, openEventStore, StoreUnavailableError, verifyLedger, type EventStore } from '@permit-ledger/event-store';
import { ConsumerRegistry, LedgerTree, openReadModelDb, type ReadModelDb } from '@permit-ledger/projections';
import { loadConfig, type AppConfig } from '@permit-ledger/config';
import type { HttpDrain } from '../platform/lifecycle/http-drain.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { LedgerKeys } from './ledger-keys.js';
import { LedgerDivergedError, LedgerWriter } from './ledger-writer.js';
import type { CheckpointSchedule } from './ledger.tokens.js';

/** The schedule, run by hand. */
class ManualSchedule {
  pending: Array<{ run: () => void; ms: number; cancelled: boolean }> = [];
  readonly schedule: CheckpointSchedule = (run, ms) => {
    const entry = { run, ms, cancelled: false };
    this.pending.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  };
  live(): number[] {
    return this.pending.filter((e) => !e.cancelled).map((e) => e.ms);
  }
  fire(): void {
    const due = this.pending.filter((e) => !e.cancelled);
    this.pending = [];
    for (const entry of due) entry.run();
  }
}

const drained = { drained: async () => undefined } as unknown as HttpDrain;

async function appendPermits(store: EventStore, count: number): Promise<number> {
  let position = 0;
  for (let i = 0; i < count; i++) {
    const result = await store.append(
      `permit-R${randomUUID().slice(0, 8)}`,
      [
        {
          eventId: randomUUID(),
          type: 'PermitIssued',
          schemaVersion: 1,
          data: { i },
          metadata: {
            effectiveAt: '2021-03-01T10:00:00.000Z',
            actor: { id: 'officer-1', role: 'officer' },
            commandId: randomUUID(),
            correlationId: 'c',
            causationId: null,
          },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    position = result.position;
  }
  return position;
}

describe.each(STORE_KINDS)('the ledger writer on %s: its tree tied to the log, its tail always anchored', (kind) => {
  let provided: ProvidedStore;
  let dataDir: string;
  let config: AppConfig;
  let store: EventStore;
  let db: ReadModelDb;
  let writers: LedgerWriter[];
  /** A second server standing for the restored cluster (EventStoreDB). */
  let restored: EsdbTestServer | undefined;

  const open = async (env: Record<string, string> = provided.env) => {
    config = loadConfig({ ...env, DATA_DIR: dataDir, AUTH_JWT_SECRET: 'x'.repeat(32), LEDGER_ORIGIN: 'permit-ledger.test' });
    ({ store } = await openEventStore({ connectionString: config.eventStoreConnectionString, dataDir }));
  };
  const writer = (options: { schedule?: ManualSchedule; store?: EventStore; registry?: ConsumerRegistry } = {}) => {
    const created = new LedgerWriter(
      options.store ?? store,
      db,
      config,
      () => new Date('2021-03-01T10:00:00Z'),
      new LedgerKeys(config),
      drained,
      options.registry ?? new ConsumerRegistry(store),
      (options.schedule ?? new ManualSchedule()).schedule,
    );
    writers.push(created);
    return created;
  };
  const readiness = (registry: ConsumerRegistry) => {
    const [consumer] = registry.reports().filter((c) => c.indicator === 'ledgerWriter');
    return { ready: ConsumerRegistry.isReady(consumer, 1000), details: consumer.details!(consumer.status) };
  };

  beforeEach(async () => {
    provided = await provideStore(kind);
    dataDir = mkdtempSync(join(tmpdir(), 'permit-ledger-tied-'));
    writers = [];
    restored = undefined;
    await open();
    db = openReadModelDb(join(dataDir, 'read-models.sqlite'));
  }, 60_000);
  afterEach(async () => {
    for (const w of writers) await w.beforeApplicationShutdown().catch(() => undefined);
    await store?.close();
    db?.close();
    await restored?.close();
    await provided?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Closes the store and brings back its backup (SQLite: the file; EventStoreDB: another, younger cluster). */
  const restore = async (backup: string | null) => {
    await store.close();
    if (kind === 'sqlite') {
      for (const suffix of ['-wal', '-shm']) rmSync(join(dataDir, `events.sqlite${suffix}`), { force: true });
      copyFileSync(backup!, join(dataDir, 'events.sqlite'));
      await open();
    } else {
      restored = await EsdbTestServer.start();
      await open({ EVENTSTORE_CONNECTION_STRING: restored.connectionString });
    }
  };

  it('refuses to start after the store of record alone was restored (new events on lost positions), naming the rebuild; starts after it', async () => {
    if (kind === 'esdb' && !provided.server) return; // a real server cannot be swapped for a restored one here
    const first = writer();
    await first.onApplicationBootstrap();
    await appendPermits(store, 3);
    await first.beforeApplicationShutdown();
    const backup = join(dataDir, 'events.backup.sqlite');
    if (kind === 'sqlite') {
      await store.close();
      copyFileSync(join(dataDir, 'events.sqlite'), backup);
      await open();
    }
    const again = writer();
    await again.onApplicationBootstrap();
    await appendPermits(store, 3);
    await again.beforeApplicationShutdown();
    expect(again.tree.size).toBe(6);

    await restore(kind === 'sqlite' ? backup : null);
    await appendPermits(store, 2);
    const refused = writer();
    const error = await refused.onApplicationBootstrap().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LedgerDivergedError);
    expect((error as Error).message).toContain('npm run -s cli -- rebuild');
    expect(await refused.latest()).toBeNull();
    await expect(refused.checkpointNow()).rejects.toBeInstanceOf(LedgerDivergedError);

    // The rebuild: the tree refolded from the restored log, whose every event is then a leaf.
    LedgerTree.reset(db);
    const rebuilt = writer();
    await rebuilt.onApplicationBootstrap();
    await rebuilt.checkpointNow();
    const leaves = (await store.readAll()).filter((e) => e.stream !== ANCHOR_STREAM).length;
    expect(leaves).toBe(kind === 'sqlite' ? 5 : 2);
    expect((await rebuilt.latest())!.size).toBe(leaves);
    expect(await verifyLedger(await store.readAll(), { verifierKey: rebuilt.verifierKey() })).toMatchObject({ valid: true, unanchored: 0 });
  }, 60_000);

  it('refuses a tree whose last leaf is another event than the log holds at its position', async () => {
    const first = writer();
    await first.onApplicationBootstrap();
    await appendPermits(store, 2);
    await first.checkpointNow();
    await first.beforeApplicationShutdown();
    // Forge the tree's last leaf: the state says it folded the log, its leaf is another event's.
    const size = first.tree.size;
    db.prepare('UPDATE ledger_tree_nodes SET hash = ? WHERE level = 0 AND idx = ?').run(Buffer.alloc(32, 7), size - 1);
    await expect(writer().onApplicationBootstrap()).rejects.toThrow(/is not its leaf 1.*npm run -s cli -- rebuild/);
  });

  it('starts the checkpoint timer at bootstrap when the tree is ahead of the newest checkpoint (a crash before it)', async () => {
    await appendPermits(store, 4);
    // A writer that folded these and died before its checkpoint.
    new LedgerTree(db).fold(await store.readAll());
    const schedule = new ManualSchedule();
    const restarted = writer({ schedule });
    await restarted.onApplicationBootstrap();
    expect(schedule.live()).toEqual([1000]);
    expect(await restarted.latest()).toBeNull();
    schedule.fire();
    await restarted.checkpointNow();
    expect((await restarted.latest())!.size).toBe(4);
  });

  it('retries a failed checkpoint append with back-off until it lands, showing the unanchored tail in readiness', async () => {
    let failing = 2;
    const append: EventStore['append'] = async (stream, events, options) => {
      if (stream === ANCHOR_STREAM && failing > 0) {
        failing--;
        throw new StoreUnavailableError('the store is away');
      }
      return store.append(stream, events, options);
    };
    // The real store, but for two anchor appends that fail.
    const flaky = new Proxy(store, {
      get: (target, name) => {
        if (name === 'append') return append;
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const schedule = new ManualSchedule();
    const registry = new ConsumerRegistry(store);
    const w = writer({ schedule, store: flaky, registry });
    await w.onApplicationBootstrap();
    const head = await appendPermits(store, 3);
    expect(await w.waitFor(head, 10_000)).toBe(true);
    expect(schedule.live()).toEqual([1000]);
    schedule.fire();
    await waitUntil(() => schedule.live().length > 0);
    expect(schedule.live()).toEqual([1000]);
    expect(readiness(registry)).toMatchObject({
      ready: true,
      details: { treeSize: 3, checkpointSize: 0, unanchoredLeaves: 3, checkpointFailures: 1, checkpointError: 'the store is away' },
    });
    schedule.fire();
    await waitUntil(() => schedule.live().length > 0);
    expect(schedule.live()).toEqual([2000]);
    expect(failing).toBe(0);
    schedule.fire();
    // On the writer's serial chain: after the retried checkpoint, with nothing left to checkpoint.
    expect(await w.checkpointNow()).toBeNull();
    expect((await w.latest())!.size).toBe(3);
    expect(readiness(registry).details).toMatchObject({ unanchoredLeaves: 0, checkpointFailures: 0, checkpointError: null });
  });

  it('an event whose hash cannot be a leaf: the writer fails, visibly and without skipping it', async () => {
    if (kind !== 'sqlite') return; // the hash is the store's; only the SQLite file can be forged here
    await appendPermits(store, 3);
    await store.close();
    const file = new Database(join(dataDir, 'events.sqlite'));
    file.exec('DROP TRIGGER IF EXISTS events_no_update');
    file.prepare("UPDATE events SET hash = 'not-a-hash' WHERE position = 2").run();
    file.close();
    await open();
    const registry = new ConsumerRegistry(store);
    const w = writer({ registry });
    await w.onApplicationBootstrap();
    await expect(w.checkpointNow()).rejects.toThrow(/position 2 .*cannot be a leaf/);
    await waitUntil(() => registry.reports().some((c) => c.indicator === 'ledgerWriter' && c.status.lastError !== null));
    const { ready, details } = readiness(registry);
    expect(ready).toBe(false);
    // A batch is folded whole or not at all: nothing of it is a leaf, and position 2 is never stepped over.
    expect(details).toMatchObject({ state: 'retrying', lastError: expect.stringMatching(/position 2 .*cannot be a leaf/), treeSize: 0 });
    expect(w.tree.state.position).toBe(0);
  });
});

/** Waits for a condition the writer reaches on its own (not a timing assertion: bounded only to fail). */
async function waitUntil(condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
