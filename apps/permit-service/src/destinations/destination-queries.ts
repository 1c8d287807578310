import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DestinationQueries, type DestinationView } from '@permit-ledger/projections';
import { ApplicationError } from '../platform/errors/application-error.js';

export class GetDestination extends Query<DestinationView> {
  constructor(readonly country: string) {
    super();
  }
}

@QueryHandler(GetDestination)
export class GetDestinationHandler implements IQueryHandler<GetDestination> {
  constructor(private readonly destinations: DestinationQueries) {}
  async execute({ country }: GetDestination): Promise<DestinationView> {
    const destination = this.destinations.get(country);
    if (!destination) throw new ApplicationError('not_found', 'DESTINATION_NOT_FOUND', `no measure was ever recorded for ${country}`);
    return destination;
  }
}
