import { Module } from '@nestjs/common';
import { LedgerWriter } from './ledger-writer.js';
import { TRANSPARENCY_LOG } from './transparency-log.js';
import { LedgerController } from './ledger.controller.js';
import { LedgerKeys } from './ledger-keys.js';
import { LedgerEvidence } from './evidence.js';
import { TransparencyController } from './transparency.controller.js';
import { WitnessPusher } from './witness-pusher.js';

/** The ledger as auditors see it: signed anchors, verification and export. */
@Module({
  controllers: [LedgerController, TransparencyController],
  providers: [LedgerKeys, LedgerWriter, { provide: TRANSPARENCY_LOG, useExisting: LedgerWriter }, LedgerEvidence, WitnessPusher],
  // Leaves and evidence for the slices that show events (permits, decisions, the feed).
  exports: [LedgerEvidence],
})
export class LedgerModule {}
