import type { EventStore, RecordedEvent } from '@permit-ledger/event-store';
import { foldPermitOnto, initialPermitState, type Dated, type PermitEvent, type PermitState } from '@permit-ledger/permits';
import { dated } from '../platform/commands/dated.js';

/** One event of a permit stream as a replay reads it: upcast and dated, its clocks parsed once. */
export interface ReplayEvent {
  readonly revision: number;
  readonly position: number;
  readonly effectiveAt: string;
  readonly recordedAt: string;
  /** Date.parse of effectiveAt and recordedAt: NaN when unparsable, so never within a cut-off. */
  readonly effectiveMs: number;
  readonly recordedMs: number;
  readonly event: Dated<PermitEvent>;
}

/** Which events a replay folds: those at or before each cut-off given (epoch ms for the clocks); none given, all. */
export interface ReplayCut {
  revision?: number;
  effectiveBy?: number;
  recordedBy?: number;
}

/** The fold of the events a cut lets through, and the last of them. */
export interface Replayed {
  state: PermitState;
  last: ReplayEvent;
}

export interface PermitReplaysOptions {
  /** Events held across all streams; least recently read streams go first. A stream longer than half of it is not kept. */
  maxEvents?: number;
  /** A folded state is kept every this many events, so a cut folds at most this many again. */
  snapshotEvery?: number;
  /** Past this many states per stream the spacing doubles (every other state is let go). */
  maxSnapshots?: number;
}

/**
 * The permit streams auditors replay, kept upcast and folded between queries, so a replay at any point folds
 * only the events past the nearest kept state instead of reading, parsing and folding the whole stream.
 *
 * The store is asked every time, never the cache alone: each load reads the stream from the last cached
 * revision on. That event must still be there with the same hash — the hash chains every earlier event, so
 * the whole cached prefix is then the store's — and what follows it is taken in; otherwise (a store restored
 * or replaced underneath) the stream is read whole again. Another writer, a replica, a process, is therefore
 * always seen, and a load answers exactly the revisions the store had when it was read.
 *
 * Memory: bounded by events held (maxEvents, default 50,000; about 0.7 KB each with their kept states, as measured on a
 * permit of 10,000 suspensions and reinstatements, so some 35 MB at most).
 */
export class PermitReplays {
  private readonly streams = new Map<string, StreamReplay>();
  private held = 0;
  private readonly maxEvents: number;
  private readonly snapshotEvery: number;
  private readonly maxSnapshots: number;

  constructor(
    private readonly store: EventStore,
    options: PermitReplaysOptions = {},
  ) {
    this.maxEvents = options.maxEvents ?? 50_000;
    this.snapshotEvery = options.snapshotEvery ?? 256;
    this.maxSnapshots = options.maxSnapshots ?? 64;
  }

  /** Events held now, across streams. */
  get size(): number {
    return this.held;
  }

  /** The stream as the store holds it now, or null when it has no events. */
  async load(stream: string): Promise<ReplayView | null> {
    const known = this.streams.get(stream);
    if (known) {
      const anchor = known.head;
      const fresh = await this.store.readStream(stream, { fromRevision: anchor.revision });
      if (fresh[0]?.revision === anchor.revision && fresh[0].hash === anchor.hash) {
        const added = known.takeIn(fresh);
        if (this.streams.get(stream) === known) {
          // Most recently read last in the map's order; grown past what one stream may hold, let go.
          this.streams.delete(stream);
          this.held += added;
          if (known.length <= this.maxEvents / 2) this.streams.set(stream, known);
          else this.held -= known.length;
          this.evict();
        }
        return new ReplayView(known, fresh.at(-1)!.revision);
      }
      this.drop(stream, known);
    }
    const events = await this.store.readStream(stream);
    if (events.length === 0) return null;
    const replay = new StreamReplay(events, this.snapshotEvery, this.maxSnapshots);
    if (events.length <= this.maxEvents / 2) {
      const current = this.streams.get(stream);
      if (current) this.drop(stream, current);
      this.streams.set(stream, replay);
      this.held += replay.length;
      this.evict();
    }
    return new ReplayView(replay, events.at(-1)!.revision);
  }

  private drop(stream: string, replay: StreamReplay): void {
    if (this.streams.get(stream) !== replay) return;
    this.streams.delete(stream);
    this.held -= replay.length;
  }

  private evict(): void {
    for (const [stream, oldest] of this.streams) {
      if (this.held <= this.maxEvents) return;
      this.drop(stream, oldest);
    }
  }
}

/** A cached stream as one load saw it: its events up to the revision the store had then. */
export class ReplayView {
  constructor(
    private readonly replay: StreamReplay,
    /** The stream's last revision when it was read. */
    readonly revision: number,
  ) {}

  /** The fold of the events the cut lets through, in stream order; null when it lets none through. */
  stateAt(cut: ReplayCut): Replayed | null {
    return this.replay.stateAt(cut, this.revision);
  }
}

/** One stream's events and folded states: snapshots[k] is the fold of its first k * spacing events. */
class StreamReplay {
  private readonly events: ReplayEvent[] = [];
  private readonly snapshots: PermitState[] = [initialPermitState];
  private spacing: number;
  /** The fold of the first `count` events: all of them, unless one could not be folded (it stops there). */
  private folded: { state: PermitState; count: number } = { state: initialPermitState, count: 0 };
  private stuck = false;
  /** The last event's revision and hash: what the next load checks the store against. */
  head: { revision: number; hash: string };

  constructor(
    events: readonly RecordedEvent[],
    spacing: number,
    private readonly maxSnapshots: number,
  ) {
    this.spacing = Math.max(1, spacing);
    this.head = { revision: -1, hash: '' };
    this.takeIn(events);
  }

  get length(): number {
    return this.events.length;
  }

  /** Appends the events after the head (a contiguous read from the store) and folds them on; how many were new. */
  takeIn(records: readonly RecordedEvent[]): number {
    const before = this.events.length;
    for (const e of records) {
      if (e.revision <= this.head.revision) continue;
      const effectiveAt = e.metadata.effectiveAt;
      this.events.push({
        revision: e.revision,
        position: e.position,
        effectiveAt,
        recordedAt: e.recordedAt,
        effectiveMs: Date.parse(effectiveAt),
        recordedMs: Date.parse(e.recordedAt),
        event: dated<PermitEvent>(e),
      });
      this.head = { revision: e.revision, hash: e.hash };
    }
    this.foldOn();
    return this.events.length - before;
  }

  /** Folds the events not folded yet, keeping a state at every multiple of the spacing. */
  private foldOn(): void {
    let { state, count } = this.folded;
    try {
      while (!this.stuck && count < this.events.length) {
        const next = Math.min(this.events.length, (Math.floor(count / this.spacing) + 1) * this.spacing);
        state = foldPermitOnto(state, this.slice(count, next));
        count = next;
        if (count % this.spacing === 0) this.keep(state, count);
      }
    } catch {
      // A stream that does not fold: kept up to the chunk that failed; a replay that takes its events in folds them and fails as it would uncached.
      this.stuck = true;
    }
    this.folded = { state, count };
  }

  private keep(state: PermitState, count: number): void {
    if (count / this.spacing !== this.snapshots.length) return;
    this.snapshots.push(state);
    if (this.snapshots.length <= this.maxSnapshots) return;
    // Too many kept states: every other one goes, the spacing doubles.
    const kept = this.snapshots.filter((_, k) => k % 2 === 0);
    this.snapshots.splice(0, this.snapshots.length, ...kept);
    this.spacing *= 2;
  }

  stateAt(cut: ReplayCut, revision: number): Replayed | null {
    const { events } = this;
    const inCut = (e: ReplayEvent) =>
      e.revision <= revision &&
      (cut.revision === undefined || e.revision <= cut.revision) &&
      (cut.effectiveBy === undefined || e.effectiveMs <= cut.effectiveBy) &&
      (cut.recordedBy === undefined || e.recordedMs <= cut.recordedBy);
    // The cut takes a whole first part of the stream, then perhaps some later events (a late declaration, dated earlier).
    let whole = 0;
    while (whole < events.length && inCut(events[whole]!)) whole++;
    let last = events.length - 1;
    while (last >= whole && !inCut(events[last]!)) last--;
    if (last < 0) return null;
    if (whole === this.folded.count && last < whole) return { state: this.folded.state, last: events[last]! };
    const k = Math.min(Math.floor(Math.min(whole, this.folded.count) / this.spacing), this.snapshots.length - 1);
    const from = k * this.spacing;
    const rest: Dated<PermitEvent>[] = [];
    for (let i = from; i <= last; i++) if (i < whole || inCut(events[i]!)) rest.push(events[i]!.event);
    return { state: foldPermitOnto(this.snapshots[k]!, rest), last: events[last]! };
  }

  private slice(from: number, to: number): Dated<PermitEvent>[] {
    const out: Dated<PermitEvent>[] = [];
    for (let i = from; i < to; i++) out.push(this.events[i]!.event);
    return out;
  }
}
