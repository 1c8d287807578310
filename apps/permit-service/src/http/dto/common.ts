import { Type } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsIsoDateOrTimestamp } from '../validation.js';

export const PERMIT_NUMBER = /^[A-Z0-9][A-Z0-9-]{2,39}$/;
export const COUNTRY = /^[A-Z]{2}$/;
export const SLUG = /^[a-z][a-z0-9_]{0,63}$/;
export const REF = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/;
export const ECL_ITEM = /^[0-9]-[0-9]{1,2}(\.[a-z0-9]+)*$/;
export const ECL_ITEM_PREFIX = /^[0-9](-[0-9]{1,2}(\.[a-z0-9]+)*)?$/;

/** Text fields: bounded so that no single field can fill the 1 MB body. */
export const TEXT = 2000;
export const NAME = 300;

export class TimedDto {
  @IsOptional()
  @IsIsoDateOrTimestamp()
  effectiveAt?: string;
}

export class ReasonedDto extends TimedDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  reason!: string;
}

export class LegalDto extends ReasonedDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  legalBasis!: string;
}

export class PartyDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  name!: string;

  @IsOptional()
  @Matches(COUNTRY, { message: 'country must be an ISO 3166 alpha-2 code' })
  country?: string;

  @IsOptional()
  @IsString()
  @MaxLength(TEXT)
  address?: string;

  @IsOptional()
  @Matches(/^[0-9]{9}([A-Z]{2}[0-9]{4})?$/, { message: 'businessNumber must be a 9-digit business number' })
  businessNumber?: string;
}

export class ItemDto {
  @Matches(ECL_ITEM, { message: 'eclItem must be an Export Control List item such as 2-15.a' })
  eclItem!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  description!: string;

  @IsInt()
  @Min(0)
  quantity!: number;

  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  unit!: string;

  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0)
  valueCad!: number;
}

export class ConditionDto {
  @Matches(/^[A-Z0-9][A-Z0-9_-]{0,39}$/, { message: 'code must be an upper-case code such as NO-REEXPORT' })
  code!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  text!: string;
}

export const nested = <T>(type: () => new () => T) => [ValidateNested({ each: true }), Type(type)];
