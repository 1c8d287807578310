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

/** Page cache while the read models are rewritten whole: 64 MiB (SQLite's default is 2 MiB). */
const BULK_CACHE_KIB = 65_536;

/**
 * Settings for rewriting the read models whole on this connection (a rebuild), and the function that
 * puts the connection's own back. WAL writes every page twice (the log, then the checkpoint); a rollback
 * journal writes each page once and journals only pages that held rows (a rebuild has emptied the
 * tables first, so hardly any). synchronous=FULL keeps each commit durable and the file sound through
 * a crash of the process or the machine: it reopens at the last commit, rows and checkpoints together.
 * Leaving WAL needs the file to itself; with another connection on it, it stays in WAL (slower, as safe).
 */
export function bulkWrites(db: ReadModelDb): () => void {
  const journal = db.pragma('journal_mode', { simple: true }) as string;
  const synchronous = db.pragma('synchronous', { simple: true }) as number;
  const cache = db.pragma('cache_size', { simple: true }) as number;
  if (journal === 'wal') switchJournal(db, 'DELETE');
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = -${BULK_CACHE_KIB}`);
  return () => {
    db.pragma(`cache_size = ${cache}`);
    db.pragma(`synchronous = ${synchronous}`);
    // Back to WAL (a no-op when another connection kept the file in it). A reader that holds the file past the busy
    // timeout leaves it in the rollback journal, as safe and slower, rather than failing a rebuild whose work is done.
    if (journal === 'wal') switchJournal(db, 'WAL');
  };
}

/** Changes the journal unless another connection holds the file (SQLITE_BUSY): then it stays as it is. */
function switchJournal(db: ReadModelDb, mode: 'DELETE' | 'WAL'): void {
  try {
    db.pragma(`journal_mode = ${mode}`);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'SQLITE_BUSY') throw error;
  }
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
