/**
 * The EventStoreDB / KurrentDB adapter of the store port: with connection-string.ts, the only code that
 * imports @eventstore/db-client (pinned at 6.2.1). Supported servers: 22.10 and later (an older one is refused
 * by checkServer()); subscriptions take the server's CaughtUp where it sends one (23.10 on) and otherwise
 * tell it from the head of the log read when they start.
 *
 * How the port maps onto EventStoreDB:
 * - streams and revisions are EventStoreDB's own; a position is the event's commit position in `$all`
 *   (each event of an append has its own, commit = prepare; strictly increasing, with gaps);
 * - the envelope rides in the event metadata: our EventMetadata fields (the idempotency scope among
 *   them), `$correlationId` / `$causationId` for the server's own tooling, and a `ledger` object with
 *   schemaVersion, recordedAt, prevHash and hash;
 * - an append chains its hashes on the head the caller read (or reads it) and appends at exactly that
 *   revision, so the hash chain can never fork under a race;
 * - an append whose answer is lost (the server's write timeout, a dropped connection, a leader change)
 *   may still be written, now or later. It is settled here: the stream is read again from the leader
 *   and, unless the events are there, the very same events are sent again at the same expected
 *   revision, which the server answers idempotently if the first send landed in between;
 * - stream reads require the leader: a follower's copy may lag, and commands decide on these reads.
 */
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
  type AppendResult as ClientAppendResult,
  type Credentials,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { EventMetadata, NewEvent, RecordedEvent } from '../port/envelope.js';
import { StoreUnavailableError, WrongExpectedRevisionError } from '../port/errors.js';
import { computeEventHash } from '../integrity/integrity.js';
import { parseConnectionString } from '@eventstore/db-client/dist/Client/parseConnectionString.js';
import { toClientConnectionString } from './connection-string.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  LogCount,
  ReadAllOptions,
  ReadStreamOptions,
  SubscribeOptions,
  Subscription,
} from '../port/port.js';

export interface EsdbEventStoreOptions {
  connectionString: string;
  clock?: () => Date;
  /** Times an 'any' append re-reads the stream head when another writer moved it. */
  anyRetries?: number;
  /** Times an append whose answer was lost is settled and sent again, and a failed read is tried again. */
  transportRetries?: number;
  /** First pause before such a retry (doubles each time). */
  retryDelayMs?: number;
}

/** The oldest server this adapter supports (an LTS release; BatchAppend and ServerFeatures since 21.10). */
export const MIN_SERVER_VERSION = '22.10';

export class UnsupportedServerError extends Error {
  readonly code = 'UNSUPPORTED_SERVER';
  constructor(readonly version: string) {
    super(
      version === 'unknown'
        ? `the EventStoreDB server does not report its version (ServerFeatures is missing, so it is older than 21.10); ${MIN_SERVER_VERSION} or later is needed`
        : `EventStoreDB/KurrentDB ${version} is not supported: ${MIN_SERVER_VERSION} or later is needed`,
    );
    this.name = 'UnsupportedServerError';
  }
}

/** Our part of an EventStoreDB event's metadata, next to the EventMetadata fields. */
interface LedgerMetadata {
  schemaVersion: number;
  recordedAt: string;
  prevHash: string | null;
  hash: string;
}

type StoredMetadata = EventMetadata & { $correlationId?: string; $causationId?: string; ledger: LedgerMetadata };

/** Events per $all read. */
const PAGE = 512;
/** Events per backwards $all read when looking for the head: usually the newest record is ours. */
const HEAD_PAGE = 32;

export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly clock: () => Date;
  private readonly anyRetries: number;
  private readonly transportRetries: number;
  private readonly retryDelayMs: number;
  /** The newest $all record seen by headPosition(), and the newest ledger event at or before it. */
  private headCache: { record: bigint; ledger: number } | undefined;
  private serverCheck: Promise<string> | undefined;
  private readonly connectionString: string;
  private readonly appendCredentials: Credentials | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  private constructor(options: EsdbEventStoreOptions) {
    this.connectionString = toClientConnectionString(options.connectionString);
    this.client = acquireClient(this.connectionString);
    this.appendCredentials = plainAppendCredentials(this.connectionString);
    this.clock = options.clock ?? (() => new Date());
    this.anyRetries = options.anyRetries ?? 10;
    this.transportRetries = options.transportRetries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 50;
  }

  static open(options: EsdbEventStoreOptions): EsdbEventStore {
    return new EsdbEventStore(options);
  }

  /**
   * The server's version, from ServerFeatures (the client asks for it before its first call anyway).
   * Throws UnsupportedServerError for a server older than MIN_SERVER_VERSION; StoreUnavailableError
   * when it cannot be reached.
   */
  checkServer(): Promise<string> {
    this.serverCheck ??= this.guard(async () => {
      // 6.2.1 keeps the ServerFeatures answer behind a protected getter; it is the only way to the version.
      const features = await (this.client as unknown as { capabilities: Promise<{ serverVersion: string }> }).capabilities;
      const version = features.serverVersion;
      if (!isSupported(version)) throw new UnsupportedServerError(version);
      return version;
    });
    // A failed check (server down) is tried again next time; a refused version stays refused.
    this.serverCheck.catch((error: unknown) => {
      if (!(error instanceof UnsupportedServerError)) this.serverCheck = undefined;
    });
    return this.serverCheck;
  }

  async append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    return this.guard(async () => {
      await this.checkServer().catch((error: unknown) => {
        // Found out only now (the server was unreachable at start): the store cannot be used, a 503.
        throw error instanceof UnsupportedServerError ? new StoreUnavailableError(error.message, { cause: error }) : error;
      });
      for (let attempt = 0; ; attempt++) {
        const head = await this.headFor(stream, options);
        try {
          return await this.appendSettled(stream, events, head);
        } catch (error) {
          // Another writer got in between the read and the append — or holds a revision it has not committed yet
          // (a slow commit): read again after a short, jittered wait, so contenders spread out and a held write
          // has time to land, rather than spending every retry in the same few milliseconds.
          if (error instanceof WrongExpectedRevisionError && options.expectedRevision === 'any' && attempt < this.anyRetries) {
            await pause(Math.random() * Math.min(this.retryDelayMs * 2 ** attempt, 1000));
            continue;
          }
          throw error;
        }
      }
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.guard(() => this.retried(() => this.readStreamOnce(stream, options)));
  }

  private async readStreamOnce(stream: string, options: ReadStreamOptions): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    if (options.maxCount === 0) return [];
    const from = options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision);
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: from,
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
        requiresLeader: true,
      })) {
        out.push(toRecorded(resolved));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
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
        // No more than is still wanted (and one for the event at `from`, which $all repeats): a small page is a small read.
        const count = Math.min(PAGE, max - out.length + 1);
        const page = await this.retried(() => this.readAllPage('forwards', from, count));
        // $all reads are >= the position: the event at `from` itself was already taken (or is `after`).
        for (const resolved of page) {
          const position = resolved.event!.position.commit;
          if (from !== undefined && position <= from) continue;
          if (isLedgerEvent(resolved) && out.length < max) out.push(toRecorded(resolved));
        }
        if (page.length < count) break;
        from = page[page.length - 1].event!.position.commit;
      }
      return out;
    });
  }

  /**
   * Counts what readAll({ after }) would deliver, reading $all forwards as it does (the same pages, the same
   * filter) up to `limit` ledger events, without turning them into RecordedEvents. Positions have gaps, and
   * system events sit between ours, so there is no arithmetic to be done.
   */
  async countAfter(after: number, limit: number): Promise<LogCount> {
    if (!Number.isInteger(after) || after < 0) throw new RangeError(`after must be an integer >= 0, got ${after}`);
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be an integer >= 0, got ${limit}`);
    return this.guard(async () => {
      let count = 0;
      let through = after;
      let from: bigint | undefined = after === 0 ? undefined : BigInt(after);
      while (count < limit) {
        const size = Math.min(PAGE, limit - count + 1);
        const page = await this.retried(() => this.readAllPage('forwards', from, size));
        for (const resolved of page) {
          const position = resolved.event!.position.commit;
          if ((from !== undefined && position <= from) || !isLedgerEvent(resolved) || count === limit) continue;
          count++;
          through = Number(position);
        }
        if (page.length < size) break;
        from = page[page.length - 1].event!.position.commit;
      }
      return { count, through };
    });
  }

  /**
   * The newest ledger event's position. Reads $all backwards only down to the newest record seen by
   * the previous call, so a readiness probe costs one short read, however many system events
   * (statistics, scavenges) the server has written on top of the last ledger event.
   */
  async headPosition(): Promise<number> {
    return this.guard(async () => {
      const known = this.headCache;
      let before: bigint | undefined;
      let newest: bigint | undefined;
      for (;;) {
        // Backwards $all reads are < the position: each page continues strictly before the last.
        const page = await this.retried(() => this.readAllPage('backwards', before, HEAD_PAGE));
        newest ??= page[0]?.event?.position.commit;
        // A log that is shorter than the one seen before is another log (a restored or replaced server).
        const trusted = known && newest !== undefined && newest >= known.record ? known : undefined;
        for (const resolved of page) {
          const position = resolved.event!.position.commit;
          if (trusted && position <= trusted.record) return this.rememberHead(newest!, trusted.ledger);
          if (isLedgerEvent(resolved)) return this.rememberHead(newest!, Number(position));
        }
        if (page.length < HEAD_PAGE) return this.rememberHead(newest ?? 0n, 0);
        before = page[page.length - 1].event!.position.commit;
      }
    });
  }

  private rememberHead(record: bigint, ledger: number): number {
    this.headCache = { record, ledger };
    return ledger;
  }

  /**
   * One page of $all, read to its end. (With client 6.2.1, leaving a read early — `break` or `return`
   * inside `for await` — can leave the call open, and a later dispose() then waits for it forever.)
   */
  private async readAllPage(
    direction: 'forwards' | 'backwards',
    from: bigint | undefined,
    count: number,
  ): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.client.readAll({
      direction: direction === 'forwards' ? FORWARDS : BACKWARDS,
      fromPosition: from === undefined ? (direction === 'forwards' ? START : END) : { commit: from, prepare: from },
      maxCount: count,
      requiresLeader: true,
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
    // One queue keeps the server's order of events and "caught up" for the handler, which runs one
    // batch at a time. Client 6.2.1 emits 'caughtUp' as soon as it reads it, ahead of events still in
    // its buffer while the stream is paused: the marker goes in after those.
    const queue: Array<RecordedEvent | 'caughtUp'> = [];
    let caughtUpAfter = 0;
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: unknown;
    let closing = false;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    subscription.on('data', (resolved: AllStreamResolvedEvent) => {
      if (isLedgerEvent(resolved)) queue.push(toRecorded(resolved));
      if (caughtUpAfter > 0 && --caughtUpAfter === 0) queue.push('caughtUp');
      if (queue.length > batchSize * 4) subscription.pause(); // back-pressure on a slow handler
      notify();
    });
    subscription.on('caughtUp', () => {
      caughtUpAfter = subscription.readableLength;
      if (caughtUpAfter === 0) queue.push('caughtUp');
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

    // Servers before 23.10 never send CaughtUp: there, having delivered the head read at the start is
    // what tells that the subscription caught up. Whichever comes first counts, once.
    let caughtUp = false;
    const reachedHead = () => {
      if (caughtUp) return;
      caughtUp = true;
      options.onCaughtUp?.();
    };
    let delivered = after;
    let head: number | undefined;
    const readHead = (): void => {
      this.headPosition().then(
        (position) => {
          head = position;
          notify();
        },
        // Tried again while the subscription lives: without it a server that sends no CaughtUp never reports one.
        () => void (closing || caughtUp || setTimeout(readHead, 1000).unref()),
      );
    };
    readHead();
    const done = (async () => {
      for (;;) {
        if (closing) return;
        if (head !== undefined && delivered >= head) reachedHead();
        if (queue.length === 0) {
          if (failure !== undefined) throw unavailable(failure);
          if (ended) throw new StoreUnavailableError('the $all subscription ended');
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (queue[0] === 'caughtUp') {
          queue.shift();
          reachedHead();
          continue;
        }
        const batch: RecordedEvent[] = [];
        const isEvent = (item: RecordedEvent | 'caughtUp' | undefined): item is RecordedEvent => item !== undefined && item !== 'caughtUp';
        while (batch.length < batchSize && isEvent(queue[0])) batch.push(queue.shift() as RecordedEvent);
        if (subscription.isPaused() && queue.length < batchSize) subscription.resume();
        await handler(batch);
        delivered = batch[batch.length - 1].position;
      }
    })();
    // The owner watches `done`; an unwatched failure must not crash the process. A failed handler or a
    // dropped call still leaves the client's call to cancel.
    done.catch(() => subscription.unsubscribe().catch(() => undefined));
    const owned: Subscription = {
      done,
      close: async () => {
        closing = true;
        notify();
        this.subscriptions.delete(owned);
        await subscription.unsubscribe().catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
    this.subscriptions.add(owned);
    done.then(
      () => this.subscriptions.delete(owned),
      () => this.subscriptions.delete(owned),
    );
    return owned;
  }

  async ping(): Promise<void> {
    await this.guard(() => this.readAllPage('backwards', undefined, 1));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await releaseClient(this.connectionString);
  }

  /** The revision and hash to chain on: the caller's read when it gave one, else the stream's head now. */
  private async headFor(
    stream: string,
    options: AppendOptions,
  ): Promise<{ revision: number; hash: string | null; expected: AppendOptions['expectedRevision'] }> {
    const expected = options.expectedRevision;
    if (expected === 'no_stream') return { revision: -1, hash: null, expected };
    if (typeof expected === 'number' && options.headHash !== undefined && options.headHash !== null) {
      return { revision: expected, hash: options.headHash, expected };
    }
    const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
    const actual = last?.revision ?? -1;
    if (expected !== 'any' && expected !== actual) throw new WrongExpectedRevisionError(stream, expected, actual);
    return { revision: actual, hash: last?.hash ?? null, expected };
  }

  /**
   * Appends at exactly `head.revision`. When the answer is lost, reads the stream from the leader:
   * the events are there (answered from the read), another writer's are (a conflict), or nothing is,
   * and the same events go again — a first send that lands meanwhile makes the server answer the
   * resend idempotently, without a second copy.
   */
  private async appendSettled(
    stream: string,
    events: NewEvent[],
    head: { revision: number; hash: string | null; expected: AppendOptions['expectedRevision'] },
  ): Promise<AppendResult> {
    const stored = this.chain(stream, events, head.revision, head.hash);
    const expectedRevision: AppendExpectedRevision = head.revision === -1 ? NO_STREAM : BigInt(head.revision);
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.transportRetries; attempt++) {
      if (attempt > 0) {
        await pause(this.retryDelayMs * 2 ** (attempt - 1));
        const settled = await this.settle(stream, events, head.revision).catch((error: unknown) => {
          if (!isTransient(error)) throw error;
          lastError = error;
          return 'unknown' as const;
        });
        if (settled === 'unknown') continue;
        if (settled === 'theirs') throw new WrongExpectedRevisionError(stream, head.expected, head.revision + 1);
        if (settled !== 'absent') return settled;
      }
      let written: ClientAppendResult;
      try {
        written = await this.client.appendToStream(
          stream,
          stored.map((s) => s.event),
          { expectedRevision, credentials: this.appendCredentials },
        );
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) {
          throw new WrongExpectedRevisionError(stream, head.expected, revisionOf(error.actualVersion));
        }
        if (!isTransient(error)) throw error;
        lastError = error;
        continue;
      }
      // One event: its position is the one the server answers (the last event's), nothing to read back.
      if (events.length === 1 && written.position) {
        return {
          stream,
          revision: head.revision + 1,
          position: Number(written.position.commit),
          events: [{ ...stored[0].recorded, position: Number(written.position.commit) }],
        };
      }
      // Several: each has its own position and the answer carries only the last one's.
      const read = await this.readStream(stream, { fromRevision: head.revision + 1, maxCount: events.length });
      const last = read[read.length - 1];
      return { stream, revision: last.revision, position: last.position, events: read };
    }
    throw new StoreUnavailableError(`could not tell whether the append to ${stream} was written: ${describe(lastError)}`, {
      cause: lastError,
    });
  }

  /** After a lost answer: are our events right after `revision`, someone else's, or nothing yet? */
  private async settle(stream: string, events: NewEvent[], revision: number): Promise<AppendResult | 'theirs' | 'absent'> {
    const found = await this.readStreamOnce(stream, { fromRevision: revision + 1, maxCount: events.length });
    if (found.length === 0) return 'absent';
    if (found.length === events.length && found.every((e, i) => e.eventId === events[i].eventId)) {
      const last = found[found.length - 1];
      return { stream, revision: last.revision, position: last.position, events: found };
    }
    return 'theirs';
  }

  /** The events as they will be stored: revisions after `revision`, hashes chained on `prevHash`. */
  private chain(stream: string, events: NewEvent[], revision: number, prevHash: string | null) {
    const recordedAt = this.clock().toISOString();
    return events.map((e, i) => {
      const content = { ...e, stream, revision: revision + 1 + i, recordedAt, prevHash };
      const hash = computeEventHash(content);
      const ledger: LedgerMetadata = { schemaVersion: e.schemaVersion, recordedAt, prevHash, hash };
      const metadata: StoredMetadata = {
        ...e.metadata,
        $correlationId: e.metadata.correlationId,
        ...(e.metadata.causationId ? { $causationId: e.metadata.causationId } : {}),
        ledger,
      };
      const recorded: RecordedEvent = { ...content, position: 0, hash };
      prevHash = hash;
      return { event: jsonEvent({ id: e.eventId, type: e.type, data: e.data, metadata }), recorded };
    });
  }

  /** Runs a read again after a transport failure (reads change nothing, so they are safe to repeat). */
  private async retried<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (!isTransient(error) || attempt >= this.transportRetries) throw error;
        await pause(this.retryDelayMs * 2 ** attempt);
      }
    }
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

/**
 * One client per connection string in a process. Client 6.2.1 keeps the pending answers of BatchAppend
 * in one module-level map, and an error on any client's BatchAppend call rejects and clears it for every
 * client: another client's answer then finds no promise, throws inside its gRPC stream and leaves its
 * later appends unanswered. Shared, the client has one call, and an error on it fails only its own
 * appends in flight (which the adapter settles).
 */
const clients = new Map<string, { client: EventStoreDBClient; users: number }>();

/**
 * Credentials that make client 6.2.1 use plain Append rather than the shared BatchAppend call: its
 * BatchAppend keeps pending answers in one module-level map that an error on the call clears, after
 * which a later answer finds no promise and throws inside the gRPC stream (an uncaught exception in
 * the process; seen under dropped connections). Plain Append is one call per append: a failure stays
 * with its own append. The client ignores credentials on an insecure connection and sends the
 * connection string's own on a secure one; a secure connection without them keeps BatchAppend.
 */
function plainAppendCredentials(connectionString: string): Credentials | undefined {
  const settings = parseConnectionString(connectionString);
  if (settings.defaultCredentials) return settings.defaultCredentials;
  return settings.tls === false ? { username: 'ignored-on-insecure-connections', password: '' } : undefined;
}

function acquireClient(connectionString: string): EventStoreDBClient {
  let entry = clients.get(connectionString);
  if (!entry) {
    entry = { client: EventStoreDBClient.connectionString(connectionString), users: 0 };
    clients.set(connectionString, entry);
  }
  entry.users++;
  return entry.client;
}

async function releaseClient(connectionString: string): Promise<void> {
  const entry = clients.get(connectionString);
  if (!entry || --entry.users > 0) return;
  clients.delete(connectionString);
  await entry.client.dispose();
}

function unavailable(error: unknown): unknown {
  if (
    error instanceof WrongExpectedRevisionError ||
    error instanceof StoreUnavailableError ||
    error instanceof UnsupportedServerError ||
    error instanceof RangeError ||
    error instanceof TypeError
  ) {
    return error;
  }
  // Client 6.2.1 throws a plain Error when gossip finds no node to talk to (an election, every node down).
  const undiscovered = error instanceof Error && error.message.startsWith('Failed to discover');
  if (isTransient(error) || undiscovered || (error as { type?: string }).type === 'unknown') {
    return new StoreUnavailableError(`event store unreachable: ${describe(error)}`, { cause: error });
  }
  return error;
}

/**
 * Failures after which a call may or may not have taken effect: the server's write timeout (Append
 * answers ABORTED, which 6.2.1 calls TimeoutError; BatchAppend a DEADLINE_EXCEEDED status), the
 * client's deadline, a lost connection, a node that is no longer the leader.
 */
function isTransient(error: unknown): boolean {
  const type = (error as { type?: string } | undefined)?.type;
  return (
    ['timeout', 'deadline-exceeded', 'unavailable', 'cancelled', 'not-leader'].includes(type ?? '') ||
    (error as { code?: number } | undefined)?.code === 14
  );
}

function isSupported(version: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const [minMajor, minMinor] = MIN_SERVER_VERSION.split('.').map(Number);
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
    // Events written by other tools (or the bookkeeping streams of earlier versions) carry no envelope.
    return {
      eventId: e.id,
      type: e.type,
      schemaVersion: 1,
      data: e.data as Record<string, unknown>,
      metadata: metadata as EventMetadata,
      stream: e.streamId,
      revision: Number(e.revision),
      position: Number(e.position?.commit ?? resolved.commitPosition ?? 0),
      recordedAt: e.created.toISOString(),
      prevHash: null,
      hash: '',
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
