import type { EventStore, LogCount } from '@permit-ledger/event-store';

/**
 * One look at the log for every consumer: the head, read once, and the counts behind it, shared by
 * consumers counting from the same place (after a restart they usually all stand at one checkpoint).
 */
export class LogProbe {
  private readonly counts = new Map<string, Promise<LogCount>>();

  constructor(
    private readonly store: Pick<EventStore, 'countAfter'>,
    readonly head: number,
  ) {}

  countAfter(after: number, limit: number): Promise<LogCount> {
    const key = `${after}:${limit}`;
    let count = this.counts.get(key);
    if (!count) {
      count = this.store.countAfter(after, limit);
      this.counts.set(key, count);
    }
    return count;
  }
}
