import type { EventStore, RecordedEvent, SqliteEventStore } from '@permit-ledger/event-store';
import { upcast } from '@permit-ledger/permits';
import type { Projection } from './read-model/projection.js';
import { Projector, type ProjectorOptions, type ProjectorStatus } from './projector.js';
import { bulkWrites, storeCheckpoint, type ReadModelDb } from './read-model/read-model-db.js';
import { lendEventJson } from './read-model/support.js';

export interface ProjectionsOptions extends ProjectorOptions {
  /** Events per page a rebuild reads (default 500: short-lived, so collected young). */
  rebuildPage?: number;
  /** Events per read-model transaction of a rebuild, i.e. between its checkpoints (default 20 000). */
  rebuildCommit?: number;
}

/**
 * One projector per projection, each with its own checkpoint and subscription, so a projection that
 * is stuck on an event does not hold the others back (and its lag shows which one it is).
 */
export class Projections {
  readonly projectors: readonly Projector[];

  constructor(
    private readonly store: EventStore,
    private readonly db: ReadModelDb,
    private readonly projections: Projection[],
    private readonly options: ProjectionsOptions = {},
  ) {
    const names = new Set<string>();
    for (const p of projections) {
      // Two projections with one name would share (and corrupt) one checkpoint.
      if (names.has(p.name)) throw new Error(`duplicate projection name: ${p.name}`);
      names.add(p.name);
    }
    this.projectors = projections.map((p) => new Projector(store, db, p, options));
  }

  async start(): Promise<void> {
    await Promise.all(this.projectors.map((p) => p.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.projectors.map((p) => p.stop()));
  }

  statuses(): ProjectorStatus[] {
    return this.projectors.map((p) => p.status());
  }

  /** true once every projector has reached `position`; false if any has not within the timeout. */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    const reached = await Promise.all(this.projectors.map((p) => p.waitFor(position, timeoutMs)));
    return reached.every(Boolean);
  }

  /**
   * Rebuilds every projection from the start of the log: the rows and checkpoints are dropped, then
   * one reader reads each page once and applies it to every projection (six subscriptions would read
   * and parse the whole log six times), committing their checkpoints with the rows every
   * `rebuildCommit` events; the projectors then resume live from there. Rejects on the first event a
   * projection cannot apply, leaving the checkpoints at the last commit. `onProgress` is told the
   * position reached and the events applied so far (on EventStoreDB positions have gaps: they say
   * how far, not how many).
   */
  async rebuild(onProgress: (position: number, events: number) => void = () => undefined): Promise<void> {
    await this.stop();
    const restore = bulkWrites(this.db);
    let failed = false;
    let failure: unknown;
    try {
      await this.replay(onProgress);
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      restore();
    }
    // After a failure the projectors take over from the last commit: they stop on the bad event, report it and retry.
    await this.start();
    if (failed) throw failure;
    await this.waitFor(await this.store.headPosition(), 60_000);
  }

  private async replay(onProgress: (position: number, events: number) => void): Promise<void> {
    const db = this.db;
    db.transaction(() => {
      for (const projection of this.projections) {
        projection.reset(db);
        storeCheckpoint(db, projection.name, 0);
      }
    })();
    const read = pageReader(this.store, this.options.rebuildPage ?? 500);
    const commitEvery = this.options.rebuildCommit ?? 20_000;
    const commit = (position: number): void => {
      for (const projection of this.projections) storeCheckpoint(db, projection.name, position);
      db.exec('COMMIT');
    };
    // One transaction spans many pages, and the awaits between them: nothing else writes the read models
    // while the projectors are stopped. Small pages keep the events short-lived (young garbage), large
    // transactions keep commits rare.
    db.exec('BEGIN');
    try {
      let after = 0;
      let events = 0;
      let uncommitted = 0;
      for (;;) {
        const page = await read(after);
        if (page.events.length === 0) break;
        for (let i = 0; i < page.events.length; i++) {
          const event = page.events[i];
          // The audit history keeps events whole: the reader has their JSON already.
          if (page.json) lendEventJson(event, page.json[i]);
          const current = upcast(event);
          for (const projection of this.projections) projection.apply(db, projection.asRecorded ? event : current);
        }
        after = page.events[page.events.length - 1].position;
        events += page.events.length;
        uncommitted += page.events.length;
        if (uncommitted >= commitEvery) {
          commit(after);
          db.exec('BEGIN');
          uncommitted = 0;
        }
        onProgress(after, events);
      }
      commit(after);
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** A page of the log, and each event's JSON when the store can hand it (SqliteEventStore). */
type Page = { events: RecordedEvent[]; json?: string[] };

/** The rebuild's reader: pages of the log from a position on. */
function pageReader(store: EventStore, maxCount: number): (after: number) => Promise<Page> {
  const withJson = store as EventStore & Partial<Pick<SqliteEventStore, 'readAllWithJson'>>;
  if (typeof withJson.readAllWithJson === 'function') {
    const read = withJson.readAllWithJson.bind(store);
    return (after) => read({ after, maxCount });
  }
  return async (after) => ({ events: await store.readAll({ after, maxCount }) });
}
