import { Body, Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import type { PermitCommand } from '@permit-ledger/permits';
import { randomUUID } from 'node:crypto';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { Roles } from '../auth/roles.js';
import { ExecutePermitCommand } from '../commands/permit-commands.js';
import { answer, CommandContext } from './command-context.js';
import {
  AmendPermitDto,
  CancelPermitDto,
  ConcludeReviewDto,
  ExpirePermitDto,
  IssuePermitDto,
  OpenReviewDto,
  RecordFindingDto,
  ReinstatePermitDto,
  SuspendPermitDto,
} from './dto/permit-commands.dto.js';
import { PermitNumberPipe, RefPipe } from './params.js';

type Req = AuthenticatedRequest;
type Res = Response;

/** Write side of a permit's life: each route is one command of domain.md's lifecycle. */
@Controller('permits')
export class PermitCommandsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly context: CommandContext,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles('officer')
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
  amend(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Body() dto: AmendPermitDto, @Req() req: Req, @Res({ passthrough: true }) res: Res) {
    return this.send(req, res, dto.effectiveAt, { type: 'AmendPermit', data: { permitNumber, changes: dto.changes, reason: dto.reason } });
  }

  @Post(':permitNumber/suspend')
  @HttpCode(200)
  @Roles('minister')
  suspend(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Body() dto: SuspendPermitDto, @Req() req: Req, @Res({ passthrough: true }) res: Res) {
    const { reason, legalBasis, decisionRef } = dto;
    return this.send(req, res, dto.effectiveAt, { type: 'SuspendPermit', data: { permitNumber, reason, legalBasis, decisionRef: decisionRef ?? null } });
  }

  @Post(':permitNumber/reinstate')
  @HttpCode(200)
  @Roles('minister')
  reinstate(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Body() dto: ReinstatePermitDto, @Req() req: Req, @Res({ passthrough: true }) res: Res) {
    const { reason, legalBasis } = dto;
    return this.send(req, res, dto.effectiveAt, { type: 'ReinstatePermit', data: { permitNumber, reason, legalBasis, decisionRef: null } });
  }

  @Post(':permitNumber/reviews')
  @HttpCode(200)
  @Roles('officer', 'minister')
  async openReview(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Body() dto: OpenReviewDto, @Req() req: Req, @Res({ passthrough: true }) res: Res) {
    // Ids are generated here, never in the domain; a retried request with an Idempotency-Key gets the first id back.
    const reviewId = dto.reviewId ?? `R-${randomUUID()}`;
    const result = await this.send(req, res, dto.effectiveAt, { type: 'OpenReview', data: { permitNumber, reviewId, reason: dto.reason, decisionRef: null } });
    const opened = result.events.find((e) => e.type === 'PermitReviewOpened');
    return { ...result, reviewId: (opened?.data as { reviewId?: string } | undefined)?.reviewId ?? reviewId };
  }

  @Post(':permitNumber/reviews/:reviewId/findings')
  @HttpCode(200)
  @Roles('officer')
  finding(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Param('reviewId', RefPipe) reviewId: string,
    @Body() dto: RecordFindingDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    const { finding, theatre, evidenceRef, assuranceBreached } = dto;
    return this.send(req, res, dto.effectiveAt, {
      type: 'RecordReviewFinding',
      data: { permitNumber, reviewId, finding, theatre: theatre ?? null, evidenceRef: evidenceRef ?? null, assuranceBreached },
    });
  }

  @Post(':permitNumber/reviews/:reviewId/conclude')
  @HttpCode(200)
  @Roles('minister')
  conclude(
    @Param('permitNumber', PermitNumberPipe) permitNumber: string,
    @Param('reviewId', RefPipe) reviewId: string,
    @Body() dto: ConcludeReviewDto,
    @Req() req: Req,
    @Res({ passthrough: true }) res: Res,
  ) {
    return this.send(req, res, dto.effectiveAt, { type: 'ConcludeReview', data: { permitNumber, reviewId, outcome: dto.outcome, summary: dto.summary } });
  }

  @Post(':permitNumber/cancel')
  @HttpCode(200)
  @Roles('minister')
  cancel(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Body() dto: CancelPermitDto, @Req() req: Req, @Res({ passthrough: true }) res: Res) {
    const { reason, legalBasis, decisionRef, reviewId } = dto;
    return this.send(req, res, dto.effectiveAt, {
      type: 'CancelPermit',
      data: { permitNumber, reason, legalBasis, decisionRef: decisionRef ?? null, reviewId: reviewId ?? null },
    });
  }

  @Post(':permitNumber/expire')
  @HttpCode(200)
  @Roles('system')
  expire(@Param('permitNumber', PermitNumberPipe) permitNumber: string, @Body() dto: ExpirePermitDto, @Req() req: Req, @Res({ passthrough: true }) res: Res) {
    return this.send(req, res, dto.effectiveAt, { type: 'ExpirePermit', data: { permitNumber } });
  }

  private async send(req: Req, res: Res, effectiveAt: string | undefined, command: Omit<PermitCommand, 'effectiveAt'>) {
    const meta = this.context.meta(req, effectiveAt);
    const full = { ...command, effectiveAt: meta.effectiveAt } as PermitCommand;
    const result = await this.commands.execute(new ExecutePermitCommand(full, meta));
    return answer(res, result, { permitNumber: full.data.permitNumber });
  }
}
