import type { Projection } from '../read-model/projection.js';
import { monthOf, prepared } from '../read-model/support.js';

/**
 * permit_lifecycle_event: one row per status-changing permit event, with its month (UTC, by
 * effectiveAt). The per-month figures are a GROUP BY over it rather than counters incremented in
 * place: a row keyed by (permit, revision) makes a re-delivered event a no-op by construction, where
 * a counter would be right only as long as the checkpoint never lets an event through twice.
 * Figures by status and destination come from permit_status (the status projection).
 */
export const STATS_PROJECTION = 'stats';

export const LIFECYCLE_KINDS = {
  PermitIssued: 'issued',
  PermitSuspended: 'suspended',
  PermitReinstated: 'reinstated',
  PermitCancelled: 'cancelled',
  PermitExpired: 'expired',
  PermitExhausted: 'exhausted',
} as const;
export type LifecycleKind = (typeof LIFECYCLE_KINDS)[keyof typeof LIFECYCLE_KINDS];

export const statsProjection: Projection = {
  name: STATS_PROJECTION,

  setup(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS permit_lifecycle_event (
        permit_number TEXT NOT NULL,
        revision      INTEGER NOT NULL,
        position      INTEGER NOT NULL,
        kind          TEXT NOT NULL,
        month         TEXT NOT NULL,
        PRIMARY KEY (permit_number, revision)
      );
      CREATE INDEX IF NOT EXISTS permit_lifecycle_event_by_month ON permit_lifecycle_event (month, kind);
    `);
  },

  reset(db) {
    db.exec('DELETE FROM permit_lifecycle_event');
  },

  apply(db, event) {
    if (!Object.hasOwn(LIFECYCLE_KINDS, event.type)) return;
    const kind = LIFECYCLE_KINDS[event.type as keyof typeof LIFECYCLE_KINDS];
    const permitNumber = event.data['permitNumber'];
    if (typeof permitNumber !== 'string') throw new Error(`${event.type} without a permitNumber`);
    prepared(
      db,
      'INSERT OR IGNORE INTO permit_lifecycle_event (permit_number, revision, position, kind, month) VALUES (?, ?, ?, ?, ?)',
    ).run(permitNumber, event.revision, event.position, kind, monthOf(event.metadata.effectiveAt));
  },
};
