import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

export class FeedQueryDto {
  /** Deliver events after this log position (default: only new events). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  from?: number;
}
