import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import type { ApplicationStatus } from '@permit-ledger/permits';
import { APPLICATION_STATUSES } from '@permit-ledger/projections';
import {
  ConditionDto,
  COUNTRY,
  LegalDto,
  PERMIT_NUMBER,
  QueryInteger,
  REF,
  ReasonedDto,
  SLUG,
  ExportRequestDto,
  TimedDto,
} from '../platform/http/common.dto.js';
import { IsIsoDate } from '../platform/http/validation.js';

export class SubmitApplicationDto extends ExportRequestDto {
  @ApiProperty({
    type: String,
    description: 'The application reference: the identity of its stream.',
    pattern: REF.source,
    example: 'APP-19-0107',
  })
  @Matches(REF, { message: 'applicationRef must be a reference of letters, digits and . _ : -' })
  applicationRef!: string;

  @ApiPropertyOptional({
    type: String,
    description: 'Exception ground invoked against a destination measure (e.g. NATO cooperation for Group 2 goods).',
    pattern: SLUG.source,
    example: 'nato_cooperation',
  })
  @IsOptional()
  @Matches(SLUG, { message: 'exceptionGround must be a ground such as nato_cooperation' })
  exceptionGround?: string;
}

export class ApproveApplicationDto extends TimedDto {
  @ApiProperty({
    type: String,
    description: 'The number of the permit the approval issues.',
    pattern: PERMIT_NUMBER.source,
    example: 'EXP-20-005181',
  })
  @Matches(PERMIT_NUMBER, { message: 'permitNumber must look like EXP-19-004120' })
  permitNumber!: string;

  @ApiProperty({ type: String, format: 'date', example: '2020-05-14' })
  @IsIsoDate()
  validFrom!: string;

  @ApiProperty({ type: String, format: 'date', description: 'The permit expires at 00:00 UTC of this date.', example: '2022-05-13' })
  @IsIsoDate()
  expiresOn!: string;

  @ApiPropertyOptional({ type: () => ConditionDto, isArray: true, maxItems: 100, description: 'Default: none.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ConditionDto)
  conditions?: ConditionDto[];
}

export class RefuseApplicationDto extends LegalDto {
  @ApiProperty({
    type: String,
    isArray: true,
    minItems: 1,
    maxItems: 20,
    description: 'The assessment criteria the refusal cites: codes of GET /criteria (an unknown code is a 400 naming `criteria`).',
    example: ['IHL_VIOLATION', 'SUBSTANTIAL_RISK'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @IsString({ each: true })
  criteria!: string[];
}

export class WithdrawApplicationDto extends ReasonedDto {}

export class ListApplicationsQueryDto {
  @ApiPropertyOptional({ type: String, enum: APPLICATION_STATUSES, example: 'ON_HOLD' })
  @IsOptional()
  @IsIn(APPLICATION_STATUSES)
  status?: ApplicationStatus;

  @ApiPropertyOptional({ type: String, pattern: COUNTRY.source, description: 'Destination country, ISO 3166 alpha-2.', example: 'TR' })
  @IsOptional()
  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, description: 'Page size (default 100).', example: 100 })
  @IsOptional()
  @QueryInteger('limit', 3)
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ type: String, maxLength: 200, description: 'nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
