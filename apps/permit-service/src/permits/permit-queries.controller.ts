import { Controller, Get, Param, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { PermitPage, PermitStatusRow, schema as s, Stats } from '@permit-ledger/projections';
import { permitStream } from '@permit-ledger/permits';
import type { AuthenticatedRequest } from '../platform/auth/auth.guard.js';
import { Roles } from '../platform/auth/roles.js';
import { READERS } from '@permit-ledger/config';
import { seesParties } from '../platform/http/party-readers.js';
import { GetPermitHistory, GetPermitState, GetPermitStatus, GetStats, ListPermits, VerifyPermit } from './permit-queries.js';
import { ClocksQueryDto, ListPermitsQueryDto, StateQueryDto } from './permit-queries.dto.js';
import { PermitStateView, StreamVerification, ViewerPermitPage, ViewerPermitRow } from './permit-views.js';
import { MinPositionInterceptor } from '../platform/http/min-position.interceptor.js';
import { ApiAnswer, ApiRead, PERMIT_NUMBER_PARAM } from '../platform/http/openapi.js';
import { EvidenceView, PermitHistoryView } from '../platform/http/answers.js';
import { evidenceView } from '../platform/http/event-view.js';
import { ApplicationError } from '../platform/errors/application-error.js';
import { LedgerEvidence } from '../ledger/evidence.js';
import { PermitNumberPipe } from '../platform/http/params.js';
import { KnownAtCap } from '../platform/http/known-at.pipe.js';

/**
 * A status row as a viewer (the dashboard's public-facing reader) sees it: the permit's status and figures,
 * and of the parties only the exporter's name (the row's `exporter` and the `?exporter=` filter are the
 * contract's). The consignee and end user (foreign companies and people, with addresses) and the exporter's
 * address, country and business number are for the roles that act on or audit the permit. Fields are picked,
 * not removed: a field later added to the projection stays hidden from viewers until it is listed here.
 */
export function viewerRow(row: PermitStatusRow): ViewerPermitRow {
  return {
    permitNumber: row.permitNumber,
    status: row.status,
    destination: row.destination,
    exporter: { name: row.exporter.name },
    eclItems: row.eclItems,
    totalValueCad: row.totalValueCad,
    validFrom: row.validFrom,
    expiresOn: row.expiresOn,
    revision: row.revision,
    position: row.position,
    openReview: row.openReview,
    lastDecisionRef: row.lastDecisionRef,
    supersedes: row.supersedes,
    issuedAt: row.issuedAt,
    updatedAt: row.updatedAt,
    usage: row.usage,
  };
}

/** Read side: answers come from projections (or, for auditors' replay and verification, from the stream). */
@ApiTags('permits')
@Controller()
@UseInterceptors(MinPositionInterceptor)
export class PermitQueriesController {
  constructor(
    private readonly queries: QueryBus,
    private readonly evidence: LedgerEvidence,
  ) {}

  @Get('permits')
  @Roles(...READERS)
  @ApiRead({
    summary: 'List permits by current status',
    description:
      'Status rows (status projection), filtered, paged by cursor: pass `nextCursor` as `cursor` until it is null. ' +
      "A viewer's rows hold no consignee or end user, and of the exporter only its name.",
    roles: READERS,
    minPosition: true,
  })
  @ApiAnswer(200, s.anyOf([PermitPage, ViewerPermitPage]), { description: 'A page of whole rows, or of summaries for a viewer.' })
  async list(@Query() query: ListPermitsQueryDto, @Req() req: AuthenticatedRequest): Promise<PermitPage | ViewerPermitPage> {
    const page = await this.queries.execute(new ListPermits({ ...query, limit: query.limit ?? 50 }));
    return seesParties(req) ? page : { items: page.items.map(viewerRow), nextCursor: page.nextCursor };
  }

  @Get('permits/:permitNumber')
  @Roles(...READERS)
  @ApiRead({
    summary: "A permit's current status",
    description:
      "Its status row (status projection); `ETag` is its revision. A viewer's row holds no consignee or end user, and of the exporter only its name.",
    roles: READERS,
    minPosition: true,
    problems: ['PERMIT_NOT_FOUND'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, s.anyOf([PermitStatusRow, ViewerPermitRow]), {
    description: 'The whole row, or its summary for a viewer.',
    headers: {
      ETag: { description: "The permit stream's revision, quoted: send it as `If-Match`.", schema: { type: 'string', example: '"2"' } },
    },
  })
  async get(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PermitStatusRow | ViewerPermitRow> {
    const row = await this.queries.execute(new GetPermitStatus(permitNumber));
    res.setHeader('ETag', `"${row.revision}"`);
    return seesParties(req) ? row : viewerRow(row);
  }

  @Get('permits/:permitNumber/history')
  @Roles('auditor', 'officer', 'minister')
  @ApiRead({
    summary: "A permit's history",
    description:
      'Every event of the permit, oldest first, as recorded, with its whole envelope: who, in which role, when in the world, when recorded, why. ' +
      "`asOf` keeps the events in effect by then, `knownAt` those recorded by then. Each event carries its `leaf` in the ledger's tree (null until the tree has taken it in).",
    roles: ['auditor', 'officer', 'minister'],
    minPosition: true,
    problems: ['PERMIT_NOT_FOUND'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, PermitHistoryView)
  async history(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Query(KnownAtCap) query: ClocksQueryDto,
  ): Promise<PermitHistoryView> {
    const history = await this.queries.execute(new GetPermitHistory(permitNumber, query.asOf, query.knownAt));
    const leaves = await this.evidence.leaves(history.events);
    return { permitNumber: history.permitNumber, events: history.events.map((event, i) => ({ ...event, leaf: leaves[i] })) };
  }

  @Get('permits/:permitNumber/evidence')
  @Roles('auditor', 'officer', 'minister')
  @ApiRead({
    summary: "A permit's evidence: its events with inclusion proofs to the latest signed checkpoint",
    description:
      "The latest checkpoint (as GET /ledger/checkpoint serves it), the permit's events it covers (oldest first, each with its `leaf`), and one RFC 9162 inclusion path " +
      'per event: verifiable offline (`permit-cli verify --bundle`) with the verifier key alone, and holding nothing of any other stream. The service waits up to ' +
      'MIN_POSITION_WAIT_MS for a checkpoint that covers every event of the permit; an event still newer than the latest checkpoint is left out (ask again a moment later). ' +
      '404 `NO_CHECKPOINT` while the ledger has signed none.',
    roles: ['auditor', 'officer', 'minister'],
    problems: ['PERMIT_NOT_FOUND', 'NO_CHECKPOINT', 'STORE_UNAVAILABLE'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, EvidenceView)
  async permitEvidence(@Param('permitNumber', PermitNumberPipe) permitNumber: string): Promise<EvidenceView> {
    const evidence = await this.evidence.forStream(permitStream(permitNumber));
    if (!evidence) throw new ApplicationError('not_found', 'PERMIT_NOT_FOUND', `permit ${permitNumber} does not exist`);
    return evidenceView(evidence);
  }

  @Get('permits/:permitNumber/state')
  @Roles('auditor')
  @ApiRead({
    summary: 'A permit as it stood at a point',
    description:
      "Folded from the permit's own events (not a projection): `asOf` what was true in the world then (by effectiveAt), `knownAt` what the ledger " +
      'had recorded by then (by recordedAt), `revision` up to a revision; they combine.',
    roles: ['auditor'],
    minPosition: true,
    problems: ['PERMIT_NOT_FOUND', 'PERMIT_NOT_YET_ISSUED', 'STORE_UNAVAILABLE'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, PermitStateView)
  state(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Query(KnownAtCap) query: StateQueryDto): Promise<PermitStateView> {
    return this.queries.execute(new GetPermitState(permitNumber, query.asOf, query.revision, query.knownAt));
  }

  @Get('permits/:permitNumber/verify')
  @Roles('auditor')
  @ApiRead({
    summary: "Verify a permit stream's hash chain",
    description: "Recomputes every event's hash and the chain of the permit's stream.",
    roles: ['auditor'],
    minPosition: true,
    problems: ['PERMIT_NOT_FOUND', 'STORE_UNAVAILABLE'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, StreamVerification)
  verify(@Param('permitNumber', PermitNumberPipe) permitNumber: string): Promise<StreamVerification> {
    return this.queries.execute(new VerifyPermit(permitNumber));
  }

  @Get('stats')
  @Roles(...READERS)
  @ApiRead({
    summary: 'Dashboard figures',
    description: 'Counts and value (CAD) by status and by destination, lifecycle events per month, totals.',
    roles: READERS,
    minPosition: true,
  })
  @ApiAnswer(200, Stats)
  stats(): Promise<Stats> {
    return this.queries.execute(new GetStats());
  }
}
