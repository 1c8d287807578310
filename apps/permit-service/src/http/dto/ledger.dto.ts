import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Min } from 'class-validator';
import { PERMIT_NUMBER, REF } from './common.js';

export class LedgerVerifyQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  from?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  to?: number;
}

export class ExportQueryDto {
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';

  @IsOptional()
  @Matches(PERMIT_NUMBER, { message: 'permitNumber must look like EXP-19-004120' })
  permitNumber?: string;

  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;
}
