import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreUnavailableError } from './port/errors.js';
import { EsdbEventStore, UnsupportedServerError } from './esdb/esdb-event-store.js';
import type { EventStore } from './port/port.js';
import { SqliteEventStore } from './sqlite/sqlite-event-store.js';

export type EventStoreKind = 'sqlite' | 'esdb';

export interface OpenEventStoreOptions {
  /** EventStoreDB when set (esdb://, esdb+discover://, kurrentdb://...); else the embedded store. */
  connectionString?: string | null;
  /** Holds the embedded store, DATA_DIR/events.sqlite. */
  dataDir: string;
  /** Source of recordedAt. */
  clock?: () => Date;
  /** EventStoreDB: times a lost answer is settled and sent again, or a failed read tried again. */
  retries?: number;
  /** Embedded store: told after every committed transaction (metrics). */
  onCommit?: (appends: number, seconds: number) => void;
  /**
   * Refuse to create an embedded store that is not there: a reader, or a rebuild that would empty the
   * read models from an empty log, must hear that DATA_DIR is wrong.
   */
  mustExist?: boolean;
}

/**
 * The store of record, selected the one way the service and the CLI both use: EventStoreDB when a
 * connection string is given, else DATA_DIR/events.sqlite. A server too old to be supported is
 * refused here; one that cannot be reached yet is not (the caller's first call, or health, says so).
 */
export async function openEventStore(options: OpenEventStoreOptions): Promise<{ store: EventStore; kind: EventStoreKind }> {
  if (options.connectionString) {
    const store = EsdbEventStore.open({
      connectionString: options.connectionString,
      clock: options.clock,
      transportRetries: options.retries,
    });
    try {
      await store.checkServer();
    } catch (error) {
      if (error instanceof UnsupportedServerError) {
        await store.close();
        throw error;
      }
    }
    return { store, kind: 'esdb' };
  }
  const file = join(options.dataDir, 'events.sqlite');
  if (options.mustExist && !existsSync(file)) {
    throw new StoreUnavailableError(`no event store at ${file} (set DATA_DIR, or EVENTSTORE_CONNECTION_STRING for EventStoreDB)`);
  }
  mkdirSync(options.dataDir, { recursive: true });
  return { store: SqliteEventStore.open({ file, clock: options.clock, onCommit: options.onCommit }), kind: 'sqlite' };
}
