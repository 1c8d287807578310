import { ApiProperty } from '@nestjs/swagger';
import { QueryInteger } from '../platform/http/common.dto.js';

export class InclusionProofQueryDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: "The leaf index (an event's `leaf`); below `size`.", example: 41 })
  @QueryInteger('leaf')
  leaf!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: "The tree size to prove inclusion in: at most the latest checkpoint's (GET /ledger/checkpoint, its second line).",
    example: 1042,
  })
  @QueryInteger('size')
  size!: number;
}

export class ConsistencyProofQueryDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'The older tree size (a checkpoint you hold); at least 1 and at most `size`.',
    example: 1000,
  })
  @QueryInteger('from')
  from!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: "The newer tree size: at most the latest checkpoint's.",
    example: 1042,
  })
  @QueryInteger('size')
  size!: number;
}
