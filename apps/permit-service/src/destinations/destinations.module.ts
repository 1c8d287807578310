import { Module } from '@nestjs/common';
import { DestinationCommandHandler } from './destination-commands.js';
import { GetDestinationHandler } from './destination-queries.js';
import { DestinationsController } from './destinations.controller.js';

/** Country-wide measures: imposed, lifted, and what stood on a date. */
@Module({
  controllers: [DestinationsController],
  providers: [DestinationCommandHandler, GetDestinationHandler],
})
export class DestinationsModule {}
