import type { Projection } from '../read-model/projection.js';
import { eventJson, PERMIT_STREAM_PREFIX, prepared } from '../read-model/support.js';

/**
 * permit_history: every event of every permit stream, whole envelope, keyed (permit, revision).
 * It takes every event of the stream, whatever its type, because an auditor's history must be
 * complete; and it refuses a revision gap (fail-stop) because a history with a hole is worse than
 * one that is late.
 */
export const PERMIT_HISTORY_PROJECTION = 'permit-history';

export const permitHistoryProjection: Projection = {
  name: PERMIT_HISTORY_PROJECTION,
  // The audit history shows each event as recorded (and hashed), whatever its schema version.
  asRecorded: true,

  setup(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS permit_history (
        permit_number TEXT NOT NULL,
        revision      INTEGER NOT NULL,
        position      INTEGER NOT NULL,
        type          TEXT NOT NULL,
        effective_at  TEXT NOT NULL,
        recorded_at   TEXT NOT NULL,
        envelope_json TEXT NOT NULL,
        PRIMARY KEY (permit_number, revision)
      )`);
  },

  reset(db) {
    db.exec('DELETE FROM permit_history');
  },

  apply(db, event) {
    if (!event.stream.startsWith(PERMIT_STREAM_PREFIX)) return;
    const permitNumber = event.stream.slice(PERMIT_STREAM_PREFIX.length);
    const last = prepared(db, 'SELECT max(revision) FROM permit_history WHERE permit_number = ?').pluck().get(permitNumber) as
      number | null;
    if (event.revision > (last ?? -1) + 1) {
      throw new Error(`${event.stream}: revision ${event.revision} arrived after ${last ?? 'none'}; events are missing`);
    }
    prepared(
      db,
      `INSERT OR IGNORE INTO permit_history (permit_number, revision, position, type, effective_at, recorded_at, envelope_json)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(permitNumber, event.revision, event.position, event.type, event.metadata.effectiveAt, event.recordedAt, eventJson(event));
  },
};
