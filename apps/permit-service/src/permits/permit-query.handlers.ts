import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { EVENT_STORE, verifyStreamChain, type EventStore } from '@permit-ledger/event-store';
import { permitStream } from '@permit-ledger/permits';
import {
  HistoryQueries,
  InvalidCursorError,
  PermitStatusQueries,
  StatsQueries,
  type PermitHistory,
  type PermitPage,
  type PermitStatusRow,
  type Stats,
} from '@permit-ledger/projections';
import { ApplicationError, invalidInput } from '../platform/errors/application-error.js';
import { isIsoDate, toTimestamp } from '../platform/time/instants.js';
import { GetPermitHistory, GetPermitState, GetPermitStatus, GetStats, ListPermits, VerifyPermit } from './permit-queries.js';
import { PermitReplays } from './permit-replays.js';
import type { PermitStateView, StreamVerification } from './permit-views.js';

const permitNotFound = (n: string) => new ApplicationError('not_found', 'PERMIT_NOT_FOUND', `permit ${n} does not exist`);

@QueryHandler(ListPermits)
export class ListPermitsHandler implements IQueryHandler<ListPermits> {
  constructor(private readonly permits: PermitStatusQueries) {}
  async execute({ filter }: ListPermits): Promise<PermitPage> {
    try {
      return this.permits.list(filter);
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw invalidInput([{ field: 'cursor', messages: ['cursor is not one this service gave out'] }]);
      throw error;
    }
  }
}

@QueryHandler(GetPermitStatus)
export class GetPermitStatusHandler implements IQueryHandler<GetPermitStatus> {
  constructor(private readonly permits: PermitStatusQueries) {}
  async execute({ permitNumber }: GetPermitStatus): Promise<PermitStatusRow> {
    const row = this.permits.get(permitNumber);
    if (!row) throw permitNotFound(permitNumber);
    return row;
  }
}

@QueryHandler(GetPermitHistory)
export class GetPermitHistoryHandler implements IQueryHandler<GetPermitHistory> {
  constructor(private readonly history: HistoryQueries) {}
  async execute({ permitNumber, asOf, knownAt }: GetPermitHistory): Promise<PermitHistory> {
    const events = this.history.history(permitNumber);
    if (!events) throw permitNotFound(permitNumber);
    const inWorld = until(asOf);
    const known = until(knownAt);
    return { permitNumber, events: events.filter((e) => inWorld(e.effectiveAt) && known(e.recordedAt)) };
  }
}

/**
 * Auditor replay: folds the permit's own events from the store, not from a read model, on either clock:
 * `asOf` (what was true in the world then, by effectiveAt), `knownAt` (what the ledger had recorded by
 * then, by recordedAt), both, and/or up to a revision. The stream is kept folded between queries
 * (PermitReplays), checked against the store at every query.
 */
@QueryHandler(GetPermitState)
export class GetPermitStateHandler implements IQueryHandler<GetPermitState> {
  private readonly replays: PermitReplays;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.replays = new PermitReplays(store);
  }

  async execute({ permitNumber, asOf, revision, knownAt }: GetPermitState): Promise<PermitStateView> {
    const replay = await this.replays.load(permitStream(permitNumber));
    if (!replay) throw permitNotFound(permitNumber);
    const folded = replay.stateAt({ revision, effectiveBy: cutOff(asOf), recordedBy: cutOff(knownAt) });
    if (!folded) {
      throw new ApplicationError('not_found', 'PERMIT_NOT_YET_ISSUED', `permit ${permitNumber} had not been issued at that point`);
    }
    const { state, last } = folded;
    // A stream whose first event is PermitIssued folds to an existing permit.
    if (state.status === 'NONE') throw new Error(`permit ${permitNumber} folds to no permit`);
    const { permitNumber: _, ...fields } = state;
    return {
      permitNumber,
      asOf: asOf ?? null,
      knownAt: knownAt ?? null,
      ...fields,
      revision: last.revision,
      position: last.position,
      effectiveAt: last.effectiveAt,
      recordedAt: last.recordedAt,
    };
  }
}

@QueryHandler(VerifyPermit)
export class VerifyPermitHandler implements IQueryHandler<VerifyPermit> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async execute({ permitNumber }: VerifyPermit): Promise<StreamVerification> {
    const events = await this.store.readStream(permitStream(permitNumber));
    if (events.length === 0) throw permitNotFound(permitNumber);
    return { permitNumber, ...verifyStreamChain(events) };
  }
}

@QueryHandler(GetStats)
export class GetStatsHandler implements IQueryHandler<GetStats> {
  constructor(private readonly stats: StatsQueries) {}
  async execute(): Promise<Stats> {
    return this.stats.stats();
  }
}

export const queryHandlers = [
  ListPermitsHandler,
  GetPermitStatusHandler,
  GetPermitHistoryHandler,
  GetPermitStateHandler,
  VerifyPermitHandler,
  GetStatsHandler,
];

/**
 * A cut-off on one clock, as epoch milliseconds: a bare date means "by the end of that day" (UTC), a timestamp
 * is inclusive; no value, no cut-off. Compared as instants, not as strings: a cut-off past year 9999
 * (9999-12-31T23:59:59-01:00) prints as "+010000-…", which sorts before every real timestamp.
 */
function cutOff(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // The last millisecond of the day: the day after 9999-12-31 has no four-digit year.
  return Date.parse(isIsoDate(value) ? `${value}T23:59:59.999Z` : toTimestamp(value));
}

/** The cut-off as a test of a time: no value lets everything through. */
function until(value: string | undefined): (time: string) => boolean {
  const limit = cutOff(value);
  if (limit === undefined) return () => true;
  return (time) => Date.parse(time) <= limit;
}
