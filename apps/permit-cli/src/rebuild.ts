import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openEventStore, toClientConnectionString, type EventStore } from '@permit-ledger/event-store';
import { allProjections, LedgerTree, openReadModelDb, Projections, type ReadModelDb } from '@permit-ledger/projections';

/**
 * The store of record as the service selects it (openEventStore): EventStoreDB when
 * EVENTSTORE_CONNECTION_STRING is set, else DATA_DIR/events.sqlite, which must exist (an empty store
 * would empty the read models). Read from the two variables directly rather than through the
 * service's configuration, which also wants the service's own settings (a JWT key in production).
 */
export async function openRebuildStore(env: NodeJS.ProcessEnv = process.env): Promise<{ store: EventStore; dataDir: string }> {
  const dataDir = resolve(env.DATA_DIR || './data');
  let connectionString: string | null = null;
  if (env.EVENTSTORE_CONNECTION_STRING) {
    try {
      connectionString = toClientConnectionString(env.EVENTSTORE_CONNECTION_STRING);
    } catch (error) {
      throw new Error(`EVENTSTORE_CONNECTION_STRING: ${(error as Error).message}`, { cause: error });
    }
  }
  const { store } = await openEventStore({ connectionString, dataDir, mustExist: true });
  // The read models stay local in DATA_DIR, as the service keeps them.
  mkdirSync(dataDir, { recursive: true });
  return { store, dataDir };
}

/** Events per page and per transaction of the ledger tree's rebuild. */
const TREE_PAGE = 1000;

/**
 * Rebuilds the ledger's running hash and tree (LedgerTree) from the log, keeping the witnesses' cosignatures;
 * the service then resumes from the rebuilt state. Returns the leaves.
 */
export async function rebuildLedgerTree(
  store: EventStore,
  db: ReadModelDb,
  onProgress: (position: number) => void = () => undefined,
): Promise<number> {
  LedgerTree.reset(db);
  const tree = new LedgerTree(db);
  for (;;) {
    const page = await store.readAll({ after: tree.state.position, maxCount: TREE_PAGE });
    if (page.length === 0) return tree.size;
    tree.fold(page);
    onProgress(tree.state.position);
  }
}

/**
 * Rebuilds every read model, and the ledger's tree, from the log, with a progress bar (position against the head, events/s).
 * The service must be stopped: its projectors write the same DATA_DIR/read-models.sqlite.
 */
export async function rebuild(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { store, dataDir } = await openRebuildStore(env);
  // Counted, not taken from positions: on EventStoreDB those are commit positions with gaps.
  let applied = 0;
  const db = openReadModelDb(join(dataDir, 'read-models.sqlite'));
  const projections = new Projections(store, db, allProjections());
  try {
    const head = await store.headPosition();
    const started = performance.now();
    let position = 0;
    let leaves = 0;
    const rate = () => Math.round(applied / Math.max((performance.now() - started) / 1000, 1e-3));
    const progress = () => {
      const width = 30;
      const filled = head ? Math.min(width, Math.round((position / head) * width)) : width;
      log(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${applied} events, ${rate()} events/s`);
    };
    const timer = setInterval(progress, 100);
    try {
      await projections.rebuild((at, count) => {
        position = at;
        applied = count;
      });
      position = 0;
      leaves = await rebuildLedgerTree(store, db, (at) => (position = at));
    } finally {
      clearInterval(timer);
    }
    position = head;
    progress();
    const seconds = (performance.now() - started) / 1000;
    log(
      `\nrebuilt ${allProjections().length} read models over ${applied} events and the ledger tree of ${leaves} leaves in ${seconds.toFixed(2)} s (${rate()} events/s)\n`,
    );
  } finally {
    await projections.stop();
    await store.close();
    db.close();
  }
}
