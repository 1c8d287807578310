import { join } from 'node:path';
import { SqliteEventStore } from '@permit-ledger/event-store';
import { allProjections, openReadModelDb, Projections } from '@permit-ledger/projections';
import { loadConfig } from '../../permit-service/src/config/config.js';

/**
 * Rebuilds every read model from the log, with a progress bar (position against the head, events/s).
 * The service must be stopped: one process owns the SQLite files.
 */
export async function rebuild(log: (line: string) => void): Promise<void> {
  const config = loadConfig();
  const store = SqliteEventStore.open({ file: join(config.dataDir, 'events.sqlite') });
  const db = openReadModelDb(join(config.dataDir, 'read-models.sqlite'));
  const projections = new Projections(store, db, allProjections());
  const head = await store.headPosition();
  const started = performance.now();
  let done = 0;
  const progress = () => {
    const seconds = (performance.now() - started) / 1000;
    const width = 30;
    const filled = head ? Math.round((done / head) * width) : width;
    log(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${head} events, ${Math.round(done / Math.max(seconds, 1e-3))} events/s`);
  };
  const timer = setInterval(progress, 100);
  try {
    await projections.rebuild((position) => (done = position));
    done = head;
    clearInterval(timer);
    progress();
    const seconds = (performance.now() - started) / 1000;
    log(`\nrebuilt ${allProjections().length} read models over ${head} events in ${seconds.toFixed(2)} s (${Math.round(head / Math.max(seconds, 1e-3))} events/s)\n`);
  } finally {
    clearInterval(timer);
    await projections.stop();
    await store.close();
    db.close();
  }
}
