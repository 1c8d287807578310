import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiRead } from '../http/openapi.js';
import { Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Projections } from '@permit-ledger/projections';
import { Public } from '../auth/roles.js';
import { STORE_TELEMETRY } from '../store/tokens.js';

/**
 * The service's Prometheus metrics, in a registry of its own (not prom-client's global one), so two
 * app instances in one process (tests) do not share counters.
 */
@Injectable()
export class Metrics {
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

  constructor(projections: Projections, @Inject(STORE_TELEMETRY) telemetry: EventEmitter) {
    telemetry.on('commit', (appends: number) => this.commitBatchSize.observe(appends));
    const statuses = () => projections.statuses();
    new Gauge({
      name: 'permit_ledger_projector_position',
      help: 'Last log position each projector has applied',
      labelNames: ['projector'] as const,
      registers: [this.registry],
      collect() {
        for (const s of statuses()) this.set({ projector: s.name }, s.position);
      },
    });
    new Gauge({
      name: 'permit_ledger_projector_lag',
      help: 'Events between the log head and each projector',
      labelNames: ['projector'] as const,
      registers: [this.registry],
      collect() {
        for (const s of statuses()) this.set({ projector: s.name }, s.lag);
      },
    });
  }
}

/** Prometheus text format, for a scraper on the operator's network: counts and timings only, no permit data. */
@ApiTags('operations')
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @ApiRead({ summary: 'Prometheus metrics', description: 'Counts and timings only, no permit data.', roles: 'public' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } })
  async scrape(@Res() res: Response): Promise<void> {
    res.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}

/** Outcome label of a command that threw. */
export function outcomeOf(error: unknown): 'refused' | 'conflict' | 'error' {
  const e = error as { name?: string; problem?: { status?: number } };
  if (e?.name === 'DomainError') return 'refused';
  if (e?.name === 'WrongExpectedRevisionError' || e?.problem?.status === 412 || e?.problem?.status === 422) return 'conflict';
  return 'error';
}
