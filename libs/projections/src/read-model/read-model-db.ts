import Database from 'better-sqlite3';

export type ReadModelDb = Database.Database;

/**
 * Opens (or creates) the read-model database. Read models are derived data, rebuildable from the
 * event log at any time, so durability is traded for speed: WAL with synchronous=NORMAL may lose the
 * last transactions on power loss, and a projector then simply re-applies them from its checkpoint
 * (which lives in the same file and is lost together with the rows it describes).
 */
export function openReadModelDb(file: string): ReadModelDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Readers (HTTP queries) and the projectors' writers may share the file from several connections.
  db.pragma('busy_timeout = 5000');
  ensureCheckpointTable(db);
  return db;
}

/** One checkpoint per projection: the global position of the last event it applied. */
export function ensureCheckpointTable(db: ReadModelDb): void {
  db.exec(`CREATE TABLE IF NOT EXISTS checkpoints (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
  )`);
}

/** null = never stored: start from the beginning of the log (Eventuous convention). */
export function loadCheckpoint(db: ReadModelDb, name: string): number | null {
  const row = db.prepare('SELECT position FROM checkpoints WHERE name = ?').get(name) as { position: number } | undefined;
  return row ? row.position : null;
}

/** Must be called inside the transaction that wrote the rows the checkpoint covers. */
export function storeCheckpoint(db: ReadModelDb, name: string, position: number): void {
  db.prepare('INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET position = excluded.position').run(
    name,
    position,
  );
}
