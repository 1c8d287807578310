import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { bulkWrites, ensureCheckpointTable, loadCheckpoint, openReadModelDb, storeCheckpoint, type ReadModelDb } from './read-model-db.js';

/** The connection settings bulkWrites switches (synchronous: 1 = NORMAL, 2 = FULL; cache_size < 0: KiB). */
const settings = (db: ReadModelDb) => ({
  journal: db.pragma('journal_mode', { simple: true }),
  synchronous: db.pragma('synchronous', { simple: true }),
  cache: db.pragma('cache_size', { simple: true }),
});

const OWN = { journal: 'wal', synchronous: 1, cache: -16_000 };
const BULK = { journal: 'delete', synchronous: 2, cache: -65_536 };

let dir: string;
const open: ReadModelDb[] = [];
const openDb = (name = 'read-models.db'): ReadModelDb => {
  const db = openReadModelDb(join(dir, name));
  open.push(db);
  return db;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'read-model-db-'));
});

afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openReadModelDb', () => {
  it('opens the file in WAL with synchronous=NORMAL, a busy timeout and the checkpoint table', () => {
    const db = openDb();
    expect(settings(db)).toEqual(OWN);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(loadCheckpoint(db, 'status')).toBeNull();
  });
});

describe('checkpoints', () => {
  it('stores one position per name, the last stored one winning', () => {
    const db = openDb();
    storeCheckpoint(db, 'status', 7);
    storeCheckpoint(db, 'stats', 3);
    storeCheckpoint(db, 'status', 12);
    expect([loadCheckpoint(db, 'status'), loadCheckpoint(db, 'stats'), loadCheckpoint(db, 'history')]).toEqual([12, 3, null]);
  });

  it('keeps the stored checkpoints when the table is ensured again (on every open)', () => {
    const db = openDb();
    storeCheckpoint(db, 'status', 7);
    ensureCheckpointTable(db);
    db.close();
    expect(loadCheckpoint(openDb(), 'status')).toBe(7);
  });
});

describe('bulkWrites', () => {
  it('leaves WAL for a rollback journal with synchronous=FULL and a 64 MiB cache, and restores the connection after', () => {
    const db = openDb();
    const restore = bulkWrites(db);
    expect(settings(db)).toEqual(BULK);
    storeCheckpoint(db, 'status', 5);
    restore();
    expect(settings(db)).toEqual(OWN);
    expect(loadCheckpoint(db, 'status')).toBe(5);
  });

  it('restores whatever the connection had before, not the defaults of openReadModelDb', () => {
    const db = openDb();
    db.pragma('journal_mode = TRUNCATE');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000');
    const restore = bulkWrites(db);
    // Only WAL is left: another rollback journal already writes each page once.
    expect(settings(db)).toEqual({ ...BULK, journal: 'truncate' });
    restore();
    expect(settings(db)).toEqual({ journal: 'truncate', synchronous: 0, cache: -1000 });
  });

  it('stays in WAL while another connection has the file open (SQLITE_BUSY), and still switches the rest', () => {
    const db = openDb();
    const reader = openDb();
    expect(loadCheckpoint(reader, 'status')).toBeNull(); // a read: the reader now holds the WAL open
    const restore = bulkWrites(db);
    expect(settings(db)).toEqual({ ...BULK, journal: 'wal' });
    storeCheckpoint(db, 'status', 9);
    expect(loadCheckpoint(reader, 'status')).toBe(9);
    restore();
    expect(settings(db)).toEqual(OWN);
  });

  it('stays in the rollback journal when a reader holds the file as it would go back to WAL', () => {
    const db = openDb();
    db.pragma('busy_timeout = 20');
    const restore = bulkWrites(db);
    // A plain connection: openReadModelDb would put the file back in WAL itself.
    const reader = new Database(join(dir, 'read-models.db'));
    open.push(reader);
    reader.exec('BEGIN');
    expect(loadCheckpoint(reader, 'status')).toBeNull(); // a read transaction: a shared lock until it ends
    restore();
    expect(settings(db)).toEqual({ ...OWN, journal: 'delete' });
    reader.exec('COMMIT');
    storeCheckpoint(db, 'status', 4);
    expect(loadCheckpoint(reader, 'status')).toBe(4);
  });

  it('rethrows any other failure to leave WAL, with the connection left as it was', () => {
    const db = openDb();
    db.exec('BEGIN');
    expect(() => bulkWrites(db)).toThrow(
      expect.objectContaining({ code: 'SQLITE_ERROR', message: 'cannot change out of wal mode from within a transaction' }),
    );
    db.exec('ROLLBACK');
    expect(settings(db)).toEqual(OWN);
  });

  it('switches an in-memory database (no WAL to leave) and restores it', () => {
    const db = new Database(':memory:');
    open.push(db);
    const before = settings(db);
    const restore = bulkWrites(db);
    expect(settings(db)).toEqual({ ...BULK, journal: 'memory' });
    restore();
    expect(settings(db)).toEqual(before);
  });
});
