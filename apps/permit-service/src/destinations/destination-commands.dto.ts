import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { NAME, REF, ReasonedDto, SLUG } from '../platform/http/common.dto.js';

export class ImposeMeasureDto extends ReasonedDto {
  @ApiProperty({ type: String, description: 'The measure id, unique within the destination.', pattern: REF.source, example: 'TR-2019-10' })
  @Matches(REF, { message: 'measureId must be a reference of letters, digits and . _ : -' })
  measureId!: string;

  @ApiProperty({ type: String, enum: ['issuance_suspended', 'presumptive_denial'], example: 'issuance_suspended' })
  @IsIn(['issuance_suspended', 'presumptive_denial'])
  kind!: 'issuance_suspended' | 'presumptive_denial';

  @ApiPropertyOptional({
    type: 'integer',
    isArray: true,
    minimum: 1,
    maximum: 9,
    maxItems: 10,
    description: 'ECL groups covered; absent = all goods.',
    example: [2],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(9, { each: true })
  eclGroups?: number[];

  @ApiPropertyOptional({
    type: String,
    isArray: true,
    maxItems: 20,
    pattern: SLUG.source,
    description: 'Grounds under which a permit may still be issued.',
    example: ['nato_cooperation'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(SLUG, { each: true, message: 'each exception ground must be a ground such as nato_cooperation' })
  exceptionGrounds?: string[];

  @ApiProperty({ type: String, minLength: 1, maxLength: NAME, example: 'NtE 992' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  reference!: string;
}

export class LiftMeasureDto extends ReasonedDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: NAME, example: 'NtE 1001' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  reference!: string;
}
