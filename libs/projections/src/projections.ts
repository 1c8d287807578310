import type { EventStore } from '@permit-ledger/event-store';
import type { Projection } from './projection.js';
import { Projector, type ProjectorOptions, type ProjectorStatus } from './projector.js';
import type { ReadModelDb } from './read-model-db.js';

/**
 * One projector per projection, each with its own checkpoint and subscription, so a projection that
 * is stuck on an event does not hold the others back (and its lag shows which one it is).
 */
export class Projections {
  readonly projectors: readonly Projector[];

  constructor(store: EventStore, db: ReadModelDb, projections: Projection[], options: ProjectorOptions = {}) {
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

  /** Rebuilds every projection; resolves when all have caught up, rejects on the first failure. */
  async rebuild(): Promise<void> {
    await Promise.all(this.projectors.map((p) => p.rebuild()));
  }
}
