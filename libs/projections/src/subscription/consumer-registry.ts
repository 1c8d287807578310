import type { EventStore } from '@permit-ledger/event-store';
import type { SubscriptionStatus } from './checkpointed-subscription.js';

/** What the registry needs of a running consumer: its CheckpointedSubscription, or what wraps one. */
export interface StatusSource {
  status(): SubscriptionStatus;
  refresh(head?: number): Promise<SubscriptionStatus>;
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
  subscription: StatusSource;
}

export interface ConsumerReport extends RegisteredConsumer {
  status: SubscriptionStatus;
}

/**
 * Every consumer of the log that runs on a CheckpointedSubscription, in one place: health and
 * metrics read their state and lag here, whatever slice the consumer lives in.
 */
export class ConsumerRegistry {
  private readonly consumers: RegisteredConsumer[] = [];

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

  /** Every consumer's status, with its lag counted against the head read once for all of them. */
  async reports(): Promise<ConsumerReport[]> {
    // Unreachable: what each one last knew (the store's own indicator reports the outage).
    const head = await this.store.headPosition().catch(() => null);
    return Promise.all(
      this.list().map(async (c) => ({ ...c, status: head === null ? c.subscription.status() : await c.subscription.refresh(head) })),
    );
  }

  /** Ready: a projector live within `maxLag` events of the head; a processor not failing. */
  static isReady(report: ConsumerReport, maxLag: number): boolean {
    const { status } = report;
    return report.kind === 'projector' ? status.state === 'live' && status.lag <= maxLag : status.lastError === null;
  }
}
