import { ArrayMaxSize, IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { NAME, REF, ReasonedDto, SLUG } from './common.js';

export class ImposeMeasureDto extends ReasonedDto {
  @Matches(REF, { message: 'measureId must be a reference of letters, digits and . _ : -' })
  measureId!: string;

  @IsIn(['issuance_suspended', 'presumptive_denial'])
  kind!: 'issuance_suspended' | 'presumptive_denial';

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(9, { each: true })
  eclGroups?: number[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(SLUG, { each: true, message: 'each exception ground must be a ground such as nato_cooperation' })
  exceptionGrounds?: string[];

  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  reference!: string;
}

export class LiftMeasureDto extends ReasonedDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(NAME)
  reference!: string;
}
