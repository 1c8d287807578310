import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ANCHOR_EVENT_TYPE,
  ANCHOR_SCHEMA_VERSION,
  ANCHOR_STREAM,
  EVENT_STORE,
  isChained,
  leafHash,
  leafInput,
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
  retryDelay,
  type CheckpointStore,
  type RetryPolicy,
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
/** Back-off of a checkpoint that could not be appended: tried again until it is, never left to the next leaves. */
const CHECKPOINT_RETRY: RetryPolicy = { initialMs: 1000, maxMs: 60_000 };

/**
 * The tree in the read-model database is not the log's: the store of record was restored (or replaced) behind
 * it. Refolding it from the log (`npm run -s cli -- rebuild`, service stopped) is the only way on.
 */
export class LedgerDivergedError extends Error {
  constructor(detail: string) {
    super(
      `the ledger's tree in the read models is not the log's (${detail}): the store of record was restored or replaced ` +
        'behind them; stop the service and run `npm run -s cli -- rebuild`',
    );
    this.name = 'LedgerDivergedError';
  }
}

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
  /** Set once the tree is found not to be the log's: nothing of it is served again until a rebuild. */
  private diverged: LedgerDivergedError | null = null;
  /** Failed checkpoint appends in a row, and the last one's reason (readiness). */
  private checkpointFailures = 0;
  private checkpointError: string | null = null;
  /** When the first leaf no checkpoint covers was folded (or, after a restart, found): the tail's age. */
  private tailSince: number | null = null;
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
    // The position is stored by the tree's fold with the state it covers; the subscription only reads it back,
    // at each (re)subscription, once it has checked that the tree is still the log's.
    const checkpoint: CheckpointStore = {
      load: async () => {
        await this.assertTiedToLog();
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
    // Ready unless failing (a tree that is not the log's, an event it cannot fold): a late checkpoint does not
    // make a read wrong, so the unanchored tail and a failing append are shown, not counted against readiness.
    consumers.register({
      kind: 'processor',
      indicator: 'ledgerWriter',
      subscription: this.subscription,
      details: ({ name: _, ...status }) => ({ ...status, ...this.tail() }),
    });
  }

  /** Refuses to start on a tree that is not the log's; then checkpoints a tail a crash or a failed append left. */
  async onApplicationBootstrap(): Promise<void> {
    await this.assertTiedToLog();
    this.newest = this.trustedLatest();
    await this.subscription.start();
    if (this.tree.size > (this.newest?.size ?? 0)) {
      this.tailSince ??= this.clock().getTime();
      this.arm(this.config.checkpointSeconds * 1000);
    }
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
      if (this.diverged) throw this.diverged;
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
    return this.newest && !this.diverged ? this.signed(this.newest) : null;
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
    if (this.diverged) return new Map(positions.map((p) => [p, null]));
    return this.tree.leavesOf(positions);
  }

  async addCosignature(checkpoint: Pick<SignedCheckpoint, 'size' | 'root'>, line: string, witnessKey: string): Promise<void> {
    this.tree.addCosignature(checkpoint, line, witnessKey);
  }

  private assertSize(size: number): void {
    const latest = this.diverged ? 0 : (this.newest?.size ?? 0);
    if (!Number.isSafeInteger(size) || size < 1 || size > latest) {
      throw invalidInput([
        { field: 'size', messages: [latest ? `size must be between 1 and the latest checkpoint's size (${latest})` : 'no checkpoint yet'] },
      ]);
    }
  }

  private signed(checkpoint: StoredCheckpoint): SignedCheckpoint {
    return { size: checkpoint.size, root: checkpoint.root, note: checkpoint.note, cosignatures: this.tree.cosignatures(checkpoint) };
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
    if (this.diverged) throw this.diverged;
    this.tree.fold(events);
    // Another replica's checkpoint, read from the log.
    if (events.some((e) => e.stream === ANCHOR_STREAM) && (this.tree.latestCheckpoints(1)[0]?.size ?? 0) > (this.newest?.size ?? 0)) {
      this.adopt(this.trustedLatest());
    }
    if (this.tree.size > (this.newest?.size ?? 0)) {
      this.tailSince ??= this.clock().getTime();
      this.arm(this.config.checkpointSeconds * 1000);
    }
  }

  /** Checkpoints in `ms` (unless one is due already); a failed append is tried again with back-off. */
  private arm(ms: number): void {
    if (this.timer || this.stopping || this.diverged) return;
    this.timer = this.schedule(() => {
      this.timer = null;
      this.serial(() => this.checkpoint()).then(
        () => {
          this.checkpointFailures = 0;
          this.checkpointError = null;
        },
        (error: unknown) => {
          this.checkpointFailures++;
          this.checkpointError = error instanceof Error ? error.message : String(error);
          const delay = retryDelay(this.checkpointFailures, CHECKPOINT_RETRY);
          this.logger.error(`checkpoint failed (attempt ${this.checkpointFailures}, again in ${delay} ms): ${this.checkpointError}`);
          this.arm(delay);
        },
      );
    }, ms);
  }

  /** What readiness shows of the tail: leaves no checkpoint covers yet, since when, and a failing append. */
  private tail(): Record<string, unknown> {
    const anchored = this.diverged ? 0 : (this.newest?.size ?? 0);
    return {
      treeSize: this.tree.size,
      checkpointSize: anchored,
      unanchoredLeaves: Math.max(0, this.tree.size - anchored),
      unanchoredSeconds:
        this.tree.size > anchored && this.tailSince !== null
          ? Math.max(0, Math.round((this.clock().getTime() - this.tailSince) / 1000))
          : 0,
      checkpointFailures: this.checkpointFailures,
      checkpointError: this.checkpointError,
    };
  }

  /**
   * The tree is the log's when the store holds the event of its last folded position and, at its last leaf's
   * position, the event whose leaf hash is the tree's last leaf: a store restored from a backup behind the read
   * models would have new events reuse lost positions, which the fold (skipping what it has folded) would never
   * see. Checked at bootstrap and at every (re)subscription; a mismatch is final (LedgerDivergedError).
   */
  private async assertTiedToLog(): Promise<void> {
    if (this.diverged) throw this.diverged;
    this.tree.load();
    const { position, size, lastLeafPosition } = this.tree.state;
    if (position === 0) return;
    const head = await this.store.headPosition();
    let mismatch: string | null = null;
    if (position > head) {
      mismatch = `it has folded the log up to position ${position}, the store's head is ${head}`;
    } else {
      // Read on from positions the tree folded, never from one in between: EventStoreDB refuses a position that
      // no record starts at.
      if (size > 0) {
        const event = await this.eventAt(lastLeafPosition, this.tree.leafPositionBefore(lastLeafPosition));
        if (!event || !isChained(event) || !sameLeaf(event, this.tree.node(0, size - 1))) {
          mismatch = `the event at position ${lastLeafPosition} is not its leaf ${size - 1}`;
        }
      }
      if (mismatch === null && position !== lastLeafPosition && !(await this.eventAt(position, lastLeafPosition))) {
        mismatch = `the store holds no event at its last folded position ${position}`;
      }
    }
    if (mismatch === null) return;
    this.diverged = new LedgerDivergedError(mismatch);
    this.timer?.cancel();
    this.timer = null;
    this.logger.error(this.diverged.message);
    throw this.diverged;
  }

  /**
   * The event at exactly `position`, read on from `after` (an earlier position this log is expected to hold), or
   * null. A store restored behind the tree may refuse `after` as no record's position: that is no such event too.
   */
  private async eventAt(position: number, after: number): Promise<RecordedEvent | null> {
    const page = 64;
    try {
      for (;;) {
        const events = await this.store.readAll({ after, maxCount: page });
        for (const event of events) {
          if (event.position >= position) return event.position === position ? event : null;
        }
        if (events.length < page) return null;
        after = events[events.length - 1].position;
      }
    } catch (error) {
      // EventStoreDB answers INVALID_ARGUMENT "Invalid position"; anything else (an outage) is no answer.
      if (error instanceof Error && /invalid position/i.test(`${error.message} ${String(error.cause)}`)) return null;
      throw error;
    }
  }

  /** Signs the tree as folded, appends it as an anchor and serves it; null when no leaf is new. */
  private async checkpoint(): Promise<CheckpointAnchorData | null> {
    if (this.diverged) throw this.diverged;
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
    this.tailSince = this.tree.size > checkpoint.size ? this.clock().getTime() : null;
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

function sameLeaf(event: RecordedEvent, leaf: Uint8Array): boolean {
  try {
    return Buffer.from(leafHash(leafInput(event))).equals(Buffer.from(leaf));
  } catch {
    return false; // not a 32-byte hash: not the event that was folded
  }
}
