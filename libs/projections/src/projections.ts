import type { EventStore } from '@permit-ledger/event-store';
import { upcast } from '@permit-ledger/permits';
import type { Projection } from './read-model/projection.js';
import { Projector, type ProjectorOptions, type ProjectorStatus } from './projector.js';
import { storeCheckpoint, type ReadModelDb } from './read-model/read-model-db.js';

/** Events per page and per read-model transaction during a rebuild. */
const REBUILD_PAGE = 5000;

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
    options: ProjectorOptions = {},
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
   * one reader reads each page once and applies it to every projection in one transaction with their
   * checkpoints (four subscriptions would read and parse the whole log four times); the projectors then
   * resume live from there. Rejects on the first event a projection cannot apply, leaving the
   * checkpoints at the last page applied. `onProgress` is told the position reached and the events
   * applied so far (on EventStoreDB positions have gaps: they say how far, not how many).
   */
  async rebuild(onProgress: (position: number, events: number) => void = () => undefined): Promise<void> {
    await this.stop();
    this.db.transaction(() => {
      for (const projection of this.projections) {
        projection.reset(this.db);
        storeCheckpoint(this.db, projection.name, 0);
      }
    })();
    const applyPage = this.db.transaction((page: Awaited<ReturnType<EventStore['readAll']>>) => {
      for (const event of page) {
        const current = upcast(event);
        for (const projection of this.projections) projection.apply(this.db, projection.asRecorded ? event : current);
      }
      for (const projection of this.projections) storeCheckpoint(this.db, projection.name, page[page.length - 1].position);
    });
    try {
      for (let after = 0, events = 0; ;) {
        const page = await this.store.readAll({ after, maxCount: REBUILD_PAGE });
        if (page.length === 0) break;
        applyPage(page);
        after = page[page.length - 1].position;
        events += page.length;
        onProgress(after, events);
      }
    } catch (error) {
      // The projectors take over from the last page applied: they stop on the bad event, report it and retry.
      await this.start();
      throw error;
    }
    await this.start();
    await this.waitFor(await this.store.headPosition(), 60_000);
  }
}
