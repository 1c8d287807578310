import type { RecordedEvent } from '@permit-ledger/event-store';
import type { ReadModelDb } from './read-model-db.js';

/**
 * A read model fed from the global log. The projector calls apply() inside the SQLite transaction
 * that also stores its checkpoint, so apply must be synchronous and must not commit on its own.
 *
 * Delivery is at least once, so apply must be idempotent: guard on the stream revision where a row
 * tracks one, INSERT OR IGNORE where rows are keyed by (stream, revision). Event types a projection
 * does not handle are ignored. An apply that cannot make sense of an event throws: the projector
 * stops there and retries (fail-stop), it never skips.
 */
export interface Projection {
  /** Stable: it names the checkpoint. */
  readonly name: string;
  /** CREATE TABLE / INDEX IF NOT EXISTS. */
  setup(db: ReadModelDb): void;
  /** Deletes every row of the projection's tables (not the checkpoint: the projector owns that). */
  reset(db: ReadModelDb): void;
  /** Called with the event upcast to its current schema, unless `asRecorded` is set. */
  apply(db: ReadModelDb, event: RecordedEvent): void;
  /** The projection keeps events exactly as recorded (the audit history), not upcast. */
  readonly asRecorded?: boolean;
}
