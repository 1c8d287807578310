import { Controller, Get, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { READERS } from '@permit-ledger/config';
import { ExportReport } from '@permit-ledger/projections';
import { Roles } from '../platform/auth/roles.js';
import { KnownAtCap } from '../platform/http/known-at.pipe.js';
import { MinPositionInterceptor } from '../platform/http/min-position.interceptor.js';
import { ApiAnswer, ApiRead } from '../platform/http/openapi.js';
import { reportCsv } from './report-csv.js';
import { GetExportReport } from './report-queries.js';
import { ExportReportQueryDto } from './reports.dto.js';

/** The yearly figures tabled in Parliament, per destination, reproducible on either clock. */
@ApiTags('reports')
@Controller()
@UseInterceptors(MinPositionInterceptor)
export class ReportsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('reports/exports')
  @Roles(...READERS)
  @ApiRead({
    summary: 'The annual report on exports',
    description:
      'Per destination (reports projection): applications received, approved, refused and withdrawn in the year and on hold at its end; refusals by criterion; ' +
      'permits issued, suspended, cancelled, expired and exhausted; the value authorized; permits utilized (with at least one shipment in the year) and the value exported. ' +
      'Counted by effective date within the UTC year. `asOf` keeps what had taken effect by then, `knownAt` what the ledger had recorded by then, so a figure tabled ' +
      'in a past year is reproduced exactly (a `knownAt` later than now is read as now, and answered as the timestamp used). `Accept: text/csv` answers the same entries as CSV (RFC 4180).',
    roles: READERS,
    minPosition: true,
  })
  @ApiAnswer(200, ExportReport, {
    description: 'The report: JSON, or CSV (one row per entry) under `Accept: text/csv`.',
    otherMedia: { 'text/csv': { type: 'string' } },
  })
  async exports(
    @Query(KnownAtCap) query: ExportReportQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ExportReport | string> {
    const report = await this.queries.execute(new GetExportReport(Number(query.year), query.destination, query.asOf, query.knownAt));
    if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') return report;
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="exports-${query.year}${query.destination ? `-${query.destination}` : ''}.csv"`);
    return reportCsv(report);
  }
}
