import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  ANCHOR_STREAM,
  cosignerFromSeed,
  formatSignatureLine,
  leafHash,
  leafInput,
  merkleTreeHash,
  openCheckpoint,
  openEventStore,
  parseNote,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
  verifyLedger,
  type EventStore,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { ConsumerRegistry, LedgerTree, openReadModelDb, type ReadModelDb } from '@permit-ledger/projections';
import { loadConfig, type AppConfig } from '@permit-ledger/config';
import { ApplicationError } from '../platform/errors/application-error.js';
import type { HttpDrain } from '../platform/lifecycle/http-drain.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { LedgerKeys } from './ledger-keys.js';
import { LedgerWriter } from './ledger-writer.js';
import type { CheckpointSchedule } from './ledger.tokens.js';

/** The schedule, run by hand: what the writer asked for, and when. */
class ManualSchedule {
  pending: Array<{ run: () => void; ms: number; cancelled: boolean }> = [];
  readonly schedule: CheckpointSchedule = (run, ms) => {
    const entry = { run, ms, cancelled: false };
    this.pending.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  };
  /** Runs what is due (every live entry), as the timer would. */
  fire(): number {
    const due = this.pending.filter((e) => !e.cancelled);
    this.pending = [];
    for (const entry of due) entry.run();
    return due.length;
  }
}

const drained = { drained: async () => undefined } as unknown as HttpDrain;
const witness = cosignerFromSeed('witness.example', new Uint8Array(32).fill(4));
const cosignatureOf = (note: string, time: number) => formatSignatureLine(witness.cosign(parseNote(note).text, time));

describe.each(STORE_KINDS)('the ledger writer on %s: the tree, its checkpoints and proofs', (kind) => {
  let provided: ProvidedStore;
  let dataDir: string;
  let store: EventStore;
  let db: ReadModelDb;
  let config: AppConfig;
  let timer: ManualSchedule;
  let writer: LedgerWriter;
  const appended: RecordedEvent[] = [];

  const start = async () => {
    timer = new ManualSchedule();
    writer = new LedgerWriter(
      store,
      db,
      config,
      () => new Date('2021-03-01T10:00:00Z'),
      new LedgerKeys(config),
      drained,
      new ConsumerRegistry(store),
      timer.schedule,
    );
    await writer.onApplicationBootstrap();
  };
  const append = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const stream = `permit-T${appended.length % 3}`;
      const result = await store.append(
        stream,
        [
          {
            eventId: randomUUID(),
            type: 'PermitIssued',
            schemaVersion: 1,
            data: { i: appended.length },
            metadata: {
              effectiveAt: '2021-03-01T10:00:00.000Z',
              actor: { id: 'officer-1', role: 'officer' },
              commandId: randomUUID(),
              correlationId: 'c',
              causationId: null,
            },
          },
        ],
        { expectedRevision: 'any' },
      );
      appended.push(...result.events);
    }
    expect(await writer.waitFor(appended.at(-1)!.position, 10_000)).toBe(true);
  };
  /** The log's own leaves: every event but the anchors, in log order. */
  const leaves = async () => (await store.readAll()).filter((e) => e.stream !== ANCHOR_STREAM).map((e) => leafHash(leafInput(e)));
  /** The writer's chain is serial: this waits for a checkpoint the timer started. */
  const settled = () => writer.checkpointNow();

  beforeAll(async () => {
    provided = await provideStore(kind);
    dataDir = mkdtempSync(join(tmpdir(), 'permit-ledger-tree-'));
    config = loadConfig({ ...provided.env, DATA_DIR: dataDir, AUTH_JWT_SECRET: 'x'.repeat(32), LEDGER_ORIGIN: 'permit-ledger.test' });
    ({ store } = await openEventStore({ connectionString: config.eventStoreConnectionString, dataDir }));
    db = openReadModelDb(join(dataDir, 'read-models.sqlite'));
    await start();
  }, 60_000);
  afterAll(async () => {
    await writer?.beforeApplicationShutdown();
    await store?.close();
    db?.close();
    await provided?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for no checkpoint before there are leaves', async () => {
    expect(await writer.latest()).toBeNull();
    expect(timer.pending).toHaveLength(0);
    await expect(writer.inclusionProof(0, 1)).rejects.toMatchObject({ kind: 'invalid', details: { errors: [{ field: 'size' }] } });
  });

  it('checkpoints LEDGER_CHECKPOINT_SECONDS after new leaves: one timer, a signed C2SP note of the tree, a v2 anchor', async () => {
    await append(5);
    expect(timer.pending.map((e) => e.ms)).toEqual([1000]);
    await append(2); // the timer runs already: no second one
    expect(timer.pending).toHaveLength(1);
    expect(await writer.latest()).toBeNull();
    timer.fire();
    await settled();
    const latest = (await writer.latest())!;
    expect(latest.size).toBe(7);
    expect(Buffer.from(latest.root)).toEqual(Buffer.from(merkleTreeHash(await leaves())));
    const { checkpoint } = openCheckpoint(latest.note, [parseVerifierKey(writer.verifierKey())], 'permit-ledger.test');
    expect(checkpoint).toEqual({ origin: 'permit-ledger.test', size: 7, root: latest.root });
    const anchors = (await store.readAll()).filter((e) => e.stream === ANCHOR_STREAM);
    expect(anchors.map((a) => [a.schemaVersion, a.data.count, a.data.note])).toEqual([[2, 7, latest.note]]);
  });

  it('asks for no checkpoint when only its own anchor arrived', async () => {
    const head = await store.headPosition();
    expect(await writer.waitFor(head, 10_000)).toBe(true);
    expect(timer.pending).toHaveLength(0);
    expect(await writer.checkpointNow()).toBeNull();
  });

  it('maps positions to leaves: anchors are no leaves', async () => {
    const anchor = (await store.readAll()).find((e) => e.stream === ANCHOR_STREAM)!;
    const map = await writer.leavesOf([...appended.map((e) => e.position), anchor.position]);
    expect(appended.map((e) => map.get(e.position))).toEqual(appended.map((_, i) => i));
    expect(map.get(anchor.position)).toBeNull();
  });

  it('serves inclusion and consistency proofs that verify against the checkpoints, and refuses sizes beyond the latest', async () => {
    const first = (await writer.latest())!;
    await append(6);
    timer.fire();
    await settled();
    const latest = (await writer.latest())!;
    expect(latest.size).toBe(13);
    const hashes = await leaves();
    expect(Buffer.from(latest.root)).toEqual(Buffer.from(merkleTreeHash(hashes)));
    for (const size of [first.size, latest.size]) {
      const root = size === first.size ? first.root : latest.root;
      for (let leaf = 0; leaf < size; leaf++) {
        expect(verifyInclusion(leaf, size, hashes[leaf], await writer.inclusionProof(leaf, size), root)).toBe(true);
      }
    }
    for (let from = 1; from <= latest.size; from++) {
      const proof = await writer.consistencyProof(from, latest.size);
      expect(verifyConsistency(from, latest.size, proof, merkleTreeHash(hashes.slice(0, from)), latest.root)).toBe(true);
    }
    const refused = async (run: Promise<unknown>) => {
      const error = await run.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ApplicationError);
      return (error as ApplicationError).details.errors?.map((e) => e.field);
    };
    expect(await refused(writer.inclusionProof(0, 14))).toEqual(['size']);
    expect(await refused(writer.inclusionProof(13, 13))).toEqual(['leaf']);
    expect(await refused(writer.consistencyProof(9, 8))).toEqual(['from']);
    expect(await refused(writer.consistencyProof(0, 8))).toEqual(['from']);
    expect(await refused(writer.consistencyProof(1, 20))).toEqual(['size']);
  });

  it('keeps one cosignature per witness, with its checkpoint', async () => {
    const latest = (await writer.latest())!;
    await writer.addCosignature(latest, cosignatureOf(latest.note, 1_700_000_000), witness.verifierKey);
    await writer.addCosignature(latest, cosignatureOf(latest.note, 1_700_000_001), witness.verifierKey);
    expect((await writer.latest())!.cosignatures).toEqual([cosignatureOf(latest.note, 1_700_000_001)]);
  });

  it('checkpoints at shutdown what came after the last one, then resumes on restart with the same tree', async () => {
    await append(3);
    await writer.beforeApplicationShutdown();
    await start();
    const latest = (await writer.latest())!;
    expect(latest.size).toBe(16);
    expect(latest.cosignatures).toEqual([]);
    expect(Buffer.from(latest.root)).toEqual(Buffer.from(merkleTreeHash(await leaves())));
    await append(2);
    timer.fire();
    await settled();
    expect(Buffer.from((await writer.latest())!.root)).toEqual(Buffer.from(merkleTreeHash(await leaves())));
  });

  it('the log verifies: every v2 anchor signed, its root that of the rebuilt tree', async () => {
    const result = await verifyLedger(await store.readAll(), {
      verifierKey: writer.verifierKey(),
      publicKey: new LedgerKeys(config).publicKey,
    });
    expect(result).toMatchObject({ valid: true, anchorsChecked: 4, unanchored: 0 });
  });

  it('a rebuild from the log gives the same state, root and checkpoints, and keeps the cosignatures', async () => {
    const before = writer.tree.state;
    const checkpoints = writer.tree.latestCheckpoints(10);
    const kept = cosignatureOf(checkpoints[0].note, 1_700_000_000);
    writer.tree.addCosignature(checkpoints[0], kept, witness.verifierKey);
    LedgerTree.reset(db);
    const rebuilt = new LedgerTree(db);
    for (let after = 0; ;) {
      const page = await store.readAll({ after, maxCount: 5 });
      if (page.length === 0) break;
      rebuilt.fold(page);
      after = page.at(-1)!.position;
    }
    expect(rebuilt.state).toEqual(before);
    expect(Buffer.from(rebuilt.root())).toEqual(Buffer.from(merkleTreeHash(await leaves())));
    expect(rebuilt.latestCheckpoints(10)).toEqual(checkpoints);
    expect(rebuilt.cosignatures(checkpoints[0])).toEqual([kept]);
  });
});
