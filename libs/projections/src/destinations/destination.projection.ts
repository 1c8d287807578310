import type { RecordedEvent } from '@permit-ledger/event-store';
import { EVENT_SCHEMA_VERSIONS, type DestinationEvent } from '@permit-ledger/permits';
import type { Projection } from '../read-model/projection.js';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { assertKnownSchema, prepared } from '../read-model/support.js';

/**
 * destination_measure: one row per country-wide measure, lifted or not.
 * destination_event: the country's timeline, keyed (country, stream revision).
 *
 * Idempotent: the timeline insert is the guard; when the (country, revision) row already exists
 * the event was applied before and the measure is left alone.
 */
export const DESTINATIONS_PROJECTION = 'destinations';

type EventOf<T extends DestinationEvent['type']> = Extract<DestinationEvent, { type: T }>;
type Handlers = { [T in DestinationEvent['type']]: (db: ReadModelDb, data: EventOf<T>['data'], event: RecordedEvent) => void };

const handlers: Handlers = {
  DestinationMeasureImposed(db, d, event) {
    const { changes } = prepared(
      db,
      `INSERT OR IGNORE INTO destination_measure (country, measure_id, kind, ecl_groups_json, exception_grounds_json,
         reference, reason, imposed_at, imposed_position, lifted_at, lift_reference, lift_reason, revision, position)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)`,
    ).run(
      d.country,
      d.measureId,
      d.kind,
      JSON.stringify(d.eclGroups ?? null),
      JSON.stringify(d.exceptionGrounds ?? []),
      d.reference,
      d.reason,
      event.metadata.effectiveAt,
      event.position,
      event.revision,
      event.position,
    );
    if (changes === 0) throw new Error(`measure ${d.measureId} imposed twice on ${d.country}`);
  },
  DestinationMeasureLifted(db, d, event) {
    const { changes } = prepared(
      db,
      `UPDATE destination_measure SET lifted_at = ?, lift_reference = ?, lift_reason = ?, revision = ?, position = ?
       WHERE country = ? AND measure_id = ? AND lifted_at IS NULL`,
    ).run(event.metadata.effectiveAt, d.reference, d.reason, event.revision, event.position, d.country, d.measureId);
    if (changes === 0) throw new Error(`measure ${d.measureId} on ${d.country} lifted but not in force`);
  },
};

export const destinationsProjection: Projection = {
  name: DESTINATIONS_PROJECTION,

  setup(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS destination_measure (
        country                TEXT NOT NULL,
        measure_id             TEXT NOT NULL,
        kind                   TEXT NOT NULL,
        ecl_groups_json        TEXT NOT NULL,
        exception_grounds_json TEXT NOT NULL,
        reference              TEXT NOT NULL,
        reason                 TEXT NOT NULL,
        imposed_at             TEXT NOT NULL,
        imposed_position       INTEGER NOT NULL,
        lifted_at              TEXT,
        lift_reference         TEXT,
        lift_reason            TEXT,
        -- last destination event applied to the measure
        revision               INTEGER NOT NULL,
        position               INTEGER NOT NULL,
        PRIMARY KEY (country, measure_id)
      );
      CREATE TABLE IF NOT EXISTS destination_event (
        country      TEXT NOT NULL,
        revision     INTEGER NOT NULL,
        position     INTEGER NOT NULL,
        type         TEXT NOT NULL,
        effective_at TEXT NOT NULL,
        recorded_at  TEXT NOT NULL,
        data_json    TEXT NOT NULL,
        PRIMARY KEY (country, revision)
      );
    `);
  },

  reset(db) {
    db.exec('DELETE FROM destination_measure; DELETE FROM destination_event;');
  },

  apply(db, event) {
    if (!Object.hasOwn(handlers, event.type)) return;
    assertKnownSchema(event, EVENT_SCHEMA_VERSIONS);
    const type = event.type as DestinationEvent['type'];
    const country = event.data['country'];
    if (typeof country !== 'string') throw new Error(`${type} without a country`);
    const { changes } = prepared(
      db,
      `INSERT OR IGNORE INTO destination_event (country, revision, position, type, effective_at, recorded_at, data_json)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(country, event.revision, event.position, type, event.metadata.effectiveAt, event.recordedAt, JSON.stringify(event.data));
    if (changes === 0) return; // re-delivery
    (handlers[type] as (db: ReadModelDb, data: unknown, event: RecordedEvent) => void)(db, event.data, event);
  },
};
