import type { EventStore, RecordedEvent, Subscription } from '@permit-ledger/event-store';
import type { CheckpointStore } from './checkpoint-store.js';
import { LogProbe } from './log-probe.js';

/**
 * - catching_up: subscribed, delivering what the log held before it went live;
 * - live: caught up with the log, delivering new events as they are appended;
 * - retrying: the last attempt failed (lastError says why); it retries with back-off from its checkpoint;
 * - stopped: not subscribed.
 */
export type SubscriptionState = 'catching_up' | 'live' | 'retrying' | 'stopped';

export interface SubscriptionStatus {
  /** The consumer's name, which names its checkpoint. */
  name: string;
  /** Checkpoint: log position of the last event handled (0 = nothing yet). */
  position: number;
  /** Last known head of the log (a log position, as `position`). */
  head: number;
  /**
   * Events in the log after the checkpoint, counted by the store (on EventStoreDB positions have gaps,
   * so a difference of positions would not be a number of events) up to `lagCountLimit`: as of the
   * last refresh(), less what was handled since.
   */
  lag: number;
  state: SubscriptionState;
  /** Message of the last failure; cleared as soon as an event is handled again or the subscription catches up. */
  lastError: string | null;
  /** Consecutive failed attempts since the last progress (drives the back-off). */
  retries: number;
}

/** A consumer of the log: a projector, a process manager, the anchor writer. */
export interface LogConsumer {
  /** Stable: it names the checkpoint. */
  readonly name: string;
  /**
   * Handles events in log order, each delivered once per subscription (at least once across
   * restarts, so the consumer must be idempotent). Throwing stops the subscription before the
   * batch: it is delivered again after a back-off, never skipped.
   */
  handle(events: RecordedEvent[]): Promise<void> | void;
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
}

export interface CheckpointedSubscriptionOptions {
  /**
   * 'engine' (default): the subscription stores the checkpoint once a batch is handled.
   * 'consumer': handle() stores it itself, atomically with its own writes (a read model's
   * transaction); after a failure the subscription reads back how far the consumer got.
   */
  checkpoint?: 'engine' | 'consumer';
  /** Most events per handle() call (default 256). */
  batchSize?: number;
  /** Exponential back-off after a failure (default 100 ms doubling up to 30 s). */
  retry?: RetryPolicy;
  /** Most events counted for `lag` (default 10 000): bounds what a status refresh counts. */
  lagCountLimit?: number;
  /** Told of each failure, before the retry is scheduled (for the consumer's log). */
  onFailure?: (error: unknown, status: SubscriptionStatus) => void;
  /** Schedules a retry; injectable so specs can see the back-off without waiting for it. */
  schedule?: (run: () => void, ms: number) => { cancel(): void };
}

/** The pause before retry number `attempt` (1-based): doubling from initialMs, capped at maxMs. */
export function retryDelay(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
}

/** Where a refresh takes the head from: read from the store (undefined), given, or a probe shared by consumers. */
export type LagSource = number | LogProbe | undefined;

/** The source with the newer head (one that reads the head now is the newest). */
function newer(a: LagSource, b: LagSource): LagSource {
  if (a === undefined || b === undefined) return undefined;
  const head = (s: number | LogProbe) => (typeof s === 'number' ? s : s.head);
  return head(a) > head(b) ? a : b;
}

const DEFAULT_RETRY: RetryPolicy = { initialMs: 100, maxMs: 30_000 };

const timerSchedule = (run: () => void, ms: number) => {
  const timer = setTimeout(run, ms);
  return { cancel: () => clearTimeout(timer) };
};

interface PositionWaiter {
  position: number;
  resolve: (reached: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * Runs one consumer over the store's ordered log ($all on EventStoreDB, the global log on SQLite)
 * from its checkpoint: subscribes after the checkpoint, delivers events in order and in batches,
 * moves the checkpoint to the highest position handled, and reports its state and lag.
 *
 * Fail-stop: when handle() throws, the subscription is closed and reopened from the checkpoint after
 * an exponential back-off. An event is never skipped: a consumer that cannot handle it stays stuck
 * on it, visibly, in status().
 *
 * Positions only increase; they need not be contiguous (EventStoreDB's are commit positions).
 */
export class CheckpointedSubscription {
  private readonly checkpointBy: 'engine' | 'consumer';
  private readonly batchSize: number;
  private readonly retry: RetryPolicy;
  private readonly lagCountLimit: number;
  private readonly schedule: NonNullable<CheckpointedSubscriptionOptions['schedule']>;
  private position = 0;
  private head = 0;
  private state: SubscriptionState = 'stopped';
  private lastError: string | null = null;
  private retries = 0;
  /** Bumped whenever the current subscription is abandoned, so its late callbacks are ignored. */
  private generation = 0;
  private subscription: Subscription | null = null;
  /** Subscriptions abandoned from inside their own handler: closed without awaiting, awaited before the next. */
  private closing: Promise<void>[] = [];
  private pendingRetry: { cancel(): void } | null = null;
  private waiters: PositionWaiter[] = [];
  /** Events handled by this instance so far: the ordinal that lag is reckoned in. */
  private handled = 0;
  /**
   * Lag bookkeeping: the log up to position `counted` is counted, and the consumer will have handled
   * `countedMark` events when it reaches it; so while it stands at or before `counted`, the events
   * between its checkpoint and `counted` number countedMark − handled, however far it moved meanwhile.
   */
  private counted = 0;
  private countedMark = 0;
  /** Bumped when the bookkeeping restarts, so a count still in flight is dropped. */
  private lagEpoch = 0;
  /** The counts running, one at a time; and the source of the next one, asked for while one ran. */
  private counting: Promise<void> | null = null;
  private nextCount: { source: LagSource } | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly checkpoints: CheckpointStore,
    private readonly consumer: LogConsumer,
    private readonly options: CheckpointedSubscriptionOptions = {},
  ) {
    this.checkpointBy = options.checkpoint ?? 'engine';
    this.batchSize = options.batchSize ?? 256;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.lagCountLimit = options.lagCountLimit ?? 10_000;
    this.schedule = options.schedule ?? timerSchedule;
  }

  get name(): string {
    return this.consumer.name;
  }

  /** Resolves once subscribed (or, if the store or the checkpoint cannot be read, once the first retry is scheduled). */
  async start(): Promise<void> {
    if (this.state !== 'stopped') return;
    this.state = 'catching_up';
    await this.connect();
  }

  /** Resolves once no batch is being handled and no retry is pending. */
  async stop(): Promise<void> {
    this.generation++;
    this.state = 'stopped';
    this.pendingRetry?.cancel();
    this.pendingRetry = null;
    const subscription = this.subscription;
    this.subscription = null;
    const closing = this.closing;
    this.closing = [];
    await Promise.all([subscription?.close(), ...closing]);
  }

  /** What is known now, without asking the store. */
  status(): SubscriptionStatus {
    return {
      name: this.consumer.name,
      position: this.position,
      head: Math.max(this.head, this.position),
      lag: this.behind(),
      state: this.state,
      lastError: this.lastError,
      retries: this.retries,
    };
  }

  /**
   * Brings the lag up to the head — read here, or given (a number, or the registry's probe of the log
   * shared by every consumer) — counting only the events not counted yet, then answers the status.
   * Counts run one at a time: one asked for while another runs goes after it, with the newest head
   * asked for meanwhile. A store that cannot be reached leaves the last known lag.
   */
  async refresh(source?: LagSource): Promise<SubscriptionStatus> {
    this.nextCount = { source: this.nextCount ? newer(this.nextCount.source, source) : source };
    this.counting ??= this.countQueued();
    await this.counting;
    return this.status();
  }

  /** true as soon as the checkpoint reaches `position` (woken by checkpoint advances), false on timeout. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: PositionWaiter = {
        position,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    try {
      // Read at every (re)subscription: a rebuild, or the consumer itself, may have moved it.
      const stored = (await this.checkpoints.load(this.consumer.name)) ?? 0;
      if (generation !== this.generation) return;
      this.moveTo(stored);
      const subscription = this.store.subscribeToAll((events) => this.deliver(generation, events), {
        after: this.position,
        batchSize: this.batchSize,
        onCaughtUp: () => {
          if (generation !== this.generation) return;
          // Caught up means every event up to the head handled: an earlier failure is over.
          this.state = 'live';
          this.lastError = null;
          this.retries = 0;
          this.restartLagCount();
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

  private async deliver(generation: number, events: RecordedEvent[]): Promise<void> {
    if (generation !== this.generation) {
      // A late batch from an abandoned subscription: refuse it so nothing is handled twice out of order.
      throw new Error(`${this.consumer.name}: batch from a closed subscription`);
    }
    // The store may deliver again what was handled (at least once): only what lies beyond goes on, in order.
    const fresh: RecordedEvent[] = [];
    let last = this.position;
    for (const event of events) {
      if (event.position <= last) continue;
      fresh.push(event);
      last = event.position;
    }
    if (fresh.length === 0) return;
    try {
      await this.consumer.handle(fresh);
      if (this.checkpointBy === 'engine') await this.checkpoints.store(this.consumer.name, last);
    } catch (error) {
      if (this.checkpointBy === 'consumer') await this.readBackProgress(fresh);
      this.fail(generation, error);
      throw error;
    }
    this.advance(last, fresh.length);
  }

  /** A consumer that stores its own checkpoint may have committed part of a batch before failing. */
  private async readBackProgress(batch: RecordedEvent[]): Promise<void> {
    try {
      const stored = (await this.checkpoints.load(this.consumer.name)) ?? 0;
      if (stored > this.position) this.advance(stored, batch.filter((e) => e.position <= stored).length);
    } catch {
      // The next subscription reads it again.
    }
  }

  private advance(position: number, handled: number): void {
    this.position = position;
    this.handled += handled;
    this.head = Math.max(this.head, position);
    this.lastError = null;
    this.retries = 0;
    if (this.state === 'retrying') this.state = 'catching_up';
    this.wake();
  }

  /** The checkpoint as read from the store: anything other than what we had restarts the lag count there. */
  private moveTo(position: number): void {
    if (position === this.position) return;
    this.position = position;
    this.restartLagCount();
    this.wake();
  }

  private restartLagCount(): void {
    this.counted = this.position;
    this.countedMark = this.handled;
    this.lagEpoch++;
  }

  /** Events known to lie after the checkpoint: none once it has passed what was counted. */
  private behind(): number {
    if (this.position > this.counted) return 0;
    return Math.min(this.lagCountLimit, Math.max(0, this.countedMark - this.handled));
  }

  private wake(): void {
    const waiting: PositionWaiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.position > this.position) {
        waiting.push(waiter);
        continue;
      }
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
    this.waiters = waiting;
  }

  private async countQueued(): Promise<void> {
    try {
      while (this.nextCount) {
        const { source } = this.nextCount;
        this.nextCount = null;
        await this.countLag(source);
      }
    } finally {
      this.counting = null;
    }
  }

  private async countLag(source: LagSource): Promise<void> {
    const epoch = this.lagEpoch;
    try {
      const head = source === undefined ? await this.store.headPosition() : typeof source === 'number' ? source : source.head;
      if (epoch !== this.lagEpoch) return;
      this.head = Math.max(this.head, head);
      // Past everything counted: count on from the checkpoint.
      if (this.position > this.counted) {
        this.counted = this.position;
        this.countedMark = this.handled;
      }
      const room = this.lagCountLimit - this.behind();
      if (head <= this.counted || room <= 0) return;
      const { count, through } = await (source instanceof LogProbe ? source : this.store).countAfter(this.counted, room);
      if (epoch !== this.lagEpoch) return;
      this.counted = through;
      this.countedMark += count;
      this.head = Math.max(this.head, through);
    } catch {
      // The store cannot be reached: the last known lag stands; the subscription itself reports the failure.
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
    this.options.onFailure?.(error, this.status());
    this.pendingRetry = this.schedule(
      () => {
        this.pendingRetry = null;
        const closing = this.closing;
        this.closing = [];
        void Promise.all(closing).then(() => {
          if (this.state === 'retrying') void this.connect();
        });
      },
      retryDelay(this.retries, this.retry),
    );
  }
}
