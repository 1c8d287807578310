import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsOptional, Matches, ValidateNested } from 'class-validator';
import { COUNTRY, ECL_ITEM_PREFIX, LegalDto, PERMIT_NUMBER, REF } from '../platform/http/common.dto.js';

/** Either explicit permitNumbers, or at least one filter (combined with AND). */
export class DecisionSelectorDto {
  @ApiPropertyOptional({
    type: String,
    isArray: true,
    minItems: 1,
    maxItems: 10_000,
    description: 'Explicit permits (at most 10,000), each of which must exist; cannot be combined with the filters.',
    pattern: PERMIT_NUMBER.source,
    example: ['EXP-19-004120'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @Matches(PERMIT_NUMBER, { each: true, message: 'each permit number must look like EXP-19-004120' })
  permitNumbers?: string[];

  @ApiPropertyOptional({
    type: String,
    description: 'Filter: destination country, ISO 3166 alpha-2.',
    pattern: COUNTRY.source,
    example: 'TR',
  })
  @IsOptional()
  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination?: string;

  @ApiPropertyOptional({
    type: String,
    enum: ['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'],
    description: 'Filter: current status.',
    example: 'SUSPENDED',
  })
  @IsOptional()
  @IsIn(['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'])
  status?: 'ISSUED' | 'SUSPENDED' | 'CANCELLED' | 'EXPIRED';

  @ApiPropertyOptional({
    type: String,
    isArray: true,
    minItems: 1,
    maxItems: 100,
    description: 'Filter: Export Control List items or prefixes (a permit matches if any of its items does).',
    pattern: ECL_ITEM_PREFIX.source,
    example: ['2-15'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(ECL_ITEM_PREFIX, { each: true, message: 'each eclItem must be an Export Control List item or prefix such as 2-15' })
  eclItems?: string[];
}

export class RecordDecisionDto extends LegalDto {
  @ApiProperty({
    type: String,
    description: 'The decision reference: the identity of its stream.',
    pattern: REF.source,
    example: 'MIN-2021-04-12',
  })
  @Matches(REF, { message: 'decisionRef must be a reference of letters, digits and . _ : -' })
  decisionRef!: string;

  @ApiProperty({
    type: String,
    enum: ['suspend', 'cancel', 'reinstate', 'open_review'],
    description: 'The per-permit command carried out on every target.',
    example: 'cancel',
  })
  @IsIn(['suspend', 'cancel', 'reinstate', 'open_review'])
  action!: 'suspend' | 'cancel' | 'reinstate' | 'open_review';

  @ApiProperty({
    type: () => DecisionSelectorDto,
    description: 'Resolved once, when the decision is recorded.',
    example: { destination: 'TR', status: 'SUSPENDED' },
  })
  @IsObject()
  @ValidateNested()
  @Type(() => DecisionSelectorDto)
  selector!: DecisionSelectorDto;
}
