/**
 * The EventStoreDB / KurrentDB adapter of the store port: the only file that imports
 * @eventstore/db-client (pinned at 6.2.1).
 *
 * How the port maps onto EventStoreDB:
 * - streams and revisions are EventStoreDB's own; a position is the event's commit position in `$all`
 *   (strictly increasing, not gap-free: it is a byte offset in the server's log);
 * - the envelope rides in the event metadata: our EventMetadata fields, `$correlationId` /
 *   `$causationId` for the server's own tooling, and a `ledger` object with schemaVersion, recordedAt,
 *   prevHash, hash and the idempotency key of the command;
 * - every append reads the stream's last event first (its revision and hash, to chain the new ones)
 *   and appends at exactly that revision, so the hash chain can never fork under a race;
 * - an Idempotency-Key is claimed in its own stream `idempotency-{sha256(key)}` before the append and
 *   completed after it; the events themselves carry the key, so a crash between the append and the
 *   completion is repaired by looking at the target stream.
 */
import { createHash } from 'node:crypto';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { EventMetadata, NewEvent, RecordedEvent } from '../envelope.js';
import { IdempotencyKeyConflictError, StoreUnavailableError, WrongExpectedRevisionError } from '../errors.js';
import { computeEventHash } from '../integrity.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  IdempotencyRecord,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
} from '../port.js';

export interface EsdbEventStoreOptions {
  connectionString: string;
  clock?: () => Date;
  /** Times an 'any' append re-reads the stream head when another writer moved it. */
  anyRetries?: number;
}

/** Our part of an EventStoreDB event's metadata, next to the EventMetadata fields. */
interface LedgerMetadata {
  schemaVersion: number;
  recordedAt: string;
  prevHash: string | null;
  hash: string;
  idempotency?: { key: string; requestHash: string };
}

type StoredMetadata = EventMetadata & { $correlationId?: string; $causationId?: string; ledger: LedgerMetadata };

const IDEMPOTENCY_PREFIX = 'idempotency-';
/** Events per $all read. */
const PAGE = 512;
/** How far back a stream is searched for the events of an idempotency key whose completion was lost. */
const IDEMPOTENCY_SCAN = 1000;

export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly clock: () => Date;
  private readonly anyRetries: number;

  private constructor(options: EsdbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.clock = options.clock ?? (() => new Date());
    this.anyRetries = options.anyRetries ?? 10;
  }

  static open(options: EsdbEventStoreOptions): EsdbEventStore {
    return new EsdbEventStore(options);
  }

  async append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    return this.guard(async () => {
      const claim = options.idempotency;
      const claimRevision = claim ? await this.claim(claim.key, claim.requestHash, stream) : undefined;
      try {
        const result = await this.appendChained(stream, events, options);
        if (claim) await this.complete(claim.key, claim.requestHash, result, claimRevision!);
        return result;
      } catch (error) {
        if (claim) await this.release(claim.key, claimRevision!).catch(() => undefined);
        throw error;
      }
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.guard(async () => {
      const backwards = options.direction === 'backwards';
      if (options.maxCount === 0) return [];
      const from = options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision);
      const out: RecordedEvent[] = [];
      try {
        for await (const resolved of this.client.readStream(stream, {
          direction: backwards ? BACKWARDS : FORWARDS,
          fromRevision: from,
          maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
        })) {
          out.push(toRecorded(resolved));
        }
      } catch (error) {
        if (error instanceof StreamNotFoundError) return [];
        throw error;
      }
      return out;
    });
  }

  async streamRevision(stream: string): Promise<number> {
    const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
    return last?.revision ?? -1;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.guard(async () => {
      const after = options.after ?? 0;
      const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
      const out: RecordedEvent[] = [];
      let from: bigint | undefined = after === 0 ? undefined : BigInt(after);
      while (out.length < max) {
        const page = await this.readAllPage('forwards', from, PAGE);
        // $all reads are >= the position: the event at `from` itself was already taken (or is `after`).
        for (const resolved of page) {
          const position = resolved.event!.position.commit;
          if (from !== undefined && position <= from) continue;
          if (isLedgerEvent(resolved) && out.length < max) out.push(toRecorded(resolved));
        }
        if (page.length < PAGE) break;
        from = page[page.length - 1].event!.position.commit;
      }
      return out;
    });
  }

  async headPosition(): Promise<number> {
    return this.guard(async () => {
      let before: bigint | undefined;
      for (;;) {
        // Backwards $all reads are < the position: each page continues strictly before the last.
        const page = await this.readAllPage('backwards', before, PAGE);
        const last = page.find(isLedgerEvent);
        if (last) return Number(last.event!.position.commit);
        if (page.length < PAGE) return 0;
        before = page[page.length - 1].event!.position.commit;
      }
    });
  }

  /**
   * One page of $all, read to its end. (With client 6.2.1, leaving a read early — `break` or `return`
   * inside `for await` — can leave the call open, and a later dispose() then waits for it forever.)
   */
  private async readAllPage(direction: 'forwards' | 'backwards', from: bigint | undefined, count: number): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.client.readAll({
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromPosition: from === undefined ? (direction === 'forwards' ? START : END) : { commit: from, prepare: from },
      maxCount: count,
    })) {
      page.push(resolved);
    }
    return page;
  }

  subscribeToAll(handler: (events: RecordedEvent[]) => Promise<void> | void, options: SubscribeOptions = {}): Subscription {
    const after = options.after ?? 0;
    const batchSize = options.batchSize ?? 256;
    const subscription = this.client.subscribeToAll({
      // $all subscriptions deliver events after the position (exclusive), as the port does.
      fromPosition: after === 0 ? START : { commit: BigInt(after), prepare: BigInt(after) },
      filter: excludeSystemEvents(),
    });
    // The client emits events and "caught up" in the order the server sent them; one queue keeps
    // that order for the handler, which runs one batch at a time.
    const queue: Array<RecordedEvent | 'caughtUp'> = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: unknown;
    let closing = false;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    subscription.on('data', (resolved: AllStreamResolvedEvent) => {
      if (!isLedgerEvent(resolved)) return;
      queue.push(toRecorded(resolved));
      if (queue.length > batchSize * 4) subscription.pause(); // back-pressure on a slow handler
      notify();
    });
    subscription.on('caughtUp', () => {
      queue.push('caughtUp');
      notify();
    });
    subscription.on('error', (error: unknown) => {
      failure = error;
      notify();
    });
    subscription.on('end', () => {
      ended = true;
      notify();
    });

    const done = (async () => {
      let caughtUp = false;
      for (;;) {
        if (closing) return;
        if (queue.length === 0) {
          if (failure !== undefined) throw unavailable(failure);
          if (ended) throw new StoreUnavailableError('the $all subscription ended');
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (queue[0] === 'caughtUp') {
          queue.shift();
          if (!caughtUp) options.onCaughtUp?.();
          caughtUp = true;
          continue;
        }
        const batch: RecordedEvent[] = [];
        const isEvent = (item: RecordedEvent | 'caughtUp' | undefined): item is RecordedEvent => item !== undefined && item !== 'caughtUp';
        while (batch.length < batchSize && isEvent(queue[0])) batch.push(queue.shift() as RecordedEvent);
        if (subscription.isPaused() && queue.length < batchSize) subscription.resume();
        await handler(batch);
      }
    })();
    done.catch(() => undefined); // the owner watches `done`; an unwatched failure must not crash the process
    return {
      done,
      async close() {
        closing = true;
        notify();
        await subscription.unsubscribe().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }

  async findIdempotency(key: string): Promise<IdempotencyRecord | null> {
    return this.guard(async () => {
      const state = await this.idempotencyState(key);
      if (!state || state.type === 'IdempotencyKeyReleased') return null;
      if (state.type === 'IdempotencyKeyRecorded') return state.data as unknown as IdempotencyRecord;
      // Claimed but not completed: the process may have died between the append and the completion.
      const found = await this.findKeyInStream(key, state.data.stream as string, state.data.requestHash as string);
      if (found) await this.writeIdempotency(key, 'IdempotencyKeyRecorded', found, state.revision).catch(() => undefined);
      return found;
    });
  }

  async ping(): Promise<void> {
    await this.guard(() => this.readAllPage('backwards', undefined, 1));
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  /** Reads the stream's head and appends at exactly that revision, chaining the new events' hashes. */
  private async appendChained(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    for (let attempt = 0; ; attempt++) {
      const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
      const actual = last?.revision ?? -1;
      const expected = options.expectedRevision;
      if (expected === 'no_stream' ? actual !== -1 : expected !== 'any' && expected !== actual) {
        throw new WrongExpectedRevisionError(stream, expected, actual);
      }
      const recordedAt = this.clock().toISOString();
      let prevHash = last?.hash ?? null;
      const stored = events.map((e, i) => {
        const content = { ...e, stream, revision: actual + 1 + i, recordedAt, prevHash };
        const hash = computeEventHash(content);
        const ledger: LedgerMetadata = { schemaVersion: e.schemaVersion, recordedAt, prevHash, hash };
        if (options.idempotency) ledger.idempotency = options.idempotency;
        prevHash = hash;
        const metadata: StoredMetadata = {
          ...e.metadata,
          $correlationId: e.metadata.correlationId,
          ...(e.metadata.causationId ? { $causationId: e.metadata.causationId } : {}),
          ledger,
        };
        return jsonEvent({ id: e.eventId, type: e.type, data: e.data, metadata });
      });
      const expectedRevision: AppendExpectedRevision = actual === -1 ? NO_STREAM : BigInt(actual);
      try {
        await this.client.appendToStream(stream, stored, { expectedRevision });
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // Another writer got in between our read and our append.
        if (expected !== 'any' || attempt >= this.anyRetries) {
          throw new WrongExpectedRevisionError(stream, expected, revisionOf(error.actualVersion));
        }
        continue;
      }
      // Read back what was written: the server assigns the positions.
      const written = await this.readStream(stream, { fromRevision: actual + 1, maxCount: events.length });
      return { stream, revision: written[written.length - 1].revision, position: written[written.length - 1].position, events: written };
    }
  }

  private idempotencyStream(key: string): string {
    return IDEMPOTENCY_PREFIX + createHash('sha256').update(key).digest('hex');
  }

  private async idempotencyState(key: string) {
    const [last] = await this.readStream(this.idempotencyStream(key), { direction: 'backwards', maxCount: 1 });
    return last ? { type: last.type, data: last.data, revision: last.revision } : null;
  }

  /** Claims the key before the append (a used key is refused before any revision check); returns the claim's revision. */
  private async claim(key: string, requestHash: string, stream: string): Promise<number> {
    const state = await this.idempotencyState(key);
    if (state && state.type !== 'IdempotencyKeyReleased') {
      if (state.type === 'IdempotencyKeyRecorded') throw new IdempotencyKeyConflictError(key);
      // Claimed earlier and never completed: if its events landed, the key is used.
      const found = await this.findKeyInStream(key, state.data.stream as string, state.data.requestHash as string);
      if (found) {
        await this.writeIdempotency(key, 'IdempotencyKeyRecorded', found, state.revision).catch(() => undefined);
        throw new IdempotencyKeyConflictError(key);
      }
    }
    try {
      return await this.writeIdempotency(key, 'IdempotencyKeyClaimed', { key, requestHash, stream }, state?.revision ?? -1);
    } catch (error) {
      // A concurrent request with the same key claimed it first.
      if (error instanceof WrongExpectedVersionError) throw new IdempotencyKeyConflictError(key);
      throw error;
    }
  }

  private async complete(key: string, requestHash: string, result: AppendResult, claimRevision: number): Promise<void> {
    const first = result.events[0];
    const record: IdempotencyRecord = {
      key,
      requestHash,
      stream: result.stream,
      firstRevision: first.revision,
      lastRevision: result.revision,
      firstPosition: first.position,
      lastPosition: result.position,
      recordedAt: first.recordedAt,
    };
    // If this write is lost, findIdempotency rebuilds the record from the events, which carry the key.
    await this.writeIdempotency(key, 'IdempotencyKeyRecorded', record, claimRevision).catch(() => undefined);
  }

  private async release(key: string, claimRevision: number): Promise<void> {
    await this.writeIdempotency(key, 'IdempotencyKeyReleased', { key }, claimRevision);
  }

  private async writeIdempotency(key: string, type: string, data: object, afterRevision: number): Promise<number> {
    const result = await this.client.appendToStream(this.idempotencyStream(key), jsonEvent({ type, data: data as Record<string, unknown> }), {
      expectedRevision: afterRevision === -1 ? NO_STREAM : BigInt(afterRevision),
    });
    return Number(result.nextExpectedRevision);
  }

  /** The events an idempotency key wrote, found by the key they carry. */
  private async findKeyInStream(key: string, stream: string, requestHash: string): Promise<IdempotencyRecord | null> {
    const recent = await this.readStream(stream, { direction: 'backwards', maxCount: IDEMPOTENCY_SCAN });
    const mine = recent.filter((e) => e.metadata.commandId === key).reverse();
    if (mine.length === 0) return null;
    const [first, last] = [mine[0], mine[mine.length - 1]];
    return {
      key,
      requestHash,
      stream,
      firstRevision: first.revision,
      lastRevision: last.revision,
      firstPosition: first.position,
      lastPosition: last.position,
      recordedAt: first.recordedAt,
    };
  }

  /** Port errors only: a transport failure becomes StoreUnavailableError. */
  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw unavailable(error);
    }
  }
}

function unavailable(error: unknown): unknown {
  if (
    error instanceof WrongExpectedRevisionError ||
    error instanceof IdempotencyKeyConflictError ||
    error instanceof StoreUnavailableError ||
    error instanceof RangeError ||
    error instanceof TypeError
  ) {
    return error;
  }
  const type = (error as { type?: string }).type;
  const transport = ['unavailable', 'deadline-exceeded', 'cancelled', 'not-leader', 'unknown'].includes(type ?? '');
  if (transport || (error as { code?: number }).code === 14) {
    return new StoreUnavailableError(`event store unreachable: ${(error as Error).message}`, { cause: error });
  }
  return error;
}

function revisionOf(version: unknown): number {
  return typeof version === 'bigint' ? Number(version) : -1;
}

function isLedgerEvent(resolved: AllStreamResolvedEvent): boolean {
  const e = resolved.event;
  if (!e || e.type.startsWith('$') || e.streamId.startsWith('$')) return false;
  const metadata = e.metadata as Partial<StoredMetadata> | undefined;
  return !!metadata && typeof metadata === 'object' && 'ledger' in metadata;
}

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent {
  const e = resolved.event!;
  const { $correlationId: _c, $causationId: _k, ledger, ...metadata } = (e.metadata ?? {}) as unknown as StoredMetadata;
  if (!ledger) {
    // Bookkeeping streams (idempotency) are read through the same code: they carry no envelope.
    return {
      eventId: e.id, type: e.type, schemaVersion: 1, data: e.data as Record<string, unknown>,
      metadata: metadata as EventMetadata, stream: e.streamId, revision: Number(e.revision),
      position: Number(e.position?.commit ?? resolved.commitPosition ?? 0), recordedAt: e.created.toISOString(), prevHash: null, hash: '',
    };
  }
  return {
    eventId: e.id,
    type: e.type,
    schemaVersion: ledger.schemaVersion,
    data: e.data as Record<string, unknown>,
    metadata: metadata as EventMetadata,
    stream: e.streamId,
    revision: Number(e.revision),
    position: Number(e.position?.commit ?? resolved.commitPosition ?? 0),
    recordedAt: ledger.recordedAt,
    prevHash: ledger.prevHash,
    hash: ledger.hash,
  };
}
