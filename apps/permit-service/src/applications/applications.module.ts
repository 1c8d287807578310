import { Module } from '@nestjs/common';
import { ApplicationQueries, type ReadModelDb } from '@permit-ledger/projections';
import { READ_MODEL_DB } from '../platform/store/tokens.js';
import { ApplicationCommandHandler, ApplicationOutcomes } from './application-commands.js';
import { ApplicationProcessManager } from './application-process-manager.js';
import { applicationQueryHandlers } from './application-queries.js';
import { ApplicationsController } from './applications.controller.js';

/** Licence applications: submitted, held by destination measures and released, approved into permits, refused, withdrawn; the criteria. */
@Module({
  controllers: [ApplicationsController],
  providers: [
    { provide: ApplicationQueries, useFactory: (db: ReadModelDb) => new ApplicationQueries(db), inject: [READ_MODEL_DB] },
    ApplicationCommandHandler,
    ApplicationOutcomes,
    ApplicationProcessManager,
    ...applicationQueryHandlers,
  ],
})
export class ApplicationsModule {}
