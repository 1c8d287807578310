import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsIsoDateOrTimestamp } from '../platform/http/validation.js';
import type { PermitStatus } from '@permit-ledger/permits';
import { PERMIT_STATUSES } from '@permit-ledger/projections';
import { COUNTRY, ECL_ITEM_PREFIX, NAME, QueryInteger, REF } from '../platform/http/common.dto.js';

export class ListPermitsQueryDto {
  @ApiPropertyOptional({ type: String, enum: PERMIT_STATUSES, example: 'SUSPENDED' })
  @IsOptional()
  @IsIn(PERMIT_STATUSES)
  status?: PermitStatus;

  @ApiPropertyOptional({ type: String, pattern: COUNTRY.source, description: 'Destination country, ISO 3166 alpha-2.', example: 'TR' })
  @IsOptional()
  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination?: string;

  @ApiPropertyOptional({ type: String, maxLength: NAME, description: 'Exporter name.', example: 'Northfield Optronics Inc.' })
  @IsOptional()
  @IsString()
  @MaxLength(NAME)
  exporter?: string;

  @ApiPropertyOptional({
    type: String,
    pattern: ECL_ITEM_PREFIX.source,
    description: 'Export Control List item or prefix.',
    example: '2-15',
  })
  @IsOptional()
  @Matches(ECL_ITEM_PREFIX, { message: 'eclItem must be an Export Control List item or prefix such as 2-15' })
  eclItem?: string;

  @ApiPropertyOptional({
    type: String,
    pattern: REF.source,
    description: 'Permits that this ministerial decision touched.',
    example: 'MIN-2021-04-12',
  })
  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, description: 'Page size. Default: 50.', example: 50 })
  @IsOptional()
  @QueryInteger('limit', 3)
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ type: String, maxLength: 200, description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ClocksQueryDto {
  /** What was true in the world then (effectiveAt). */
  @ApiPropertyOptional({
    type: String,
    description:
      'What was true in the world then (by effectiveAt): a date (up to 23:59:59.999Z of that UTC day) or a timestamp (inclusive).',
    example: '2020-10-06',
  })
  @IsOptional()
  @IsIsoDateOrTimestamp()
  asOf?: string;

  /** What the ledger had recorded by then (recordedAt). */
  @ApiPropertyOptional({
    type: String,
    description:
      'What the ledger had recorded by then (by recordedAt): a date (up to 23:59:59.999Z of that UTC day) or a timestamp (inclusive). ' +
      'Capped at now: a later one (today included) is read as now, and an answer that names its knownAt names that timestamp.',
    example: '2021-01-01T00:00:00Z',
  })
  @IsOptional()
  @IsIsoDateOrTimestamp()
  knownAt?: string;
}

export class StateQueryDto extends ClocksQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Fold only up to this stream revision.', example: 1 })
  @IsOptional()
  @QueryInteger('revision')
  revision?: number;
}
