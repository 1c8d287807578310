import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';

export class FeedQueryDto {
  /** Deliver events after this log position (default: only new events). */
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Deliver events after this log position (default: only new events). Last-Event-ID wins over it.', example: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  from?: number;
}
