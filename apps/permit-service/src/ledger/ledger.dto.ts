import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PERMIT_NUMBER, QueryInteger, REF } from '../platform/http/common.dto.js';

export class LedgerVerifyQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'First log position counted as checked (the chains before it are still recomputed). Default: 0.',
    example: 0,
  })
  @IsOptional()
  @QueryInteger('from')
  from?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Last log position verified. Default: the head of the log.',
    example: 1000,
  })
  @IsOptional()
  @QueryInteger('to')
  to?: number;
}

export class ExportQueryDto {
  @ApiPropertyOptional({
    type: String,
    enum: ['ndjson', 'csv'],
    description: 'NDJSON verifies offline (permit-cli verify --file); CSV is for reading. Default: ndjson.',
    example: 'ndjson',
  })
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';

  @ApiPropertyOptional({
    type: String,
    pattern: PERMIT_NUMBER.source,
    description: "Export one permit's stream (not with decisionRef).",
    example: 'EXP-19-004120',
  })
  @IsOptional()
  @Matches(PERMIT_NUMBER, { message: 'permitNumber must look like EXP-19-004120' })
  permitNumber?: string;

  @ApiPropertyOptional({
    type: String,
    pattern: REF.source,
    description: "Export one decision's stream and its permits' streams (not with permitNumber).",
    example: 'MIN-2021-04-12',
  })
  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;
}
