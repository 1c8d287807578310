import { describe, expect, it } from '@jest/globals';
import type { EventStore, LogCount } from '@permit-ledger/event-store';
import type { LagSource, SubscriptionStatus } from './checkpointed-subscription.js';
import { ConsumerRegistry, type StatusSource } from './consumer-registry.js';
import { LogProbe } from './log-probe.js';

/** A consumer standing at `position` that counts its lag through whatever probe it is given. */
function consumer(name: string, position: number): StatusSource & { sources: LagSource[] } {
  let lag = 0;
  let head = position;
  const status = (): SubscriptionStatus => ({ name, position, head, lag, state: 'live', lastError: null, retries: 0 });
  return {
    sources: [],
    status,
    async refresh(source) {
      this.sources.push(source);
      if (source instanceof LogProbe) {
        head = source.head;
        lag = (await source.countAfter(position, 100)).count;
      }
      return status();
    },
  };
}

/** Positions 10, 20, … up to `head`; headPosition waits for `hold` when one is set. */
function store(head: number) {
  const calls = { head: 0, count: 0 };
  let hold: Promise<void> | null = null;
  const fake = {
    async headPosition() {
      calls.head++;
      await hold;
      return head;
    },
    async countAfter(after: number, limit: number): Promise<LogCount> {
      calls.count++;
      const count = Math.min(limit, Math.max(0, (head - after) / 10));
      return { count, through: after + count * 10 };
    },
  };
  return { store: fake as unknown as EventStore, calls, hang: () => (hold = new Promise(() => undefined)) };
}

describe('ConsumerRegistry', () => {
  it('reads the head once per refresh for every consumer, and consumers at one checkpoint share one count', async () => {
    const { store: s, calls } = store(100);
    const registry = new ConsumerRegistry(s);
    const [a, b, c] = [consumer('a', 50), consumer('b', 50), consumer('c', 80)];
    registry.register({ kind: 'projector', indicator: 'projector:a', subscription: a });
    registry.register({ kind: 'processor', subscription: b });
    registry.register({ kind: 'projector', subscription: c });

    const reports = await registry.refresh(10_000);
    expect(reports.map((r) => [r.status.name, r.status.lag])).toEqual([
      ['a', 5],
      ['c', 2],
      ['b', 5],
    ]);
    expect(calls).toEqual({ head: 1, count: 2 });
    expect(new Set([...a.sources, ...b.sources, ...c.sources]).size).toBe(1);
  });

  it('answers what is known, from memory, while the store does not answer', async () => {
    const { store: s, calls, hang } = store(100);
    const registry = new ConsumerRegistry(s);
    const a = consumer('a', 70);
    registry.register({ kind: 'projector', subscription: a });
    await registry.refresh(10_000);

    hang();
    expect(registry.reports()[0]!.status.lag).toBe(3);
    expect((await registry.refresh(10))[0]!.status.lag).toBe(3);
    // Refreshes asked for while one hangs wait for it, rather than piling up on the store.
    await registry.refresh(10);
    expect(calls.head).toBe(2);
  });
});
