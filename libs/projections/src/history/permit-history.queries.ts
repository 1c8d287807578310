import type { Actor, RecordedEvent } from '@permit-ledger/event-store';
import type { ReadModelDb } from '../read-model-db.js';
import { decisionRefOf } from '../support.js';

/** One event of a permit's history with its whole envelope (GET /permits/{n}/history). */
export interface HistoryEntry {
  type: string;
  schemaVersion: number;
  revision: number;
  position: number;
  recordedAt: string;
  effectiveAt: string;
  actor: Actor;
  data: Record<string, unknown>;
  reason?: string;
  legalBasis?: string;
  /** The ministerial decision it was taken under (metadata.decisionRef, else data.decisionRef). */
  decisionRef?: string;
  commandId: string;
  correlationId: string;
  causationId: string | null;
  eventId: string;
  prevHash: string | null;
  hash: string;
}

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
