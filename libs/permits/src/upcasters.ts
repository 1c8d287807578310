import { DECISION_EVENT_SCHEMA_VERSIONS } from './decision.js';
import type { DomainEvent, StoredEvent } from './decider.js';
import { EVENT_SCHEMA_VERSIONS, type Dated } from './events.js';

/**
 * Schema versions: a stored event is never rewritten; readers bring old shapes up to the current one
 * here, one version step at a time. Hashes are over the stored form, so old events still verify.
 */
type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/** type -> from version -> the step to version + 1. */
const UPCASTERS: Record<string, Record<number, Upcaster>> = {
  PermitIssued: {
    // v1 recorded the exporter as a bare name; v2 is the party object of the application form.
    1: (data) => (typeof data.exporter === 'string' ? { ...data, exporter: { name: data.exporter } } : data),
  },
};

export const CURRENT_SCHEMA_VERSIONS: Record<string, number> = { ...EVENT_SCHEMA_VERSIONS, ...DECISION_EVENT_SCHEMA_VERSIONS };

/** The event as the current code expects it. Unknown types and current versions pass through unchanged. */
export function upcast<E extends { type: string; schemaVersion: number; data: Record<string, unknown> }>(event: E): E {
  const current = CURRENT_SCHEMA_VERSIONS[event.type];
  if (current === undefined || event.schemaVersion >= current) return event;
  let data = event.data;
  for (let version = event.schemaVersion; version < current; version++) {
    const step = UPCASTERS[event.type]?.[version];
    if (!step) throw new Error(`no upcaster for ${event.type} v${version} -> v${version + 1}`);
    data = step(data);
  }
  return { ...event, schemaVersion: current, data };
}

/** The one step from a stored event to the one the domain folds: upcast to the current shape, dated by its envelope. */
export function toDated<E extends DomainEvent>(event: StoredEvent): Dated<E> {
  const { type, data } = upcast(event);
  return { type, data, effectiveAt: event.effectiveAt } as unknown as Dated<E>;
}
