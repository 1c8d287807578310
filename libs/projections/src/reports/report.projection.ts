import type { RecordedEvent } from '@permit-ledger/event-store';
import { EVENT_SCHEMA_VERSIONS } from '@permit-ledger/permits';
import type { Projection } from '../read-model/projection.js';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { assertKnownSchema, prepared } from '../read-model/support.js';

/**
 * report_fact: one row per event the annual report counts, keyed by (stream, revision), with both times
 * (epoch milliseconds, so cut-offs past year 9999 still compare), the destination, what it counts as, its
 * amount and the criteria it cites. A report for any year, destination, asOf and knownAt is then a query
 * (report.queries.ts): nothing is summed in place, so a re-delivered event changes nothing by construction.
 *
 * Only an application's first event and a permit's issue name the destination: report_subject keeps it per
 * stream (with the permit's current total value, so an amendment counts as the change it made).
 */
export const REPORT_PROJECTION = 'reports';

export const APPLICATION_FACTS = {
  ApplicationSubmitted: 'received',
  ApplicationPlacedOnHold: 'held',
  ApplicationReleasedFromHold: 'released',
  ApplicationApproved: 'approved',
  ApplicationRefused: 'refused',
  ApplicationWithdrawn: 'withdrawn',
} as const;

export const PERMIT_FACTS = {
  PermitIssued: 'issued',
  PermitAmended: 'amended',
  PermitSuspended: 'suspended',
  PermitReinstated: 'reinstated',
  PermitCancelled: 'cancelled',
  PermitExpired: 'expired',
  PermitExhausted: 'exhausted',
  ShipmentRecorded: 'shipment',
} as const;

export type ApplicationFact = (typeof APPLICATION_FACTS)[keyof typeof APPLICATION_FACTS];
export type PermitFact = (typeof PERMIT_FACTS)[keyof typeof PERMIT_FACTS];

type Subject = { destination: string; totalValueCad: number };

const isKey = <T extends object>(table: T, key: string): key is Extract<keyof T, string> => Object.hasOwn(table, key);

function text(event: RecordedEvent, field: string): string {
  const value = event.data[field];
  if (typeof value !== 'string' || value === '') throw new Error(`${event.type} at ${event.position} without a ${field}`);
  return value;
}

function amount(event: RecordedEvent, value: unknown, field: string): number {
  // Number.isFinite is false for anything but a finite number.
  if (!Number.isFinite(value)) throw new Error(`${event.type} at ${event.position} without a numeric ${field}`);
  return value as number;
}

/** The codes an event cites (refusals must; suspensions and cancellations may). */
function criteriaOf(event: RecordedEvent): string[] {
  const value = event.data['criteria'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((c) => typeof c === 'string')) {
    throw new Error(`${event.type} at ${event.position} with criteria that are not a list of codes`);
  }
  return value;
}

function shipmentValue(event: RecordedEvent): number {
  const lines = event.data['lines'];
  if (!Array.isArray(lines)) throw new Error(`ShipmentRecorded at ${event.position} without lines`);
  return lines.reduce<number>((sum, line: { valueCad?: unknown }) => sum + amount(event, line?.valueCad, 'lines.valueCad'), 0);
}

function epochMs(event: RecordedEvent, time: string): number {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new Error(`${event.type} at ${event.position}: not a time: "${time}"`);
  return ms;
}

/** Whether the event was counted already, and its stream's subject: one lookup for both. */
function lookup(db: ReadModelDb, event: RecordedEvent): { seen: boolean; subject: Subject | undefined } {
  const row = prepared(
    db,
    `SELECT EXISTS (SELECT 1 FROM report_fact WHERE stream = ? AND revision = ?) AS seen, s.destination, s.total_value_cad
       FROM (SELECT 1) LEFT JOIN report_subject s ON s.stream = ?`,
  ).get(event.stream, event.revision, event.stream) as { seen: number; destination: string | null; total_value_cad: number | null };
  return {
    seen: row.seen === 1,
    subject: row.destination === null ? undefined : { destination: row.destination, totalValueCad: row.total_value_cad as number },
  };
}

/** The events that set or change their stream's subject. */
const STARTS_OR_AMENDS = new Set(['ApplicationSubmitted', 'PermitIssued', 'PermitAmended']);

/** The fact of an event whose stream's subject is known (not one of STARTS_OR_AMENDS); false when none was added. */
function addFact(db: ReadModelDb, event: RecordedEvent, application: boolean): boolean {
  let values: unknown[];
  try {
    values = [
      event.stream,
      event.revision,
      event.position,
      application ? 'application' : 'permit',
      application ? APPLICATION_FACTS[event.type as keyof typeof APPLICATION_FACTS] : PERMIT_FACTS[event.type as keyof typeof PERMIT_FACTS],
      event.metadata.effectiveAt,
      epochMs(event, event.metadata.effectiveAt),
      event.recordedAt,
      epochMs(event, event.recordedAt),
      event.type === 'ShipmentRecorded' ? shipmentValue(event) : 0,
      JSON.stringify(criteriaOf(event)),
      event.stream,
    ];
  } catch {
    return false;
  }
  const { changes } = prepared(
    db,
    `INSERT OR IGNORE INTO report_fact (stream, revision, position, subject, kind, destination, effective_at, effective_ms,
       recorded_at, recorded_ms, amount_cad, criteria)
     SELECT ?, ?, ?, ?, ?, destination, ?, ?, ?, ?, ?, ? FROM report_subject WHERE stream = ?`,
  ).run(...values);
  return changes === 1;
}

export const reportProjection: Projection = {
  name: REPORT_PROJECTION,

  setup(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS report_subject (
        stream          TEXT PRIMARY KEY,
        destination     TEXT NOT NULL,
        total_value_cad REAL NOT NULL
      );
      CREATE TABLE IF NOT EXISTS report_fact (
        stream       TEXT NOT NULL,
        revision     INTEGER NOT NULL,
        position     INTEGER NOT NULL,
        subject      TEXT NOT NULL CHECK (subject IN ('application', 'permit')),
        kind         TEXT NOT NULL,
        destination  TEXT NOT NULL,
        effective_at TEXT NOT NULL,
        effective_ms INTEGER NOT NULL,
        recorded_at  TEXT NOT NULL,
        recorded_ms  INTEGER NOT NULL,
        amount_cad   REAL NOT NULL DEFAULT 0,
        criteria     TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (stream, revision)
      );
      CREATE INDEX IF NOT EXISTS report_fact_by_time ON report_fact (effective_ms, destination);
    `);
  },

  reset(db) {
    db.exec('DELETE FROM report_fact; DELETE FROM report_subject');
  },

  apply(db, event) {
    const application = isKey(APPLICATION_FACTS, event.type);
    if (!application && !isKey(PERMIT_FACTS, event.type)) return;
    assertKnownSchema(event, EVENT_SCHEMA_VERSIONS);
    // Most events only add a fact under the destination their stream already has: one statement, which
    // inserts nothing when the event was counted before or the stream has no subject. Those cases, and
    // an event that cannot be read, take the path below, which tells them apart.
    if (!STARTS_OR_AMENDS.has(event.type) && addFact(db, event, application)) return;
    const seen = lookup(db, event);
    if (seen.seen) return;

    let subject = seen.subject;
    let amountCad = 0;
    if (event.type === 'ApplicationSubmitted' || event.type === 'PermitIssued') {
      const totalValueCad = event.type === 'PermitIssued' ? amount(event, event.data['totalValueCad'], 'totalValueCad') : 0;
      subject = { destination: text(event, 'destination'), totalValueCad };
      prepared(db, 'INSERT OR REPLACE INTO report_subject (stream, destination, total_value_cad) VALUES (?, ?, ?)').run(
        event.stream,
        subject.destination,
        totalValueCad,
      );
      amountCad = totalValueCad;
    } else if (!subject) {
      // Every stream the report reads starts with the event that names its destination.
      throw new Error(`${event.type} at ${event.position} on ${event.stream}, which has no submission or issue before it`);
    } else if (event.type === 'PermitAmended') {
      const totalValueCad = amount(event, event.data['totalValueCad'], 'totalValueCad');
      amountCad = totalValueCad - subject.totalValueCad;
      prepared(db, 'UPDATE report_subject SET total_value_cad = ? WHERE stream = ?').run(totalValueCad, event.stream);
    } else if (event.type === 'ShipmentRecorded') {
      amountCad = shipmentValue(event);
    }

    const kind = application
      ? APPLICATION_FACTS[event.type as keyof typeof APPLICATION_FACTS]
      : PERMIT_FACTS[event.type as keyof typeof PERMIT_FACTS];
    prepared(
      db,
      `INSERT INTO report_fact (stream, revision, position, subject, kind, destination, effective_at, effective_ms,
         recorded_at, recorded_ms, amount_cad, criteria) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      event.stream,
      event.revision,
      event.position,
      application ? 'application' : 'permit',
      kind,
      subject.destination,
      event.metadata.effectiveAt,
      epochMs(event, event.metadata.effectiveAt),
      event.recordedAt,
      epochMs(event, event.recordedAt),
      amountCad,
      JSON.stringify(criteriaOf(event)),
    );
  },
};
