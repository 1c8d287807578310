import { ensureCheckpointTable, loadCheckpoint, storeCheckpoint, type ReadModelDb } from '../read-model/read-model-db.js';

/** DI token for the checkpoint port. */
export const CHECKPOINT_STORE = Symbol('CHECKPOINT_STORE');

/**
 * Where a consumer of the log remembers how far it got: the log position of the last event it
 * handled, by consumer name. `null` means never stored: start from the beginning of the log.
 */
export interface CheckpointStore {
  load(name: string): Promise<number | null>;
  store(name: string, position: number): Promise<void>;
}

/**
 * Checkpoints in the read-model database's `checkpoints` table (one row per consumer). Projectors
 * write theirs with `write()` inside the transaction of their rows, so rows and checkpoint never
 * disagree; consumers that write elsewhere let the subscription call `store()` after each batch.
 */
export class SqliteCheckpointStore implements CheckpointStore {
  constructor(private readonly db: ReadModelDb) {
    ensureCheckpointTable(db);
  }

  async load(name: string): Promise<number | null> {
    return this.read(name);
  }

  async store(name: string, position: number): Promise<void> {
    this.write(name, position);
  }

  read(name: string): number | null {
    return loadCheckpoint(this.db, name);
  }

  /** Joins the caller's transaction when called inside one. */
  write(name: string, position: number): void {
    storeCheckpoint(this.db, name, position);
  }
}
