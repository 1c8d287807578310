import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { Projections } from '@permit-ledger/projections';
import { Public } from '../auth/roles.js';
import { DecisionProcessManager } from '../decisions/decision-process-manager.js';

/** Probes for an orchestrator: no token needed, no permit data in the answers. */
@Controller('health')
@Public()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: Projections,
    private readonly processManager: DecisionProcessManager,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready when the store answers, every projector is live (caught up, not failing) and decisions are not stuck. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    let store: { status: 'up' | 'down'; head?: number; error?: string };
    try {
      await this.store.ping();
      store = { status: 'up', head: await this.store.headPosition() };
    } catch (error) {
      store = { status: 'down', error: error instanceof Error ? error.message : String(error) };
    }
    const projectors = this.projections.statuses();
    const processManager = { position: this.processManager.position, lastError: this.processManager.lastError };
    const ready = store.status === 'up' && projectors.every((p) => p.state === 'live') && processManager.lastError === null;
    res.status(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'not_ready', store, projectors, processManager };
  }
}
