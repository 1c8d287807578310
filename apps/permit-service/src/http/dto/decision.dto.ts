import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsObject, IsOptional, Matches, ValidateNested } from 'class-validator';
import { COUNTRY, ECL_ITEM_PREFIX, LegalDto, PERMIT_NUMBER, REF } from './common.js';

export class DecisionSelectorDto {
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @Matches(PERMIT_NUMBER, { each: true, message: 'each permit number must look like EXP-19-004120' })
  permitNumbers?: string[];

  @IsOptional()
  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination?: string;

  @IsOptional()
  @IsIn(['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'])
  status?: 'ISSUED' | 'SUSPENDED' | 'CANCELLED' | 'EXPIRED';

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @Matches(ECL_ITEM_PREFIX, { each: true, message: 'each eclItem must be an Export Control List item or prefix such as 2-15' })
  eclItems?: string[];
}

export class RecordDecisionDto extends LegalDto {
  @Matches(REF, { message: 'decisionRef must be a reference of letters, digits and . _ : -' })
  decisionRef!: string;

  @IsIn(['suspend', 'cancel', 'reinstate', 'open_review'])
  action!: 'suspend' | 'cancel' | 'reinstate' | 'open_review';

  @IsObject()
  @ValidateNested()
  @Type(() => DecisionSelectorDto)
  selector!: DecisionSelectorDto;
}
