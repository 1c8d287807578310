import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNotEmptyObject,
  IsObject,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CRITERIA, MAX_QUANTITY } from '@permit-ledger/permits';
import { IsIsoDate } from '../platform/http/validation.js';
import {
  ConditionDto,
  ItemDto,
  LegalDto,
  MoneyCad,
  NAME,
  PERMIT_NUMBER,
  REF,
  ReasonedDto,
  SLUG,
  TEXT,
  ExportRequestDto,
  TimedDto,
} from '../platform/http/common.dto.js';

const CRITERION_CODES = CRITERIA.map((c) => c.code);

/** The optional criteria a suspension, cancellation or review finding cites (GET /criteria lists them). */
function CitesCriteria(): PropertyDecorator {
  const decorators = [
    ApiPropertyOptional({
      type: String,
      isArray: true,
      enum: CRITERION_CODES,
      maxItems: CRITERION_CODES.length,
      description: 'Assessment criteria it cites (codes of GET /criteria). Default: none.',
      example: ['END_USE_ASSURANCE_BREACH'],
    }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(CRITERION_CODES.length),
    IsIn(CRITERION_CODES, { each: true, message: `criteria must be codes of GET /criteria (${CRITERION_CODES.join(', ')})` }),
  ];
  return (target, key) => decorators.forEach((d) => d(target, key));
}

export class IssuePermitDto extends ExportRequestDto {
  @ApiProperty({
    type: String,
    description: 'The permit number: the identity of its stream.',
    pattern: PERMIT_NUMBER.source,
    example: 'EXP-19-004120',
  })
  @Matches(PERMIT_NUMBER, { message: 'permitNumber must look like EXP-19-004120' })
  permitNumber!: string;

  @ApiProperty({ type: String, format: 'date', example: '2019-03-20' })
  @IsIsoDate()
  validFrom!: string;

  @ApiProperty({ type: String, format: 'date', description: 'The permit expires at 00:00 UTC of this date.', example: '2022-03-19' })
  @IsIsoDate()
  expiresOn!: string;

  @ApiPropertyOptional({ type: () => ConditionDto, isArray: true, maxItems: 100, description: 'Default: none.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ConditionDto)
  conditions?: ConditionDto[];

  @ApiPropertyOptional({
    type: String,
    description: 'Exception ground invoked against a destination measure (e.g. NATO cooperation for Group 2 goods).',
    pattern: SLUG.source,
    example: 'nato_cooperation',
  })
  @IsOptional()
  @Matches(SLUG, { message: 'exceptionGround must be a ground such as nato_cooperation' })
  exceptionGround?: string;

  @ApiPropertyOptional({
    type: String,
    description: 'The permit this one replaces.',
    pattern: PERMIT_NUMBER.source,
    example: 'EXP-20-005181',
  })
  @IsOptional()
  @Matches(PERMIT_NUMBER, { message: 'supersedes must be a permit number' })
  supersedes?: string;
}

export class PermitChangesDto {
  @ApiPropertyOptional({ type: String, format: 'date', example: '2023-03-19' })
  @IsOptional()
  @IsIsoDate()
  expiresOn?: string;

  @ApiPropertyOptional({ type: () => ConditionDto, isArray: true, maxItems: 100, description: 'Replaces the conditions.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ConditionDto)
  conditions?: ConditionDto[];

  @ApiPropertyOptional({ type: () => ItemDto, isArray: true, minItems: 1, maxItems: 200, description: 'Replaces the items.' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items?: ItemDto[];
}

export class AmendPermitDto extends ReasonedDto {
  @ApiProperty({
    type: () => PermitChangesDto,
    description: 'At least one of the fields.',
    minProperties: 1,
    example: { expiresOn: '2023-03-19' },
  })
  @IsObject()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => PermitChangesDto)
  changes!: PermitChangesDto;
}

export class SuspendPermitDto extends LegalDto {
  @ApiPropertyOptional({
    type: String,
    description: 'The ministerial decision it is taken under.',
    pattern: REF.source,
    example: 'MIN-2020-10-05',
  })
  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;

  @CitesCriteria()
  criteria?: string[];
}

export class ReinstatePermitDto extends LegalDto {}

export class OpenReviewDto extends ReasonedDto {
  @ApiPropertyOptional({
    type: String,
    description: 'Default: a generated id (R-<uuid>), returned in the answer.',
    pattern: REF.source,
    example: 'R-2020-TR-1',
  })
  @IsOptional()
  @Matches(REF, { message: 'reviewId must be a reference of letters, digits and . _ : -' })
  reviewId?: string;
}

export class RecordFindingDto extends TimedDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: TEXT, example: 'Sensors of this model identified on a downed drone' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  finding!: string;

  @ApiPropertyOptional({ type: String, maxLength: NAME, example: 'Nagorno-Karabakh' })
  @IsOptional()
  @IsString()
  @MaxLength(NAME)
  theatre?: string;

  @ApiPropertyOptional({ type: String, maxLength: NAME, example: 'GAC-REVIEW-2020-17' })
  @IsOptional()
  @IsString()
  @MaxLength(NAME)
  evidenceRef?: string;

  @ApiProperty({ type: Boolean, description: 'Whether an end-use assurance was breached.', example: true })
  @IsBoolean()
  assuranceBreached!: boolean;

  @CitesCriteria()
  criteria?: string[];
}

export class ConcludeReviewDto extends TimedDto {
  @ApiProperty({
    type: String,
    enum: ['no_action', 'reinstatement_recommended', 'cancellation_recommended'],
    example: 'cancellation_recommended',
  })
  @IsIn(['no_action', 'reinstatement_recommended', 'cancellation_recommended'])
  outcome!: 'no_action' | 'reinstatement_recommended' | 'cancellation_recommended';

  @ApiProperty({ type: String, minLength: 1, maxLength: TEXT, example: 'Assurances breached; cancellation recommended' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  summary!: string;
}

export class CancelPermitDto extends LegalDto {
  @ApiPropertyOptional({
    type: String,
    description: 'The ministerial decision it is taken under.',
    pattern: REF.source,
    example: 'MIN-2021-04-12',
  })
  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;

  @ApiPropertyOptional({ type: String, description: 'The review that led to it.', pattern: REF.source, example: 'R-2020-TR-1' })
  @IsOptional()
  @Matches(REF, { message: 'reviewId must be a reference' })
  reviewId?: string;

  @CitesCriteria()
  criteria?: string[];
}

export class ExpirePermitDto extends TimedDto {}

export class ShipmentLineDto {
  @ApiProperty({ type: Number, description: "Index of the item in the permit's `items` (0 = the first).", minimum: 0, example: 0 })
  @IsInt()
  @Min(0)
  item!: number;

  @ApiProperty({
    type: 'integer',
    description: 'How much of the item was exported, in its unit (a whole number, more than 0).',
    minimum: 1,
    maximum: MAX_QUANTITY,
    example: 2,
  })
  @IsInt()
  @IsPositive()
  @Max(MAX_QUANTITY)
  quantity!: number;

  @MoneyCad('Declared value, CAD (at most 2 decimals).', 1400000)
  valueCad!: number;
}

/** A customs declaration: recorded now, taking effect on the export date. */
export class RecordShipmentDto {
  @ApiProperty({
    type: String,
    description: "The border agency's declaration reference: one declaration, however often it is sent.",
    pattern: REF.source,
    example: 'CBSA-2020-0412-0071',
  })
  @Matches(REF, { message: 'declarationRef must be a reference of letters, digits and . _ : -' })
  declarationRef!: string;

  @ApiProperty({ type: () => ShipmentLineDto, isArray: true, minItems: 1, maxItems: 200 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ShipmentLineDto)
  lines!: ShipmentLineDto[];

  @ApiProperty({
    type: String,
    format: 'date',
    description: 'The day the goods left: the shipment takes effect at 00:00 UTC of it, however late it is declared.',
    example: '2020-04-12',
  })
  @IsIsoDate()
  exportedOn!: string;
}
