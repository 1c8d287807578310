import { Controller, Get, Param, Query, Res, UseInterceptors } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import type { PermitStatus } from '@permit-ledger/permits';
import { READERS, Roles } from '../auth/roles.js';
import { GetPermitHistory, GetPermitState, GetPermitStatus, GetStats, ListPermits, VerifyPermit } from '../queries/queries.js';
import { ClocksQueryDto, ListPermitsQueryDto, StateQueryDto } from './dto/queries.dto.js';
import { MinPositionInterceptor } from './min-position.interceptor.js';
import { PermitNumberPipe } from './params.js';

/** Read side: answers come from projections (or, for auditors' replay and verification, from the stream). */
@Controller()
@UseInterceptors(MinPositionInterceptor)
export class PermitQueriesController {
  constructor(private readonly queries: QueryBus) {}

  @Get('permits')
  @Roles(...READERS)
  list(@Query() query: ListPermitsQueryDto) {
    return this.queries.execute(new ListPermits({ ...query, status: query.status as PermitStatus | undefined, limit: query.limit ?? 50 }));
  }

  @Get('permits/:permitNumber')
  @Roles(...READERS)
  async get(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Res({ passthrough: true }) res: Response) {
    const row = (await this.queries.execute(new GetPermitStatus(permitNumber))) as { revision: number };
    res.setHeader('ETag', `"${row.revision}"`);
    return row;
  }

  @Get('permits/:permitNumber/history')
  @Roles('auditor', 'officer', 'minister')
  history(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Query() query: ClocksQueryDto) {
    return this.queries.execute(new GetPermitHistory(permitNumber, query.asOf, query.knownAt));
  }

  @Get('permits/:permitNumber/state')
  @Roles('auditor')
  state(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Query() query: StateQueryDto) {
    return this.queries.execute(new GetPermitState(permitNumber, query.asOf, query.revision, query.knownAt));
  }

  @Get('permits/:permitNumber/verify')
  @Roles('auditor')
  verify(@Param('permitNumber', PermitNumberPipe) permitNumber: string) {
    return this.queries.execute(new VerifyPermit(permitNumber));
  }

  @Get('stats')
  @Roles(...READERS)
  stats() {
    return this.queries.execute(new GetStats());
  }
}
