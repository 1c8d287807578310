import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { isDomainError } from '@permit-ledger/permits';
import { PermitStatusQueries, Projections } from '@permit-ledger/projections';
import { ExecutePermitCommand } from './permit-commands.js';
import type { Clock, AppConfig } from '@permit-ledger/config';
import { CLOCK, APP_CONFIG } from '../platform/store/tokens.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Records PermitExpired for every permit whose expiresOn has come: at start and then daily.
 * Idempotent: a permit already expired is refused by the domain and skipped.
 */
@Injectable()
export class ExpiryScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ExpiryScheduler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly commands: CommandBus,
    private readonly permits: PermitStatusQueries,
    private readonly projections: Projections,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.expiryScheduler) return;
    void this.tick();
  }

  onApplicationShutdown(): Promise<unknown> | void {
    clearTimeout(this.timer);
    return this.running;
  }

  private async tick(): Promise<void> {
    try {
      this.running = this.runOnce();
      const expired = await this.running;
      if (expired) this.logger.log(`recorded ${expired} expiries`);
    } catch (error) {
      this.logger.error(`expiry run failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.running = undefined;
    }
    const now = this.clock().getTime();
    this.timer = setTimeout(() => void this.tick(), DAY_MS - (now % DAY_MS) + 1000);
    this.timer.unref();
  }

  /** Expires every due permit; returns how many were expired now. */
  async runOnce(): Promise<number> {
    // The status read model must have seen the whole log, or a due permit could be missed until tomorrow.
    await this.projections.waitFor(await this.store.headPosition(), 30_000);
    const today = this.clock().toISOString().slice(0, 10);
    let expired = 0;
    for (const permitNumber of this.duePermits(today)) {
      try {
        await this.commands.execute(
          new ExecutePermitCommand(
            { type: 'ExpirePermit', effectiveAt: this.clock().toISOString(), data: { permitNumber } },
            {
              actor: { id: 'expiry-scheduler', role: 'system' },
              idempotencyKey: `expire:${permitNumber}`,
              requestHash: `expire:${permitNumber}`,
            },
          ),
        );
        expired++;
      } catch (error) {
        if (!isDomainError(error)) throw error;
        this.logger.warn(`${permitNumber} not expired: ${error.code}`);
      }
    }
    return expired;
  }

  private *duePermits(today: string): Generator<string> {
    for (const status of ['ISSUED', 'SUSPENDED'] as const) {
      let cursor: string | undefined;
      do {
        const page = this.permits.list({ status, limit: 500, cursor });
        for (const row of page.items) if (row.expiresOn <= today) yield row.permitNumber;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
  }
}
