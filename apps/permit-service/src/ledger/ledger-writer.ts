import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ANCHOR_EVENT_TYPE,
  ANCHOR_SCHEMA_VERSION,
  ANCHOR_STREAM,
  EVENT_STORE,
  openCheckpoint,
  parseVerifierKey,
  signCheckpointAnchor,
  type CheckpointAnchorData,
  type EventStore,
  type NoteVerifier,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import {
  CheckpointedSubscription,
  ConsumerRegistry,
  LedgerTree,
  type CheckpointStore,
  type ReadModelDb,
  type StoredCheckpoint,
} from '@permit-ledger/projections';
import type { AppConfig, Clock } from '@permit-ledger/config';
import { APP_CONFIG, CLOCK, READ_MODEL_DB } from '../platform/store/tokens.js';
import { invalidInput } from '../platform/errors/application-error.js';
import { HttpDrain } from '../platform/lifecycle/http-drain.js';
import { LedgerKeys } from './ledger-keys.js';
import { LEDGER_SCHEDULE, type CheckpointSchedule } from './ledger.tokens.js';
import type { SignedCheckpoint, TransparencyLog } from './transparency-log.js';

const LEDGER_WRITER = 'ledger-anchor-writer';

const timerSchedule: CheckpointSchedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

/**
 * The ledger as a transparency log, written by one consumer of the log: it folds every event into the running
 * hash and the RFC 9162 tree (LedgerTree, in the read-model database; its state row is this consumer's
 * checkpoint), and LEDGER_CHECKPOINT_SECONDS after new leaves arrive, and at shutdown, signs a checkpoint of
 * the tree and records it in the log as a `LedgerAnchored` v2 event (see libs/event-store/src/ledger/anchor.ts).
 * No checkpoint is written when nothing new arrived. It serves the checkpoints and proofs (TransparencyLog).
 *
 * On EventStoreDB every replica folds $all in the same commit order, so the replicas' trees agree and two
 * checkpoints of one size, signed with the one key, are the same note; a replica serves the checkpoints
 * of the others as it reads them (only those its tree and its key confirm).
 */
@Injectable()
export class LedgerWriter implements TransparencyLog, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LedgerWriter');
  private readonly subscription: CheckpointedSubscription;
  private readonly schedule: CheckpointSchedule;
  private readonly verifier: NoteVerifier;
  readonly tree: LedgerTree;
  private newest: StoredCheckpoint | null = null;
  private timer: { cancel(): void } | null = null;
  private stopping = false;
  private readonly listeners = new Set<(checkpoint: SignedCheckpoint) => void>();
  /** Serialises folding and checkpointing. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) db: ReadModelDb,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly keys: LedgerKeys,
    private readonly http: HttpDrain,
    consumers: ConsumerRegistry,
    @Optional() @Inject(LEDGER_SCHEDULE) schedule?: CheckpointSchedule,
  ) {
    this.schedule = schedule ?? timerSchedule;
    this.verifier = parseVerifierKey(keys.verifierKey());
    this.tree = new LedgerTree(db);
    // The position is stored by the tree's fold with the state it covers; the subscription only reads it back.
    const checkpoint: CheckpointStore = {
      load: async () => {
        this.tree.load();
        return this.tree.state.position;
      },
      store: async () => {
        throw new Error('the ledger writer stores its position with its tree');
      },
    };
    this.subscription = new CheckpointedSubscription(
      store,
      checkpoint,
      { name: LEDGER_WRITER, handle: (events) => this.serial(async () => this.fold(events)) },
      { checkpoint: 'consumer', onFailure: (error) => this.logger.warn(`subscription failed, resubscribing: ${String(error)}`) },
    );
    // Metrics only: a late checkpoint does not make a read wrong.
    consumers.register({ kind: 'processor', subscription: this.subscription });
  }

  onApplicationBootstrap(): Promise<void> {
    this.newest = this.trustedLatest();
    return this.subscription.start();
  }

  /** Checkpoints what the log holds at shutdown, after the last requests, before the store closes. */
  async beforeApplicationShutdown(): Promise<void> {
    // The last commands in flight are part of what the final checkpoint covers.
    await this.http.drained();
    this.stopping = true;
    this.timer?.cancel();
    this.timer = null;
    await this.subscription.stop();
    await this.checkpointNow().catch((error: unknown) => this.logger.error(`final checkpoint failed: ${String(error)}`));
  }

  /** Folds everything up to the head and checkpoints it now, if anything is new (at shutdown, and by tests). */
  checkpointNow(): Promise<CheckpointAnchorData | null> {
    return this.serial(async () => {
      await this.catchUp();
      return this.checkpoint();
    });
  }

  /** true once the tree has folded the log up to `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    return this.subscription.waitFor(position, timeoutMs);
  }

  origin(): string {
    return this.config.ledgerOrigin;
  }

  verifierKey(): string {
    return this.keys.verifierKey();
  }

  async latest(): Promise<SignedCheckpoint | null> {
    return this.newest ? this.signed(this.newest) : null;
  }

  onCheckpoint(listener: (checkpoint: SignedCheckpoint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async inclusionProof(leaf: number, size: number): Promise<Uint8Array[]> {
    this.assertSize(size);
    if (!Number.isSafeInteger(leaf) || leaf < 0 || leaf >= size) {
      throw invalidInput([{ field: 'leaf', messages: [`leaf must be a leaf index below size (${size})`] }]);
    }
    return this.tree.inclusionProof(leaf, size);
  }

  async consistencyProof(from: number, size: number): Promise<Uint8Array[]> {
    this.assertSize(size);
    if (!Number.isSafeInteger(from) || from < 1 || from > size) {
      throw invalidInput([{ field: 'from', messages: [`from must be between 1 and size (${size})`] }]);
    }
    return this.tree.consistencyProof(from, size);
  }

  async leavesOf(positions: number[]): Promise<Map<number, number | null>> {
    return this.tree.leavesOf(positions);
  }

  async addCosignature(size: number, line: string): Promise<void> {
    this.tree.addCosignature(size, line);
  }

  private assertSize(size: number): void {
    const latest = this.newest?.size ?? 0;
    if (!Number.isSafeInteger(size) || size < 1 || size > latest) {
      throw invalidInput([
        { field: 'size', messages: [latest ? `size must be between 1 and the latest checkpoint's size (${latest})` : 'no checkpoint yet'] },
      ]);
    }
  }

  private signed(checkpoint: StoredCheckpoint): SignedCheckpoint {
    return { size: checkpoint.size, root: checkpoint.root, note: checkpoint.note, cosignatures: this.tree.cosignatures(checkpoint.size) };
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.chain.then(run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const events = await this.store.readAll({ after: this.tree.state.position, maxCount: 1000 });
      if (events.length === 0) return;
      this.fold(events);
    }
  }

  private fold(events: RecordedEvent[]): void {
    this.tree.fold(events);
    // Another replica's checkpoint, read from the log.
    if (events.some((e) => e.stream === ANCHOR_STREAM) && (this.tree.latestCheckpoints(1)[0]?.size ?? 0) > (this.newest?.size ?? 0)) {
      this.adopt(this.trustedLatest());
    }
    if (this.tree.size > (this.newest?.size ?? 0) && !this.timer && !this.stopping) {
      this.timer = this.schedule(() => {
        this.timer = null;
        void this.serial(() => this.checkpoint()).catch((error: unknown) => this.logger.error(`checkpoint failed: ${String(error)}`));
      }, this.config.checkpointSeconds * 1000);
    }
  }

  /** Signs the tree as folded, appends it as an anchor and serves it; null when no leaf is new. */
  private async checkpoint(): Promise<CheckpointAnchorData | null> {
    const { size, runningHash, lastLeafPosition } = this.tree.state;
    if (size === 0 || size <= (this.newest?.size ?? 0)) return null;
    const root = this.tree.root();
    const anchor = signCheckpointAnchor(
      { position: lastLeafPosition, count: size, runningHash },
      root,
      this.keys.privateKey,
      this.keys.signer,
    );
    const commandId = randomUUID();
    const appended = await this.store.append(
      ANCHOR_STREAM,
      [
        {
          eventId: randomUUID(),
          type: ANCHOR_EVENT_TYPE,
          schemaVersion: ANCHOR_SCHEMA_VERSION,
          data: { ...anchor },
          metadata: {
            effectiveAt: this.clock().toISOString(),
            actor: { id: 'ledger-anchor', role: 'system' },
            commandId,
            correlationId: commandId,
            causationId: null,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
    const stored: StoredCheckpoint = { size, root, note: anchor.note, position: appended.position };
    this.tree.record(stored);
    this.adopt(stored);
    return anchor;
  }

  /** Serves a newer checkpoint and tells the listeners. */
  private adopt(checkpoint: StoredCheckpoint | null): void {
    if (!checkpoint || checkpoint.size <= (this.newest?.size ?? 0)) return;
    this.newest = checkpoint;
    const signed = this.signed(checkpoint);
    for (const listener of this.listeners) {
      try {
        listener(signed);
      } catch (error) {
        this.logger.warn(`checkpoint listener failed: ${String(error)}`);
      }
    }
  }

  /** The newest recorded checkpoint that this log's key signed for this origin (the tree checked its root). */
  private trustedLatest(): StoredCheckpoint | null {
    for (const checkpoint of this.tree.latestCheckpoints(16)) {
      try {
        openCheckpoint(checkpoint.note, [this.verifier], this.config.ledgerOrigin);
        return checkpoint;
      } catch {
        this.logger.warn(`checkpoint of size ${checkpoint.size} in the log is not signed by this ledger's key: not served`);
      }
    }
    return null;
  }
}
