import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { READERS } from '@permit-ledger/config';
import { CRITERIA, CRITERIA_VERSION, type ApplicationCommand } from '@permit-ledger/permits';
import { APPLICATION_STATUSES, ApplicationPage, ApplicationView, schema as s, type Static } from '@permit-ledger/projections';
import { EventView } from '../platform/http/answers.js';
import type { AuthenticatedRequest } from '../platform/auth/auth.guard.js';
import { seesParties } from '../platform/http/party-readers.js';
import { Roles } from '../platform/auth/roles.js';
import type { CommandAnswer } from '../platform/commands/command-runner.js';
import { answer, CommandContext } from '../platform/http/command-context.js';
import { REF } from '../platform/http/common.dto.js';
import { eventView } from '../platform/http/event-view.js';
import { MinPositionInterceptor } from '../platform/http/min-position.interceptor.js';
import { ApiAnswer, ApiCommand, ApiRead, COMMAND_ANSWER_HEADERS } from '../platform/http/openapi.js';
import { KnownAtCap } from '../platform/http/known-at.pipe.js';
import { RefPipe } from '../platform/http/params.js';
import { ClocksQueryDto } from '../permits/permit-queries.dto.js';
import { ApplicationOutcomes, ExecuteApplicationCommand } from './application-commands.js';
import { GetApplication, GetApplicationEvents, GetApplicationState, ListApplications } from './application-queries.js';
import {
  ApplicationStateView,
  CriteriaView,
  viewerApplication,
  ViewerApplicationPage,
  ViewerApplicationView,
} from './application-views.js';
import {
  ApproveApplicationDto,
  ListApplicationsQueryDto,
  RefuseApplicationDto,
  SubmitApplicationDto,
  WithdrawApplicationDto,
} from './application.dto.js';

/* The answers this controller builds from the runner's results (event views with their envelopes). */
const applicationRef = s.string({ example: 'APP-19-0107' });
const commandFields = {
  status: s.oneOf(APPLICATION_STATUSES, { description: 'The status after the command.', example: 'ON_HOLD' }),
  revision: s.integer({ description: 'The stream revision after the command (also the ETag).', example: 1 }),
  position: s.integer({ description: 'Log position of the last event written (for X-Min-Position).', example: 42 }),
  events: s.array(EventView, { description: 'The events the command appended (or, on a replay, had appended).' }),
};

export const ApplicationCommandAnswer = s.named('ApplicationCommandAnswer', s.object({ applicationRef, ...commandFields }));
export type ApplicationCommandAnswer = Static<typeof ApplicationCommandAnswer>;

export const ApprovalAnswer = s.named(
  'ApprovalAnswer',
  s.object({
    applicationRef,
    ...commandFields,
    permit: s.object(
      {
        permitNumber: s.string({ example: 'EXP-20-005181' }),
        revision: s.integer(),
        position: s.integer(),
        events: s.array(EventView, { description: 'PermitIssued, naming the application; its causation is the approval.' }),
      },
      { description: 'The permit the approval issued.' },
    ),
  }),
);
export type ApprovalAnswer = Static<typeof ApprovalAnswer>;

export const ApplicationHistoryView = s.named(
  'ApplicationHistoryView',
  s.object({ applicationRef, events: s.array(EventView, { description: 'Oldest first, with the whole envelope.' }) }),
);
export type ApplicationHistoryView = Static<typeof ApplicationHistoryView>;

const APPLICATION_REF_PARAM = ApiParam({ name: 'applicationRef', schema: { type: 'string', pattern: REF.source }, example: 'APP-19-0107' });
const OPEN_PROBLEMS = ['APPLICATION_NOT_FOUND', 'APPLICATION_CLOSED', 'EFFECTIVE_AT_BEFORE_LAST_EVENT'] as const;

@ApiTags('applications')
@Controller()
export class ApplicationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly context: CommandContext,
    private readonly outcomes: ApplicationOutcomes,
  ) {}

  @Post('applications')
  @HttpCode(201)
  @Roles('officer')
  @ApiCommand({
    summary: 'Submit an application for a permit (SubmitApplication)',
    description:
      'Records `ApplicationSubmitted` on `application-{applicationRef}`. When a destination measure blocks issuance at `effectiveAt` (a suspension of ' +
      'issuance, or a presumptive denial of the goods without an exception ground it admits) the application is also placed on hold by it ' +
      '(`ApplicationPlacedOnHold`), not refused; lifting the measure releases it.',
    roles: ['officer'],
    problems: ['APPLICATION_ALREADY_EXISTS', 'INVALID_ITEMS', 'REQUIRED_FIELD_MISSING'],
  })
  @ApiAnswer(201, ApplicationCommandAnswer, {
    headers: COMMAND_ANSWER_HEADERS,
    description: 'The stored events and the status they leave.',
  })
  submit(@Body() dto: SubmitApplicationDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response) {
    const { applicationRef, destination, exporter, consignee, endUser, intendedEndUse, items, exceptionGround } = dto;
    return this.send(req, res, dto.effectiveAt, {
      type: 'SubmitApplication',
      data: { applicationRef, destination, exporter, consignee, endUser, intendedEndUse, items, exceptionGround: exceptionGround ?? null },
    });
  }

  @Post('applications/:applicationRef/approve')
  @HttpCode(200)
  @Roles('officer')
  @ApiCommand({
    summary: 'Approve an application, issuing its permit (ApproveApplication)',
    description:
      'Issues the permit first, `PermitIssued` on `permit-{permitNumber}` naming the application (`applicationRef`), then records ' +
      '`ApplicationApproved` (its causation is the permit), under the permit rules: 409 `ISSUANCE_BLOCKED` while a destination measure blocks it, ' +
      '`PERMIT_ALREADY_EXISTS` for a number taken; a refusal writes nothing. Should the approval not be written after its permit (a crash), the ' +
      'process manager records it from the permit, once.',
    roles: ['officer'],
    problems: [...OPEN_PROBLEMS, 'ISSUANCE_BLOCKED', 'PERMIT_ALREADY_EXISTS', 'INVALID_DATE', 'INVALID_VALIDITY'],
  })
  @APPLICATION_REF_PARAM
  @ApiAnswer(200, ApprovalAnswer, { headers: COMMAND_ANSWER_HEADERS, description: 'The approval and the permit it issued.' })
  async approve(
    @Param('applicationRef', RefPipe) applicationRef: string,
    @Body() dto: ApproveApplicationDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const input = this.context.input(req, dto.effectiveAt);
    const current = await this.outcomes.application(applicationRef);
    const command: ApplicationCommand = {
      type: 'ApproveApplication',
      effectiveAt: input.effectiveAt,
      data: {
        applicationRef,
        destination: current.status === 'NONE' ? '' : current.destination,
        permitNumber: dto.permitNumber,
        validFrom: dto.validFrom,
        expiresOn: dto.expiresOn,
        conditions: dto.conditions ?? [],
      },
    };
    const result = await this.commands.execute(new ExecuteApplicationCommand(command, input.meta));
    const approved = result.events.find((e) => e.type === 'ApplicationApproved');
    if (!approved) throw new Error(`approval of ${applicationRef} answered without ApplicationApproved`);
    const permit = await this.outcomes.issuePermit(approved);
    const body = await this.answer(res, result, applicationRef);
    return {
      ...body,
      permit: {
        permitNumber: dto.permitNumber,
        revision: permit.revision,
        position: permit.position,
        events: permit.events.map((e) => eventView(e, null)),
      },
    };
  }

  @Post('applications/:applicationRef/refuse')
  @HttpCode(200)
  @Roles('minister')
  @ApiCommand({
    summary: 'Refuse an application citing assessment criteria (RefuseApplication)',
    description: 'Records `ApplicationRefused` with the criteria cited (codes of GET /criteria: required, at least one, each known).',
    roles: ['minister'],
    problems: [...OPEN_PROBLEMS, 'INVALID_CRITERIA', 'REQUIRED_FIELD_MISSING'],
  })
  @APPLICATION_REF_PARAM
  @ApiAnswer(200, ApplicationCommandAnswer, { headers: COMMAND_ANSWER_HEADERS })
  refuse(
    @Param('applicationRef', RefPipe) applicationRef: string,
    @Body() dto: RefuseApplicationDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.send(req, res, dto.effectiveAt, {
      type: 'RefuseApplication',
      data: { applicationRef, criteria: dto.criteria, reason: dto.reason, legalBasis: dto.legalBasis },
    });
  }

  @Post('applications/:applicationRef/withdraw')
  @HttpCode(200)
  @Roles('officer')
  @ApiCommand({
    summary: 'Record that the exporter withdrew an application (WithdrawApplication)',
    description: 'Records `ApplicationWithdrawn`.',
    roles: ['officer'],
    problems: [...OPEN_PROBLEMS, 'REQUIRED_FIELD_MISSING'],
  })
  @APPLICATION_REF_PARAM
  @ApiAnswer(200, ApplicationCommandAnswer, { headers: COMMAND_ANSWER_HEADERS })
  withdraw(
    @Param('applicationRef', RefPipe) applicationRef: string,
    @Body() dto: WithdrawApplicationDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.send(req, res, dto.effectiveAt, { type: 'WithdrawApplication', data: { applicationRef, reason: dto.reason } });
  }

  @Get('applications')
  @Roles(...READERS)
  @UseInterceptors(MinPositionInterceptor)
  @ApiRead({
    summary: 'List applications by status and destination',
    description:
      'Application rows (applications projection), paged by cursor: pass `nextCursor` as `cursor` until it is null. ' +
      "A viewer's rows hold no consignee, end user, end use or items, and of the exporter only its name.",
    roles: READERS,
    minPosition: true,
  })
  @ApiAnswer(200, s.anyOf([ApplicationPage, ViewerApplicationPage]), { description: 'A page of whole rows, or of summaries for a viewer.' })
  async list(@Query() query: ListApplicationsQueryDto, @Req() req: AuthenticatedRequest): Promise<ApplicationPage | ViewerApplicationPage> {
    const page = await this.queries.execute(new ListApplications({ ...query, limit: query.limit ?? 100 }));
    return seesParties(req) ? page : { items: page.items.map(viewerApplication), nextCursor: page.nextCursor };
  }

  @Get('applications/:applicationRef')
  @Roles(...READERS)
  @UseInterceptors(MinPositionInterceptor)
  @ApiRead({
    summary: 'An application as it stands',
    description:
      'Its status, the measure holding it (`heldBy`), the permit its approval issued, the criteria its refusal cited. ' +
      "A viewer's row holds no consignee, end user, end use or items, and of the exporter only its name.",
    roles: READERS,
    minPosition: true,
    problems: ['APPLICATION_NOT_FOUND'],
  })
  @APPLICATION_REF_PARAM
  @ApiAnswer(200, s.anyOf([ApplicationView, ViewerApplicationView]), { description: 'The whole row, or its summary for a viewer.' })
  async get(
    @Param('applicationRef', RefPipe) applicationRef: string,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApplicationView | ViewerApplicationView> {
    const row = await this.queries.execute(new GetApplication(applicationRef));
    res.setHeader('ETag', `"${row.revision}"`);
    return seesParties(req) ? row : viewerApplication(row);
  }

  @Get('applications/:applicationRef/history')
  @Roles('auditor', 'officer', 'minister')
  @ApiRead({
    summary: "An application's history",
    description:
      'Every event of the application, oldest first, with its whole envelope (from the stream). `asOf` / `knownAt` as for permits.',
    roles: ['auditor', 'officer', 'minister'],
    problems: ['APPLICATION_NOT_FOUND', 'STORE_UNAVAILABLE'],
  })
  @APPLICATION_REF_PARAM
  @ApiAnswer(200, ApplicationHistoryView)
  async history(
    @Param('applicationRef', RefPipe) applicationRef: string,
    @Query(KnownAtCap) query: ClocksQueryDto,
  ): Promise<ApplicationHistoryView> {
    const events = await this.queries.execute(new GetApplicationEvents(applicationRef, query.asOf, query.knownAt));
    return { applicationRef, events: events.map((e) => eventView(e, null)) };
  }

  @Get('applications/:applicationRef/state')
  @Roles('auditor', 'officer', 'minister')
  @ApiRead({
    summary: 'An application as it stood at a point',
    description: "Folded from the application's own events: `asOf` by effectiveAt, `knownAt` by recordedAt; they combine.",
    roles: ['auditor', 'officer', 'minister'],
    problems: ['APPLICATION_NOT_FOUND', 'APPLICATION_NOT_YET_SUBMITTED', 'STORE_UNAVAILABLE'],
  })
  @APPLICATION_REF_PARAM
  @ApiAnswer(200, ApplicationStateView)
  state(@Param('applicationRef', RefPipe) applicationRef: string, @Query(KnownAtCap) query: ClocksQueryDto): Promise<ApplicationStateView> {
    return this.queries.execute(new GetApplicationState(applicationRef, query.asOf, query.knownAt));
  }

  @Get('criteria')
  @Roles(...READERS)
  @ApiRead({
    summary: 'The assessment criteria a refusal cites',
    description: 'The EIPA s.7.3 / 7.4 criteria and end-use assurance breach: a versioned list whose codes are never renamed or reused.',
    roles: READERS,
  })
  @ApiAnswer(200, CriteriaView)
  criteria(): CriteriaView {
    return { version: CRITERIA_VERSION, items: CRITERIA.map(({ code, text, source }) => ({ code, text, source })) };
  }

  private async send(
    req: AuthenticatedRequest,
    res: Response,
    effectiveAt: string | undefined,
    command: Omit<ApplicationCommand, 'effectiveAt'>,
  ) {
    const input = this.context.input(req, effectiveAt);
    const full = { ...command, effectiveAt: input.effectiveAt } as ApplicationCommand;
    const result = await this.commands.execute(new ExecuteApplicationCommand(full, input.meta));
    return this.answer(res, result, full.data.applicationRef);
  }

  /** The command's answer with the status it left the application in. */
  private async answer(res: Response, result: CommandAnswer, applicationRef: string) {
    const status = await this.outcomes.statusAt(applicationRef, result.revision);
    return { ...answer(res, result, { applicationRef }), status };
  }
}
