import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { COUNTRY } from '../platform/http/common.dto.js';
import { ClocksQueryDto } from '../permits/permit-queries.dto.js';

/** Four digits from 1000: year 0000 (and the two-digit-era years Date rolls into the 1900s) is no year of the ledger. */
export const YEAR = /^[1-9][0-9]{3}$/;

export class ExportReportQueryDto extends ClocksQueryDto {
  @ApiProperty({ type: String, pattern: YEAR.source, description: 'The calendar year (UTC) the figures are counted in.', example: '2020' })
  @Matches(YEAR, { message: 'year must be a year of four digits' })
  year!: string;

  @ApiPropertyOptional({
    type: String,
    pattern: COUNTRY.source,
    description: 'Destination country, ISO 3166 alpha-2. Absent: every destination, one entry each.',
    example: 'TR',
  })
  @IsOptional()
  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination?: string;
}
