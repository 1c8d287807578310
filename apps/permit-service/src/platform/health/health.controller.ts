import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { ConsumerRegistry, type ConsumerReport } from '@permit-ledger/projections';
import { Public } from '../auth/roles.js';
import { type AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../store/tokens.js';
import { HealthView } from './health-view.js';
import { ReadinessChecks } from './readiness-checks.js';
import { ApiAnswer, ApiRead } from '../http/openapi.js';

/** How long /health/ready waits on the store: past it, the store is down and each consumer reports what it last knew. */
const READY_STORE_TIMEOUT_MS = 2_000;

/** Probes for an orchestrator (terminus): no token needed, no permit data in the answers. */
@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly consumers: ConsumerRegistry,
    private readonly checks: ReadinessChecks,
  ) {}

  @Get('live')
  @ApiRead({ summary: 'Liveness probe', description: 'The process answers.', roles: 'public' })
  @ApiAnswer(200, HealthView, { description: 'Alive.' })
  live(@Res({ passthrough: true }) res: Response) {
    return this.answer(res, () => this.health.check([() => this.indicators.check('process').up({ pid: process.pid })]));
  }

  /**
   * Ready when the store answers, every projector is live (caught up, not failing) within
   * HEALTH_MAX_LAG events of the head, and the decision process manager is not failing. Every consumer
   * of the log reports its subscription's status (position, head, lag in events, state, lastError,
   * retries) from the one ConsumerRegistry.
   */
  @Get('ready')
  // Its 503 is the not-ready health report (below), not a problem document.
  @ApiRead({
    summary: 'Readiness probe',
    description:
      'Ready when the store answers, every projector is live and within HEALTH_MAX_LAG events of the head, and the decision process manager is not stuck; ' +
      'each of them is reported under its name.',
    roles: 'public',
    timeout: false,
  })
  @ApiAnswer(200, HealthView, { description: 'Ready.' })
  @ApiAnswer(503, HealthView, { description: 'Not ready: the failing indicators are under `error`.' })
  ready(@Res({ passthrough: true }) res: Response) {
    // One count of every consumer's lag for this probe, alongside the store's own check, both bounded.
    let reports: Promise<ConsumerReport[]> | undefined;
    const consumers = () => (reports ??= this.consumers.refresh(READY_STORE_TIMEOUT_MS));
    return this.answer(res, () =>
      this.health.check([
        () => this.storeIndicator(),
        ...this.consumers
          .list()
          .filter((consumer) => consumer.indicator !== undefined)
          .map((consumer) => async () => {
            const report = (await consumers()).find((r) => r.subscription === consumer.subscription)!;
            const session = this.indicators.check(consumer.indicator!);
            const { name: _, ...status } = report.status;
            const data = consumer.details ? consumer.details(report.status) : status;
            return ConsumerRegistry.isReady(report, this.config.healthMaxLag) ? session.up(data) : session.down(data);
          }),
        // Indicators of other slices (witnesses), answered from memory.
        ...this.checks.list().map((check) => async () => {
          const { up, data } = check.report();
          const session = this.indicators.check(check.name);
          return up ? session.up(data) : session.down(data);
        }),
      ]),
    );
  }

  private async storeIndicator(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('store');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the store did not answer within ${READY_STORE_TIMEOUT_MS} ms`)), READY_STORE_TIMEOUT_MS);
    });
    try {
      const head = await Promise.race([this.store.ping().then(() => this.store.headPosition()), timeout]);
      return session.up({ head });
    } catch (error) {
      return session.down({ error: error instanceof Error ? error.message : String(error) });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Terminus answers a failing check by throwing 503 with its result; the result is the answer. */
  private async answer(res: Response, check: () => Promise<unknown>) {
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(503);
      return error.getResponse();
    }
  }
}
