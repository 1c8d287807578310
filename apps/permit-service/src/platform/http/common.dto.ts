import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_QUANTITY, MAX_VALUE_CAD } from '@permit-ledger/permits';
import { IsIsoDateOrTimestamp, MaxDecimalPlaces } from './validation.js';

export const PERMIT_NUMBER = /^[A-Z0-9][A-Z0-9-]{2,39}$/;
export const COUNTRY = /^[A-Z]{2}$/;
export const SLUG = /^[a-z][a-z0-9_]{0,63}$/;
export const REF = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/;
export const ECL_ITEM = /^[0-9]-[0-9]{1,2}(\.[a-z0-9]+)*$/;
export const ECL_ITEM_PREFIX = /^[0-9](-[0-9]{1,2}(\.[a-z0-9]+)*)?$/;

/** Text fields: bounded so that no single field can fill the 1 MB body. */
export const TEXT = 2000;
export const NAME = 300;

/** An amount in CAD: at most two decimals and MAX_VALUE_CAD, so that it is exact in cents. */
export const MoneyCad = (description: string, example: number) =>
  applyDecorators(
    ApiProperty({ type: Number, description, minimum: 0, maximum: MAX_VALUE_CAD, multipleOf: 0.01, example }),
    IsNumber({ allowNaN: false, allowInfinity: false }),
    MaxDecimalPlaces(2),
    Min(0),
    Max(MAX_VALUE_CAD),
  );

export class TimedDto {
  @ApiPropertyOptional({
    type: String,
    description:
      'When the fact takes effect in the world: an ISO 8601 date (00:00 UTC of that day) or a timestamp with a time zone. Default: now.',
    example: '2020-10-05',
  })
  @IsOptional()
  @IsIsoDateOrTimestamp()
  effectiveAt?: string;
}

export class ReasonedDto extends TimedDto {
  @ApiProperty({
    type: String,
    description: 'Why: recorded in the event envelope.',
    minLength: 1,
    maxLength: TEXT,
    example: 'Review of permits to Turkey',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  reason!: string;
}

export class LegalDto extends ReasonedDto {
  @ApiProperty({ type: String, description: 'The legal basis of the act.', minLength: 1, maxLength: NAME, example: 'EIPA s.10(1)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  legalBasis!: string;
}

export class PartyDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: NAME, example: 'Anadolu UAV Systems' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  name!: string;

  @ApiPropertyOptional({ type: String, description: 'ISO 3166 alpha-2 country code.', pattern: COUNTRY.source, example: 'TR' })
  @IsOptional()
  @Matches(COUNTRY, { message: 'country must be an ISO 3166 alpha-2 code' })
  country?: string;

  @ApiPropertyOptional({ type: String, maxLength: TEXT, example: '1200 Bank St, Ottawa ON' })
  @IsOptional()
  @IsString()
  @MaxLength(TEXT)
  address?: string;

  @ApiPropertyOptional({
    type: String,
    description: 'Canadian business number (9 digits, optionally a program account).',
    pattern: '^[0-9]{9}([A-Z]{2}[0-9]{4})?$',
    example: '861234567',
  })
  @IsOptional()
  @Matches(/^[0-9]{9}([A-Z]{2}[0-9]{4})?$/, { message: 'businessNumber must be a 9-digit business number' })
  businessNumber?: string;
}

export class ItemDto {
  @ApiProperty({
    type: String,
    description: 'Export Control List item (group 2 = munitions).',
    pattern: ECL_ITEM.source,
    example: '2-15.a',
  })
  @Matches(ECL_ITEM, { message: 'eclItem must be an Export Control List item such as 2-15.a' })
  eclItem!: string;

  @ApiProperty({ type: String, minLength: 1, maxLength: TEXT, example: 'EO/IR gimbal sensor' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  description!: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_QUANTITY, example: 6 })
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  quantity!: number;

  @ApiProperty({ type: String, minLength: 1, maxLength: 40, example: 'unit' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  unit!: string;

  @MoneyCad('Value in Canadian dollars (at most 2 decimals).', 4200000)
  valueCad!: number;
}

export class ConditionDto {
  @ApiProperty({ type: String, pattern: '^[A-Z0-9][A-Z0-9_-]{0,39}$', example: 'NO-REEXPORT' })
  @Matches(/^[A-Z0-9][A-Z0-9_-]{0,39}$/, { message: 'code must be an upper-case code such as NO-REEXPORT' })
  code!: string;

  @ApiProperty({ type: String, minLength: 1, maxLength: TEXT, example: 'No re-export without written consent' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  text!: string;
}

/**
 * A query parameter that is a count or a position: decimal digits only, at most `digits` of them (15 keeps
 * it exact below Number.MAX_SAFE_INTEGER, as X-Min-Position). Number() would read `1e3`, `0x10`, ` 5` and
 * `5.0` as integers, and a 17-digit value as a rounded one; such text is left as it is and refused.
 */
export const QueryInteger = (field: string, digits = 15) => {
  const pattern = new RegExp(`^\\d{1,${digits}}$`);
  return applyDecorators(
    Transform(({ obj, key }) => {
      const raw = (obj as Record<string, unknown>)[key];
      return typeof raw === 'string' && pattern.test(raw) ? Number(raw) : raw;
    }),
    IsInt({ message: `${field} must be a non-negative integer of at most ${digits} digits` }),
  );
};

export const nested = <T>(type: () => new () => T) => [ValidateNested({ each: true }), Type(type)];

/** What an application and a permit both name: where the goods go, who sends, receives and uses them, and the goods. */
export class ExportRequestDto extends TimedDto {
  @ApiProperty({ type: String, description: 'Destination country, ISO 3166 alpha-2.', pattern: COUNTRY.source, example: 'TR' })
  @Matches(COUNTRY, { message: 'destination must be an ISO 3166 alpha-2 code' })
  destination!: string;

  @ApiProperty({ type: () => PartyDto, example: { name: 'Northfield Optronics Inc.', businessNumber: '861234567' } })
  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  exporter!: PartyDto;

  @ApiProperty({ type: () => PartyDto, example: { name: 'Anadolu UAV Systems', country: 'TR' } })
  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  consignee!: PartyDto;

  @ApiProperty({ type: () => PartyDto, example: { name: 'Anadolu UAV Systems', country: 'TR' } })
  @IsObject()
  @ValidateNested()
  @Type(() => PartyDto)
  endUser!: PartyDto;

  @ApiProperty({ type: String, minLength: 1, maxLength: TEXT, example: 'integration on unmanned aerial vehicles' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(TEXT)
  intendedEndUse!: string;

  @ApiProperty({ type: () => ItemDto, isArray: true, minItems: 1, maxItems: 200 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items!: ItemDto[];
}
