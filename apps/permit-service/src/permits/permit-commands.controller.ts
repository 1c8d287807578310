import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { PermitCommand } from '@permit-ledger/permits';
import { randomUUID } from 'node:crypto';
import type { AuthenticatedRequest } from '../platform/auth/auth.guard.js';
import { Roles } from '../platform/auth/roles.js';
import { ExecutePermitCommand } from './permit-commands.js';
import { answer, CommandContext } from '../platform/http/command-context.js';
import {
  AmendPermitDto,
  CancelPermitDto,
  ConcludeReviewDto,
  ExpirePermitDto,
  IssuePermitDto,
  OpenReviewDto,
  RecordFindingDto,
  RecordShipmentDto,
  ReinstatePermitDto,
  SuspendPermitDto,
} from './permit-commands.dto.js';
import { OpenReviewAnswer, PermitCommandAnswer } from '../platform/http/answers.js';
import {
  ApiAnswer,
  ApiCommand,
  COMMAND_ANSWER_HEADERS,
  PERMIT_NUMBER_PARAM,
  REVIEW_ID_PARAM,
  type ProblemRef,
} from '../platform/http/openapi.js';
import { PermitNumberPipe, RefPipe } from '../platform/http/params.js';

type Req = AuthenticatedRequest;
type Res = Response;

/** Refusals of every command on an existing permit. */
const ON_PERMIT = [
  'PERMIT_NOT_FOUND',
  'PERMIT_TERMINAL',
  'PERMIT_EXPIRED',
  'EFFECTIVE_AT_BEFORE_LAST_EVENT',
] as const satisfies readonly ProblemRef[];

/** Write side of a permit's life: each route is one command of domain.md's lifecycle. */
@ApiTags('permits')
@Controller('permits')
export class PermitCommandsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly context: CommandContext,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles('officer')
  @ApiCommand({
    summary: 'Issue a permit (IssuePermit)',
    description:
      'Records `PermitIssued` on `permit-{permitNumber}`. Refused (409 `ISSUANCE_BLOCKED`) when a destination measure in force covers the goods ' +
      'and no exception ground applies.',
    roles: ['officer'],
    problems: [
      'INVALID_VALIDITY',
      'INVALID_ITEMS',
      'INVALID_DATE',
      'REQUIRED_FIELD_MISSING',
      'SUPERSEDES_SELF',
      'PERMIT_ALREADY_EXISTS',
      'ISSUANCE_BLOCKED',
    ],
  })
  @ApiAnswer(201, PermitCommandAnswer, {
    headers: COMMAND_ANSWER_HEADERS,
    description: 'The permit is issued: the stored `PermitIssued` event.',
  })
  async issue(@Body() dto: IssuePermitDto, @Req() req: Req, @Res({ passthrough: true }) res: Res) {
    const { effectiveAt, conditions, exceptionGround, supersedes, ...fields } = dto;
    return this.send(req, res, effectiveAt, {
      type: 'IssuePermit',
      data: { ...fields, conditions: conditions ?? [], exceptionGround: exceptionGround ?? null, supersedes: supersedes ?? null },
    });
  }

  @Post(':permitNumber/amend')
  @HttpCode(200)
  @Roles('officer')
  @ApiCommand({
    summary: 'Amend a permit (AmendPermit)',
    description:
      'Records `PermitAmended`: a new expiry, new conditions, or fewer goods (other goods or more of them need a new permit; never less ' +
      'than was shipped: `AMENDMENT_BELOW_SHIPPED`), and `PermitExhausted` when that leaves nothing to ship.',
    roles: ['officer'],
    problems: [
      ...ON_PERMIT,
      'INVALID_VALIDITY',
      'EMPTY_AMENDMENT',
      'AMENDMENT_NOT_ALLOWED',
      'AMENDMENT_BELOW_SHIPPED',
      'INVALID_ITEMS',
      'INVALID_DATE',
    ],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, PermitCommandAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The stored `PermitAmended` event.' })
  amend(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Body() dto: AmendPermitDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    return this.send(req, res, dto.effectiveAt, { type: 'AmendPermit', data: { permitNumber, changes: dto.changes, reason: dto.reason } });
  }

  @Post(':permitNumber/suspend')
  @HttpCode(200)
  @Roles('minister')
  @ApiCommand({
    summary: 'Suspend a permit (SuspendPermit)',
    description: 'Records `PermitSuspended` on an issued permit, with the `criteria` it cites if any.',
    roles: ['minister'],
    problems: [...ON_PERMIT, 'INVALID_TRANSITION', 'UNKNOWN_CRITERION'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, PermitCommandAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The stored `PermitSuspended` event.' })
  suspend(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Body() dto: SuspendPermitDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    const { reason, legalBasis, decisionRef, criteria } = dto;
    return this.send(req, res, dto.effectiveAt, {
      type: 'SuspendPermit',
      data: { permitNumber, reason, legalBasis, decisionRef: decisionRef ?? null, ...(criteria && { criteria }) },
    });
  }

  @Post(':permitNumber/reinstate')
  @HttpCode(200)
  @Roles('minister')
  @ApiCommand({
    summary: 'Reinstate a suspended permit (ReinstatePermit)',
    description:
      'Records `PermitReinstated`. A cancelled permit is never reinstated (409 `PERMIT_TERMINAL`): resumption is a new permit that `supersedes` it.',
    roles: ['minister'],
    problems: [...ON_PERMIT, 'INVALID_TRANSITION'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, PermitCommandAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The stored `PermitReinstated` event.' })
  reinstate(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Body() dto: ReinstatePermitDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    const { reason, legalBasis } = dto;
    return this.send(req, res, dto.effectiveAt, { type: 'ReinstatePermit', data: { permitNumber, reason, legalBasis, decisionRef: null } });
  }

  @Post(':permitNumber/reviews')
  @HttpCode(200)
  @Roles('officer', 'minister')
  @ApiCommand({
    summary: 'Open a review of a permit (OpenReview)',
    description: 'Records `PermitReviewOpened`; the answer holds the `reviewId` (generated when the body names none).',
    roles: ['officer', 'minister'],
    problems: [...ON_PERMIT, 'REVIEW_ALREADY_OPEN', 'REVIEW_ALREADY_EXISTS'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, OpenReviewAnswer, {
    headers: COMMAND_ANSWER_HEADERS,
    description: 'The stored `PermitReviewOpened` event and the review id.',
  })
  async openReview(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Body() dto: OpenReviewDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    // Ids are generated here, never in the domain; a retried request with an Idempotency-Key gets the first id back.
    const reviewId = dto.reviewId ?? `R-${randomUUID()}`;
    const result = await this.send(req, res, dto.effectiveAt, {
      type: 'OpenReview',
      data: { permitNumber, reviewId, reason: dto.reason, decisionRef: null },
    });
    const opened = result.events.find((e) => e.type === 'PermitReviewOpened');
    return { ...result, reviewId: (opened?.data as { reviewId?: string } | undefined)?.reviewId ?? reviewId };
  }

  @Post(':permitNumber/reviews/:reviewId/findings')
  @HttpCode(200)
  @Roles('officer')
  @ApiCommand({
    summary: 'Record a finding of an open review (RecordReviewFinding)',
    description: 'Records `PermitReviewFindingRecorded`; the review stays open.',
    roles: ['officer'],
    problems: [...ON_PERMIT, 'REVIEW_NOT_FOUND', 'REVIEW_NOT_OPEN', 'UNKNOWN_CRITERION'],
  })
  @PERMIT_NUMBER_PARAM
  @REVIEW_ID_PARAM
  @ApiAnswer(200, PermitCommandAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The stored `PermitReviewFindingRecorded` event.' })
  finding(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Param('reviewId', RefPipe) reviewId: string,
    @Body() dto: RecordFindingDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    const { finding, theatre, evidenceRef, assuranceBreached, criteria } = dto;
    return this.send(req, res, dto.effectiveAt, {
      type: 'RecordReviewFinding',
      data: {
        permitNumber,
        reviewId,
        finding,
        theatre: theatre ?? null,
        evidenceRef: evidenceRef ?? null,
        assuranceBreached,
        ...(criteria && { criteria }),
      },
    });
  }

  @Post(':permitNumber/reviews/:reviewId/conclude')
  @HttpCode(200)
  @Roles('minister')
  @ApiCommand({
    summary: 'Conclude an open review (ConcludeReview)',
    description: 'Records `PermitReviewConcluded` with its outcome; the permit itself changes only by a further command.',
    roles: ['minister'],
    problems: [...ON_PERMIT, 'REVIEW_NOT_FOUND', 'REVIEW_NOT_OPEN'],
  })
  @PERMIT_NUMBER_PARAM
  @REVIEW_ID_PARAM
  @ApiAnswer(200, PermitCommandAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The stored `PermitReviewConcluded` event.' })
  conclude(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Param('reviewId', RefPipe) reviewId: string,
    @Body() dto: ConcludeReviewDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    return this.send(req, res, dto.effectiveAt, {
      type: 'ConcludeReview',
      data: { permitNumber, reviewId, outcome: dto.outcome, summary: dto.summary },
    });
  }

  @Post(':permitNumber/cancel')
  @HttpCode(200)
  @Roles('minister')
  @ApiCommand({
    summary: 'Cancel a permit (CancelPermit)',
    description: 'Records `PermitCancelled` on an issued or suspended permit; nothing more can happen to it afterwards.',
    roles: ['minister'],
    problems: [...ON_PERMIT, 'REVIEW_NOT_FOUND', 'UNKNOWN_CRITERION'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, PermitCommandAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The stored `PermitCancelled` event.' })
  cancel(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Body() dto: CancelPermitDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    const { reason, legalBasis, decisionRef, reviewId, criteria } = dto;
    return this.send(req, res, dto.effectiveAt, {
      type: 'CancelPermit',
      data: {
        permitNumber,
        reason,
        legalBasis,
        decisionRef: decisionRef ?? null,
        reviewId: reviewId ?? null,
        ...(criteria && { criteria }),
      },
    });
  }

  @Post(':permitNumber/expire')
  @HttpCode(200)
  @Roles('system')
  @ApiCommand({
    summary: 'Expire a permit (ExpirePermit)',
    description: "Records `PermitExpired` with `effectiveAt = expiresOn`; also run by the service's own daily scheduler.",
    roles: ['system'],
    problems: ['PERMIT_NOT_FOUND', 'PERMIT_TERMINAL', 'PERMIT_NOT_YET_EXPIRED', 'EFFECTIVE_AT_BEFORE_LAST_EVENT'],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(200, PermitCommandAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The stored `PermitExpired` event.' })
  expire(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Body() dto: ExpirePermitDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    return this.send(req, res, dto.effectiveAt, { type: 'ExpirePermit', data: { permitNumber } });
  }

  @Post(':permitNumber/shipments')
  @HttpCode(201)
  @Roles('customs')
  @ApiCommand({
    summary: 'Record a shipment declared at the border (RecordShipment)',
    description:
      'Records `ShipmentRecorded`, effective at 00:00 UTC of `exportedOn` (a late declaration is recorded in its place), and ' +
      '`PermitExhausted` when it uses up every item. Refused (409, nothing written) when the permit was not ISSUED on `exportedOn` ' +
      '(`PERMIT_NOT_VALID_FOR_EXPORT`, with `statusOnExportDate`: SUSPENDED, CANCELLED, EXPIRED, EXHAUSTED or NOT_YET_VALID) or when a ' +
      "line exceeds what is left of its item (`SHIPMENT_EXCEEDS_PERMIT`, naming the line's field). The same `declarationRef` with " +
      'the same lines and date answers the first result; with others it is `409 DECLARATION_ALREADY_RECORDED`.',
    roles: ['customs'],
    problems: [
      'PERMIT_NOT_FOUND',
      'INVALID_SHIPMENT',
      'INVALID_DATE',
      'PERMIT_NOT_VALID_FOR_EXPORT',
      'SHIPMENT_EXCEEDS_PERMIT',
      'DECLARATION_ALREADY_RECORDED',
    ],
  })
  @PERMIT_NUMBER_PARAM
  @ApiAnswer(201, PermitCommandAnswer, {
    headers: COMMAND_ANSWER_HEADERS,
    description: 'The stored `ShipmentRecorded` event, and `PermitExhausted` when nothing is left (the first answer again for a repeat).',
  })
  shipment(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Body() dto: RecordShipmentDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    const lines = dto.lines.map(({ item, quantity, valueCad }) => ({ item, quantity, valueCad }));
    // Declared now; the shipment itself takes effect on exportedOn (the decider's effectiveAt).
    return this.send(req, res, undefined, {
      type: 'RecordShipment',
      data: { permitNumber, declarationRef: dto.declarationRef, lines, exportedOn: dto.exportedOn },
    });
  }

  private async send(req: Req, res: Res, effectiveAt: string | undefined, command: Omit<PermitCommand, 'effectiveAt'>) {
    const input = this.context.input(req, effectiveAt);
    const full = { ...command, effectiveAt: input.effectiveAt } as PermitCommand;
    const result = await this.commands.execute(new ExecutePermitCommand(full, input.meta));
    return answer(res, result, { permitNumber: full.data.permitNumber });
  }
}
