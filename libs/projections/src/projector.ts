import { upcast } from '@permit-ledger/permits';
import type { EventStore, RecordedEvent } from '@permit-ledger/event-store';
import type { Projection } from './read-model/projection.js';
import type { ReadModelDb } from './read-model/read-model-db.js';
import { SqliteCheckpointStore } from './subscription/checkpoint-store.js';
import {
  CheckpointedSubscription,
  type LagSource,
  type RetryPolicy,
  type SubscriptionState,
  type SubscriptionStatus,
} from './subscription/checkpointed-subscription.js';

export type ProjectorState = SubscriptionState;
export type ProjectorStatus = SubscriptionStatus;

export interface ProjectorOptions {
  /** Events per subscription batch, i.e. per SQLite transaction (default 1000). */
  batchSize?: number;
  /** Exponential back-off after a failure (default 100 ms doubling up to 30 s). */
  retry?: RetryPolicy;
  /** Most events counted for the reported lag (default 10 000). */
  lagCountLimit?: number;
}

/** Raised when a projection cannot apply an event: names the event so health points at it. */
export class ProjectionApplyError extends Error {
  readonly code = 'PROJECTION_APPLY_FAILED';
  constructor(
    readonly projection: string,
    readonly event: Pick<RecordedEvent, 'position' | 'stream' | 'revision' | 'type'>,
    cause: unknown,
  ) {
    super(
      `${projection}: cannot apply ${event.type} ${event.stream}@${event.revision} (position ${event.position}): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = 'ProjectionApplyError';
  }
}

/**
 * Runs one projection on a CheckpointedSubscription, with its checkpoint in the read-model
 * database: each delivered batch is applied and its checkpoint stored in one SQLite transaction, so
 * rows and checkpoint never disagree.
 *
 * Each event is applied in its own savepoint: when apply throws, the events before the failing one
 * are committed with their checkpoint and the failing one is rolled back alone, so the subscription
 * stops (and retries) exactly before the bad event.
 */
export class Projector {
  readonly subscription: CheckpointedSubscription;
  private readonly checkpoints: SqliteCheckpointStore;
  private readonly applyOne: (event: RecordedEvent) => void;

  constructor(
    store: EventStore,
    private readonly db: ReadModelDb,
    private readonly projection: Projection,
    options: ProjectorOptions = {},
  ) {
    this.checkpoints = new SqliteCheckpointStore(db);
    projection.setup(db);
    this.applyOne = db.transaction((event: RecordedEvent) => projection.apply(db, projection.asRecorded ? event : upcast(event)));
    this.subscription = new CheckpointedSubscription(
      store,
      this.checkpoints,
      { name: projection.name, handle: (events) => this.apply(events) },
      {
        checkpoint: 'consumer',
        // Large enough that a rebuild or a catch-up commits one read-model transaction per thousand events.
        batchSize: options.batchSize ?? 1000,
        retry: options.retry,
        lagCountLimit: options.lagCountLimit,
      },
    );
  }

  get name(): string {
    return this.projection.name;
  }

  start(): Promise<void> {
    return this.subscription.start();
  }

  stop(): Promise<void> {
    return this.subscription.stop();
  }

  status(): ProjectorStatus {
    return this.subscription.status();
  }

  refresh(source?: LagSource): Promise<ProjectorStatus> {
    return this.subscription.refresh(source);
  }

  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    return this.subscription.waitFor(position, timeoutMs);
  }

  private apply(events: RecordedEvent[]): void {
    let reached: number | null = null;
    let failure: ProjectionApplyError | null = null;
    this.db.transaction(() => {
      for (const event of events) {
        try {
          this.applyOne(event);
        } catch (error) {
          failure = new ProjectionApplyError(this.projection.name, event, error);
          break;
        }
        reached = event.position;
      }
      if (reached !== null) this.checkpoints.write(this.projection.name, reached);
    })();
    if (failure) throw failure;
  }
}
