import { join } from 'node:path';
import { SqliteEventStore } from '@permit-ledger/event-store';
import { allProjections, openReadModelDb, Projections } from '@permit-ledger/projections';
import { loadConfig } from '../../permit-service/src/config/config.js';

/** Rebuilds every read model from the log. The service must be stopped: one process owns the SQLite files. */
export async function rebuild(log: (line: string) => void): Promise<void> {
  const config = loadConfig();
  const store = SqliteEventStore.open({ file: join(config.dataDir, 'events.sqlite') });
  const db = openReadModelDb(join(config.dataDir, 'read-models.sqlite'));
  const projections = new Projections(store, db, allProjections());
  try {
    const head = await store.headPosition();
    const started = performance.now();
    await projections.rebuild();
    const seconds = (performance.now() - started) / 1000;
    log(`rebuilt ${allProjections().length} read models over ${head} events in ${seconds.toFixed(2)} s (${Math.round(head / Math.max(seconds, 1e-3))} events/s)\n`);
  } finally {
    await projections.stop();
    await store.close();
    db.close();
  }
}
