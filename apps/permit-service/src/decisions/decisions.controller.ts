import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import {
  decisionStream,
  foldDecision,
  type DecisionEvent,
  type DecisionRecorded,
  type DecisionTargetsResolved,
} from '@permit-ledger/permits';
import type { AuthenticatedRequest } from '../platform/auth/auth.guard.js';
import { Roles } from '../platform/auth/roles.js';
import { READERS } from '@permit-ledger/config';
import { requestHash } from '../platform/commands/command-runner.js';
import { dated } from '../platform/commands/dated.js';
import { ExecuteDecisionCommand } from './decision-commands.js';
import { TargetResolver } from './target-resolver.js';
import { CommandContext } from '../platform/http/command-context.js';
import { RecordDecisionDto } from './decision.dto.js';
import { DecisionRecordedAnswer, DecisionView } from './decision-views.js';
import { EvidenceView } from '../platform/http/answers.js';
import { evidenceView } from '../platform/http/event-view.js';
import { LedgerEvidence } from '../ledger/evidence.js';
import { MinPositionInterceptor } from '../platform/http/min-position.interceptor.js';
import { ApiAnswer, ApiCommand, ApiRead, DECISION_REF_PARAM } from '../platform/http/openapi.js';
import { RefPipe } from '../platform/http/params.js';
import { ProblemException } from '../platform/errors/problem.js';
import { invalidInput } from '../platform/errors/application-error.js';

/** Ministerial decisions over many permits: recorded here, carried out asynchronously by the process manager. */
@ApiTags('decisions')
@Controller('decisions')
export class DecisionsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly context: CommandContext,
    private readonly targets: TargetResolver,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly evidence: LedgerEvidence,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('minister')
  @ApiCommand({
    summary: 'Record a ministerial decision over many permits (RecordDecision)',
    description:
      'Records `DecisionRecorded` and `DecisionTargetsResolved` on `decision-{decisionRef}`: the selector is resolved once, against the status read model ' +
      'caught up with the log; every permit of an explicit `permitNumbers` list must exist (else 400 naming `selector.permitNumbers` and the unknown numbers). ' +
      'The decision is then carried out asynchronously, permit by permit (follow it with GET /decisions/{decisionRef}). ' +
      'Re-posting the same body answers the same and writes nothing; another body under the same ref is 409 `DECISION_ALREADY_RECORDED`.',
    roles: ['minister'],
    problems: ['DECISION_ALREADY_RECORDED', 'PROJECTIONS_BEHIND'],
  })
  @ApiAnswer(202, DecisionRecordedAnswer, {
    description: 'Recorded; the targets are resolved and will be carried out.',
    headers: {
      Location: {
        description: 'The decision: /api/v1/decisions/{decisionRef}.',
        schema: { type: 'string', example: '/api/v1/decisions/MIN-2021-04-12' },
      },
    },
  })
  async record(
    @Body() dto: RecordDecisionDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DecisionRecordedAnswer> {
    const { decisionRef, action, reason, legalBasis, effectiveAt } = dto;
    const selector = JSON.parse(JSON.stringify(dto.selector)) as RecordDecisionDto['selector'];
    const criteria = Object.keys(selector);
    if (criteria.length === 0) throw invalidInput([{ field: 'selector', messages: ['selector must name permits or at least one filter'] }]);
    if (selector.permitNumbers && criteria.length > 1) {
      throw invalidInput([{ field: 'selector.permitNumbers', messages: ['permitNumbers cannot be combined with filters'] }]);
    }
    const input = this.context.input(req, effectiveAt);
    await this.commands.execute(
      new ExecuteDecisionCommand(
        {
          type: 'RecordDecision',
          effectiveAt: input.effectiveAt,
          data: {
            decisionRef,
            action,
            selector,
            reason,
            legalBasis,
            // The decision's identity is what was asked for, not when: a re-post without effectiveAt is the same request.
            requestHash: requestHash({ decisionRef, action, selector, reason, legalBasis, effectiveAt: effectiveAt ?? null }),
            targets: await this.targets.resolve(selector),
          },
        },
        input.meta,
      ),
    );
    // The answer is built from the stored record, so a re-post gets exactly the first answer.
    const [recorded, resolved] = await this.store.readStream(decisionStream(decisionRef), { maxCount: 2 });
    res.setHeader('Location', `/api/v1/decisions/${encodeURIComponent(decisionRef)}`);
    return {
      decisionRef,
      action: (recorded.data as DecisionRecorded['data']).action,
      selector: (recorded.data as DecisionRecorded['data']).selector,
      targeted: (resolved.data as DecisionTargetsResolved['data']).permitNumbers,
      revision: resolved.revision,
      position: resolved.position,
    };
  }

  @Get(':decisionRef')
  @Roles(...READERS)
  @UseInterceptors(MinPositionInterceptor)
  @ApiRead({
    summary: "A decision's progress",
    description:
      "Folded from the decision's stream: status PENDING or COMPLETED, targeted, applied, skipped (with the domain's code and reason), failed.",
    roles: READERS,
    minPosition: true,
    problems: ['DECISION_NOT_FOUND', 'STORE_UNAVAILABLE'],
  })
  @DECISION_REF_PARAM
  @ApiAnswer(200, DecisionView)
  async get(@Param('decisionRef', RefPipe) decisionRef: string): Promise<DecisionView> {
    const events = await this.store.readStream(decisionStream(decisionRef));
    const state = foldDecision(events.map((e) => dated<DecisionEvent>(e)));
    if (state.status === 'NONE') throw new ProblemException(404, 'DECISION_NOT_FOUND', `decision ${decisionRef} does not exist`);
    const { requestHash: _, targets, ...rest } = state;
    return {
      ...rest,
      recordedBy: events[0].metadata.actor,
      recordedAt: events[0].recordedAt,
      targeted: targets,
      revision: events[events.length - 1].revision,
    };
  }

  @Get(':decisionRef/evidence')
  @Roles('auditor', 'officer', 'minister')
  @ApiRead({
    summary: "A decision's evidence: its events with inclusion proofs to the latest signed checkpoint",
    description:
      "The latest checkpoint (as GET /ledger/checkpoint serves it), the events of the decision's own stream it covers (oldest first, each with its `leaf`), and one " +
      'RFC 9162 inclusion path per event: verifiable offline with the verifier key alone. The permits it acted on have their own evidence ' +
      '(GET /permits/{permitNumber}/evidence). The service waits up to MIN_POSITION_WAIT_MS for a checkpoint that covers every event of the decision; an event still ' +
      'newer than the latest checkpoint is left out. 404 `NO_CHECKPOINT` while the ledger has signed none.',
    roles: ['auditor', 'officer', 'minister'],
    problems: ['DECISION_NOT_FOUND', 'NO_CHECKPOINT', 'STORE_UNAVAILABLE'],
  })
  @DECISION_REF_PARAM
  @ApiAnswer(200, EvidenceView)
  async decisionEvidence(@Param('decisionRef', RefPipe) decisionRef: string): Promise<EvidenceView> {
    const evidence = await this.evidence.forStream(decisionStream(decisionRef));
    if (!evidence) throw new ProblemException(404, 'DECISION_NOT_FOUND', `decision ${decisionRef} does not exist`);
    return evidenceView(evidence);
  }
}
