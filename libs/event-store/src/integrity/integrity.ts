import { createHash } from 'node:crypto';
import type { RecordedEvent } from '../port/envelope.js';

/**
 * Canonical JSON in the style of RFC 8785 (JCS), so that a hash does not depend on key order,
 * whitespace or on which adapter or language wrote the event:
 * - object keys sorted by UTF-16 code units (what `Array.prototype.sort` does on strings);
 * - no whitespace; strings and numbers serialised by JSON.stringify (ES number formatting = JCS);
 * - only plain objects, arrays, strings, finite numbers, booleans and null are accepted: a Date,
 *   Map, class instance, bigint, function, NaN or Infinity throws instead of being silently
 *   converted (JSON.stringify would turn NaN into null and a Date into a string, and the stored
 *   event would no longer be what the writer meant).
 * - `undefined` throws at the top level and in arrays; an object property whose value is
 *   `undefined` is treated as absent, as JSON.stringify does. That keeps `{ reason: undefined }`
 *   (valid for an optional field) appendable, and the hash equal after the store round trip.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, '$', new Set());
}

function serialize(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} at ${path} is not a finite number`);
      return JSON.stringify(value);
    case 'object': {
      if (ancestors.has(value)) throw new TypeError(`canonicalJson: circular reference at ${path}`);
      ancestors.add(value);
      let out: string;
      if (Array.isArray(value)) {
        const parts: string[] = [];
        // Indexed loop, not map(): a hole must be refused like undefined, not become an empty slot.
        for (let i = 0; i < value.length; i++) parts.push(serialize(value[i], `${path}[${i}]`, ancestors));
        out = `[${parts.join(',')}]`;
      } else {
        const proto = Object.getPrototypeOf(value) as object | null;
        if (proto !== Object.prototype && proto !== null) {
          const kind = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          throw new TypeError(`canonicalJson: ${kind} at ${path} is not a plain object`);
        }
        const record = value as Record<string, unknown>;
        const parts: string[] = [];
        for (const key of Object.keys(record).sort()) {
          const item = record[key];
          if (item === undefined) continue;
          parts.push(`${JSON.stringify(key)}:${serialize(item, `${path}.${key}`, ancestors)}`);
        }
        out = `{${parts.join(',')}}`;
      }
      ancestors.delete(value);
      return out;
    }
    default:
      throw new TypeError(`canonicalJson: ${typeof value} at ${path} is not JSON`);
  }
}

/**
 * The fields covered by an event's hash, in no particular order (canonicalJson sorts them):
 * stream, revision, eventId, type, schemaVersion, data, metadata, recordedAt, prevHash.
 *
 * `position` is deliberately NOT covered: the chain is per stream and must verify on its own
 * (an auditor's export of one permit, or a copy into another store that numbers its global log
 * differently). `prevHash` chains each event to the previous event of the same stream.
 */
export const HASHED_FIELDS = [
  'stream',
  'revision',
  'eventId',
  'type',
  'schemaVersion',
  'data',
  'metadata',
  'recordedAt',
  'prevHash',
] as const;

export type HashedEventContent = Pick<RecordedEvent, (typeof HASHED_FIELDS)[number]>;

/** SHA-256 (lower-case hex) over canonicalJson of exactly the HASHED_FIELDS of the event. */
export function computeEventHash(event: HashedEventContent | Omit<RecordedEvent, 'hash'>): string {
  return hashCanonicalEvent({
    stream: event.stream,
    revision: event.revision,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    dataJson: canonicalJson(event.data),
    metadataJson: canonicalJson(event.metadata),
    recordedAt: event.recordedAt,
    prevHash: event.prevHash,
  });
}

/** The hashed fields with data and metadata already in canonical JSON (as a store keeps them). */
export interface CanonicalEventParts extends Omit<HashedEventContent, 'data' | 'metadata'> {
  dataJson: string;
  metadataJson: string;
}

/**
 * Same hash as computeEventHash, for an adapter that already holds canonicalJson(data) and
 * canonicalJson(metadata): it saves serialising them twice. The object is written out in the
 * key order canonicalJson would produce (integrity.spec checks the two agree).
 */
export function hashCanonicalEvent(p: CanonicalEventParts): string {
  const json =
    `{"data":${p.dataJson}` +
    `,"eventId":${canonicalJson(p.eventId)}` +
    `,"metadata":${p.metadataJson}` +
    `,"prevHash":${canonicalJson(p.prevHash)}` +
    `,"recordedAt":${canonicalJson(p.recordedAt)}` +
    `,"revision":${canonicalJson(p.revision)}` +
    `,"schemaVersion":${canonicalJson(p.schemaVersion)}` +
    `,"stream":${canonicalJson(p.stream)}` +
    `,"type":${canonicalJson(p.type)}}`;
  return createHash('sha256').update(json).digest('hex');
}

export interface ChainVerification {
  valid: boolean;
  /** Events examined: all of them when valid, up to and including the first broken one otherwise. */
  checked: number;
  /** The first revision at which the chain does not hold (a missing revision counts as broken). */
  firstBrokenRevision?: number;
}

/**
 * Verifies a whole stream read forwards from revision 0: revisions contiguous from 0, one stream,
 * prevHash null at revision 0 and equal to the previous event's hash after it, and every hash
 * equal to the recomputed one. An empty list is a valid (absent) stream.
 */
export function verifyStreamChain(events: RecordedEvent[]): ChainVerification {
  let prevHash: string | null = null;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const intact =
      event.revision === i && event.stream === events[0].stream && event.prevHash === prevHash && event.hash === computeEventHash(event);
    if (!intact) return { valid: false, checked: i + 1, firstBrokenRevision: i };
    prevHash = event.hash;
  }
  return { valid: true, checked: events.length };
}
