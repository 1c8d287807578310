import { Module } from '@nestjs/common';
import { ReportQueries, type ReadModelDb } from '@permit-ledger/projections';
import { READ_MODEL_DB } from '../platform/store/tokens.js';
import { reportQueryHandlers } from './report-query.handlers.js';
import { ReportsController } from './reports.controller.js';

/** The annual report on exports: its query over the reports read model, JSON or CSV. */
@Module({
  controllers: [ReportsController],
  providers: [
    { provide: ReportQueries, useFactory: (db: ReadModelDb) => new ReportQueries(db), inject: [READ_MODEL_DB] },
    ...reportQueryHandlers,
  ],
})
export class ReportsModule {}
