import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsIsoDateOrTimestamp } from '../validation.js';
import { COUNTRY, ECL_ITEM_PREFIX, NAME, REF } from './common.js';

export class ListPermitsQueryDto {
  @IsOptional()
  @IsIn(['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'])
  status?: string;

  @IsOptional()
  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination?: string;

  @IsOptional()
  @IsString()
  @MaxLength(NAME)
  exporter?: string;

  @IsOptional()
  @Matches(ECL_ITEM_PREFIX, { message: 'eclItem must be an Export Control List item or prefix such as 2-15' })
  eclItem?: string;

  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ClocksQueryDto {
  /** What was true in the world then (effectiveAt). */
  @IsOptional()
  @IsIsoDateOrTimestamp()
  asOf?: string;

  /** What the ledger had recorded by then (recordedAt). */
  @IsOptional()
  @IsIsoDateOrTimestamp()
  knownAt?: string;
}

export class StateQueryDto extends ClocksQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  revision?: number;
}
