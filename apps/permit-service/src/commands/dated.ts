import type { RecordedEvent } from '@permit-ledger/event-store';
import type { Dated } from '@permit-ledger/permits';

/** A stored event as the domain folds it: its type and data, with the effective time from the envelope. */
export function dated<E extends { type: string; data: unknown }>(event: RecordedEvent): Dated<E> {
  return { type: event.type, data: event.data, effectiveAt: event.metadata.effectiveAt } as unknown as Dated<E>;
}
