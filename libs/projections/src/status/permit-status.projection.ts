import type { RecordedEvent } from '@permit-ledger/event-store';
import { EVENT_SCHEMA_VERSIONS, upcast, type Party, type PermitEvent, type PermitItem } from '@permit-ledger/permits';
import type { Projection } from '../read-model/projection.js';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { assertKnownSchema, decisionRefOf, prepared } from '../read-model/support.js';

/**
 * permit_status: one row per permit, its current status and the fields readers filter on.
 * permit_ecl_item: the permit's ECL items, one row each, for the eclItem filter.
 * permit_decision: every permit an event of a ministerial decision touched.
 *
 * Idempotent: the row remembers the stream revision it reflects; an event at or below it is a
 * re-delivery and changes nothing.
 */
export const PERMIT_STATUS_PROJECTION = 'permit-status';

type EventOf<T extends PermitEvent['type']> = Extract<PermitEvent, { type: T }>;

/** Case-folded exporter name for the case-insensitive "contains" filter (SQLite's LIKE folds ASCII only). */
export const foldName = (name: string): string => name.normalize('NFKC').toLowerCase();

/** Per item: what it authorizes and what has been shipped of it (usage_json). */
export interface StoredUsage {
  item: number;
  quantity: number;
  valueCad: number;
  quantityShipped: number;
  valueShippedCad: number;
}

const roundCents = (value: number): number => Math.round(value * 100) / 100;

function usageOf(db: ReadModelDb, permitNumber: string): StoredUsage[] {
  const row = prepared(db, 'SELECT usage_json FROM permit_status WHERE permit_number = ?').get(permitNumber) as { usage_json: string };
  return JSON.parse(row.usage_json) as StoredUsage[];
}

function setUsage(db: ReadModelDb, permitNumber: string, usage: StoredUsage[]): void {
  prepared(db, 'UPDATE permit_status SET usage_json = ? WHERE permit_number = ?').run(JSON.stringify(usage), permitNumber);
}

const unused = (items: PermitItem[]): StoredUsage[] =>
  items.map((i, item) => ({ item, quantity: i.quantity, valueCad: i.valueCad, quantityShipped: 0, valueShippedCad: 0 }));

/**
 * The items a permit authorized at a revision, from its audit history (permit_history, in the same read-models
 * file): its issuance and any amendment of its items. Only for rows from before usage_json was kept, whose own
 * columns do not hold the items; undefined when that history is absent or has not reached the permit.
 */
function itemsFromHistory(db: ReadModelDb, permitNumber: string, revision: number): PermitItem[] | undefined {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'permit_history'").get()) return undefined;
  const rows = prepared(
    db,
    `SELECT envelope_json FROM permit_history
      WHERE permit_number = ? AND revision <= ? AND type IN ('PermitIssued', 'PermitAmended') ORDER BY revision`,
  ).all(permitNumber, revision) as Array<{ envelope_json: string }>;
  let items: PermitItem[] | undefined;
  for (const row of rows) {
    // The history keeps each event as recorded: bring it to the current shape first.
    const event = upcast(JSON.parse(row.envelope_json) as RecordedEvent);
    const data = event.data as { items?: PermitItem[]; changes?: { items?: PermitItem[] } };
    // Stryker disable next-line OptionalChaining: only PermitAmended reaches it, and its changes are required
    items = event.type === 'PermitIssued' ? data.items : (data.changes?.items ?? items);
  }
  return items;
}

/** Distinct ECL items in the order the permit lists them. */
const eclItemsOf = (items: PermitItem[]): string[] => [...new Set(items.map((i) => i.eclItem))];

function replaceEclItems(db: ReadModelDb, permitNumber: string, items: string[]): void {
  prepared(db, 'DELETE FROM permit_ecl_item WHERE permit_number = ?').run(permitNumber);
  const insert = prepared(db, 'INSERT INTO permit_ecl_item (permit_number, ecl_item) VALUES (?, ?)');
  for (const item of items) insert.run(permitNumber, item);
}

/**
 * What an event does to its permit's row. Most events only set columns: `set` names them (SQL, `?` for
 * each of `values`) and they are written by the one UPDATE that also moves the revision, guarded on it,
 * so applying such an event is one statement. The others run `apply` between the guard and that UPDATE.
 */
type Change<T extends PermitEvent['type']> =
  | { set: string; values: (d: EventOf<T>['data'], event: RecordedEvent) => unknown[] }
  | { apply: (db: ReadModelDb, d: EventOf<T>['data'], event: RecordedEvent) => void };

const status = (value: string) => ({ set: 'status = ?', values: () => [value] });

// A mapped type over every PermitEvent type: a new event type does not compile until it is handled here.
const changes: { [T in PermitEvent['type']]: Change<T> } = {
  PermitIssued: {
    // Inserts the row; apply() refuses a second issue before this runs.
    apply(db, d, event) {
      const eclItems = eclItemsOf(d.items);
      prepared(
        db,
        `INSERT INTO permit_status (permit_number, status, destination, exporter_name, exporter_search, exporter_json,
           consignee_json, end_user_json, ecl_items_json, total_value_cad, valid_from, expires_on, revision, position,
           open_review_id, open_review_opened_at, last_decision_ref, issued_at, updated_at, supersedes, usage_json)
         VALUES (@permitNumber, 'ISSUED', @destination, @exporterName, @exporterSearch, @exporter, @consignee, @endUser,
           @eclItems, @totalValueCad, @validFrom, @expiresOn, @revision, @position, NULL, NULL, @decisionRef, @effectiveAt,
           @effectiveAt, @supersedes, @usage)`,
      ).run({
        permitNumber: d.permitNumber,
        destination: d.destination,
        exporterName: d.exporter.name,
        exporterSearch: foldName(d.exporter.name),
        exporter: JSON.stringify(d.exporter satisfies Party),
        consignee: JSON.stringify(d.consignee),
        endUser: JSON.stringify(d.endUser),
        eclItems: JSON.stringify(eclItems),
        totalValueCad: d.totalValueCad,
        validFrom: d.validFrom,
        expiresOn: d.expiresOn,
        revision: event.revision,
        position: event.position,
        decisionRef: decisionRefOf(event),
        effectiveAt: event.metadata.effectiveAt,
        supersedes: d.supersedes ?? null,
        usage: JSON.stringify(unused(d.items)),
      });
      replaceEclItems(db, d.permitNumber, eclItems);
    },
  },
  PermitAmended: {
    apply(db, d) {
      const { expiresOn, items } = d.changes;
      if (expiresOn !== undefined) {
        prepared(db, 'UPDATE permit_status SET expires_on = ? WHERE permit_number = ?').run(expiresOn, d.permitNumber);
      }
      if (items !== undefined) {
        // totalValueCad is recomputed by the domain when the items change; trust the event, not a re-sum.
        const eclItems = eclItemsOf(items);
        prepared(db, 'UPDATE permit_status SET ecl_items_json = ?, total_value_cad = ? WHERE permit_number = ?').run(
          JSON.stringify(eclItems),
          d.totalValueCad,
          d.permitNumber,
        );
        replaceEclItems(db, d.permitNumber, eclItems);
        // Amended items are the same lines with less of them: what was shipped of each stays.
        const shipped = usageOf(db, d.permitNumber);
        setUsage(
          db,
          d.permitNumber,
          unused(items).map((u, i) => ({
            ...u,
            quantityShipped: shipped[i]?.quantityShipped ?? 0,
            valueShippedCad: shipped[i]?.valueShippedCad ?? 0,
          })),
        );
      }
    },
  },
  PermitSuspended: status('SUSPENDED'),
  PermitReinstated: status('ISSUED'),
  PermitReviewOpened: {
    set: 'open_review_id = ?, open_review_opened_at = ?',
    values: (d, event) => [d.reviewId, event.metadata.effectiveAt],
  },
  PermitReviewFindingRecorded: { set: '', values: () => [] }, // the review stays open; only revision and updatedAt move
  PermitReviewConcluded: {
    // Only the review that is open (SET reads the row as it was before this UPDATE).
    set: `open_review_opened_at = CASE WHEN open_review_id = ? THEN NULL ELSE open_review_opened_at END,
          open_review_id = CASE WHEN open_review_id = ? THEN NULL ELSE open_review_id END`,
    values: (d) => [d.reviewId, d.reviewId],
  },
  // A cancellation ends the permit, not a review: a review open at that point stays open until concluded.
  PermitCancelled: status('CANCELLED'),
  PermitExpired: status('EXPIRED'),
  // A late declaration adds to what was shipped, whatever the permit's status is now.
  ShipmentRecorded: {
    apply(db, d, event) {
      let stored = usageOf(db, d.permitNumber);
      // A permit has at least one item, so none means a row from before usage was kept: start it from its items.
      if (stored.length === 0) stored = unused(itemsFromHistory(db, d.permitNumber, event.revision - 1) ?? []);
      const usage = stored.map((u) => {
        const lines = d.lines.filter((l) => l.item === u.item);
        return {
          ...u,
          quantityShipped: lines.reduce((sum, l) => sum + l.quantity, u.quantityShipped),
          valueShippedCad: roundCents(lines.reduce((sum, l) => sum + l.valueCad, u.valueShippedCad)),
        };
      });
      setUsage(db, d.permitNumber, usage);
    },
  },
  PermitExhausted: status('EXHAUSTED'),
};

/** The UPDATE every event ends with; a declaration dated before the permit's last event does not move updatedAt back. */
const MOVE = `revision = ?, position = ?,
  updated_at = CASE WHEN julianday(?) > julianday(updated_at) THEN ? ELSE updated_at END,
  last_decision_ref = coalesce(?, last_decision_ref)`;

/** Per event type, the guarded UPDATE of a `set` change: it changes nothing unless the row is behind the event. */
const guardedUpdates = Object.fromEntries(
  Object.entries(changes).flatMap(([type, change]) =>
    'set' in change
      ? [[type, `UPDATE permit_status SET ${change.set ? `${change.set}, ` : ''}${MOVE} WHERE permit_number = ? AND revision < ?`]]
      : [],
  ),
) as Record<string, string>;

/** Whether the row reflects the event already (a re-delivery); refuses an event that shows events were missed. */
function alreadyApplied(db: ReadModelDb, type: PermitEvent['type'], permitNumber: string, event: RecordedEvent): boolean {
  const row = prepared(db, 'SELECT revision FROM permit_status WHERE permit_number = ?').get(permitNumber) as
    { revision: number } | undefined;
  if (row && event.revision <= row.revision) return true; // re-delivery: already reflected
  // Anything else out of order means events were missed: stop rather than show a wrong status.
  if (type === 'PermitIssued' && row) throw new Error(`permit ${permitNumber} issued twice`);
  if (type !== 'PermitIssued' && !row) throw new Error(`${type} for permit ${permitNumber}, which was never issued`);
  return false;
}

export const permitStatusProjection: Projection = {
  name: PERMIT_STATUS_PROJECTION,

  setup(db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS permit_status (
        permit_number         TEXT PRIMARY KEY,
        status                TEXT NOT NULL,
        destination           TEXT NOT NULL,
        exporter_name         TEXT NOT NULL,
        exporter_search       TEXT NOT NULL,
        exporter_json         TEXT NOT NULL,
        consignee_json        TEXT NOT NULL,
        end_user_json         TEXT NOT NULL,
        ecl_items_json        TEXT NOT NULL,
        total_value_cad       REAL NOT NULL,
        valid_from            TEXT NOT NULL,
        expires_on            TEXT NOT NULL,
        revision              INTEGER NOT NULL,
        position              INTEGER NOT NULL,
        open_review_id        TEXT,
        open_review_opened_at TEXT,
        last_decision_ref     TEXT,
        issued_at             TEXT NOT NULL,
        updated_at            TEXT NOT NULL,
        supersedes            TEXT,
        usage_json            TEXT NOT NULL DEFAULT '[]'
      );
      CREATE INDEX IF NOT EXISTS permit_status_by_status ON permit_status (status, permit_number);
      CREATE INDEX IF NOT EXISTS permit_status_by_destination ON permit_status (destination, permit_number);
      CREATE TABLE IF NOT EXISTS permit_ecl_item (
        permit_number TEXT NOT NULL,
        ecl_item      TEXT NOT NULL,
        PRIMARY KEY (ecl_item, permit_number)
      );
      CREATE INDEX IF NOT EXISTS permit_ecl_item_by_permit ON permit_ecl_item (permit_number);
      CREATE TABLE IF NOT EXISTS permit_decision (
        decision_ref  TEXT NOT NULL,
        permit_number TEXT NOT NULL,
        -- the first event of the permit recorded under the decision
        event_type    TEXT NOT NULL,
        revision      INTEGER NOT NULL,
        position      INTEGER NOT NULL,
        effective_at  TEXT NOT NULL,
        PRIMARY KEY (decision_ref, permit_number)
      );
      CREATE INDEX IF NOT EXISTS permit_decision_by_permit ON permit_decision (permit_number);
    `);
    // A read-models file from before usage was kept gains the column, its rows starting from their items with
    // nothing shipped, so shipments projected from then on count; earlier shipments show after a rebuild.
    const columns = db.prepare("SELECT name FROM pragma_table_info('permit_status')").all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'usage_json')) {
      db.exec("ALTER TABLE permit_status ADD COLUMN usage_json TEXT NOT NULL DEFAULT '[]'");
      type Row = { permit_number: string; revision: number };
      const rows = db.prepare('SELECT permit_number, revision FROM permit_status').all() as Row[];
      for (const row of rows) {
        const items = itemsFromHistory(db, row.permit_number, row.revision);
        if (items) setUsage(db, row.permit_number, unused(items));
      }
    }
  },

  reset(db) {
    db.exec('DELETE FROM permit_status; DELETE FROM permit_ecl_item; DELETE FROM permit_decision;');
  },

  apply(db, event) {
    if (!Object.hasOwn(changes, event.type)) return;
    assertKnownSchema(event, EVENT_SCHEMA_VERSIONS);
    const type = event.type as PermitEvent['type'];
    const permitNumber = event.data['permitNumber'];
    if (typeof permitNumber !== 'string') throw new Error(`${type} without a permitNumber`);

    const change = changes[type] as Change<PermitEvent['type']>;
    const decisionRef = decisionRefOf(event);
    const { effectiveAt } = event.metadata;
    // The parameters of MOVE and the row it moves.
    const moveTo = [event.revision, event.position, effectiveAt, effectiveAt, decisionRef, permitNumber];
    if ('set' in change) {
      const moved = prepared(db, guardedUpdates[type]).run(...change.values(event.data as never, event), ...moveTo, event.revision);
      // Nothing changed: a re-delivery, or an event of a permit never issued (which alreadyApplied refuses).
      if (moved.changes === 0) {
        alreadyApplied(db, type, permitNumber, event);
        return;
      }
    } else {
      if (alreadyApplied(db, type, permitNumber, event)) return;
      change.apply(db, event.data as never, event);
      // The issue inserted the row at this revision already.
      // Stryker disable next-line ConditionalExpression,StringLiteral: MOVE after the INSERT writes the values it holds
      if (type !== 'PermitIssued') {
        prepared(db, `UPDATE permit_status SET ${MOVE} WHERE permit_number = ?`).run(...moveTo);
      }
    }
    // Stryker disable next-line ConditionalExpression: with no decision, INSERT OR IGNORE skips the row (decision_ref NOT NULL)
    if (decisionRef) {
      prepared(
        db,
        `INSERT OR IGNORE INTO permit_decision (decision_ref, permit_number, event_type, revision, position, effective_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(decisionRef, permitNumber, type, event.revision, event.position, effectiveAt);
    }
  },
};
