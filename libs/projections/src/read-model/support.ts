import type { RecordedEvent } from '@permit-ledger/event-store';
import type { Statement } from 'better-sqlite3';
import type { ReadModelDb } from './read-model-db.js';

const cache = new WeakMap<ReadModelDb, Map<string, Statement>>();

/** Statements prepared once per connection: projections run them for every event of a replay. */
export function prepared(db: ReadModelDb, sql: string): Statement {
  let statements = cache.get(db);
  if (!statements) cache.set(db, (statements = new Map()));
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = db.prepare(sql)));
  return statement;
}

/**
 * Stream naming of domain.md ("Streams"): `{category}-{id}`, split at the first '-'
 * (mirrors libs/permits/src/streams.ts, which projections do not depend on).
 */
export const PERMIT_STREAM_PREFIX = 'permit-';

/** The decision an event was taken under: metadata first (the envelope), then the event's own data. */
export function decisionRefOf(event: RecordedEvent): string | null {
  const fromMetadata = event.metadata.decisionRef;
  if (typeof fromMetadata === 'string' && fromMetadata !== '') return fromMetadata;
  const fromData = event.data['decisionRef'];
  return typeof fromData === 'string' && fromData !== '' ? fromData : null;
}

/**
 * Fail-stop on an event written with a newer schema than this code knows: reading it with the old
 * shape would silently project wrong values. The fix is an upcaster (or a deploy), then a retry.
 */
export function assertKnownSchema(event: RecordedEvent, known: Record<string, number>): void {
  const version = known[event.type];
  if (version !== undefined && event.schemaVersion > version) {
    throw new Error(`${event.type} schemaVersion ${event.schemaVersion} is newer than this projection knows (${version})`);
  }
}

/** "YYYY-MM" (UTC) of an ISO 8601 timestamp or date. */
export function monthOf(isoTime: string): string {
  const ms = Date.parse(isoTime);
  if (Number.isNaN(ms)) throw new Error(`not an ISO 8601 time: "${isoTime}"`);
  return new Date(ms).toISOString().slice(0, 7);
}
