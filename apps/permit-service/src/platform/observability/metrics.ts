import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ConsumerRegistry, type SubscriptionStatus } from '@permit-ledger/projections';
import { STORE_TELEMETRY } from '../store/tokens.js';
import { WrongExpectedRevisionError } from '@permit-ledger/event-store';
import { DomainError } from '@permit-ledger/permits';
import { ApplicationError } from '../errors/application-error.js';

/** How often the consumers' lag behind /metrics is brought up to date, and how long one refresh may wait on the store. */
const LAG_REFRESH_MS = 5_000;
const LAG_REFRESH_TIMEOUT_MS = 2_000;

/**
 * The service's Prometheus metrics, in a registry of its own (not prom-client's global one), so two
 * app instances in one process (tests) do not share counters.
 *
 * A scrape never waits on the store: the consumers' positions and lags are what they last knew,
 * their lags refreshed in the background every LAG_REFRESH_MS (and by each /health/ready), so the
 * series go on while the store is down.
 */
@Injectable()
export class Metrics implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly registry = new Registry();
  readonly commands = new Counter({
    name: 'permit_ledger_commands_total',
    help: 'Commands by type and outcome (ok, replayed, refused, conflict, error)',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly appendSeconds = new Histogram({
    name: 'permit_ledger_append_seconds',
    help: 'Time from handing events to the store to their durable commit',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly commitBatchSize = new Histogram({
    name: 'permit_ledger_group_commit_batch_size',
    help: 'Appends committed together in one SQLite transaction (one fsync)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: 'permit_ledger_http_request_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor(
    private readonly consumers: ConsumerRegistry,
    @Inject(STORE_TELEMETRY) telemetry: EventEmitter,
  ) {
    telemetry.on('commit', (appends: number) => this.commitBatchSize.observe(appends));
    const gauge = (name: string, help: string, label: 'projector' | 'subscription', value: (s: SubscriptionStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames: [label],
        registers: [this.registry],
        collect() {
          for (const { kind, status } of consumers.reports()) {
            if (label === 'subscription' || kind === 'projector') this.set({ [label]: status.name }, value(status));
          }
        },
      });
    gauge('permit_ledger_projector_position', 'Last log position each projector has applied', 'projector', (s) => s.position);
    gauge('permit_ledger_projector_lag', 'Events between the log head and each projector', 'projector', (s) => s.lag);
    gauge('permit_ledger_subscription_position', 'Checkpoint of every consumer of the log', 'subscription', (s) => s.position);
    gauge('permit_ledger_subscription_lag', "Events in the log after each consumer's checkpoint", 'subscription', (s) => s.lag);
  }

  onApplicationBootstrap(): void {
    this.consumers.refreshEvery(LAG_REFRESH_MS, LAG_REFRESH_TIMEOUT_MS);
  }

  beforeApplicationShutdown(): void {
    this.consumers.stopRefreshing();
  }
}

/** Outcome label of a command that threw. */
export function outcomeOf(error: unknown): 'refused' | 'conflict' | 'error' {
  if (error instanceof DomainError) return 'refused';
  if (error instanceof WrongExpectedRevisionError) return 'conflict';
  // If-Match naming another revision, an Idempotency-Key reused with another body.
  if (error instanceof ApplicationError && (error.kind === 'precondition_failed' || error.kind === 'unprocessable')) return 'conflict';
  return 'error';
}
