import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ReportQueries, type ExportReport } from '@permit-ledger/projections';
import { isIsoDate, toTimestamp } from '../platform/time/instants.js';
import { GetExportReport } from './report-queries.js';

/**
 * A cut-off as the permit routes take it: a bare date means the end of that UTC day (its last millisecond), a
 * timestamp is inclusive. In epoch milliseconds, so a cut-off past year 9999 still compares.
 */
export function cutOff(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return Date.parse(isIsoDate(value) ? `${value}T23:59:59.999Z` : toTimestamp(value));
}

@QueryHandler(GetExportReport)
export class GetExportReportHandler implements IQueryHandler<GetExportReport> {
  constructor(private readonly reports: ReportQueries) {}
  async execute({ year, destination, asOf, knownAt }: GetExportReport): Promise<ExportReport> {
    const entries = this.reports.exports({ year, destination, asOfMs: cutOff(asOf), knownAtMs: cutOff(knownAt) });
    return { year, destination: destination ?? null, asOf: asOf ?? null, knownAt: knownAt ?? null, entries };
  }
}

export const reportQueryHandlers = [GetExportReportHandler];
