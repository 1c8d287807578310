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
import { ApiAnswer, ApiRead } from '../http/openapi.js';

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
    // One count of every consumer's lag for this probe, alongside the store's own check.
    let reports: Promise<ConsumerReport[]> | undefined;
    const consumers = () => (reports ??= this.consumers.reports());
    return this.answer(res, () =>
      this.health.check([
        () => this.storeIndicator(),
        ...this.consumers
          .list()
          .filter((consumer) => consumer.indicator !== undefined)
          .map((consumer) => async () => {
            const report = (await consumers()).find((r) => r.subscription === consumer.subscription)!;
            const session = this.indicators.check(consumer.indicator!);
            const { name: _, ...data } = report.status;
            return ConsumerRegistry.isReady(report, this.config.healthMaxLag) ? session.up(data) : session.down(data);
          }),
      ]),
    );
  }

  private async storeIndicator(): Promise<HealthIndicatorResult> {
    const session = this.indicators.check('store');
    try {
      await this.store.ping();
      return session.up({ head: await this.store.headPosition() });
    } catch (error) {
      return session.down({ error: error instanceof Error ? error.message : String(error) });
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
