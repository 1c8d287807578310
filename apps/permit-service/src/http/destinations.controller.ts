import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { Response } from 'express';
import type { DestinationCommand } from '@permit-ledger/permits';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { READERS, Roles } from '../auth/roles.js';
import { ExecuteDestinationCommand } from '../commands/permit-commands.js';
import { GetDestination } from '../queries/queries.js';
import { answer, CommandContext } from './command-context.js';
import { ImposeMeasureDto, LiftMeasureDto } from './dto/destination-commands.dto.js';
import { MinPositionInterceptor } from './min-position.interceptor.js';
import { CountryPipe, RefPipe } from './params.js';

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
  get(@Param('country', CountryPipe) country: string) {
    return this.queries.execute(new GetDestination(country));
  }

  private async send(req: AuthenticatedRequest, res: Response, effectiveAt: string | undefined, command: Omit<DestinationCommand, 'effectiveAt'>) {
    const meta = this.context.meta(req, effectiveAt);
    const full = { ...command, effectiveAt: meta.effectiveAt } as DestinationCommand;
    const result = await this.commands.execute(new ExecuteDestinationCommand(full, meta));
    return answer(res, result, { country: full.data.country, measureId: full.data.measureId });
  }
}
