/**
 * The storage semantics behind EsdbTestServer: one append-only log ($all) plus a per-stream index, with the
 * rules of the real EventStoreDB write path (expected-version check, idempotent retries, soft delete,
 * tombstone). No gRPC here, so the rules can be read (and changed) in one place.
 *
 * Written is not committed. The log holds every record written; reads serve only the committed prefix, as
 * the real leader's index holds only committed records. A write may be held (appended with `hold`): it is
 * in the log and owns its revisions at once (later writes to its stream are checked against it), but it
 * and every record after it, in any stream, stay uncommitted until commit() releases it. Commit follows
 * log order: the committed prefix ends at the first held write.
 */

import { randomUUID } from 'node:crypto';

/** A log position. The real server has commit and prepare; here every event has commit === prepare. */
export interface LogPosition {
  commit: bigint;
  prepare: bigint;
}

export interface LogRecord {
  position: bigint;
  streamName: string;
  revision: bigint;
  /** Lower-case canonical UUID. */
  id: string;
  type: string;
  /** The server keeps only "is JSON"; reads report application/json or application/octet-stream. */
  isJson: boolean;
  data: Uint8Array;
  metadata: Uint8Array;
  /** .NET ticks (100 ns) since the Unix epoch, as the server's `created` metadata. */
  created: bigint;
}

export type ExpectedRevision = { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: bigint };

export interface ProposedEvent {
  id: string;
  type: string;
  isJson: boolean;
  data: Uint8Array;
  metadata: Uint8Array;
}

/** `current` is -1n when the stream does not exist. */
export type WriteOutcome =
  | { kind: 'success'; currentRevision: bigint; position: bigint | undefined }
  | { kind: 'wrong_expected_version'; current: bigint }
  | { kind: 'stream_deleted' };

/**
 * An append may also find its events already written but not committed (a held write, or one after it):
 * the real server's CommitDecision.IdempotentNotReady, which it drops unanswered.
 */
export type AppendOutcome = WriteOutcome | { kind: 'idempotent_not_ready' };

/** EventNumber.DeletedStream (long.MaxValue): the tombstone's revision and the soft-delete `$tb`. */
export const DELETED_STREAM_REVISION = 9223372036854775807n;

interface StreamState {
  /** records[i].revision === i: revisions are contiguous from 0 (the tombstone is kept apart). */
  records: LogRecord[];
  /** `$tb` of the stream metadata: events below it are invisible to stream reads. */
  truncateBefore: bigint;
  softDeleted: boolean;
  tombstone?: LogRecord;
}

const encoder = new TextEncoder();

export class InMemoryEventLog {
  private readonly all: LogRecord[] = [];
  private readonly streams = new Map<string, StreamState>();
  private readonly positionIndex = new Map<bigint, number>();
  private readonly listeners = new Set<() => void>();
  /** Held writes in log order: index of the first record, position of the last. */
  private readonly holds: Array<{ start: number; last: bigint }> = [];
  private readonly commitWaiters: Array<{ index: number; callback: () => void }> = [];
  // The real log does not start at 0 either (chunk header, epoch records).
  private nextPosition = 1_024n;

  /** Called after every write and commit, synchronously: subscriptions wake on it instead of polling. */
  onWrite(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every record written, committed or not. */
  get records(): readonly LogRecord[] {
    return this.all;
  }

  /** How many records (from the start of the log) are committed: what reads may serve. */
  get committedCount(): number {
    return this.holds[0]?.start ?? this.all.length;
  }

  /** Calls back (synchronously if already so) once the record at this position is committed. */
  whenCommitted(position: bigint, callback: () => void): void {
    const index = this.positionIndex.get(position)!;
    if (index < this.committedCount) callback();
    else this.commitWaiters.push({ index, callback });
  }

  /** Releases the held write whose last record is at this position; commits whatever that unblocks. */
  commit(position: bigint): void {
    const at = this.holds.findIndex((hold) => hold.last === position);
    if (at < 0) return;
    this.holds.splice(at, 1);
    if (at !== 0) return; // An earlier held write still holds the commit point.
    const committed = this.committedCount;
    const ready = this.commitWaiters.filter((waiter) => waiter.index < committed);
    for (const waiter of ready) this.commitWaiters.splice(this.commitWaiters.indexOf(waiter), 1);
    for (const waiter of ready) waiter.callback();
    this.notify();
  }

  /** Index in `records` of the record at exactly this position, or undefined. */
  indexOfPosition(position: LogPosition): number | undefined {
    if (position.commit !== position.prepare) return undefined;
    return this.positionIndex.get(position.commit);
  }

  /** The position the next record will get: reading from it is reading from the end. */
  get headPosition(): bigint {
    return this.nextPosition;
  }

  /**
   * A stream as reads see it: only its committed records. With `visibleRecords`, as a lagging follower sees
   * it: only the first `visibleRecords` records of the log (the soft-delete state is the current one).
   */
  stream(name: string, visibleRecords?: number): StreamView {
    const state = this.streams.get(name);
    if (!state) return { exists: false, tombstoned: false, lastRevision: -1n, visibleFrom: 0n, records: [] };
    let count = state.records.length;
    let tombstoned = state.tombstone !== undefined;
    visibleRecords = Math.min(visibleRecords ?? Number.POSITIVE_INFINITY, this.committedCount);
    if (visibleRecords < this.all.length) {
      while (count > 0 && this.positionIndex.get(state.records[count - 1].position)! >= visibleRecords) count--;
      tombstoned &&= this.positionIndex.get(state.tombstone!.position)! < visibleRecords;
    }
    const lastRevision = BigInt(count) - 1n;
    return {
      exists: !state.softDeleted && lastRevision >= 0n,
      tombstoned,
      lastRevision,
      visibleFrom: state.softDeleted ? lastRevision + 1n : state.truncateBefore,
      records: state.records,
    };
  }

  /** With `hold`, what it writes stays uncommitted (with everything after it) until commit(). */
  append(streamName: string, expected: ExpectedRevision, events: ProposedEvent[], hold = false): AppendOutcome {
    const state = this.streams.get(streamName);
    if (state?.tombstone) return { kind: 'stream_deleted' };
    const current = state ? BigInt(state.records.length) - 1n : -1n;

    let check = expected;
    if (check.kind === 'stream_exists') {
      // As the real server: StreamExists on a soft-deleted stream is "stream deleted", not a version mismatch.
      if (state?.softDeleted) return { kind: 'stream_deleted' };
      if (current < 0n) return { kind: 'wrong_expected_version', current };
      check = { kind: 'any' };
    }

    if (check.kind === 'any') {
      const idempotent = this.idempotentRetryAny(state, events);
      if (idempotent) return idempotent;
    } else {
      const expectedRevision = check.kind === 'no_stream' ? -1n : check.revision;
      if (expectedRevision > current) return { kind: 'wrong_expected_version', current };
      if (expectedRevision < current) {
        // A retry of an append that already succeeded: same ids right after the expected revision.
        const retry = this.idempotentRetryAt(state!, expectedRevision, events);
        if (retry) return retry;
        // A soft-deleted stream counts as "no stream": NoStream recreates it (IndexWriter.CheckCommit).
        if (!(check.kind === 'no_stream' && state!.softDeleted)) return { kind: 'wrong_expected_version', current };
      }
    }

    if (events.length === 0) {
      return { kind: 'success', currentRevision: current, position: undefined };
    }

    const target = state ?? this.newStream(streamName);
    const start = this.all.length;
    if (target.softDeleted) {
      // Appending to a soft-deleted stream recreates it: the server rewrites `$tb` to hide the old events.
      this.writeMetadata(streamName, { $tb: current + 1n });
      target.softDeleted = false;
      target.truncateBefore = current + 1n;
    }
    let last: LogRecord | undefined;
    for (const event of events) {
      last = this.writeRecord(target, streamName, BigInt(target.records.length), event);
    }
    if (hold) this.holds.push({ start, last: last!.position });
    this.notify();
    return { kind: 'success', currentRevision: last!.revision, position: last!.position };
  }

  /** Soft delete (hard = false) or tombstone (hard = true). */
  delete(streamName: string, expected: ExpectedRevision, hard: boolean): WriteOutcome {
    const state = this.streams.get(streamName);
    if (state?.tombstone) return { kind: 'stream_deleted' };
    const current = state ? BigInt(state.records.length) - 1n : -1n;
    switch (expected.kind) {
      case 'any':
        break;
      case 'no_stream':
        if (current !== -1n) return { kind: 'wrong_expected_version', current };
        break;
      case 'stream_exists':
        if (state?.softDeleted) return { kind: 'stream_deleted' };
        if (current < 0n) return { kind: 'wrong_expected_version', current };
        break;
      case 'revision':
        if (current !== expected.revision) return { kind: 'wrong_expected_version', current };
        break;
    }

    const target = state ?? this.newStream(streamName);
    let record: LogRecord;
    if (hard) {
      record = this.writeRecord(undefined, streamName, DELETED_STREAM_REVISION, {
        id: randomUUID(),
        type: '$streamDeleted',
        isJson: false,
        data: new Uint8Array(0),
        metadata: new Uint8Array(0),
      });
      target.tombstone = record;
    } else {
      record = this.writeMetadata(streamName, { $tb: DELETED_STREAM_REVISION });
      target.softDeleted = true;
    }
    this.notify();
    return { kind: 'success', currentRevision: current, position: record.position };
  }

  /** A system event (e.g. the seed records), written like any other. */
  appendSystemEvent(streamName: string, type: string, data: unknown): LogRecord {
    const state = this.streams.get(streamName) ?? this.newStream(streamName);
    const record = this.writeRecord(state, streamName, BigInt(state.records.length), {
      id: randomUUID(),
      type,
      isJson: true,
      data: encoder.encode(JSON.stringify(data)),
      metadata: new Uint8Array(0),
    });
    this.notify();
    return record;
  }

  private idempotentRetryAny(state: StreamState | undefined, events: ProposedEvent[]): AppendOutcome | undefined {
    if (!state || events.length === 0) return undefined;
    const first = state.records.findIndex((r) => r.id === events[0].id);
    if (first < 0) return undefined;
    return (
      this.idempotentRetryAt(state, BigInt(first) - 1n, events) ??
        // Some ids already written, some not: the server calls that corrupted idempotency, a version mismatch.
        { kind: 'wrong_expected_version', current: BigInt(state.records.length) - 1n }
    );
  }

  private idempotentRetryAt(state: StreamState, after: bigint, events: ProposedEvent[]): AppendOutcome | undefined {
    if (events.length === 0) return undefined;
    const start = Number(after + 1n);
    for (let i = 0; i < events.length; i++) {
      if (state.records[start + i]?.id !== events[i].id) return undefined;
    }
    const last = state.records[start + events.length - 1];
    if (this.positionIndex.get(last.position)! >= this.committedCount) return { kind: 'idempotent_not_ready' };
    return { kind: 'success', currentRevision: last.revision, position: last.position };
  }

  private writeMetadata(streamName: string, changes: Record<string, bigint>): LogRecord {
    const metastream = `$$${streamName}`;
    const state = this.streams.get(metastream) ?? this.newStream(metastream);
    // Keep whatever metadata the stream already had (set through setStreamMetadata), as the server merges.
    const previous = state.records.at(-1);
    let merged: Record<string, unknown> = {};
    if (previous?.isJson) {
      try {
        merged = JSON.parse(new TextDecoder().decode(previous.data)) as Record<string, unknown>;
      } catch {
        merged = {};
      }
    }
    Object.assign(merged, changes);
    // `$tb` is a long: JSON.stringify cannot print a bigint, so print its digits unquoted.
    const json = JSON.stringify(merged, (_key, value: unknown) => (typeof value === 'bigint' ? `__bigint:${value}__` : value)).replace(
      /"__bigint:(-?\d+)__"/g,
      '$1',
    );
    return this.writeRecord(state, metastream, BigInt(state.records.length), {
      id: randomUUID(),
      type: '$metadata',
      isJson: true,
      data: encoder.encode(json),
      metadata: new Uint8Array(0),
    });
  }

  private newStream(name: string): StreamState {
    const state: StreamState = { records: [], truncateBefore: 0n, softDeleted: false };
    this.streams.set(name, state);
    return state;
  }

  private writeRecord(state: StreamState | undefined, streamName: string, revision: bigint, event: ProposedEvent): LogRecord {
    const record: LogRecord = {
      position: this.nextPosition,
      streamName,
      revision,
      id: event.id,
      type: event.type,
      isJson: event.isJson,
      data: event.data,
      metadata: event.metadata,
      created: BigInt(Date.now()) * 10_000n,
    };
    // A pseudo record length: positions grow by a non-constant amount, so nothing can assume they are dense.
    this.nextPosition +=
      100n +
      BigInt(encoder.encode(streamName).length + encoder.encode(event.type).length) +
      BigInt(event.data.length + event.metadata.length);
    this.positionIndex.set(record.position, this.all.length);
    this.all.push(record);
    state?.records.push(record);
    return record;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

export interface StreamView {
  /** False when missing or soft-deleted (reads answer "stream not found"). */
  exists: boolean;
  tombstoned: boolean;
  /** Last revision visible (committed; -1n if none), including soft-deleted events. */
  lastRevision: bigint;
  /** Lowest revision a stream read or subscription may deliver (`$tb`, or past the end when soft-deleted). */
  visibleFrom: bigint;
  records: readonly LogRecord[];
}
