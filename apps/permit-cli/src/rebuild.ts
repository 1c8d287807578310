import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EsdbEventStore, SqliteEventStore, toClientConnectionString, type EventStore } from '@permit-ledger/event-store';
import { allProjections, openReadModelDb, Projections } from '@permit-ledger/projections';

/**
 * The store of record as the service selects it: EventStoreDB when EVENTSTORE_CONNECTION_STRING is
 * set, else DATA_DIR/events.sqlite. Read from the two variables directly rather than through the
 * service's configuration, which also wants the service's own settings (a JWT key in production).
 */
export function openRebuildStore(env: NodeJS.ProcessEnv = process.env): { store: EventStore; dataDir: string } {
  const dataDir = resolve(env.DATA_DIR || './data');
  const raw = env.EVENTSTORE_CONNECTION_STRING;
  if (raw) {
    let connectionString: string;
    try {
      connectionString = toClientConnectionString(raw);
    } catch (error) {
      throw new Error(`EVENTSTORE_CONNECTION_STRING: ${(error as Error).message}`);
    }
    // The read models stay local in DATA_DIR, as the service keeps them.
    mkdirSync(dataDir, { recursive: true });
    return { store: EsdbEventStore.open({ connectionString }), dataDir };
  }
  const file = join(dataDir, 'events.sqlite');
  // SqliteEventStore.open would create an empty store, and the rebuild would then empty the read models.
  if (!existsSync(file)) throw new Error(`no event store at ${file} (set DATA_DIR, or EVENTSTORE_CONNECTION_STRING for EventStoreDB)`);
  return { store: SqliteEventStore.open({ file }), dataDir };
}

/**
 * The store, with the events its readAll pages returned counted: on EventStoreDB a position is a
 * commit position (a byte offset with gaps), so positions say how far the rebuild is, not how many
 * events it applied.
 */
function counted(store: EventStore): { store: EventStore; events: () => number } {
  let events = 0;
  const proxy = new Proxy(store, {
    get(target, name) {
      if (name === 'readAll') {
        return async (...args: Parameters<EventStore['readAll']>) => {
          const page = await target.readAll(...args);
          events += page.length;
          return page;
        };
      }
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, events: () => events };
}

/**
 * Rebuilds every read model from the log, with a progress bar (position against the head, events/s).
 * The service must be stopped: its projectors write the same DATA_DIR/read-models.sqlite.
 */
export async function rebuild(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const opened = openRebuildStore(env);
  const { store, events } = counted(opened.store);
  const db = openReadModelDb(join(opened.dataDir, 'read-models.sqlite'));
  const projections = new Projections(store, db, allProjections());
  try {
    const head = await store.headPosition();
    const started = performance.now();
    let position = 0;
    const rate = () => Math.round(events() / Math.max((performance.now() - started) / 1000, 1e-3));
    const progress = () => {
      const width = 30;
      const filled = head ? Math.min(width, Math.round((position / head) * width)) : width;
      log(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${events()} events, ${rate()} events/s`);
    };
    const timer = setInterval(progress, 100);
    try {
      await projections.rebuild((at) => (position = at));
    } finally {
      clearInterval(timer);
    }
    position = head;
    progress();
    const seconds = (performance.now() - started) / 1000;
    log(`\nrebuilt ${allProjections().length} read models over ${events()} events in ${seconds.toFixed(2)} s (${rate()} events/s)\n`);
  } finally {
    await projections.stop();
    await opened.store.close();
    db.close();
  }
}
