import { upcast } from '@permit-ledger/permits';
import type { EventStore, RecordedEvent, Subscription } from '@permit-ledger/event-store';
import type { Projection } from './projection.js';
import { ensureCheckpointTable, loadCheckpoint, storeCheckpoint, type ReadModelDb } from './read-model-db.js';

export type ProjectorState = 'starting' | 'catching_up' | 'live' | 'retrying' | 'stopped';

export interface ProjectorStatus {
  name: string;
  /** Checkpoint: position of the last event applied (0 = nothing yet). */
  position: number;
  /** Last known head of the store's log (refreshed on each (re)subscription and by delivered events). */
  head: number;
  /** head - position. */
  lag: number;
  state: ProjectorState;
  /** Message of the last failure; cleared as soon as an event is applied again. */
  lastError: string | null;
  /** Consecutive failed attempts since the last progress (drives the back-off). */
  retries: number;
}

export interface ProjectorOptions {
  /** Events per subscription batch, i.e. per SQLite transaction (default 100). */
  batchSize?: number;
  /** Exponential back-off after a failure (default 100 ms doubling up to 30 s). */
  retry?: { initialMs: number; maxMs: number };
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

interface PositionWaiter {
  position: number;
  resolve: (reached: boolean) => void;
  timer: NodeJS.Timeout;
}

interface CaughtUpWaiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Runs one projection from the store's $all log with a checkpoint kept in the read-model database.
 * Each delivered batch is applied and its checkpoint stored in one SQLite transaction, so rows and
 * checkpoint never disagree, and events at or below the checkpoint (re-deliveries) are skipped.
 *
 * Positions only increase; they need not be contiguous (EventStoreDB's are byte offsets). A hole in
 * one stream is caught where it matters, by the projections' revision guards.
 *
 * Fail-stop: when apply throws, the events before the failing one are committed with their
 * checkpoint, the failing one is rolled back, the subscription is closed and reopened from the
 * checkpoint after an exponential back-off. An event is never skipped: a projection that cannot
 * apply it stays stuck on it, visibly, in status().
 */
export class Projector {
  private readonly batchSize: number;
  private readonly retry: { initialMs: number; maxMs: number };
  private position: number;
  private head: number;
  private state: ProjectorState = 'stopped';
  private lastError: string | null = null;
  private retries = 0;
  /** Bumped whenever the current subscription is abandoned, so its late callbacks are ignored. */
  private generation = 0;
  private subscription: Subscription | null = null;
  /** Subscriptions abandoned from inside their own handler: closed without awaiting, awaited by stop(). */
  private closing: Promise<void>[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private positionWaiters: PositionWaiter[] = [];
  private caughtUpWaiters: CaughtUpWaiter[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly db: ReadModelDb,
    private readonly projection: Projection,
    options: ProjectorOptions = {},
  ) {
    // Large enough that a rebuild or a catch-up commits one read-model transaction per thousand events.
    this.batchSize = options.batchSize ?? 1000;
    this.retry = options.retry ?? { initialMs: 100, maxMs: 30_000 };
    ensureCheckpointTable(db);
    projection.setup(db);
    this.position = loadCheckpoint(db, projection.name) ?? 0;
    this.head = this.position;
  }

  get name(): string {
    return this.projection.name;
  }

  /** Resolves once subscribed (or, if the store is unreachable, once the first retry is scheduled). */
  async start(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.state = 'starting';
    // Re-read: rebuild() or another process may have moved it while we were stopped.
    this.position = loadCheckpoint(this.db, this.projection.name) ?? 0;
    this.head = Math.max(this.head, this.position);
    await this.connect();
  }

  /** Resolves once no batch is being applied and no retry is pending. */
  async stop(): Promise<void> {
    this.generation++;
    this.state = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const subscription = this.subscription;
    this.subscription = null;
    const closing = this.closing;
    this.closing = [];
    await Promise.all([subscription?.close(), ...closing]);
    this.rejectCaughtUp(new Error(`projector ${this.name} stopped before catching up`));
  }

  status(): ProjectorStatus {
    return {
      name: this.projection.name,
      position: this.position,
      head: this.head,
      lag: Math.max(0, this.head - this.position),
      state: this.state,
      lastError: this.lastError,
      retries: this.retries,
    };
  }

  /** true as soon as the checkpoint reaches `position` (woken by checkpoint advances), false on timeout. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: PositionWaiter = {
        position,
        resolve,
        timer: setTimeout(() => {
          this.positionWaiters = this.positionWaiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.positionWaiters.push(waiter);
    });
  }

  /**
   * Stops, deletes the projection's rows and its checkpoint in one transaction, replays the log from
   * the start and resolves once caught up. Rejects if a failure happens before that (the projector
   * keeps retrying in the background, as always; status() tells how it goes).
   */
  async rebuild(): Promise<void> {
    await this.stop();
    this.db.transaction(() => {
      this.projection.reset(this.db);
      storeCheckpoint(this.db, this.projection.name, 0);
    })();
    this.position = 0;
    this.lastError = null;
    this.retries = 0;
    const caughtUp = new Promise<void>((resolve, reject) => this.caughtUpWaiters.push({ resolve, reject }));
    // It may reject while start() is still running: mark it handled now, it is awaited just below.
    caughtUp.catch(() => undefined);
    await this.start();
    await caughtUp;
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    try {
      const head = await this.store.headPosition();
      if (generation !== this.generation) return;
      this.head = Math.max(this.head, head);
      this.state = 'catching_up';
      const subscription = this.store.subscribeToAll((events) => this.handle(generation, events), {
        after: this.position,
        batchSize: this.batchSize,
        onCaughtUp: () => {
          if (generation !== this.generation) return;
          this.state = 'live';
          // Caught up means every event up to the head applied: an earlier failure is over.
          this.lastError = null;
          this.head = Math.max(this.head, this.position);
          this.resolveCaughtUp();
        },
      });
      this.subscription = subscription;
      subscription.done.then(
        () => this.fail(generation, new Error('subscription ended unexpectedly')),
        (error: unknown) => this.fail(generation, error),
      );
    } catch (error) {
      this.fail(generation, error);
    }
  }

  private handle(generation: number, events: RecordedEvent[]): void {
    if (generation !== this.generation) {
      // A late batch from an abandoned subscription: refuse it so nothing is applied twice out of order.
      throw new Error(`projector ${this.name}: batch from a closed subscription`);
    }
    let reached = this.position;
    let failure: ProjectionApplyError | null = null;
    // Each event in its own savepoint: a failing event is rolled back alone and the good ones before
    // it are committed with their checkpoint, so the projector stops exactly before the bad event.
    const applyOne = this.db.transaction((event: RecordedEvent) =>
      this.projection.apply(this.db, this.projection.asRecorded ? event : upcast(event)),
    );
    this.db.transaction(() => {
      for (const event of events) {
        if (event.position <= reached) continue; // at-least-once delivery: already applied
        try {
          applyOne(event);
        } catch (error) {
          failure = new ProjectionApplyError(this.projection.name, event, error);
          break;
        }
        reached = event.position;
      }
      if (reached > this.position) storeCheckpoint(this.db, this.projection.name, reached);
    })();
    if (reached > this.position) this.advance(reached);
    if (failure) {
      this.fail(generation, failure);
      throw failure;
    }
  }

  private advance(position: number): void {
    this.position = position;
    this.head = Math.max(this.head, position);
    this.lastError = null;
    this.retries = 0;
    const [reached, waiting] = partition(this.positionWaiters, (w) => w.position <= position);
    this.positionWaiters = waiting;
    for (const waiter of reached) {
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
  }

  /** Abandons the current subscription and schedules a resubscription from the checkpoint. */
  private fail(generation: number, error: unknown): void {
    if (generation !== this.generation) return; // already handled, or stopped on purpose
    this.generation++;
    const subscription = this.subscription;
    this.subscription = null;
    // Not awaited: we may be inside its handler, and close() waits for the handler to return.
    if (subscription) this.closing.push(subscription.close().catch(() => undefined));
    this.lastError = error instanceof Error ? error.message : String(error);
    this.retries++;
    this.state = 'retrying';
    this.rejectCaughtUp(error);
    const delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** (this.retries - 1));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const closing = this.closing;
      this.closing = [];
      void Promise.all(closing).then(() => {
        if (this.state === 'retrying') void this.connect();
      });
    }, delay);
  }

  private resolveCaughtUp(): void {
    const waiters = this.caughtUpWaiters;
    this.caughtUpWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private rejectCaughtUp(error: unknown): void {
    const waiters = this.caughtUpWaiters;
    this.caughtUpWaiters = [];
    for (const w of waiters) w.reject(error);
  }
}

function partition<T>(items: T[], predicate: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (predicate(item) ? yes : no).push(item);
  return [yes, no];
}
