import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module.js';
import { ExpiryScheduler } from './expiry.scheduler.js';
import { PermitCommandHandler } from './permit-commands.js';
import { PermitCommandsController } from './permit-commands.controller.js';
import { PermitQueriesController } from './permit-queries.controller.js';
import { queryHandlers } from './permit-query.handlers.js';

/** A permit's life: its commands, its status, history and state on a date, the daily expiry. */
@Module({
  imports: [LedgerModule],
  controllers: [PermitCommandsController, PermitQueriesController],
  providers: [PermitCommandHandler, ...queryHandlers, ExpiryScheduler],
})
export class PermitsModule {}
