import type { RecordedEvent } from '@permit-ledger/event-store';

/** The public shape of one event with its whole envelope (api.md: history, command answers). */
export function eventView(event: RecordedEvent) {
  const { metadata } = event;
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    stream: event.stream,
    revision: event.revision,
    position: event.position,
    recordedAt: event.recordedAt,
    effectiveAt: metadata.effectiveAt,
    actor: metadata.actor,
    data: event.data,
    reason: metadata.reason ?? null,
    legalBasis: metadata.legalBasis ?? null,
    decisionRef: metadata.decisionRef ?? null,
    commandId: metadata.commandId,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}
