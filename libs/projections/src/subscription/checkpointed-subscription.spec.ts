import { afterEach, describe, expect, it } from '@jest/globals';
import type { EventStore, ReadAllOptions, RecordedEvent, SubscribeOptions, Subscription } from '@permit-ledger/event-store';
import { TestLog } from '../testing/events.js';
import type { CheckpointStore } from './checkpoint-store.js';
import {
  CheckpointedSubscription,
  retryDelay,
  type CheckpointedSubscriptionOptions,
  type LogConsumer,
} from './checkpointed-subscription.js';

/**
 * A log in memory with the port's subscription semantics (after is exclusive, batches of at most
 * batchSize, caught-up once, then woken by appends), numbered with gaps as EventStoreDB numbers $all.
 * `redeliver` makes each subscription start that many events before `after`: the at-least-once
 * delivery a store may produce after a reconnect.
 */
class MemoryLog {
  readonly events: RecordedEvent[] = [];
  subscriptions = 0;
  redeliver = 0;
  /** Calls of headPosition and countAfter; countAfter waits for `countGate` when one is set. */
  headReads = 0;
  counts = 0;
  countGate: Promise<void> | null = null;
  private readonly wakers = new Set<() => void>();

  append(count: number): RecordedEvent[] {
    const log = new TestLog();
    const added: RecordedEvent[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.events.length + 1;
      const event = { ...log.issued(`EXP-${n}`), position: n * 100 + (n % 3) * 7 };
      this.events.push(event);
      added.push(event);
    }
    for (const wake of this.wakers) wake();
    return added;
  }

  store(): EventStore {
    return {
      headPosition: async () => {
        this.headReads++;
        return this.events.at(-1)?.position ?? 0;
      },
      countAfter: async (after: number, limit: number) => {
        this.counts++;
        await this.countGate;
        const counted = this.events.filter((e) => e.position > after).slice(0, limit);
        return { count: counted.length, through: counted.at(-1)?.position ?? after };
      },
      readAll: async ({ after = 0, maxCount = Infinity }: ReadAllOptions = {}) =>
        this.events.filter((e) => e.position > after).slice(0, maxCount),
      subscribeToAll: (handler: (events: RecordedEvent[]) => Promise<void> | void, options: SubscribeOptions = {}): Subscription => {
        this.subscriptions++;
        let closed = false;
        let wake: () => void = () => undefined;
        const start = this.events.filter((e) => e.position <= (options.after ?? 0)).length;
        let next = Math.max(0, start - this.redeliver);
        const done = (async () => {
          await Promise.resolve();
          let caughtUp = false;
          while (!closed) {
            const batch = this.events.slice(next, next + (options.batchSize ?? 256));
            if (batch.length === 0) {
              if (!caughtUp) options.onCaughtUp?.();
              caughtUp = true;
              await new Promise<void>((resolve) => {
                wake = resolve;
                this.wakers.add(resolve);
              });
              this.wakers.delete(wake);
              continue;
            }
            await handler(batch);
            next += batch.length;
          }
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
  }
}

class MemoryCheckpoints implements CheckpointStore {
  readonly rows = new Map<string, number>();
  failStores = 0;
  async load(name: string) {
    return this.rows.get(name) ?? null;
  }
  async store(name: string, position: number) {
    if (this.failStores > 0) {
      this.failStores--;
      throw new Error('checkpoint store unavailable');
    }
    this.rows.set(name, position);
  }
}

/** Records what it was given; `failAt` makes it throw on that position until cleared. */
function recorder(name = 'recorder') {
  const consumer = {
    name,
    batches: [] as number[][],
    handled: [] as number[],
    failAt: null as number | null,
    handle(events: RecordedEvent[]) {
      consumer.batches.push(events.map((e) => e.position));
      for (const e of events) {
        if (e.position === consumer.failAt) throw new Error(`cannot handle ${e.position}`);
        consumer.handled.push(e.position);
      }
    },
  };
  return consumer;
}

/** Runs retries at once, recording the back-off each one would have waited. */
function instantRetries() {
  const delays: number[] = [];
  const schedule: CheckpointedSubscriptionOptions['schedule'] = (run, ms) => {
    delays.push(ms);
    const handle = setImmediate(run);
    return { cancel: () => clearImmediate(handle) };
  };
  return { delays, schedule };
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

const running: CheckpointedSubscription[] = [];
function run(log: MemoryLog, checkpoints: CheckpointStore, consumer: LogConsumer, options: CheckpointedSubscriptionOptions = {}) {
  const subscription = new CheckpointedSubscription(log.store(), checkpoints, consumer, options);
  running.push(subscription);
  return subscription;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('CheckpointedSubscription', () => {
  it('delivers the log in order, in batches of at most batchSize, and stores the highest position handled', async () => {
    const log = new MemoryLog();
    const events = log.append(7);
    const checkpoints = new MemoryCheckpoints();
    const consumer = recorder();
    const subscription = run(log, checkpoints, consumer, { batchSize: 3 });

    await subscription.start();
    expect(await subscription.waitFor(events[6]!.position, 2000)).toBe(true);
    await until(() => subscription.status().state === 'live');

    expect(consumer.handled).toEqual(events.map((e) => e.position));
    expect(consumer.batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(checkpoints.rows.get('recorder')).toBe(events[6]!.position);
    expect(subscription.status()).toMatchObject({ position: events[6]!.position, lag: 0, lastError: null, retries: 0 });
  });

  it('resumes after its checkpoint: a second run handles only what came after', async () => {
    const log = new MemoryLog();
    const first = log.append(3);
    const checkpoints = new MemoryCheckpoints();
    const one = run(log, checkpoints, recorder());
    await one.start();
    expect(await one.waitFor(first[2]!.position, 2000)).toBe(true);
    await one.stop();
    expect(one.status().state).toBe('stopped');

    const later = log.append(2);
    const consumer = recorder();
    const two = run(log, checkpoints, consumer);
    await two.start();
    expect(await two.waitFor(later[1]!.position, 2000)).toBe(true);
    expect(consumer.handled).toEqual(later.map((e) => e.position));
  });

  it('passes events the store delivers again (at least once) to the consumer only once', async () => {
    const log = new MemoryLog();
    const events = log.append(4);
    const checkpoints = new MemoryCheckpoints();
    checkpoints.rows.set('recorder', events[1]!.position);
    log.redeliver = 2;
    const consumer = recorder();
    const subscription = run(log, checkpoints, consumer);

    await subscription.start();
    expect(await subscription.waitFor(events[3]!.position, 2000)).toBe(true);
    expect(consumer.handled).toEqual([events[2]!.position, events[3]!.position]);
  });

  it('fails stop on a handler error: keeps the checkpoint before the batch, retries with capped back-off, never skips', async () => {
    const log = new MemoryLog();
    const events = log.append(5);
    const checkpoints = new MemoryCheckpoints();
    const consumer = recorder();
    consumer.failAt = events[3]!.position;
    const { delays, schedule } = instantRetries();
    const subscription = run(log, checkpoints, consumer, { batchSize: 2, retry: { initialMs: 10, maxMs: 40 }, schedule });

    await subscription.start();
    await until(() => subscription.status().retries >= 5);
    expect(delays.slice(0, 5)).toEqual([10, 20, 40, 40, 40]);
    const stuck = subscription.status();
    expect(stuck).toMatchObject({ state: 'retrying', position: events[1]!.position, lastError: `cannot handle ${events[3]!.position}` });
    expect(checkpoints.rows.get('recorder')).toBe(events[1]!.position);
    // The failed batch is delivered whole again each time, from the checkpoint.
    expect(consumer.batches.slice(1, 4)).toEqual(Array(3).fill([events[2]!.position, events[3]!.position]));
    expect(await subscription.waitFor(events[4]!.position, 20)).toBe(false);

    consumer.failAt = null;
    expect(await subscription.waitFor(events[4]!.position, 2000)).toBe(true);
    await until(() => subscription.status().state === 'live');
    expect(subscription.status()).toMatchObject({ lastError: null, retries: 0 });
    expect([...new Set(consumer.handled)]).toEqual(events.map((e) => e.position));
  });

  it('stop cancels a pending retry', async () => {
    const log = new MemoryLog();
    log.append(1);
    const consumer = recorder();
    consumer.failAt = log.events[0]!.position;
    const pending: Array<() => void> = [];
    const subscription = run(log, new MemoryCheckpoints(), consumer, {
      schedule: (retry) => {
        pending.push(retry);
        return { cancel: () => pending.splice(0) };
      },
    });
    await subscription.start();
    await until(() => subscription.status().state === 'retrying');
    await subscription.stop();
    expect(pending).toEqual([]);
    expect(log.subscriptions).toBe(1);
    expect(subscription.status().state).toBe('stopped');
  });

  it('delivers again what was handled but not checkpointed; an idempotent consumer applies it once', async () => {
    const log = new MemoryLog();
    const events = log.append(3);
    const checkpoints = new MemoryCheckpoints();
    checkpoints.failStores = 1; // as if the process died between handling a batch and storing its checkpoint
    const deliveries: number[] = [];
    const applied = new Set<number>();
    const consumer: LogConsumer = {
      name: 'idempotent',
      handle(batch) {
        for (const e of batch) {
          deliveries.push(e.position);
          applied.add(e.position); // keyed by the event: a second delivery changes nothing
        }
      },
    };
    const subscription = run(log, checkpoints, consumer, instantRetries());

    await subscription.start();
    expect(await subscription.waitFor(events[2]!.position, 2000)).toBe(true);
    expect(deliveries).toEqual([...events, ...events].map((e) => e.position));
    expect([...applied]).toEqual(events.map((e) => e.position));
    expect(checkpoints.rows.get('idempotent')).toBe(events[2]!.position);
  });

  it('with checkpoint "consumer", reads back how far a failed batch was committed', async () => {
    const log = new MemoryLog();
    const events = log.append(4);
    const checkpoints = new MemoryCheckpoints();
    const consumer: LogConsumer = {
      name: 'self-committing',
      handle(batch) {
        for (const e of batch) {
          if (e.position === events[2]!.position) throw new Error('stuck');
          checkpoints.rows.set('self-committing', e.position); // with its own writes, in one transaction
        }
      },
    };
    const subscription = run(log, checkpoints, consumer, { checkpoint: 'consumer', schedule: () => ({ cancel: () => undefined }) });

    await subscription.start();
    await until(() => subscription.status().state === 'retrying');
    expect(await subscription.refresh()).toMatchObject({ position: events[1]!.position, lag: 2 });
  });

  it('reports lag as a count of events, though positions have gaps', async () => {
    const log = new MemoryLog();
    const events = log.append(6);
    const consumer = recorder();
    consumer.failAt = events[2]!.position;
    const subscription = run(log, new MemoryCheckpoints(), consumer, { batchSize: 1, schedule: () => ({ cancel: () => undefined }) });

    await subscription.start();
    await until(() => subscription.status().state === 'retrying');
    const status = await subscription.refresh();
    expect(status.position).toBe(events[1]!.position);
    expect(status.head).toBe(events[5]!.position);
    expect(status.lag).toBe(4); // events 3..6, whatever their positions
    expect(status.head - status.position).toBeGreaterThan(300);

    log.append(3);
    expect((await subscription.refresh()).lag).toBe(7);
  });

  it('counts on a refresh asked for while a count runs, up to the newer head it was given', async () => {
    const log = new MemoryLog();
    log.append(3);
    const consumer = recorder();
    consumer.failAt = log.events[0]!.position;
    const subscription = run(log, new MemoryCheckpoints(), consumer, { schedule: () => ({ cancel: () => undefined }) });
    await subscription.start();
    await until(() => subscription.status().state === 'retrying');

    let open!: () => void;
    log.countGate = new Promise((resolve) => (open = resolve));
    const first = subscription.refresh(log.events[2]!.position);
    // Appended while the first count waits on the store: a refresh with the newer head must not join it.
    log.append(4);
    const second = subscription.refresh(log.events[6]!.position);
    open();
    expect((await first).lag).toBeGreaterThanOrEqual(3);
    expect(await second).toMatchObject({ lag: 7, head: log.events[6]!.position });
  });

  it('counts only what it has not counted: nothing when neither the checkpoint nor the head moved', async () => {
    const log = new MemoryLog();
    log.append(5);
    const consumer = recorder();
    consumer.failAt = log.events[0]!.position;
    const subscription = run(log, new MemoryCheckpoints(), consumer, { schedule: () => ({ cancel: () => undefined }) });
    await subscription.start();
    await until(() => subscription.status().state === 'retrying');

    const head = log.events[4]!.position;
    expect((await subscription.refresh(head)).lag).toBe(5);
    expect(log.counts).toBe(1);
    expect((await subscription.refresh(head)).lag).toBe(5);
    expect(log.counts).toBe(1);
    log.append(2);
    expect((await subscription.refresh(log.events[6]!.position)).lag).toBe(7);
    expect(log.counts).toBe(2);
  });

  it('keeps the lag it counted as the consumer works through it, without counting again', async () => {
    const log = new MemoryLog();
    log.append(8);
    const consumer = recorder();
    consumer.failAt = log.events[0]!.position;
    const subscription = run(log, new MemoryCheckpoints(), consumer, {
      batchSize: 1,
      schedule: (go) => {
        const handle = setImmediate(go);
        return { cancel: () => clearImmediate(handle) };
      },
    });
    await subscription.start();
    await until(() => subscription.status().retries > 0);
    expect((await subscription.refresh(log.events[7]!.position)).lag).toBe(8);

    consumer.failAt = log.events[5]!.position;
    await until(() => subscription.status().position === log.events[4]!.position);
    expect(subscription.status().lag).toBe(3);
    expect((await subscription.refresh(log.events[7]!.position)).lag).toBe(3);
    expect(log.counts).toBe(1);
  });

  it('counts lag no further than lagCountLimit', async () => {
    const log = new MemoryLog();
    log.append(50);
    const consumer = recorder();
    consumer.failAt = log.events[0]!.position;
    const subscription = run(log, new MemoryCheckpoints(), consumer, { lagCountLimit: 10, schedule: () => ({ cancel: () => undefined }) });
    await subscription.start();
    await until(() => subscription.status().state === 'retrying');
    expect((await subscription.refresh()).lag).toBe(10);
  });
});

describe('retryDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const policy = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, policy))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
