import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module.js';
import { DecisionCommandHandler } from './decision-commands.js';
import { CarryOutDecisionHandler, DecisionProcessManager } from './decision-process-manager.js';
import { DecisionsController } from './decisions.controller.js';
import { TargetResolver } from './target-resolver.js';

/** Ministerial decisions over many permits, carried out durably by the process manager. */
@Module({
  imports: [LedgerModule],
  controllers: [DecisionsController],
  providers: [DecisionCommandHandler, CarryOutDecisionHandler, DecisionProcessManager, TargetResolver],
  exports: [DecisionProcessManager],
})
export class DecisionsModule {}
