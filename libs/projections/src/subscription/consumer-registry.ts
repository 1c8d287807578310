import type { EventStore } from '@permit-ledger/event-store';
import type { LagSource, SubscriptionStatus } from './checkpointed-subscription.js';
import { LogProbe } from './log-probe.js';

/** What the registry needs of a running consumer: its CheckpointedSubscription, or what wraps one. */
export interface StatusSource {
  status(): SubscriptionStatus;
  refresh(source?: LagSource): Promise<SubscriptionStatus>;
}

export interface RegisteredConsumer {
  /**
   * 'projector': feeds a read model that queries serve, so it is ready only when live and close to
   * the head. 'processor': acts on the log (a process manager, the anchor writer); it may run far
   * behind the head for a while (a 500-permit decision) and is ready unless it is failing.
   */
  kind: 'projector' | 'processor';
  /** Its readiness indicator; none: reported in metrics only. */
  indicator?: string;
  /** What its indicator shows (default: its whole status but the name). */
  details?: (status: SubscriptionStatus) => Record<string, unknown>;
  subscription: StatusSource;
}

export interface ConsumerReport extends RegisteredConsumer {
  status: SubscriptionStatus;
}

/**
 * Every consumer of the log that runs on a CheckpointedSubscription, in one place: health and
 * metrics read their state and lag here, whatever slice the consumer lives in.
 *
 * reports() answers from memory. refresh() brings every lag up to the head, read once for all of
 * them, and never makes its caller wait longer than it is told: a store that does not answer leaves
 * the last known lags (its own health check reports the outage).
 */
export class ConsumerRegistry {
  private readonly consumers: RegisteredConsumer[] = [];
  /** The probes running, one at a time; and whether another was asked for while one ran. */
  private probing: Promise<void> | null = null;
  private probeAgain = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: EventStore) {}

  register(consumer: RegisteredConsumer): void {
    const name = consumer.subscription.status().name;
    if (this.consumers.some((c) => c.subscription.status().name === name)) throw new Error(`duplicate consumer name: ${name}`);
    this.consumers.push(consumer);
  }

  /** Projectors first, then the others, each in the order registered. */
  list(): RegisteredConsumer[] {
    return [...this.consumers.filter((c) => c.kind === 'projector'), ...this.consumers.filter((c) => c.kind !== 'projector')];
  }

  /** Every consumer's status as last known: memory only, it never waits on the store. */
  reports(): ConsumerReport[] {
    return this.list().map((c) => ({ ...c, status: c.subscription.status() }));
  }

  /**
   * Reads the head once and brings every consumer's lag up to it, then answers the reports; after
   * `timeoutMs` it answers what is known, and the probe goes on in the background. A probe asked for
   * while one runs runs after it, so it sees a head at least as new as when it was asked for.
   */
  async refresh(timeoutMs: number): Promise<ConsumerReport[]> {
    this.probeAgain = true;
    this.probing ??= this.probeQueued();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.probing, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return this.reports();
  }

  /** Refreshes every `intervalMs` in the background (each bounded by `timeoutMs`), so reports() stays recent. */
  refreshEvery(intervalMs: number, timeoutMs: number): void {
    this.stopRefreshing();
    const tick = () => void this.refresh(timeoutMs);
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stopRefreshing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ready: a projector live within `maxLag` events of the head; a processor not failing. */
  static isReady(report: ConsumerReport, maxLag: number): boolean {
    const { status } = report;
    return report.kind === 'projector' ? status.state === 'live' && status.lag <= maxLag : status.lastError === null;
  }

  private async probeQueued(): Promise<void> {
    try {
      while (this.probeAgain) {
        this.probeAgain = false;
        await this.probe();
      }
    } finally {
      this.probing = null;
    }
  }

  private async probe(): Promise<void> {
    let head: number;
    try {
      head = await this.store.headPosition();
    } catch {
      return; // unreachable: what each one last knew stands
    }
    const probe = new LogProbe(this.store, head);
    await Promise.all(this.consumers.map((c) => c.subscription.refresh(probe)));
  }
}
