import type { RecordedEvent } from '@permit-ledger/event-store';
import { toDated, type Dated, type DomainEvent, type StoredEvent } from '@permit-ledger/permits';

/** A recorded event as the domain reads it: its type, schema version and data, with the effective time from the envelope. */
export function stored(event: RecordedEvent): StoredEvent {
  return { type: event.type, schemaVersion: event.schemaVersion, data: event.data, effectiveAt: event.metadata.effectiveAt };
}

/** A recorded event as the domain folds it, for readers that fold outside the runner (queries, the process manager). */
export function dated<E extends DomainEvent>(event: RecordedEvent): Dated<E> {
  return toDated<E>(stored(event));
}
