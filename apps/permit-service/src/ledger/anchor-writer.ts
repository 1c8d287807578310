import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ANCHOR_EVENT_TYPE,
  ANCHOR_STREAM,
  EVENT_STORE,
  GENESIS_HASH,
  isChained,
  nextRunningHash,
  signAnchor,
  type AnchorData,
  type EventStore,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { CheckpointedSubscription, ConsumerRegistry, type CheckpointStore, type ReadModelDb } from '@permit-ledger/projections';
import type { AppConfig, Clock } from '@permit-ledger/config';
import { APP_CONFIG, CLOCK, READ_MODEL_DB } from '../platform/store/tokens.js';
import { LedgerKeys } from './ledger-keys.js';
import { HttpDrain } from '../platform/lifecycle/http-drain.js';

interface ChainState {
  /** Last log position folded into the running hash (anchors included, though they are not chained). */
  position: number;
  count: number;
  runningHash: string;
  /** Chained events since the last anchor. */
  pending: number;
}

const ANCHOR_WRITER = 'ledger-anchor-writer';

/**
 * Keeps the running hash of the whole log and appends a `LedgerAnchored` event every
 * LEDGER_ANCHOR_EVERY chained events and at shutdown (see libs/event-store/src/ledger/anchor.ts).
 * It reads the log on a CheckpointedSubscription; its checkpoint is the position in its own
 * `ledger_chain` row of the read-model database, written together with the running hash it covers.
 */
@Injectable()
export class AnchorWriter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AnchorWriter');
  private readonly subscription: CheckpointedSubscription;
  private state!: ChainState;
  /** Serialises folding and anchoring. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDb,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly keys: LedgerKeys,
    private readonly http: HttpDrain,
    consumers: ConsumerRegistry,
  ) {
    // The position is stored by fold() with the running hash; the subscription only reads it back.
    const checkpoint: CheckpointStore = {
      load: async () => this.state.position,
      store: async () => {
        throw new Error('the anchor writer stores its position with its running hash');
      },
    };
    this.subscription = new CheckpointedSubscription(
      store,
      checkpoint,
      { name: ANCHOR_WRITER, handle: (events) => this.serial(() => this.fold(events, true)) },
      { checkpoint: 'consumer', onFailure: (error) => this.logger.warn(`subscription failed, resubscribing: ${String(error)}`) },
    );
    // Metrics only: an anchor that is late does not make a read wrong.
    consumers.register({ kind: 'processor', subscription: this.subscription });
  }

  onApplicationBootstrap(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS ledger_chain (
      id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL, count INTEGER NOT NULL,
      running_hash TEXT NOT NULL, pending INTEGER NOT NULL)`);
    const row = this.db.prepare('SELECT position, count, running_hash AS runningHash, pending FROM ledger_chain WHERE id = 1').get() as
      ChainState | undefined;
    this.state = row ?? { position: 0, count: 0, runningHash: GENESIS_HASH, pending: 0 };
    return this.subscription.start();
  }

  /** Anchors what the log holds at shutdown, before the store closes. */
  async beforeApplicationShutdown(): Promise<void> {
    // The last commands in flight are part of what the final anchor covers.
    await this.http.drained();
    await this.subscription.stop();
    await this.serial(async () => {
      await this.catchUp();
      if (this.state.pending > 0) await this.anchor();
    }).catch((error: unknown) => this.logger.error(`final anchor failed: ${String(error)}`));
  }

  /** Folds everything up to the head and anchors it now (used at shutdown and by tests). */
  anchorNow(): Promise<AnchorData | null> {
    return this.serial(async () => {
      await this.catchUp();
      return this.state.pending > 0 ? this.anchor() : null;
    });
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.chain.then(run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const events = await this.store.readAll({ after: this.state.position, maxCount: 1000 });
      if (events.length === 0) return;
      await this.fold(events, false);
    }
  }

  private async fold(events: RecordedEvent[], mayAnchor: boolean): Promise<void> {
    for (const event of events) {
      if (event.position <= this.state.position) continue; // delivered twice
      if (isChained(event)) {
        this.state.runningHash = nextRunningHash(this.state.runningHash, event.hash);
        this.state.count += 1;
        this.state.pending += 1;
      }
      this.state.position = event.position;
    }
    this.save();
    if (mayAnchor && this.state.pending >= this.config.anchorEvery) await this.anchor();
  }

  private async anchor(): Promise<AnchorData> {
    // The anchor covers the last chained event folded: its position is the state's position
    // unless anchors came after it, which does not change what is covered.
    const anchor = signAnchor(
      { position: this.state.position, count: this.state.count, runningHash: this.state.runningHash },
      this.keys.privateKey,
    );
    const now = this.clock().toISOString();
    const commandId = randomUUID();
    await this.store.append(
      ANCHOR_STREAM,
      [
        {
          eventId: randomUUID(),
          type: ANCHOR_EVENT_TYPE,
          schemaVersion: 1,
          data: { ...anchor },
          metadata: {
            effectiveAt: now,
            actor: { id: 'ledger-anchor', role: 'system' },
            commandId,
            correlationId: commandId,
            causationId: null,
          },
        },
      ],
      { expectedRevision: 'any' },
    );
    this.state.pending = 0;
    this.save();
    return anchor;
  }

  private save(): void {
    const { position, count, runningHash, pending } = this.state;
    this.db
      .prepare(
        `INSERT INTO ledger_chain (id, position, count, running_hash, pending) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET position = excluded.position, count = excluded.count,
           running_hash = excluded.running_hash, pending = excluded.pending`,
      )
      .run(position, count, runningHash, pending);
  }
}
