import type { Actor, RecordedEvent } from '@permit-ledger/event-store';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { array, integer, named, nullable, object, optional, record, string, type Agree, type Static } from '../schema/schema.js';
import { decisionRefOf } from '../read-model/support.js';

/** Who acted: the token's subject and the role the route allowed. */
export const ActorView = named(
  'ActorView',
  object({
    id: string({ description: "The token's subject.", example: 'minister-1' }),
    role: string({
      description: 'The first of its roles that the route allows: officer, minister, auditor, viewer or system.',
      example: 'minister',
    }),
    executor: optional(
      string({ description: 'Set when a process carried out the command for the actor.', example: 'decision-process-manager' }),
    ),
  }),
);
const _actorAgrees: Agree<Static<typeof ActorView>, Actor> = true;

/** The fields of one history entry as the read model holds them (the service adds what only it knows, such as the leaf). */
export const historyEntryFields = {
  type: string({ example: 'PermitSuspended' }),
  schemaVersion: integer({ example: 1 }),
  revision: integer({ example: 1 }),
  position: integer({ example: 42 }),
  recordedAt: string({ format: 'date-time' }),
  effectiveAt: string({ format: 'date-time', example: '2020-10-05T00:00:00.000Z' }),
  actor: ActorView,
  data: record({ description: "The event's data, as recorded (not upcast)." }),
  reason: optional(string()),
  legalBasis: optional(string()),
  decisionRef: optional(
    string({ description: 'The ministerial decision it was taken under (metadata.decisionRef, else data.decisionRef).' }),
  ),
  commandId: string(),
  correlationId: string(),
  causationId: nullable(string()),
  eventId: string({ format: 'uuid' }),
  prevHash: nullable(string()),
  hash: string(),
};

/** One event of a permit's history with its whole envelope, as the read model holds it. */
export const HistoryEntry = named('HistoryEntryView', object(historyEntryFields));
export type HistoryEntry = Static<typeof HistoryEntry>;

export const PermitHistory = named(
  'PermitHistoryView',
  object({ permitNumber: string({ example: 'EXP-19-004120' }), events: array(HistoryEntry, { description: 'Oldest first.' }) }),
);
export type PermitHistory = Static<typeof PermitHistory>;

export function toHistoryEntry(event: RecordedEvent): HistoryEntry {
  const { metadata: m } = event;
  const decisionRef = decisionRefOf(event);
  return {
    type: event.type,
    schemaVersion: event.schemaVersion,
    revision: event.revision,
    position: event.position,
    recordedAt: event.recordedAt,
    effectiveAt: m.effectiveAt,
    actor: { id: m.actor.id, role: m.actor.role, ...(m.actor.executor !== undefined && { executor: m.actor.executor }) },
    data: event.data,
    ...(m.reason !== undefined && { reason: m.reason }),
    ...(m.legalBasis !== undefined && { legalBasis: m.legalBasis }),
    ...(decisionRef !== null && { decisionRef }),
    commandId: m.commandId,
    correlationId: m.correlationId,
    causationId: m.causationId,
    eventId: event.eventId,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

export class HistoryQueries {
  constructor(private readonly db: ReadModelDb) {}

  /** Oldest first (revision order, which is also effective-time order); null for an unknown permit. */
  history(permitNumber: string): HistoryEntry[] | null {
    const rows = this.db
      .prepare('SELECT envelope_json FROM permit_history WHERE permit_number = ? ORDER BY revision')
      .all(permitNumber) as Array<{ envelope_json: string }>;
    if (rows.length === 0) return null;
    return rows.map((r) => toHistoryEntry(JSON.parse(r.envelope_json) as RecordedEvent));
  }
}
