import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import { applicationDecider, applicationStream, foldStream } from '@permit-ledger/permits';
import {
  ApplicationQueries,
  InvalidCursorError,
  type ApplicationListFilter,
  type ApplicationPage,
  type ApplicationView,
} from '@permit-ledger/projections';
import { stored } from '../platform/commands/dated.js';
import { ApplicationError, invalidInput } from '../platform/errors/application-error.js';
import { isIsoDate, toTimestamp } from '../platform/time/instants.js';
import type { ApplicationStateView } from './application-views.js';

const notFound = (ref: string) => new ApplicationError('not_found', 'APPLICATION_NOT_FOUND', `application ${ref} does not exist`);

export class ListApplications extends Query<ApplicationPage> {
  constructor(readonly filter: ApplicationListFilter) {
    super();
  }
}

export class GetApplication extends Query<ApplicationView> {
  constructor(readonly applicationRef: string) {
    super();
  }
}

/** The application's own events from the store, on either clock. */
export class GetApplicationEvents extends Query<RecordedEvent[]> {
  constructor(
    readonly applicationRef: string,
    readonly asOf?: string,
    readonly knownAt?: string,
  ) {
    super();
  }
}

export class GetApplicationState extends Query<ApplicationStateView> {
  constructor(
    readonly applicationRef: string,
    readonly asOf?: string,
    readonly knownAt?: string,
  ) {
    super();
  }
}

@QueryHandler(ListApplications)
export class ListApplicationsHandler implements IQueryHandler<ListApplications> {
  constructor(private readonly applications: ApplicationQueries) {}
  async execute({ filter }: ListApplications): Promise<ApplicationPage> {
    try {
      return this.applications.list(filter);
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw invalidInput([{ field: 'cursor', messages: ['cursor is not one this service gave out'] }]);
      throw error;
    }
  }
}

@QueryHandler(GetApplication)
export class GetApplicationHandler implements IQueryHandler<GetApplication> {
  constructor(private readonly applications: ApplicationQueries) {}
  async execute({ applicationRef }: GetApplication): Promise<ApplicationView> {
    const row = this.applications.get(applicationRef);
    if (!row) throw notFound(applicationRef);
    return row;
  }
}

@QueryHandler(GetApplicationEvents)
export class GetApplicationEventsHandler implements IQueryHandler<GetApplicationEvents> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async execute({ applicationRef, asOf, knownAt }: GetApplicationEvents): Promise<RecordedEvent[]> {
    const events = await this.store.readStream(applicationStream(applicationRef));
    if (events.length === 0) throw notFound(applicationRef);
    const inWorld = until(asOf);
    const known = until(knownAt);
    return events.filter((e) => inWorld(e.metadata.effectiveAt) && known(e.recordedAt));
  }
}

/** Folded from the application's own events (not the read model): what stood in the world at `asOf`, as known at `knownAt`. */
@QueryHandler(GetApplicationState)
export class GetApplicationStateHandler implements IQueryHandler<GetApplicationState> {
  constructor(private readonly events: GetApplicationEventsHandler) {}
  async execute({ applicationRef, asOf, knownAt }: GetApplicationState): Promise<ApplicationStateView> {
    const included = await this.events.execute(new GetApplicationEvents(applicationRef, asOf, knownAt));
    const state = foldStream(applicationDecider, applicationRef, included.map(stored));
    if (state.status === 'NONE') {
      throw new ApplicationError(
        'not_found',
        'APPLICATION_NOT_YET_SUBMITTED',
        `application ${applicationRef} had not been submitted at that point`,
      );
    }
    const last = included[included.length - 1]!;
    const { status, destination, heldBy, permitNumber, criteria, submittedAt, lastEffectiveAt } = state;
    return {
      applicationRef,
      status,
      destination,
      heldBy,
      permitNumber,
      criteria,
      submittedAt,
      lastEffectiveAt,
      revision: last.revision,
      recordedAt: last.recordedAt,
    };
  }
}

/** A cut-off on one clock: a date means up to its last millisecond (UTC); none lets everything through. */
function until(value: string | undefined): (time: string) => boolean {
  if (value === undefined) return () => true;
  const limit = Date.parse(isIsoDate(value) ? `${value}T23:59:59.999Z` : toTimestamp(value));
  return (time) => Date.parse(time) <= limit;
}

export const applicationQueryHandlers = [
  ListApplicationsHandler,
  GetApplicationHandler,
  GetApplicationEventsHandler,
  GetApplicationStateHandler,
];
