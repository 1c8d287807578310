import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module.js';
import { FeedController } from './feed.controller.js';

/** The live feed of the log (server-sent events). */
@Module({ imports: [LedgerModule], controllers: [FeedController] })
export class FeedModule {}
