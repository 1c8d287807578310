import type { EventStore, RecordedEvent } from '@permit-ledger/event-store';
import type { StoredEvent } from '@permit-ledger/permits';
import { stored } from './dated.js';

/** A stream as the runner last read it: every event from revision 0, parsed, and what a decider folded of them. */
export interface CachedStream {
  /** Events at revisions 0 … length - 1 (a stream's revisions have no gaps). */
  readonly events: readonly RecordedEvent[];
  /** The same events as the domain reads them. */
  readonly stored: readonly StoredEvent[];
  /** A folded state: by which decider, over how many events. */
  folded?: { owner: unknown; count: number; state: unknown };
}

/**
 * The streams commands read, kept parsed between commands. Nothing is taken on trust: every read asks the
 * store for the last cached event and those after it (one row, most of the time, instead of the whole stream
 * parsed again), so another writer — a replica, a process — is always seen, and a store restored underneath
 * is noticed by the last event's hash (which the chain ties to every earlier one). Append-only streams make
 * that exact. A conflict or a failed append drops the stream, so its next read starts from the store again.
 *
 * Bounded by events held (least recently read streams go first); a stream longer than a quarter of the
 * bound is not kept.
 */
export class StreamCache {
  private readonly streams = new Map<string, CachedStream>();
  private held = 0;

  constructor(
    private readonly store: EventStore,
    private readonly maxEvents: number,
  ) {}

  async read(stream: string): Promise<CachedStream> {
    const known = this.streams.get(stream);
    const last = known?.events.at(-1);
    // From the last cached event: the store must still hold it, with its hash (which covers every earlier one).
    const fresh = await this.store.readStream(stream, last ? { fromRevision: last.revision } : {});
    if (last && fresh[0]?.hash !== last.hash) {
      // Not the stream the cache holds (a store restored underneath): read it whole again.
      this.drop(stream);
      return this.read(stream);
    }
    const newer = last ? fresh.slice(1) : fresh;
    if (newer.length > 0 && !follows(known, newer[0])) {
      this.drop(stream);
      return { events: fresh, stored: fresh.map(stored) };
    }
    // Reads of one stream overlap (a destination read by many commands): the events at a revision are the
    // same in every read, so the entry that knows more is kept and extended.
    const current = this.streams.get(stream);
    return this.extend(stream, current && current.events.length >= (known?.events.length ?? 0) ? current : known, newer);
  }

  /** Events this process just appended, at the revisions after the cached ones. */
  appended(stream: string, events: readonly RecordedEvent[]): void {
    const known = this.streams.get(stream);
    if (!known || events.length === 0) return;
    if (!follows(known, events[0])) return this.drop(stream);
    this.extend(stream, known, events);
  }

  drop(stream: string): void {
    const known = this.streams.get(stream);
    if (!known) return;
    this.held -= known.events.length;
    this.streams.delete(stream);
  }

  private extend(stream: string, base: CachedStream | undefined, fresh: readonly RecordedEvent[]): CachedStream {
    const have = base?.events.length ?? 0;
    const added = fresh.filter((e) => e.revision >= have);
    const entry: CachedStream =
      added.length === 0 && base
        ? base
        : {
            events: [...(base?.events ?? []), ...added],
            stored: [...(base?.stored ?? []), ...added.map(stored)],
            folded: base?.folded,
          };
    this.drop(stream);
    if (this.maxEvents === 0 || entry.events.length > this.maxEvents / 4) return entry;
    this.streams.set(stream, entry);
    this.held += entry.events.length;
    for (const [name, oldest] of this.streams) {
      if (this.held <= this.maxEvents) break;
      this.streams.delete(name);
      this.held -= oldest.events.length;
    }
    return entry;
  }
}

/** Whether `next` comes right after what `known` holds: the next revision, chained to the last hash. */
function follows(known: CachedStream | undefined, next: RecordedEvent): boolean {
  const last = known?.events.at(-1);
  return last ? next.revision === last.revision + 1 && next.prevHash === last.hash : next.revision === 0;
}
