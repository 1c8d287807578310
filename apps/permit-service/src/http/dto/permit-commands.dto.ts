import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsNotEmptyObject,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IsIsoDate } from '../validation.js';
import {
  ConditionDto,
  COUNTRY,
  ItemDto,
  LegalDto,
  NAME,
  PartyDto,
  PERMIT_NUMBER,
  REF,
  ReasonedDto,
  SLUG,
  TEXT,
  TimedDto,
} from './common.js';

export class IssuePermitDto extends TimedDto {
  @Matches(PERMIT_NUMBER, { message: 'permitNumber must look like EXP-19-004120' })
  permitNumber!: string;

  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination!: string;

  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  exporter!: PartyDto;

  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  consignee!: PartyDto;

  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  endUser!: PartyDto;

  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  intendedEndUse!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items!: ItemDto[];

  @IsIsoDate()
  validFrom!: string;

  @IsIsoDate()
  expiresOn!: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ConditionDto)
  conditions?: ConditionDto[];

  @IsOptional()
  @Matches(SLUG, { message: 'exceptionGround must be a ground such as nato_cooperation' })
  exceptionGround?: string;

  @IsOptional()
  @Matches(PERMIT_NUMBER, { message: 'supersedes must be a permit number' })
  supersedes?: string;
}

export class PermitChangesDto {
  @IsOptional()
  @IsIsoDate()
  expiresOn?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ConditionDto)
  conditions?: ConditionDto[];

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items?: ItemDto[];
}

export class AmendPermitDto extends ReasonedDto {
  @IsObject()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => PermitChangesDto)
  changes!: PermitChangesDto;
}

export class SuspendPermitDto extends LegalDto {
  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;
}

export class ReinstatePermitDto extends LegalDto {}

export class OpenReviewDto extends ReasonedDto {
  @IsOptional()
  @Matches(REF, { message: 'reviewId must be a reference of letters, digits and . _ : -' })
  reviewId?: string;
}

export class RecordFindingDto extends TimedDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  finding!: string;

  @IsOptional()
  @IsString()
  @MaxLength(NAME)
  theatre?: string;

  @IsOptional()
  @IsString()
  @MaxLength(NAME)
  evidenceRef?: string;

  @IsBoolean()
  assuranceBreached!: boolean;
}

export class ConcludeReviewDto extends TimedDto {
  @IsIn(['no_action', 'reinstatement_recommended', 'cancellation_recommended'])
  outcome!: 'no_action' | 'reinstatement_recommended' | 'cancellation_recommended';

  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  summary!: string;
}

export class CancelPermitDto extends LegalDto {
  @IsOptional()
  @Matches(REF, { message: 'decisionRef must be a reference' })
  decisionRef?: string;

  @IsOptional()
  @Matches(REF, { message: 'reviewId must be a reference' })
  reviewId?: string;
}

export class ExpirePermitDto extends TimedDto {}
