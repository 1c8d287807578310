import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { QueryInteger } from '../platform/http/common.dto.js';

export class FeedQueryDto {
  /** Deliver events after this log position (default: only new events). */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Deliver events after this log position (default: only new events). Last-Event-ID wins over it.',
    example: 0,
  })
  @IsOptional()
  @QueryInteger('from')
  from?: number;
}
