import { afterEach, describe, expect, it } from '@jest/globals';
import type { EventStore, RecordedEvent, SubscribeOptions, Subscription } from '@permit-ledger/event-store';
import type { Projection } from './read-model/projection.js';
import { ProjectionApplyError, Projector } from './projector.js';
import { loadCheckpoint, openReadModelDb, type ReadModelDb } from './read-model/read-model-db.js';
import { TestLog } from './testing/events.js';

/**
 * A store whose subscriptions deliver scripted batches whatever `after` says: the at-least-once
 * (and misbehaving) deliveries the SQLite store never produces, to check the projector's guards.
 */
function scriptedStore(script: (call: number, after: number) => RecordedEvent[][], head: number) {
  const subscribedAt: number[] = [];
  const subscribedWith: SubscribeOptions[] = [];
  const store = {
    headPosition: async () => head,
    // Positions are contiguous here: the events after `after` are the positions up to the head.
    countAfter: async (after: number, limit: number) => ({ count: Math.min(limit, Math.max(0, head - after)), through: head }),
    subscribeToAll(handler: (events: RecordedEvent[]) => Promise<void> | void, options: SubscribeOptions = {}): Subscription {
      subscribedAt.push(Date.now());
      subscribedWith.push(options);
      const batches = script(subscribedAt.length, options.after ?? 0);
      let closed = false;
      let wake = () => {};
      const done = (async () => {
        await Promise.resolve();
        for (const batch of batches) {
          if (closed) return;
          await handler(batch);
        }
        options.onCaughtUp?.();
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (closed) resolve();
        });
      })();
      done.catch(() => undefined);
      return {
        done,
        close: async () => {
          closed = true;
          wake();
          await done.catch(() => undefined);
        },
      };
    },
  } as unknown as EventStore;
  return { store, subscribedAt, subscribedWith };
}

/** Records each committed apply; rows are (position) so the table shows exactly what was applied. */
function recorder(failAt?: number): Projection {
  return {
    name: 'recorder',
    setup: (db) => db.exec('CREATE TABLE IF NOT EXISTS applied (position INTEGER NOT NULL)'),
    reset: (db) => db.exec('DELETE FROM applied'),
    apply: (db, e) => {
      if (e.position === failAt) throw new Error(`cannot apply position ${failAt}`);
      db.prepare('INSERT INTO applied (position) VALUES (?)').run(e.position);
    },
  };
}

const appliedPositions = (db: ReadModelDb) =>
  (db.prepare('SELECT position FROM applied ORDER BY rowid').all() as Array<{ position: number }>).map((r) => r.position);

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

const log = new TestLog();
for (let i = 1; i <= 5; i++) log.issued(`EXP-${i}`);
const [e1, e2, e3, e4, e5] = log.events as [RecordedEvent, RecordedEvent, RecordedEvent, RecordedEvent, RecordedEvent];

/** A retry too late for any spec to see: the state after the first attempt stays put. */
const noRetry = { retry: { initialMs: 60_000, maxMs: 60_000 } };

const projectors: Projector[] = [];
afterEach(async () => {
  await Promise.all(projectors.splice(0).map((p) => p.stop()));
});

describe('Projector delivery guards', () => {
  it('applies re-delivered events once (at-least-once delivery)', async () => {
    const db = openReadModelDb(':memory:');
    const { store } = scriptedStore(
      () => [
        [e1, e2],
        [e2, e3],
        [e1, e2, e3, e4],
      ],
      4,
    );
    const projector = new Projector(store, db, recorder());
    projectors.push(projector);

    await projector.start();
    expect(await projector.waitFor(4, 2000)).toBe(true);

    expect(appliedPositions(db)).toEqual([1, 2, 3, 4]);
    expect(loadCheckpoint(db, 'recorder')).toBe(4);
  });

  it('follows positions that are increasing but not contiguous (EventStoreDB numbers $all by byte offset)', async () => {
    const db = openReadModelDb(':memory:');
    const { store } = scriptedStore(
      () => [
        [e1, e2],
        [e4, e5],
      ],
      5,
    );
    const projector = new Projector(store, db, recorder(), { retry: { initialMs: 5, maxMs: 5 } });
    projectors.push(projector);

    await projector.start();
    expect(await projector.waitFor(5, 2000)).toBe(true);

    expect(appliedPositions(db)).toEqual([1, 2, 4, 5]);
    expect(projector.status()).toMatchObject({ position: 5, lastError: null });
  });

  it('backs off exponentially up to the cap, and a stop cancels the pending retry', async () => {
    const db = openReadModelDb(':memory:');
    const { store, subscribedAt } = scriptedStore(() => [[e1], [e3]], 3);
    const projector = new Projector(store, db, recorder(3), { retry: { initialMs: 10, maxMs: 30 } });
    projectors.push(projector);

    await projector.start();
    await until(() => subscribedAt.length >= 5);
    const gaps = subscribedAt.slice(1).map((t, i) => t - subscribedAt[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(29);
    expect(Math.max(...gaps)).toBeLessThan(500); // capped: 10, 20, 30, 30, not 10, 20, 40, 80

    await projector.stop();
    const after = subscribedAt.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(subscribedAt.length).toBe(after);
    expect(projector.status().state).toBe('stopped');
  });
});

describe('Projector batches', () => {
  it('is named after its projection and subscribes in batches of 1000 events unless told otherwise', async () => {
    const db = openReadModelDb(':memory:');
    const { store, subscribedWith } = scriptedStore(() => [], 0);
    const byDefault = new Projector(store, db, recorder());
    const bySize = new Projector(store, db, recorder(), { batchSize: 50 });
    projectors.push(byDefault, bySize);

    await byDefault.start();
    await bySize.start();

    expect(byDefault.name).toBe('recorder');
    expect(subscribedWith.map((o) => o.batchSize)).toEqual([1000, 50]);
  });

  it('commits a batch with its checkpoint and stays live, with no error', async () => {
    const db = openReadModelDb(':memory:');
    const { store } = scriptedStore(() => [[e1, e2, e3]], 3);
    const projector = new Projector(store, db, recorder(), noRetry);
    projectors.push(projector);

    await projector.start();
    await until(() => projector.status().state !== 'catching_up');

    expect(appliedPositions(db)).toEqual([1, 2, 3]);
    expect(loadCheckpoint(db, 'recorder')).toBe(3);
    expect(projector.status()).toMatchObject({ position: 3, state: 'live', lastError: null, retries: 0 });
  });

  it('refreshes the lag up to the head of the log', async () => {
    const db = openReadModelDb(':memory:');
    const { store } = scriptedStore(() => [[e1, e2]], 5);
    const projector = new Projector(store, db, recorder());
    projectors.push(projector);

    await projector.start();
    await until(() => projector.status().state === 'live');

    expect(await projector.refresh()).toMatchObject({ position: 2, head: 5, lag: 3 });
  });
});

describe('Projector failures', () => {
  it('commits the events before the failing one with their checkpoint, and stops exactly before it', async () => {
    const db = openReadModelDb(':memory:');
    const { store } = scriptedStore(() => [[e1, e2, e3, e4]], 4);
    const projector = new Projector(store, db, recorder(3), noRetry);
    projectors.push(projector);

    await projector.start();
    await until(() => projector.status().state === 'retrying');

    expect(appliedPositions(db)).toEqual([1, 2]);
    expect(loadCheckpoint(db, 'recorder')).toBe(2);
    // The subscription reads back how far the projector committed: its position is the checkpoint.
    expect(projector.status()).toMatchObject({
      position: 2,
      state: 'retrying',
      retries: 1,
      lastError: 'recorder: cannot apply PermitIssued permit-EXP-3@0 (position 3): cannot apply position 3',
    });
  });

  it('stores no checkpoint when the first event of a batch fails, and reports that event', async () => {
    const db = openReadModelDb(':memory:');
    const { store } = scriptedStore(() => [[e1, e2]], 2);
    const projector = new Projector(store, db, recorder(1), noRetry);
    projectors.push(projector);

    await projector.start();
    await until(() => projector.status().state === 'retrying');

    expect(appliedPositions(db)).toEqual([]);
    expect(loadCheckpoint(db, 'recorder')).toBeNull();
    expect(projector.status()).toMatchObject({
      position: 0,
      lastError: 'recorder: cannot apply PermitIssued permit-EXP-1@0 (position 1): cannot apply position 1',
    });
  });
});

describe('ProjectionApplyError', () => {
  it('names the projection and the event, and keeps the cause', () => {
    const cause = new Error('no such permit');
    const error = new ProjectionApplyError('status', e2, cause);
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, code: error.code, message: error.message, cause: error.cause }).toEqual({
      name: 'ProjectionApplyError',
      code: 'PROJECTION_APPLY_FAILED',
      message: 'status: cannot apply PermitIssued permit-EXP-2@0 (position 2): no such permit',
      cause,
    });
    expect({ projection: error.projection, event: error.event }).toEqual({ projection: 'status', event: e2 });
  });

  it('spells a cause that is not an Error', () => {
    const error = new ProjectionApplyError('status', e2, 'disk full');
    expect([error.message, error.cause]).toEqual(['status: cannot apply PermitIssued permit-EXP-2@0 (position 2): disk full', 'disk full']);
  });
});
