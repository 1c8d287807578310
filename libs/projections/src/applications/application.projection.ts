import type { RecordedEvent } from '@permit-ledger/event-store';
import { APPLICATION_EVENT_SCHEMA_VERSIONS, type ApplicationEvent } from '@permit-ledger/permits';
import type { Projection } from '../read-model/projection.js';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { assertKnownSchema, prepared } from '../read-model/support.js';

/**
 * application_status: one row per licence application, as it stands now.
 *
 * Idempotent: every update is guarded on the stream revision, so an event delivered again (its
 * revision at or below the row's) changes nothing.
 */
export const APPLICATIONS_PROJECTION = 'applications';

export const APPLICATION_STREAM_PREFIX = 'application-';

type EventOf<T extends ApplicationEvent['type']> = Extract<ApplicationEvent, { type: T }>['data'];
type Handlers = { [T in ApplicationEvent['type']]: (db: ReadModelDb, data: EventOf<T>, event: RecordedEvent) => void };

/** Sets columns of the application's row from the event, if the row has not seen this revision yet. */
function update(db: ReadModelDb, event: RecordedEvent, columns: Record<string, string | null>): void {
  const names = Object.keys(columns);
  const assignments = names.map((name) => `${name} = @${name}`).join(', ');
  const { changes } = prepared(
    db,
    `UPDATE application_status SET ${assignments}, revision = @revision, position = @position, updated_at = @updatedAt
     WHERE application_ref = @ref AND revision < @revision`,
  ).run({
    ...columns,
    revision: event.revision,
    position: event.position,
    updatedAt: event.metadata.effectiveAt,
    ref: event.data['applicationRef'],
  });
  // Stryker disable next-line ConditionalExpression: when the update changed the row, the row exists and the lookup finds it; this only saves the query
  if (changes === 0) {
    const known = prepared(db, 'SELECT revision FROM application_status WHERE application_ref = ?')
      .pluck()
      .get(event.data['applicationRef']);
    if (known === undefined) throw new Error(`${event.type} for unknown application ${String(event.data['applicationRef'])}`);
  }
}

const handlers: Handlers = {
  ApplicationSubmitted(db, d, event) {
    prepared(
      db,
      `INSERT OR IGNORE INTO application_status (application_ref, status, destination, exporter_name, form_json, exception_ground,
         held_by, permit_number, criteria_json, submitted_at, updated_at, revision, position)
       VALUES (?, 'SUBMITTED', ?, ?, ?, ?, NULL, NULL, '[]', ?, ?, ?, ?)`,
    ).run(
      d.applicationRef,
      d.destination,
      d.exporter.name,
      JSON.stringify({
        exporter: d.exporter,
        consignee: d.consignee,
        endUser: d.endUser,
        intendedEndUse: d.intendedEndUse,
        items: d.items,
      }),
      d.exceptionGround,
      event.metadata.effectiveAt,
      event.metadata.effectiveAt,
      event.revision,
      event.position,
    );
  },
  ApplicationPlacedOnHold: (db, d, event) => update(db, event, { status: 'ON_HOLD', held_by: d.measureId }),
  ApplicationReleasedFromHold: (db, _d, event) => update(db, event, { status: 'SUBMITTED', held_by: null }),
  ApplicationApproved: (db, d, event) => update(db, event, { status: 'APPROVED', held_by: null, permit_number: d.permitNumber }),
  ApplicationRefused: (db, d, event) => update(db, event, { status: 'REFUSED', held_by: null, criteria_json: JSON.stringify(d.criteria) }),
  ApplicationWithdrawn: (db, _d, event) => update(db, event, { status: 'WITHDRAWN', held_by: null }),
};

export const applicationsProjection: Projection = {
  name: APPLICATIONS_PROJECTION,

  setup(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS application_status (
        application_ref  TEXT PRIMARY KEY,
        status           TEXT NOT NULL,
        destination      TEXT NOT NULL,
        exporter_name    TEXT NOT NULL,
        -- parties, end use and items as submitted
        form_json        TEXT NOT NULL,
        exception_ground TEXT,
        held_by          TEXT,
        permit_number    TEXT,
        criteria_json    TEXT NOT NULL,
        submitted_at     TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        revision         INTEGER NOT NULL,
        position         INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS application_status_destination ON application_status (destination, status, application_ref);
      CREATE INDEX IF NOT EXISTS application_status_held_by ON application_status (destination, held_by);
    `);
  },

  reset(db) {
    db.exec('DELETE FROM application_status;');
  },

  apply(db, event) {
    if (!event.stream.startsWith(APPLICATION_STREAM_PREFIX) || !Object.hasOwn(handlers, event.type)) return;
    assertKnownSchema(event, APPLICATION_EVENT_SCHEMA_VERSIONS);
    (handlers[event.type as ApplicationEvent['type']] as (db: ReadModelDb, data: unknown, event: RecordedEvent) => void)(
      db,
      event.data,
      event,
    );
  },
};
