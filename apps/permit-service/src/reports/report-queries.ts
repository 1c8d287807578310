import { Query } from '@nestjs/cqrs';
import type { ExportReport } from '@permit-ledger/projections';

/** The annual report for one year, one destination or all, on either clock (`asOf` effective, `knownAt` recorded). */
export class GetExportReport extends Query<ExportReport> {
  constructor(
    readonly year: number,
    readonly destination?: string,
    readonly asOf?: string,
    readonly knownAt?: string,
  ) {
    super();
  }
}
