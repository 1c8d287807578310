import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { DestinationCommand } from '@permit-ledger/permits';
import type { AuthenticatedRequest } from '../platform/auth/auth.guard.js';
import { Roles } from '../platform/auth/roles.js';
import { READERS } from '@permit-ledger/config';
import { ExecuteDestinationCommand } from './destination-commands.js';
import { GetDestination } from './destination-queries.js';
import { answer, CommandContext } from '../platform/http/command-context.js';
import { ImposeMeasureDto, LiftMeasureDto } from './destination-commands.dto.js';
import { DestinationView } from '@permit-ledger/projections';
import { DestinationCommandAnswer } from '../platform/http/answers.js';
import { MinPositionInterceptor } from '../platform/http/min-position.interceptor.js';
import { ApiAnswer, ApiCommand, ApiRead, COMMAND_ANSWER_HEADERS, COUNTRY_PARAM, MEASURE_ID_PARAM } from '../platform/http/openapi.js';
import { CountryPipe, RefPipe } from '../platform/http/params.js';

@ApiTags('destinations')
@Controller('destinations')
export class DestinationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly context: CommandContext,
  ) {}

  @Post(':country/measures')
  @HttpCode(201)
  @Roles('minister')
  @ApiCommand({
    summary: 'Impose a destination measure (ImposeDestinationMeasure)',
    description:
      'Records `DestinationMeasureImposed` on `destination-{country}`: from its effective date, issuing permits to the country for the goods it covers ' +
      'is refused (409 `ISSUANCE_BLOCKED`) unless an exception ground applies.',
    roles: ['minister'],
    problems: ['INVALID_MEASURE', 'MEASURE_ALREADY_EXISTS', 'EFFECTIVE_AT_BEFORE_LAST_EVENT'],
  })
  @COUNTRY_PARAM
  @ApiAnswer(201, DestinationCommandAnswer, {
    headers: COMMAND_ANSWER_HEADERS,
    description: 'The stored `DestinationMeasureImposed` event.',
  })
  impose(
    @Param('country', CountryPipe) country: string,
    @Body() dto: ImposeMeasureDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { measureId, kind, eclGroups, exceptionGrounds, reference, reason } = dto;
    return this.send(req, res, dto.effectiveAt, {
      type: 'ImposeDestinationMeasure',
      data: { country, measureId, kind, eclGroups: eclGroups ?? null, exceptionGrounds: exceptionGrounds ?? [], reference, reason },
    });
  }

  @Post(':country/measures/:measureId/lift')
  @HttpCode(200)
  @Roles('minister')
  @ApiCommand({
    summary: 'Lift a destination measure (LiftDestinationMeasure)',
    description: 'Records `DestinationMeasureLifted`.',
    roles: ['minister'],
    problems: ['MEASURE_NOT_FOUND', 'MEASURE_ALREADY_LIFTED', 'EFFECTIVE_AT_BEFORE_LAST_EVENT'],
  })
  @COUNTRY_PARAM
  @MEASURE_ID_PARAM
  @ApiAnswer(200, DestinationCommandAnswer, {
    headers: COMMAND_ANSWER_HEADERS,
    description: 'The stored `DestinationMeasureLifted` event.',
  })
  lift(
    @Param('country', CountryPipe) country: string,
    @Param('measureId', RefPipe) measureId: string,
    @Body() dto: LiftMeasureDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.send(req, res, dto.effectiveAt, {
      type: 'LiftDestinationMeasure',
      data: { country, measureId, reference: dto.reference, reason: dto.reason },
    });
  }

  @Get(':country')
  @Roles(...READERS)
  @UseInterceptors(MinPositionInterceptor)
  @ApiRead({
    summary: "A destination's measures",
    description: 'The measures in force, every measure ever imposed, and the timeline of the destination stream (destinations projection).',
    roles: READERS,
    minPosition: true,
    problems: ['DESTINATION_NOT_FOUND'],
  })
  @COUNTRY_PARAM
  @ApiAnswer(200, DestinationView)
  get(@Param('country', CountryPipe) country: string): Promise<DestinationView> {
    return this.queries.execute(new GetDestination(country));
  }

  private async send(
    req: AuthenticatedRequest,
    res: Response,
    effectiveAt: string | undefined,
    command: Omit<DestinationCommand, 'effectiveAt'>,
  ) {
    const input = this.context.input(req, effectiveAt);
    const full = { ...command, effectiveAt: input.effectiveAt } as DestinationCommand;
    const result = await this.commands.execute(new ExecuteDestinationCommand(full, input.meta));
    return answer(res, result, { country: full.data.country, measureId: full.data.measureId });
  }
}
