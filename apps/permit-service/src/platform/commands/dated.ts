import type { RecordedEvent } from '@permit-ledger/event-store';
import { upcast, type Dated } from '@permit-ledger/permits';

/** A stored event as the domain folds it: upcast to the current shape, with the effective time from the envelope. */
export function dated<E extends { type: string; data: unknown }>(event: RecordedEvent): Dated<E> {
  const { type, data } = upcast(event);
  return { type, data, effectiveAt: event.metadata.effectiveAt } as unknown as Dated<E>;
}
