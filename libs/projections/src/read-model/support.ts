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

/** The event a replay is applying and its JSON, when its reader already holds that (readAllWithJson). */
let lentEvent: RecordedEvent | undefined;
let lentJson = '';

/** Lends `json`, which must be `JSON.stringify(event)`, to the projections that keep the event whole. */
export function lendEventJson(event: RecordedEvent, json: string): void {
  lentEvent = event;
  lentJson = json;
}

/** JSON.stringify(event), without serializing it again when it is the event whose JSON was lent. */
export function eventJson(event: RecordedEvent): string {
  return event === lentEvent ? lentJson : JSON.stringify(event);
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
  // A type it does not track is never too new.
  const version = known[event.type] ?? Infinity;
  if (event.schemaVersion > version) {
    throw new Error(`${event.type} schemaVersion ${event.schemaVersion} is newer than this projection knows (${version})`);
  }
}

const DAY_MS = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 10000-01-01T00:00:00.000Z: the years toISOString writes with four digits. */
const YEAR_0_MS = -62_167_219_200_000;
const YEAR_10000_MS = 253_402_300_800_000;

/** "YYYY-MM" (UTC) of an ISO 8601 timestamp or date. */
export function monthOf(isoTime: string): string {
  const ms = Date.parse(isoTime);
  if (Number.isNaN(ms)) throw new Error(`not an ISO 8601 time: "${isoTime}"`);
  // Six-digit years keep toISOString's spelling (+010000, -000001).
  if (ms < YEAR_0_MS || ms >= YEAR_10000_MS) return new Date(ms).toISOString().slice(0, 7);
  // The same month computed from the day number, without building a Date and its string: a replay
  // does this for every event (days to civil date, proleptic Gregorian, as in Hinnant's civil_from_days).
  const days = Math.floor(ms / DAY_MS) + 719_468; // days since 0000-03-01
  const era = Math.floor(days / 146_097);
  const dayOfEra = days - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const fromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const month = fromMarch < 10 ? fromMarch + 3 : fromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}`;
}
