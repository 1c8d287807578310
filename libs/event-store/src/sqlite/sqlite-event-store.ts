import Database from 'better-sqlite3';
import type { NewEvent, RecordedEvent } from '../port/envelope.js';
import { DuplicateEventIdError, StoreUnavailableError, WrongExpectedRevisionError } from '../port/errors.js';
import { canonicalJson, hashCanonicalEvent } from '../integrity/integrity.js';
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

/** How many committed events the store keeps parsed for its subscribers. */
const RECENT_EVENTS = 8192;

export interface SqliteEventStoreOptions {
  /** Path of the database file (created when missing). */
  file: string;
  /** Source of recordedAt; injectable for tests. Default: the real clock. */
  clock?: () => Date;
  /** Queue appends of the same tick into one transaction (one fsync). Default true. */
  groupCommit?: boolean;
  /** Most appends per group-commit transaction. Default 512. */
  maxBatchSize?: number;
  /** How long SQLite waits for a lock held by another connection (e.g. an auditor's reader). Default 5000. */
  busyTimeoutMs?: number;
  /** Told after every committed transaction: how many appends it held and how long it took (metrics). */
  onCommit?: (appends: number, seconds: number) => void;
}

/** Counters for tests and metrics. `commits < appends` shows group commit at work. */
export interface SqliteEventStoreStats {
  /** Write transactions committed. */
  commits: number;
  /** Appends committed. */
  appends: number;
  /** Appends refused (wrong revision, duplicate event id, invalid input). */
  refused: number;
  /** Events committed. */
  events: number;
  /** Appends in the largest transaction so far. */
  largestBatch: number;
}

/** Schema version stored in PRAGMA user_version. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE events (
  position       INTEGER PRIMARY KEY,  -- rowid alias; assigned by the store as head + 1, never AUTOINCREMENT
  stream         TEXT    NOT NULL,
  revision       INTEGER NOT NULL,
  event_id       TEXT    NOT NULL UNIQUE,
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL,
  data           TEXT    NOT NULL CHECK (json_valid(data)),      -- canonical JSON, as hashed
  metadata       TEXT    NOT NULL CHECK (json_valid(metadata)),  -- canonical JSON, as hashed
  recorded_at    TEXT    NOT NULL,
  prev_hash      TEXT,
  hash           TEXT    NOT NULL,
  UNIQUE (stream, revision)  -- also the index that answers "last revision and hash of a stream"
) STRICT;

-- Append-only, enforced by the file itself and not only by this class, so that a maintenance
-- script or an sqlite3 shell cannot rewrite history by accident. (Whoever can DROP TRIGGER can
-- still do anything; the hash chain is what makes such an edit visible.)
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END;
-- INSERT OR REPLACE deletes the conflicting row without firing DELETE triggers (unless
-- recursive_triggers is on), so inserts are checked too: each one must extend the log and its
-- stream by exactly one, and link to the previous hash. This also makes gap-free positions and
-- contiguous revisions a property of the file.
CREATE TRIGGER events_append_only BEFORE INSERT ON events
BEGIN
  SELECT RAISE(ABORT, 'events: duplicate event_id')
    WHERE EXISTS (SELECT 1 FROM events WHERE event_id = NEW.event_id);
  SELECT RAISE(ABORT, 'events: position must be the head position + 1')
    WHERE NEW.position IS NOT (SELECT coalesce(max(position), 0) + 1 FROM events);
  SELECT RAISE(ABORT, 'events: revision must follow the last revision of the stream')
    WHERE NEW.revision IS NOT (SELECT coalesce(max(revision), -1) + 1 FROM events WHERE stream = NEW.stream);
  SELECT RAISE(ABORT, 'events: prev_hash must be the hash of the previous event of the stream')
    WHERE NEW.prev_hash IS NOT (SELECT hash FROM events WHERE stream = NEW.stream AND revision = NEW.revision - 1);
END;
`;

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
  prev_hash: string | null;
  hash: string;
}

/** An event as queued: data and metadata already in canonical JSON, a snapshot taken at append(). */
interface PreparedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  dataJson: string;
  metadataJson: string;
}

interface PendingAppend {
  stream: string;
  events: PreparedEvent[];
  expectedRevision: AppendOptions['expectedRevision'];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/**
 * The event store on one SQLite file (WAL, synchronous=FULL: an append has reached the disk when
 * its promise resolves).
 *
 * ONE PROCESS OWNS THE FILE. Positions are computed as head + 1 inside the write transaction and
 * subscriptions are woken by this instance's own commits; a second process writing the same file
 * is not supported (its writes would be refused by the triggers or, worse, not seen by live
 * subscriptions). Other processes may open the file read-only, e.g. to verify or export.
 *
 * Group commit: appends made in the same tick are queued and written in one transaction, each
 * inside its own SAVEPOINT, so a refused append rolls back alone; callers' promises settle after
 * COMMIT has returned.
 */
export class SqliteEventStore implements EventStore {
  private readonly queue: PendingAppend[] = [];
  private flushHandle: NodeJS.Immediate | undefined;
  /** Recently committed events by position (read-only for everyone; see readForSubscriber). */
  private readonly recent = new Map<number, RecordedEvent>();
  private closing = false;
  private closed = false;
  /** Position of the last committed event; subscriptions compare against it before sleeping. */
  private committedHead: number;
  private readonly waiters = new Set<() => void>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly counters: SqliteEventStoreStats = { commits: 0, appends: 0, refused: 0, events: 0, largestBatch: 0 };

  private readonly stmt: ReturnType<typeof prepareStatements>;
  private readonly appendInSavepoint: (request: PendingAppend, head: number) => AppendResult;
  private readonly writeBatch: { immediate(batch: PendingAppend[], outcomes: Outcome[]): void };

  private constructor(
    private readonly db: Database.Database,
    private readonly clock: () => Date,
    private readonly maxBatchSize: number,
    private readonly onCommit?: (appends: number, seconds: number) => void,
  ) {
    this.stmt = prepareStatements(db);
    this.committedHead = this.stmt.headPosition.get() as number;
    // Called inside writeBatch, better-sqlite3 runs this one as SAVEPOINT / RELEASE / ROLLBACK TO.
    this.appendInSavepoint = db.transaction((request: PendingAppend, head: number) => this.appendInTransaction(request, head));
    this.writeBatch = db.transaction((batch: PendingAppend[], outcomes: Outcome[]) => {
      // The log's head, carried through the batch rather than asked for again per append (the insert trigger still checks it).
      let head = this.stmt.headPosition.get() as number;
      for (const request of batch) {
        try {
          // One event is one INSERT, which SQLite undoes alone when it is refused; more need a savepoint.
          const result = request.events.length === 1 ? this.appendInTransaction(request, head) : this.appendInSavepoint(request, head);
          head = result.position;
          outcomes.push({ ok: true, result });
        } catch (error) {
          // An I/O or engine failure dooms the whole transaction; a refusal concerns one append.
          if (isSqliteError(error) && !error.code.startsWith('SQLITE_CONSTRAINT')) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  static open(options: SqliteEventStoreOptions): SqliteEventStore {
    const groupCommit = options.groupCommit ?? true;
    const maxBatchSize = groupCommit ? (options.maxBatchSize ?? 512) : 1;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) throw new RangeError('maxBatchSize must be a positive integer');
    let db: Database.Database;
    try {
      db = new Database(options.file);
    } catch (error) {
      throw new StoreUnavailableError(`cannot open event store ${options.file}: ${errorMessage(error)}`, { cause: error });
    }
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal' && options.file !== ':memory:') throw new Error(`could not switch ${options.file} to WAL (got ${String(mode)})`);
      db.pragma('synchronous = FULL');
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      migrate(db);
      return new SqliteEventStore(db, options.clock ?? (() => new Date()), maxBatchSize, options.onCommit);
    } catch (error) {
      db.close();
      if (isSqliteError(error)) {
        throw new StoreUnavailableError(`cannot open event store ${options.file}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  stats(): SqliteEventStoreStats {
    return { ...this.counters };
  }

  /** The connection's durability settings, for health checks and tests. */
  pragmas(): { journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'; busyTimeoutMs: number } {
    return this.read(() => ({
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[this.db.pragma('synchronous', { simple: true }) as number],
      busyTimeoutMs: this.db.pragma('busy_timeout', { simple: true }) as number,
    }));
  }

  append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    let request: Omit<PendingAppend, 'resolve' | 'reject'>;
    try {
      if (this.closing) throw new StoreUnavailableError('event store is closed');
      request = prepareAppend(stream, events, options);
    } catch (error) {
      this.counters.refused += error instanceof StoreUnavailableError ? 0 : 1;
      return Promise.reject(error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ ...request, resolve, reject });
      // setImmediate, not a microtask: it runs after every promise continuation of this turn, so
      // callers woken by the previous batch get into the next one together.
      this.flushHandle ??= setImmediate(() => this.flush());
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const direction = options.direction ?? 'forwards';
    if (direction !== 'forwards' && direction !== 'backwards') throw new RangeError(`unknown direction ${String(direction)}`);
    const from = options.fromRevision ?? (direction === 'forwards' ? 0 : Number.MAX_SAFE_INTEGER);
    assertNonNegativeInteger(from, 'fromRevision');
    const limit = limitOf(options.maxCount);
    const statement = direction === 'forwards' ? this.stmt.readForwards : this.stmt.readBackwards;
    return this.read(() => (statement.all(stream, from, limit) as EventRow[]).map(toRecordedEvent));
  }

  async streamRevision(stream: string): Promise<number> {
    return this.read(() => (this.stmt.streamHead.get(stream) as { revision: number } | undefined)?.revision ?? -1);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.after ?? 0;
    assertNonNegativeInteger(after, 'after');
    const limit = limitOf(options.maxCount);
    // Straight from the database: an auditor's read must see the file as it is, not a cache.
    return this.read(() => (this.stmt.readAll.all(after, limit) as EventRow[]).map(toRecordedEvent));
  }

  /**
   * readAll for a replay that also keeps each event's JSON (the read models' rebuild: the audit history
   * stores whole envelopes): `json[i]` is exactly `JSON.stringify(events[i])`, assembled from the stored
   * text instead of serialized again, and the rows are read as arrays rather than objects. About half
   * the cost per event of readAll followed by JSON.stringify.
   */
  async readAllWithJson(options: ReadAllOptions = {}): Promise<{ events: RecordedEvent[]; json: string[] }> {
    const after = options.after ?? 0;
    assertNonNegativeInteger(after, 'after');
    const limit = limitOf(options.maxCount);
    return this.read(() => {
      const rows = this.stmt.readAllRows.all(after, limit) as RawEventRow[];
      const events: RecordedEvent[] = new Array(rows.length);
      const json: string[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        events[i] = fromRawRow(rows[i]);
        json[i] = envelopeJson(rows[i], events[i]);
      }
      return { events, json };
    });
  }

  async headPosition(): Promise<number> {
    return this.read(() => this.stmt.headPosition.get() as number);
  }

  async countAfter(after: number, limit: number): Promise<LogCount> {
    assertNonNegativeInteger(after, 'after');
    assertNonNegativeInteger(limit, 'limit');
    // Positions are 1 … head with no gap (the insert trigger refuses any other), and readAll leaves none out.
    const head = await this.headPosition();
    const count = Math.min(limit, Math.max(0, head - after));
    return { count, through: after + count };
  }

  async ping(): Promise<void> {
    this.read(() => this.stmt.ping.get());
  }

  subscribeToAll(handler: (events: RecordedEvent[]) => Promise<void> | void, options: SubscribeOptions = {}): Subscription {
    if (this.closing) throw new StoreUnavailableError('event store is closed');
    let after = options.after ?? 0;
    const batchSize = options.batchSize ?? 256;
    assertNonNegativeInteger(after, 'after');
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
    let stopped = false;
    let stopWaiting: (() => void) | undefined;

    const run = async (): Promise<void> => {
      // Deliver nothing before subscribeToAll has returned the handle.
      await Promise.resolve();
      let caughtUp = false;
      while (!stopped) {
        const page = this.read(() => this.readForSubscriber(after, batchSize));
        if (page.length === 0) {
          if (!caughtUp) {
            caughtUp = true;
            options.onCaughtUp?.();
          }
          await new Promise<void>((wake) => {
            stopWaiting = wake;
            this.waitForCommitAfter(after, wake);
          });
          stopWaiting = undefined;
          continue;
        }
        await handler(page);
        after = page[page.length - 1].position;
        // Let timers and I/O run between pages of a long catch-up even if the handler is synchronous.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };

    const done = run().finally(() => this.subscriptions.delete(subscription));
    // Marked handled so an unobserved failure does not crash the process; the subscription has
    // stopped either way, and `done` still rejects for whoever awaits it.
    done.catch(() => undefined);
    const subscription: Subscription = {
      done,
      close: async () => {
        stopped = true;
        if (stopWaiting) {
          this.waiters.delete(stopWaiting);
          stopWaiting();
        }
        await done.catch(() => undefined);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Writes what is queued, stops subscriptions, closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.flush();
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.closed = true;
    this.db.close();
  }

  private flush(): void {
    if (this.flushHandle) clearImmediate(this.flushHandle);
    this.flushHandle = undefined;
    while (this.queue.length > 0) this.commitBatch(this.queue.splice(0, this.maxBatchSize));
  }

  private commitBatch(batch: PendingAppend[]): void {
    const outcomes: Outcome[] = [];
    const started = performance.now();
    try {
      this.writeBatch.immediate(batch, outcomes);
    } catch (error) {
      // BEGIN or COMMIT (or an I/O error inside) failed: better-sqlite3 rolled back, nothing is
      // stored. Refusals computed inside may have depended on rolled-back appends, so everyone
      // gets the same answer: retry later.
      const failure = new StoreUnavailableError(`append failed: ${errorMessage(error)}`, { cause: error });
      for (const request of batch) request.reject(failure);
      return;
    }
    this.counters.commits += 1;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length);
    this.onCommit?.(batch.length, (performance.now() - started) / 1000);
    batch.forEach((request, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) {
        this.counters.appends += 1;
        this.counters.events += outcome.result.events.length;
        this.committedHead = Math.max(this.committedHead, outcome.result.position);
        this.remember(outcome.result.events);
        request.resolve(outcome.result);
      } else {
        this.counters.refused += 1;
        request.reject(outcome.error);
      }
    });
    // Persist first, publish after: subscriptions are only woken once the COMMIT returned.
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Runs inside a savepoint of the batch transaction, so it sees earlier appends of the batch. */
  private appendInTransaction(request: PendingAppend, head: number): AppendResult {
    const { stream, expectedRevision } = request;
    const last = this.stmt.streamHead.get(stream) as { revision: number; hash: string } | undefined;
    const actual = last?.revision ?? -1;
    if (expectedRevision === 'no_stream' ? actual !== -1 : expectedRevision !== 'any' && expectedRevision !== actual) {
      throw new WrongExpectedRevisionError(stream, expectedRevision, actual);
    }

    let position = head;
    let prevHash = last?.hash ?? null;
    const recordedAt = this.clock().toISOString();
    const recorded: RecordedEvent[] = [];
    request.events.forEach((e, i) => {
      const revision = actual + 1 + i;
      position += 1;
      const hash = hashCanonicalEvent({ ...e, stream, revision, recordedAt, prevHash });
      try {
        this.stmt.insertEvent.run(
          position,
          stream,
          revision,
          e.eventId,
          e.type,
          e.schemaVersion,
          e.dataJson,
          e.metadataJson,
          recordedAt,
          prevHash,
          hash,
        );
      } catch (error) {
        if (isDuplicateEventId(error)) throw new DuplicateEventIdError(e.eventId);
        throw error;
      }
      recorded.push({
        eventId: e.eventId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        data: JSON.parse(e.dataJson) as Record<string, unknown>,
        metadata: JSON.parse(e.metadataJson) as RecordedEvent['metadata'],
        stream,
        revision,
        position,
        recordedAt,
        prevHash,
        hash,
      });
      prevHash = hash;
    });

    const appended = recorded[recorded.length - 1];
    return { stream, revision: appended.revision, position: appended.position, events: recorded };
  }

  /**
   * The log from `after` for a subscription: recent events come from the cache of committed events (every subscriber —
   * projectors, the process manager, the anchor writer, the feed — reads each new event, and would
   * otherwise query and parse it again each time); older ones from the database.
   */
  private readForSubscriber(after: number, limit: number): RecordedEvent[] {
    const out: RecordedEvent[] = [];
    let next = after + 1;
    for (let cached = this.recent.get(next); cached && out.length < limit; cached = this.recent.get(++next)) out.push(cached);
    if (out.length === limit || next > this.committedHead) return out;
    const rows = this.stmt.readAll.all(next - 1, limit - out.length) as EventRow[];
    return out.concat(rows.map(toRecordedEvent));
  }

  private remember(events: RecordedEvent[]): void {
    // Shared by every reader from now on: frozen so that no reader can change what the others see.
    for (const event of events) {
      Object.freeze(event.data);
      Object.freeze(event.metadata);
      this.recent.set(event.position, Object.freeze(event));
    }
    // Map iterates in insertion order: the first keys are the oldest.
    for (const position of this.recent.keys()) {
      if (this.recent.size <= RECENT_EVENTS) break;
      this.recent.delete(position);
    }
  }

  /** Calls `wake` after the next commit, or now if the log is already past `after`. */
  private waitForCommitAfter(after: number, wake: () => void): void {
    if (this.committedHead > after) wake();
    else this.waiters.add(wake);
  }

  /** Runs a synchronous read, turning a closed store or an engine failure into StoreUnavailableError. */
  private read<T>(fn: () => T): T {
    if (this.closed) throw new StoreUnavailableError('event store is closed');
    try {
      return fn();
    } catch (error) {
      if (isSqliteError(error) || !this.db.open) {
        throw new StoreUnavailableError(`event store read failed: ${errorMessage(error)}`, { cause: error });
      }
      throw error;
    }
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  if (version !== 0) throw new Error(`event store schema version ${version} is not supported (expected ${SCHEMA_VERSION})`);
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function prepareStatements(db: Database.Database) {
  return {
    insertEvent: db.prepare(
      `INSERT INTO events (position, stream, revision, event_id, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // Served by the UNIQUE (stream, revision) index: cheaper than keeping a streams table in step.
    streamHead: db.prepare('SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1'),
    headPosition: db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck(),
    readForwards: db.prepare('SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision ASC LIMIT ?'),
    readBackwards: db.prepare('SELECT * FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?'),
    readAll: db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position ASC LIMIT ?'),
    // readAllWithJson: rows as arrays, in RecordedEvent's order of fields (RawEventRow).
    readAllRows: db
      .prepare(
        `SELECT event_id, type, schema_version, data, metadata, stream, revision, position, recorded_at, prev_hash, hash
           FROM events WHERE position > ? ORDER BY position ASC LIMIT ?`,
      )
      .raw(),
    ping: db.prepare('SELECT 1'),
  };
}

/** Validates and snapshots an append, so a caller mutating its objects after append() changes nothing. */
function prepareAppend(stream: string, events: NewEvent[], options: AppendOptions): Omit<PendingAppend, 'resolve' | 'reject'> {
  if (typeof stream !== 'string' || stream.length === 0) throw new TypeError('stream must be a non-empty string');
  if (!Array.isArray(events) || events.length === 0) throw new Error(`append to ${stream}: events must be a non-empty array`);
  const expected = options?.expectedRevision;
  if (expected !== 'any' && expected !== 'no_stream' && !(Number.isInteger(expected) && (expected as number) >= 0)) {
    throw new RangeError(`append to ${stream}: expectedRevision must be 'any', 'no_stream' or a revision >= 0, got ${String(expected)}`);
  }
  return {
    stream,
    expectedRevision: expected,
    events: events.map((e, i) => {
      if (typeof e.eventId !== 'string' || e.eventId.length === 0) throw new TypeError(`append to ${stream}: event ${i} has no eventId`);
      if (typeof e.type !== 'string' || e.type.length === 0) throw new TypeError(`append to ${stream}: event ${i} has no type`);
      if (!Number.isInteger(e.schemaVersion) || e.schemaVersion < 1)
        throw new TypeError(`append to ${stream}: event ${i} schemaVersion must be an integer >= 1`);
      if (!isObject(e.data) || !isObject(e.metadata))
        throw new TypeError(`append to ${stream}: event ${i} data and metadata must be objects`);
      return {
        eventId: e.eventId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        dataJson: canonicalJson(e.data),
        metadataJson: canonicalJson(e.metadata),
      };
    }),
  };
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: JSON.parse(row.data) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as RecordedEvent['metadata'],
    stream: row.stream,
    revision: row.revision,
    position: row.position,
    recordedAt: row.recorded_at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** An events row as readAllWithJson selects it, in RecordedEvent's order of fields. */
type RawEventRow = [
  eventId: string,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
  stream: string,
  revision: number,
  position: number,
  recordedAt: string,
  prevHash: string | null,
  hash: string,
];

/** toRecordedEvent for a raw row: the same fields, in the same order (JSON.stringify follows it). */
function fromRawRow(row: RawEventRow): RecordedEvent {
  return {
    eventId: row[0],
    type: row[1],
    schemaVersion: row[2],
    data: JSON.parse(row[3]) as Record<string, unknown>,
    metadata: JSON.parse(row[4]) as RecordedEvent['metadata'],
    stream: row[5],
    revision: row[6],
    position: row[7],
    recordedAt: row[8],
    prevHash: row[9],
    hash: row[10],
  };
}

/** A key that is an array index ("0", "17"): JSON.parse enumerates those first, before the others. */
const INDEX_KEY = /"(?:0|[1-9][0-9]*)":/;

/**
 * JSON.stringify(event) from the row's text. Data and metadata are stored as canonical JSON (appends
 * write nothing else), which JSON.parse then JSON.stringify give back unchanged: strings and numbers
 * were written by JSON.stringify, keys in sorted order, which a parsed object keeps, unless a key is
 * an array index (a parsed object lists those first). A text with anything that looks like one is
 * serialized from the parsed event instead.
 */
function envelopeJson(row: RawEventRow, event: RecordedEvent): string {
  if (INDEX_KEY.test(row[3]) || INDEX_KEY.test(row[4])) return JSON.stringify(event);
  return (
    `{"eventId":${JSON.stringify(row[0])},"type":${JSON.stringify(row[1])},"schemaVersion":${JSON.stringify(row[2])}` +
    `,"data":${row[3]},"metadata":${row[4]},"stream":${JSON.stringify(row[5])},"revision":${JSON.stringify(row[6])}` +
    `,"position":${JSON.stringify(row[7])},"recordedAt":${JSON.stringify(row[8])},"prevHash":${JSON.stringify(row[9])}` +
    `,"hash":${JSON.stringify(row[10])}}`
  );
}

/**
 * better-sqlite3 12.x hands its native addon the SqliteError class only once per process
 * (`addon.isInitialized` in lib/database.js). Where the JS module is evaluated more than once in a
 * process (jest's per-file module registry), errors carry the first copy's class and `instanceof`
 * fails, so errors are recognised by name and code instead.
 */
function isSqliteError(error: unknown): error is Error & { code: string } {
  const e = error as { name?: unknown; code?: unknown } | null;
  return typeof e === 'object' && e !== null && e.name === 'SqliteError' && typeof e.code === 'string';
}

function isDuplicateEventId(error: unknown): boolean {
  return (
    isSqliteError(error) &&
    (error.message.includes('duplicate event_id') || error.message.includes('UNIQUE constraint failed: events.event_id'))
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertNonNegativeInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be an integer >= 0, got ${value}`);
}

/** SQLite reads LIMIT -1 as "no limit". */
function limitOf(maxCount: number | undefined): number {
  if (maxCount === undefined) return -1;
  assertNonNegativeInteger(maxCount, 'maxCount');
  return maxCount;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
