import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { EVENT_STORE, publishedEvent, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import { streamId } from '@permit-ledger/permits';
import { CHECKPOINT_STORE, CheckpointedSubscription, ConsumerRegistry, type CheckpointStore } from '@permit-ledger/projections';
import type { AppConfig, Clock } from '@permit-ledger/config';
import { APP_CONFIG, CLOCK } from '../platform/store/tokens.js';
import { ReadinessChecks } from '../platform/health/readiness-checks.js';
import { Metrics } from '../platform/observability/metrics.js';
import { CustomsOutbox, isNotifiable } from './customs-outbox.js';
import { SIGNATURE_HEADER, signNotification } from './signature.js';

export const CUSTOMS_NOTIFIER = 'customs-notifier';

export interface CustomsNotifierOptions {
  /** First pause after a failed attempt; it doubles up to the config's CUSTOMS_WEBHOOK_MAX_BACKOFF_MS. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  requestTimeoutMs: number;
  /**
   * How long a notifier that saw another process record a notification waits before delivering an event
   * itself: the other one normally records it meanwhile, so replicas do not each deliver everything.
   */
  standbyGraceMs: number;
  /** Events held for delivery at most; the subscription waits while this many are undelivered. */
  maxPending: number;
}

export const CUSTOMS_NOTIFIER_OPTIONS = Symbol('CUSTOMS_NOTIFIER_OPTIONS');

/** The event as the receiver gets it: its whole envelope (the shape of the API's event views, without the leaf). */
export function notificationBody(event: RecordedEvent): string {
  return JSON.stringify({
    notificationId: event.eventId,
    permitNumber: streamId(event.stream),
    eventType: event.type,
    hash: event.hash,
    event: publishedEvent(event),
  });
}

interface Pending {
  event: RecordedEvent;
  permitNumber: string;
  /** The position of the log event before it: the checkpoint may stand there while this one is undelivered. */
  after: number;
  attempts: number;
  /** Waited the standby grace already. */
  graced: boolean;
}

export type CustomsNotifierState = 'idle' | 'delivering' | 'retrying' | 'stopped';

export interface CustomsNotifierStatus {
  state: CustomsNotifierState;
  /** Saw another process record a notification: it waits the grace before delivering. */
  standby: boolean;
  /** Permit events read from the log and not yet notified. */
  backlog: number;
  /** The oldest of them: its log position and how long ago it was recorded. */
  oldestPosition: number | null;
  oldestAgeSeconds: number | null;
  /** Log events after the checkpoint the subscription has not read yet (some may be notifiable). */
  unread: number;
  /** Checkpoint: every notifiable event up to here is notified. */
  checkpoint: number;
  delivered: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
}

class Stopped extends Error {}

/** fetch's own message is "fetch failed": the cause says what (ECONNREFUSED, a timeout). */
const describe = (error: unknown): string =>
  error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);

/**
 * Tells the border agency of every permit's status changes (NOTIFIABLE_TYPES): a signed JSON POST to
 * CUSTOMS_WEBHOOK_URL per event, at least once, in log order per permit, retried with capped back-off, each
 * 2xx recorded as CustomsNotified in the customs-outbox stream (failed attempts as CustomsNotificationFailed).
 *
 * An outbox consumer on the subscription engine: handle() takes each batch into one queue per permit and
 * returns at once, so the subscription is never held by the receiver (until maxPending events wait); one
 * worker per permit delivers its queue in order, permits in parallel. The checkpoint, stored by this
 * consumer, stands before the oldest undelivered event, so a crash redelivers, never skips. Before each
 * attempt the outbox is read on: an event another replica (or an earlier run) recorded is not sent again.
 */
@Injectable()
export class CustomsNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CustomsNotifier');
  private readonly subscription: CheckpointedSubscription | null = null;
  private readonly outbox: CustomsOutbox;
  private readonly settings: CustomsNotifierOptions;
  private readonly lanes = new Map<string, Pending[]>();
  private readonly workers = new Map<string, Promise<void>>();
  /** Undelivered, in log order (a Set keeps insertion order). */
  private readonly pending = new Set<Pending>();
  private lastSeen = 0;
  private checkpoint = 0;
  private checkpointWrite: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly sleepers = new Set<() => void>();
  private drainWaiters: Array<() => void> = [];
  private standby = false;
  private failing = 0;
  private delivered = 0;
  private lastDeliveredAt: string | null = null;
  private lastError: string | null = null;
  private readonly deliveries?: Counter<'outcome'>;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CHECKPOINT_STORE) private readonly checkpoints: CheckpointStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    consumers: ConsumerRegistry,
    readiness: ReadinessChecks,
    metrics: Metrics,
    @Optional() @Inject(CUSTOMS_NOTIFIER_OPTIONS) options?: Partial<CustomsNotifierOptions>,
  ) {
    this.outbox = new CustomsOutbox(store);
    this.settings = {
      initialBackoffMs: Math.min(1_000, config.customsWebhookMaxBackoffMs),
      maxBackoffMs: config.customsWebhookMaxBackoffMs,
      requestTimeoutMs: config.customsWebhookTimeoutMs,
      standbyGraceMs: 2 * config.customsWebhookTimeoutMs + 1_000,
      maxPending: 10_000,
      ...options,
    };
    if (!config.customsWebhookUrl) return;
    this.subscription = new CheckpointedSubscription(
      store,
      checkpoints,
      { name: CUSTOMS_NOTIFIER, handle: (batch) => this.take(batch) },
      {
        checkpoint: 'consumer',
        onFailure: (error) => this.logger.error(`subscription failed: ${error instanceof Error ? error.message : String(error)}`),
      },
    );
    consumers.register({ kind: 'processor', subscription: this.subscription });
    // A receiver is the agency's machine: its outage is reported, and does not take the service out of the load balancer.
    readiness.register({ name: 'customs', report: () => ({ up: true, data: { ...this.status() } }) });
    const backlog = () => this.pending.size;
    const oldestAge = () => this.status().oldestAgeSeconds ?? 0;
    new Gauge({
      name: 'permit_ledger_customs_backlog',
      help: 'Permit events read from the log and not yet notified to the border agency',
      registers: [metrics.registry],
      collect() {
        this.set(backlog());
      },
    });
    new Gauge({
      name: 'permit_ledger_customs_backlog_oldest_seconds',
      help: 'Age (since recordedAt) of the oldest permit event not yet notified; 0 when none',
      registers: [metrics.registry],
      collect() {
        this.set(oldestAge());
      },
    });
    this.deliveries = new Counter({
      name: 'permit_ledger_customs_attempts_total',
      help: 'Notification attempts by outcome (delivered, failed)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.subscription) return;
    this.checkpoint = (await this.checkpoints.load(CUSTOMS_NOTIFIER).catch(() => null)) ?? 0;
    this.lastSeen = this.checkpoint;
    await this.subscription.start();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.subscription || this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    for (const wake of [...this.sleepers]) wake();
    for (const wake of this.drainWaiters.splice(0)) wake();
    await this.subscription.stop();
    await Promise.all(this.workers.values());
    await this.checkpointWrite;
  }

  status(): CustomsNotifierStatus {
    const oldest = this.pending.values().next().value as Pending | undefined;
    const engine = this.subscription?.status();
    return {
      state: this.stopped ? 'stopped' : this.failing > 0 ? 'retrying' : this.pending.size > 0 ? 'delivering' : 'idle',
      standby: this.standby,
      backlog: this.pending.size,
      oldestPosition: oldest?.event.position ?? null,
      oldestAgeSeconds: oldest ? Math.max(0, Math.floor((this.clock().getTime() - Date.parse(oldest.event.recordedAt)) / 1000)) : null,
      unread: engine?.lag ?? 0,
      checkpoint: this.checkpoint,
      delivered: this.delivered,
      lastDeliveredAt: this.lastDeliveredAt,
      lastError: this.lastError,
    };
  }

  /** Resolves when nothing is waiting for delivery: for specs. */
  async settled(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    await this.checkpointWrite;
  }

  /** The subscription's handler: queues the batch's notifiable events per permit and returns. */
  private async take(batch: RecordedEvent[]): Promise<void> {
    for (const event of batch) {
      // Redelivered after a resubscription: already queued or looked at.
      if (event.position <= this.lastSeen) continue;
      const after = this.lastSeen;
      this.lastSeen = event.position;
      if (!isNotifiable(event)) continue;
      const item: Pending = { event, permitNumber: streamId(event.stream), after, attempts: 0, graced: false };
      this.pending.add(item);
      const lane = this.lanes.get(item.permitNumber);
      if (lane) lane.push(item);
      else {
        this.lanes.set(item.permitNumber, [item]);
        this.workers.set(item.permitNumber, this.work(item.permitNumber));
      }
    }
    this.storeCheckpoint();
    while (this.pending.size >= this.settings.maxPending && !this.stopped) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    }
  }

  /** One permit's queue, in order. */
  private async work(permitNumber: string): Promise<void> {
    const lane = this.lanes.get(permitNumber)!;
    try {
      while (lane.length > 0) {
        const item = lane[0];
        await this.deliver(item);
        lane.shift();
        this.pending.delete(item);
        this.storeCheckpoint();
        if (this.pending.size < this.settings.maxPending || this.pending.size === 0) {
          for (const wake of this.drainWaiters.splice(0)) wake();
        }
      }
    } catch (error) {
      if (!(error instanceof Stopped)) this.logger.error(`permit ${permitNumber}: ${String(error)}`);
    } finally {
      this.lanes.delete(permitNumber);
      this.workers.delete(permitNumber);
    }
  }

  /** Until the receiver answers 2xx and it is recorded, or another process recorded it; throws Stopped on shutdown. */
  private async deliver(item: Pending): Promise<void> {
    let backoff = this.settings.initialBackoffMs;
    let failed = false;
    const fail = async (why: string, attempted: boolean) => {
      this.lastError = why;
      if (!failed) this.failing++;
      failed = true;
      if (attempted) {
        this.deliveries?.inc({ outcome: 'failed' });
        // Every first, second, fourth, eighth … failed attempt is on record: an outage stays visible, the stream stays small.
        if ((item.attempts & (item.attempts - 1)) === 0) await this.recordFailure(item, why);
      }
      this.logger.warn(
        `notification of ${item.event.type} ${item.event.eventId} failed (attempt ${item.attempts}), retrying in ${backoff} ms: ${why}`,
      );
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.settings.maxBackoffMs);
    };
    try {
      for (;;) {
        if (this.stopped) throw new Stopped();
        let deliveredAt: string;
        let posting = false;
        try {
          if (await this.alreadyNotified(item)) return;
          if (this.standby && !item.graced) {
            item.graced = true;
            await this.sleep(this.settings.standbyGraceMs);
            continue;
          }
          item.attempts++;
          posting = true;
          const status = await this.post(item.event);
          if (status < 200 || status > 299) {
            await fail(`HTTP ${status}`, true);
            continue;
          }
          deliveredAt = this.clock().toISOString();
          this.deliveries?.inc({ outcome: 'delivered' });
        } catch (error) {
          if (error instanceof Stopped || this.stopped) throw new Stopped();
          // The outbox unreadable (the store down) is no attempt: nothing was sent.
          await fail(describe(error), posting);
          continue;
        }
        await this.recordNotified(item, deliveredAt);
        return;
      }
    } finally {
      if (failed) this.failing--;
    }
  }

  private async alreadyNotified(item: Pending): Promise<boolean> {
    await this.outbox.refresh();
    if (!this.outbox.notified(item.event.eventId)) return false;
    if (!this.outbox.recordedHere(item.event.eventId)) this.standby = true;
    return true;
  }

  private async post(event: RecordedEvent): Promise<number> {
    const body = notificationBody(event);
    const t = Math.floor(this.clock().getTime() / 1000);
    const res = await fetch(this.config.customsWebhookUrl!, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Idempotency-Key': event.eventId,
        'X-Permit-Ledger-Event-Id': event.eventId,
        'X-Permit-Ledger-Event-Type': event.type,
        [SIGNATURE_HEADER]: signNotification(this.config.customsWebhookSecret!, body, t),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.settings.requestTimeoutMs)]),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  }

  /** The 2xx is in: recorded (retried on the store until it is, without sending again). */
  private async recordNotified(item: Pending, deliveredAt: string): Promise<void> {
    const { event } = item;
    let backoff = this.settings.initialBackoffMs;
    for (;;) {
      try {
        const outcome = await this.outbox.record(
          {
            type: 'CustomsNotified',
            data: {
              permitNumber: item.permitNumber,
              eventId: event.eventId,
              eventType: event.type,
              position: event.position,
              hash: event.hash,
              deliveredAt,
              attempts: item.attempts,
            },
          },
          event,
          deliveredAt,
        );
        this.standby = outcome === 'already';
        this.delivered++;
        this.lastDeliveredAt = deliveredAt;
        this.lastError = null;
        return;
      } catch (error) {
        if (this.stopped) throw new Stopped();
        this.lastError = `recording the notification: ${error instanceof Error ? error.message : String(error)}`;
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.settings.maxBackoffMs);
      }
    }
  }

  private async recordFailure(item: Pending, error: string): Promise<void> {
    const { event } = item;
    const data = { permitNumber: item.permitNumber, eventId: event.eventId, eventType: event.type, position: event.position };
    await this.outbox
      .record({ type: 'CustomsNotificationFailed', data: { ...data, error, attempts: item.attempts } }, event, this.clock().toISOString())
      .catch((e: unknown) => this.logger.warn(`could not record a failed notification: ${String(e)}`));
  }

  /** Moves the stored checkpoint to just before the oldest undelivered event (or all that was read). */
  private storeCheckpoint(): void {
    const oldest = this.pending.values().next().value as Pending | undefined;
    const target = oldest ? oldest.after : this.lastSeen;
    this.checkpointWrite = this.checkpointWrite.then(async () => {
      if (target <= this.checkpoint) return;
      try {
        await this.checkpoints.store(CUSTOMS_NOTIFIER, target);
        this.checkpoint = target;
      } catch (error) {
        this.logger.warn(`could not store the checkpoint: ${String(error)}`);
      }
    });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.sleepers.add(done);
    });
  }
}
