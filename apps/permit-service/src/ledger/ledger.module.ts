import { Module } from '@nestjs/common';
import { AnchorWriter } from './anchor-writer.js';
import { LedgerController } from './ledger.controller.js';
import { LedgerKeys } from './ledger-keys.js';

/** The ledger as auditors see it: signed anchors, verification and export. */
@Module({
  controllers: [LedgerController],
  providers: [LedgerKeys, AnchorWriter],
})
export class LedgerModule {}
