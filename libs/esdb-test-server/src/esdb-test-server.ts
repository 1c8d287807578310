/**
 * An in-process EventStoreDB for tests: a gRPC server speaking the wire protocol that
 * @eventstore/db-client 6.2.1 uses (ServerFeatures, Streams.Read/Append/BatchAppend/Delete/Tombstone), over
 * the client's own generated stubs. Storage semantics live in in-memory-event-log.ts, BatchAppend in
 * batch-append.ts, fault injection in faults.ts.
 *
 * The server must share the client's @grpc/grpc-js and generated protobuf modules: the stubs check
 * `instanceof` when serializing. The default imports below resolve to the very files the client
 * `require`s (same paths, hence the same module instances under node and under jest ESM).
 */
import grpc from '@grpc/grpc-js';
import type {
  Server,
  ServerDuplexStream,
  ServerErrorResponse,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb.js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import serverFeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type * as SupportedMethodsPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { type AppendHost, BatchAppendSession, type CommitResult } from './batch-append.js';
import { type FaultCounts, FaultInjector, type FaultOptions } from './faults.js';
import {
  type AppendOutcome,
  type ExpectedRevision,
  InMemoryEventLog,
  type LogPosition,
  type LogRecord,
  type ProposedEvent,
  type StreamView,
  type WriteOutcome,
} from './in-memory-event-log.js';
import {
  appendTimeoutError,
  connectionDroppedError,
  describe,
  describeExpected,
  describeOutcome,
  maxAppendSizeError,
  proposedEvent,
  rpcError,
  sizeOnDisk,
  streamDeletedError,
  streamIdentifier,
  streamNameOf,
  toServiceError,
  uuidMessage,
} from './wire.js';

export type { FaultOptions, FaultCounts } from './faults.js';

export interface EsdbTestServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** One line per request and per notable event. Default: silent, unless ESDB_TEST_SERVER_LOG is set. */
  log?: (line: string) => void;
  /** The server's default limit on the total size of one append (1 MiB). */
  maxAppendSize?: number;
  /**
   * What ServerFeatures reports as the server version (default '25.0.0'). Subscriptions send CaughtUp only
   * from 23.10.0 on (the version that introduced it).
   */
  version?: string;
  /**
   * Default true: ServerFeatures lists Streams.BatchAppend and it is served, so client 6.2.1 sends every
   * append over one shared BatchAppend call. false: not listed, answers UNIMPLEMENTED, and the client uses
   * plain Streams.Append.
   */
  batchAppend?: boolean;
  faults?: FaultOptions;
}

const { status } = grpc;
const ReadReqOptions = streamsPb.ReadReq.Options;
const { ReadResp, AppendResp } = streamsPb;

/** The real server's page size: also the default filter search window. */
const READ_BATCH_SIZE = 32;
const ANY_VERSION = -2n;
const NO_STREAM_VERSION = -1n;
const STREAM_EXISTS_VERSION = -4n;
const DEFAULT_VERSION = '25.0.0';
/** CaughtUp was added in 23.10.0 (EventStore commit 80d654647, "Add CaughtUp control message for subscriptions"). */
const CAUGHT_UP_SINCE = [23, 10, 0];

export class EsdbTestServer {
  private grpcServer: Server | undefined;
  private closed = false;
  private readonly sessions = new Set<SubscriptionSession>();
  private readonly calls = new Map<string, number>();
  /** Timers committing late (fault-injected) writes. */
  private readonly lateCommits = new Set<NodeJS.Timeout>();
  private readonly faults: FaultInjector;
  private followerLag: number | undefined;
  private readonly version: string;
  private readonly batchAppendServed: boolean;
  private readonly sendsCaughtUp: boolean;
  /** What BatchAppend sessions call back into. */
  private readonly appendHost: AppendHost;

  private constructor(
    private readonly front: TcpFront,
    grpcServer: Server,
    private readonly store: InMemoryEventLog,
    private readonly log: (line: string) => void,
    private readonly maxAppendSize: number,
    options: EsdbTestServerOptions,
  ) {
    this.grpcServer = grpcServer;
    this.version = options.version ?? DEFAULT_VERSION;
    this.batchAppendServed = options.batchAppend ?? true;
    this.sendsCaughtUp = !versionBefore(this.version, CAUGHT_UP_SINCE);
    this.faults = new FaultInjector(options.faults);
    this.appendHost = {
      log,
      maxAppendSize,
      countCall: (method) => this.count(method),
      commit: (method, streamName, expected, events, done) => this.commit(method, streamName, expected, events, done),
    };
    store.onWrite(() => {
      for (const session of [...this.sessions]) session.pump();
    });
  }

  static async start(options: EsdbTestServerOptions = {}): Promise<EsdbTestServer> {
    const log = options.log ?? defaultLog();
    const store = new InMemoryEventLog();
    seedSystemEvents(store);
    // The handlers need the instance and the instance needs the servers: handlers reach it late.
    let instance: EsdbTestServer | undefined;
    const grpcServer = createGrpcServer(() => instance);
    try {
      const front = new TcpFront(await bind(grpcServer, 0));
      await front.listen(options.port ?? 0);
      instance = new EsdbTestServer(front, grpcServer, store, log, options.maxAppendSize ?? 1_048_576, options);
    } catch (error) {
      grpcServer.forceShutdown();
      throw error;
    }
    log(`listening on 127.0.0.1:${instance.port} (version ${instance.version}, BatchAppend ${instance.batchAppendServed ? 'on' : 'off'})`);
    return instance;
  }

  get port(): number {
    return this.front.port;
  }

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  /**
   * Every record in the log ($all order), system records included, committed or not (a late write is here
   * before reads see it): for counting duplicates and the like.
   */
  get records(): readonly LogRecord[] {
    return this.store.records;
  }

  /** Faults injected so far (cumulative, across setFaults calls). */
  get faultCounts(): Readonly<FaultCounts> {
    return { ...this.faults.counts };
  }

  /** Change the faults at run time (undefined = off). The PRNG restarts from the new seed. */
  setFaults(faults: FaultOptions | undefined): void {
    this.log(`setFaults ${faults ? JSON.stringify(faults) : 'off'}`);
    this.faults.set(faults);
  }

  /**
   * Calls served, by method: 'Streams.Read' (non-subscription reads), 'Streams.Subscribe' (subscription
   * reads), 'Streams.Append', 'Streams.BatchAppend' (once per append carried on the call),
   * 'ServerFeatures.GetSupportedMethods', 'Streams.Delete', 'Streams.Tombstone'.
   */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  resetCallCounts(): void {
    this.calls.clear();
  }

  /**
   * Stale follower reads: non-subscription reads without `requires-leader: true` see the log only up to
   * `records` records behind its head, as a lagging follower would; reads with it are served current (as
   * the leader). undefined = off.
   */
  setFollowerLag(records: number | undefined): void {
    this.log(`setFollowerLag ${records ?? 'off'}`);
    this.followerLag = records;
  }

  /**
   * Unreachable from now on: open connections are reset (clients see a dropped connection, as on a
   * crash or a network cut, not a polite gRPC status) and new ones are refused. The data stays.
   */
  async stop(): Promise<void> {
    if (!this.grpcServer) return;
    this.log(`stop: dropping connections, closing port ${this.port}`);
    for (const session of [...this.sessions]) session.abandon();
    await this.front.close();
    this.grpcServer.forceShutdown();
    this.grpcServer = undefined;
  }

  /** Listen again on the same port, serving the same data. */
  async restart(): Promise<void> {
    if (this.closed) throw new Error('EsdbTestServer: restart() after close()');
    if (this.grpcServer) return;
    const grpcServer = createGrpcServer(() => this);
    try {
      this.front.upstreamPort = await bind(grpcServer, 0);
      await this.front.listen(this.port);
    } catch (error) {
      grpcServer.forceShutdown();
      throw error;
    }
    this.grpcServer = grpcServer;
    this.log(`restart: listening on 127.0.0.1:${this.port}`);
  }

  /**
   * End every open Read subscription with an error status, as a leader election does. Default:
   * UNAVAILABLE, which the client maps to UnavailableError (and reconnects its channel on the next call).
   */
  dropSubscriptions(reason: { code?: GrpcStatus; details?: string } = {}): void {
    const code = reason.code ?? status.UNAVAILABLE;
    const details = reason.details ?? 'Leader changed: subscription dropped';
    this.log(`dropSubscriptions: ${this.sessions.size} open, code ${status[code]}`);
    for (const session of [...this.sessions]) session.fail(rpcError(code, details));
  }

  /** Stop for good. Late (fault-injected) writes not yet committed stay so. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.lateCommits) clearTimeout(timer);
    this.lateCommits.clear();
    await this.stop();
  }

  // --- handlers (called by the grpc server; every one logs and turns exceptions into a status) ---

  /** @internal A handler threw past its own error handling (see createGrpcServer). */
  reportCrash(handler: string, error: unknown): void {
    this.log(`${handler} threw: ${describe(error)}`);
    if (!process.env.ESDB_TEST_SERVER_LOG) console.error(`[esdb-test-server] ${handler} threw`, error);
  }

  /**
   * @internal As ServerFeatures.cs: every client-facing method served, lower case, with the features the
   * real server attaches (Read: position, events; BatchAppend: deadline_duration), and the version.
   */
  getSupportedMethods(
    _call: ServerUnaryCall<SharedPb.Empty, SupportedMethodsPb.SupportedMethods>,
    callback: sendUnaryData<SupportedMethodsPb.SupportedMethods>,
  ): void {
    this.count('ServerFeatures.GetSupportedMethods');
    const methods: Array<[service: string, method: string, features: string[]]> = [
      ['event_store.client.streams.streams', 'read', ['position', 'events']],
      ['event_store.client.streams.streams', 'append', []],
      ['event_store.client.streams.streams', 'delete', []],
      ['event_store.client.streams.streams', 'tombstone', []],
      ...(this.batchAppendServed
        ? [['event_store.client.streams.streams', 'batchappend', ['deadline_duration']] as [string, string, string[]]]
        : []),
      ['event_store.client.server_features.serverfeatures', 'getsupportedmethods', []],
    ];
    const response = new serverFeaturesPb.SupportedMethods();
    for (const [service, method, features] of methods) {
      const supported = new serverFeaturesPb.SupportedMethod();
      supported.setServiceName(service);
      supported.setMethodName(method);
      supported.setFeaturesList(features);
      response.addMethods(supported);
    }
    response.setEventStoreServerVersion(this.version);
    this.log(`ServerFeatures.GetSupportedMethods -> version ${this.version}, ${methods.length} methods`);
    callback(null, response);
  }

  /** @internal */
  batchAppend(call: ServerDuplexStream<StreamsPb.BatchAppendReq, StreamsPb.BatchAppendResp>): void {
    if (!this.batchAppendServed) {
      this.log('Streams.BatchAppend -> UNIMPLEMENTED');
      call.emit('error', rpcError(status.UNIMPLEMENTED, 'Method not implemented'));
      return;
    }
    this.log('Streams.BatchAppend call opened');
    new BatchAppendSession(call, this.appendHost);
  }

  /** @internal */
  append(call: ServerReadableStream<StreamsPb.AppendReq, StreamsPb.AppendResp>, callback: sendUnaryData<StreamsPb.AppendResp>): void {
    this.count('Streams.Append');
    let options: StreamsPb.AppendReq.Options | undefined;
    const events: ProposedEvent[] = [];
    let size = 0;
    let answered = false;
    const answer = (error: ServerErrorResponse | null, response?: StreamsPb.AppendResp) => {
      if (answered) return;
      answered = true;
      callback(error, response);
    };
    const fail = (error: unknown) => {
      this.log(`Streams.Append failed: ${describe(error)}`);
      answer(toServiceError(error));
    };

    call.on('data', (request: StreamsPb.AppendReq) => {
      if (answered) return;
      try {
        if (!options) {
          if (!request.hasOptions()) throw rpcError(status.UNKNOWN, 'Append: the first message must be options');
          options = request.getOptions()!;
          return;
        }
        if (!request.hasProposedMessage()) throw rpcError(status.UNKNOWN, 'Append: expected a proposed message');
        const event = proposedEvent(request.getProposedMessage()!);
        size += sizeOnDisk(event);
        if (size > this.maxAppendSize) throw maxAppendSizeError(this.maxAppendSize);
        events.push(event);
      } catch (error) {
        fail(error);
      }
    });

    call.on('end', () => {
      if (answered) return;
      try {
        if (!options) throw rpcError(status.UNKNOWN, 'Append: no options received');
        const streamName = streamNameOf(options.getStreamIdentifier());
        const expected = expectedFromAppend(options);
        const what = `Streams.Append ${streamName} expected=${describeExpected(expected)} events=${events.length}`;
        this.commit('Streams.Append', streamName, expected, events, (result) => {
          try {
            switch (result.kind) {
              case 'dropped':
                this.log(`${what} -> connection dropped (fault)`);
                return answer(connectionDroppedError());
              case 'timeout':
                this.log(`${what} -> timed out`);
                return answer(appendTimeoutError());
              case 'done':
                this.log(`${what} -> ${describeOutcome(result.outcome)}`);
                return answer(null, appendResponse(streamName, expected, result.outcome));
            }
          } catch (error) {
            fail(error);
          }
        });
      } catch (error) {
        fail(error);
      }
    });

    call.on('error', (error) => this.log(`Streams.Append stream error: ${describe(error)}`));
  }

  /**
   * Hand an append to the log, with whatever fault the injector decides: ambiguous (written, answered
   * timeout), late (written, answered timeout, committed a little later), drop (before or after the
   * write, the connection is lost). As the real server, a success is answered only once committed, and a
   * resend of events written but not committed (IdempotentNotReady) is dropped: the client times out.
   */
  private commit(
    method: string,
    streamName: string,
    expected: ExpectedRevision,
    events: ProposedEvent[],
    done: (result: CommitResult) => void,
  ): void {
    const fault = this.faults.nextAppend();
    if (fault.kind === 'drop' && !fault.afterWrite) {
      this.log(`${method} ${streamName}: fault drop before the write`);
      return done({ kind: 'dropped' });
    }
    const before = this.store.records.length;
    const outcome = this.store.append(streamName, expected, events, fault.kind === 'late');
    const wrote = this.store.records.length > before;
    switch (fault.kind) {
      case 'ambiguous':
        this.log(`${method} ${streamName}: fault ambiguous, written anyway -> ${describeAppendOutcome(outcome)}`);
        return done({ kind: 'timeout' });
      case 'drop':
        this.log(`${method} ${streamName}: fault drop after the write -> ${describeAppendOutcome(outcome)}`);
        return done({ kind: 'dropped' });
      case 'late':
        // Only a write can be slow to commit; anything else is answered as usual.
        if (wrote && outcome.kind === 'success') {
          this.faults.counts.late++;
          const position = outcome.position!;
          this.log(`${method} ${streamName}: fault late, written at ${position}, committing in ${fault.delayMs} ms`);
          const timer = setTimeout(() => {
            this.lateCommits.delete(timer);
            try {
              this.log(`${method} ${streamName}: late write at ${position} committed`);
              this.store.commit(position);
            } catch (error) {
              this.reportCrash(`${method} (late commit)`, error);
            }
          }, fault.delayMs);
          this.lateCommits.add(timer);
          return done({ kind: 'timeout' });
        }
    }
    if (outcome.kind === 'idempotent_not_ready') {
      this.log(`${method} ${streamName}: written already but not committed (IdempotentNotReady) -> dropped`);
      return done({ kind: 'timeout' });
    }
    if (outcome.kind === 'success' && outcome.position !== undefined) {
      if (wrote && this.store.records.length > this.store.committedCount) {
        this.log(`${method} ${streamName}: written after an uncommitted write, answered once it commits`);
      }
      return this.store.whenCommitted(outcome.position, () => done({ kind: 'done', outcome }));
    }
    done({ kind: 'done', outcome });
  }

  private count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  /** @internal */
  delete(call: ServerUnaryCall<StreamsPb.DeleteReq, StreamsPb.DeleteResp>, callback: sendUnaryData<StreamsPb.DeleteResp>): void {
    this.count('Streams.Delete');
    this.deleteOrTombstone('Delete', call.request.getOptions(), false, (error, position) => {
      if (error) return callback(error);
      const response = new streamsPb.DeleteResp();
      const grpcPosition = new streamsPb.DeleteResp.Position();
      grpcPosition.setCommitPosition(position!.toString());
      grpcPosition.setPreparePosition(position!.toString());
      response.setPosition(grpcPosition);
      callback(null, response);
    });
  }

  /** @internal */
  tombstone(
    call: ServerUnaryCall<StreamsPb.TombstoneReq, StreamsPb.TombstoneResp>,
    callback: sendUnaryData<StreamsPb.TombstoneResp>,
  ): void {
    this.count('Streams.Tombstone');
    this.deleteOrTombstone('Tombstone', call.request.getOptions(), true, (error, position) => {
      if (error) return callback(error);
      const response = new streamsPb.TombstoneResp();
      const grpcPosition = new streamsPb.TombstoneResp.Position();
      grpcPosition.setCommitPosition(position!.toString());
      grpcPosition.setPreparePosition(position!.toString());
      response.setPosition(grpcPosition);
      callback(null, response);
    });
  }

  private deleteOrTombstone(
    operation: 'Delete' | 'Tombstone',
    options: StreamsPb.DeleteReq.Options | StreamsPb.TombstoneReq.Options | undefined,
    hard: boolean,
    done: (error: ServerErrorResponse | null, position?: bigint) => void,
  ): void {
    try {
      if (!options) throw rpcError(status.INVALID_ARGUMENT, `${operation}: options missing`);
      const streamName = streamNameOf(options.getStreamIdentifier());
      const expected = expectedFromDelete(options);
      const outcome = this.store.delete(streamName, expected, hard);
      this.log(`Streams.${operation} ${streamName} expected=${describeExpected(expected)} -> ${describeOutcome(outcome)}`);
      switch (outcome.kind) {
        case 'success':
          // Answered once committed, as an append (it may land after an uncommitted late write).
          return this.store.whenCommitted(outcome.position!, () => done(null, outcome.position));
        case 'stream_deleted':
          return done(streamDeletedError(streamName));
        case 'wrong_expected_version':
          // Unlike Append, Delete/Tombstone report a version mismatch through trailers.
          return done(
            rpcError(
              status.FAILED_PRECONDITION,
              `${operation} failed due to WrongExpectedVersion. Stream: ${streamName}, Expected version: ${expectedVersionNumber(expected)}, Actual version: ${outcome.current}`,
              {
                exception: 'wrong-expected-version',
                'stream-name': streamName,
                'expected-version': expectedVersionNumber(expected).toString(),
                'actual-version': outcome.current.toString(),
              },
            ),
          );
      }
    } catch (error) {
      this.log(`Streams.${operation} failed: ${describe(error)}`);
      done(toServiceError(error));
    }
  }

  /** @internal */
  read(call: ServerWritableStream<StreamsPb.ReadReq, StreamsPb.ReadResp>): void {
    try {
      const options = call.request.getOptions();
      if (!options) throw rpcError(status.INVALID_ARGUMENT, 'Read: options missing');
      const request = parseReadOptions(options);
      this.log(`Streams.Read ${describeRead(request)}`);
      if (request.subscription) {
        // Never faulted nor lagged: dropSubscriptions() is the way to break subscriptions.
        this.count('Streams.Subscribe');
        const session = new SubscriptionSession(call, request, this.store, this.log, this.sendsCaughtUp, (s) => this.sessions.delete(s));
        this.sessions.add(session);
        session.start();
        return;
      }
      this.count('Streams.Read');
      if (this.faults.nextRead()) {
        this.log('Streams.Read -> connection dropped (fault)');
        call.emit('error', connectionDroppedError());
        return;
      }
      const visible = this.visibleRecords(call);
      if (request.target.kind === 'stream') this.readStream(call, request, request.target.name, visible);
      else this.readAll(call, request, visible);
    } catch (error) {
      this.log(`Streams.Read failed: ${describe(error)}`);
      call.emit('error', toServiceError(error));
    }
  }

  /** How many log records a read sees: the committed ones on the leader, fewer on a lagging follower. */
  private visibleRecords(call: ServerWritableStream<StreamsPb.ReadReq, StreamsPb.ReadResp>): number {
    const committed = this.store.committedCount;
    if (this.followerLag === undefined) return committed;
    // As the real server's GetRequiresLeader: the header parsed as a bool, anything else is false.
    const requiresLeader = call.metadata.get('requires-leader').some((value) => value.toString().toLowerCase() === 'true');
    if (requiresLeader) return committed;
    const visible = Math.min(committed, Math.max(0, this.store.records.length - this.followerLag));
    this.log(`Streams.Read served as a follower: ${visible} of ${this.store.records.length} records`);
    return visible;
  }

  private readStream(
    call: ServerWritableStream<StreamsPb.ReadReq, StreamsPb.ReadResp>,
    request: ReadRequest,
    name: string,
    visible: number,
  ): void {
    const view: StreamView = this.store.stream(name, visible);
    if (view.tombstoned) {
      call.emit('error', streamDeletedError(name));
      return;
    }
    if (!view.exists) {
      // In-band answer; the client turns it into StreamNotFoundError.
      const response = new ReadResp();
      const notFound = new ReadResp.StreamNotFound();
      notFound.setStreamIdentifier(streamIdentifier(name));
      response.setStreamNotFound(notFound);
      call.write(response);
      call.end();
      return;
    }
    const start = request.start;
    let sent = 0n;
    if (request.direction === 'forwards') {
      // Stream reads include the start revision.
      let revision = start.kind === 'start' ? 0n : start.kind === 'end' ? view.lastRevision + 1n : revisionOf(start);
      if (revision < view.visibleFrom) revision = view.visibleFrom;
      for (; revision <= view.lastRevision && sent < request.count; revision++, sent++) {
        call.write(eventResponse(view.records[Number(revision)], request.uuidAsString));
      }
    } else {
      let revision = start.kind === 'start' ? 0n : start.kind === 'end' ? view.lastRevision : revisionOf(start);
      if (revision > view.lastRevision) revision = view.lastRevision;
      for (; revision >= view.visibleFrom && sent < request.count; revision--, sent++) {
        call.write(eventResponse(view.records[Number(revision)], request.uuidAsString));
      }
    }
    this.log(`Streams.Read ${name}: ${sent} events`);
    call.end();
  }

  private readAll(call: ServerWritableStream<StreamsPb.ReadReq, StreamsPb.ReadResp>, request: ReadRequest, visible: number): void {
    const records = this.store.records;
    const end = visible;
    const start = request.start;
    let sent = 0n;
    if (request.direction === 'forwards') {
      // $all forwards: position >= the given one.
      let index = start.kind === 'start' ? 0 : start.kind === 'end' ? end : positionToIndex(this.store, positionOf(start));
      for (; index < end && sent < request.count; index++) {
        if (request.filter && !request.filter.matches(records[index])) continue;
        call.write(eventResponse(records[index], request.uuidAsString));
        sent++;
      }
    } else {
      // $all backwards: position < the given one.
      let index = start.kind === 'start' ? -1 : start.kind === 'end' ? end - 1 : positionToIndex(this.store, positionOf(start)) - 1;
      if (index >= end) index = end - 1;
      for (; index >= 0 && sent < request.count; index--) {
        if (request.filter && !request.filter.matches(records[index])) continue;
        call.write(eventResponse(records[index], request.uuidAsString));
        sent++;
      }
    }
    this.log(`Streams.Read $all: ${sent} events`);
    call.end();
  }
}

// --- subscriptions ---

/**
 * One open Read subscription. It sends the confirmation, the catch-up events, caught_up, then live events:
 * pump() is called on start and synchronously after every write and commit, and delivers whatever lies
 * past its cursor, so nothing polls.
 */
class SubscriptionSession {
  private readonly id = randomUUID();
  /** $all: index in the log of the next record to consider. Stream: next revision to deliver. */
  private cursor = 0n;
  private caughtUp = false;
  private closed = false;
  private waitingForDrain = false;
  /** Filtered $all: records considered since the last checkpoint. */
  private considered = 0;
  private lastCheckpoint: bigint | undefined;

  constructor(
    private readonly call: ServerWritableStream<StreamsPb.ReadReq, StreamsPb.ReadResp>,
    private readonly request: ReadRequest,
    private readonly store: InMemoryEventLog,
    private readonly log: (line: string) => void,
    /** Servers before 23.10 never send CaughtUp. */
    private readonly sendsCaughtUp: boolean,
    private readonly onClose: (session: SubscriptionSession) => void,
  ) {
    const cleanup = (why: string) => () => {
      if (this.closed) return;
      this.log(`subscription ${this.id} ended (${why})`);
      this.close();
    };
    call.on('cancelled', cleanup('cancelled by the client'));
    call.on('close', cleanup('call closed'));
  }

  start(): void {
    const { target, start } = this.request;
    if (target.kind === 'all') {
      // $all subscriptions start AFTER the given position (the server reads the record at it, then goes on).
      this.cursor = BigInt(
        start.kind === 'start'
          ? 0
          : start.kind === 'end'
            ? this.store.committedCount
            : positionToIndex(this.store, positionOf(start), true),
      );
    } else {
      // Stream subscriptions start AFTER the given revision.
      const view = this.store.stream(target.name);
      this.cursor = start.kind === 'start' ? 0n : start.kind === 'end' ? view.lastRevision + 1n : revisionOf(start) + 1n;
    }
    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(this.id);
    const response = new ReadResp();
    response.setConfirmation(confirmation);
    this.call.write(response);
    this.log(`subscription ${this.id} confirmed`);
    this.pump();
  }

  pump(): void {
    if (this.closed || this.waitingForDrain) return;
    try {
      if (this.request.target.kind === 'all') this.pumpAll();
      else this.pumpStream(this.request.target.name);
    } catch (error) {
      this.log(`subscription ${this.id} failed: ${describe(error)}`);
      this.fail(toServiceError(error));
    }
  }

  /** End the call with an error status (dropSubscriptions, stream deleted, handler failure). */
  fail(error: ServerErrorResponse): void {
    if (this.closed) return;
    this.close();
    this.call.emit('error', error);
  }

  /** Forget the call without answering: the server is going down and takes the connection with it. */
  abandon(): void {
    this.close();
  }

  private close(): void {
    this.closed = true;
    this.onClose(this);
  }

  private pumpAll(): void {
    const records = this.store.records;
    // Only the committed prefix of the log is delivered.
    const end = this.store.committedCount;
    const filter = this.request.filter;
    while (this.cursor < BigInt(end)) {
      const record = records[Number(this.cursor++)];
      let writable = true;
      if (!filter) {
        writable = this.write(eventResponse(record, this.request.uuidAsString));
      } else {
        if (filter.matches(record)) writable = this.write(eventResponse(record, this.request.uuidAsString));
        // The server checkpoints every (window x multiplier) considered events, matching or not.
        if (++this.considered >= filter.checkpointInterval) writable = this.checkpoint(record.position) && writable;
      }
      if (!writable) return this.awaitDrain();
    }
    if (!this.caughtUp) {
      this.caughtUp = true;
      // A filtered subscription also checkpoints when it catches up, so a consumer whose filter matched
      // nothing can still persist how far it has looked.
      const last = records[end - 1];
      if (filter && last) this.checkpoint(last.position);
      if (this.sendsCaughtUp) this.write(caughtUpResponse());
      this.log(`subscription ${this.id} caught up`);
    }
  }

  private pumpStream(name: string): void {
    const view = this.store.stream(name);
    if (view.tombstoned && !this.caughtUp) {
      // Catch-up reads of a tombstoned stream fail.
      return this.fail(streamDeletedError(name));
    }
    if (this.cursor < view.visibleFrom) this.cursor = view.visibleFrom;
    while (this.cursor <= view.lastRevision) {
      const record = view.records[Number(this.cursor++)];
      if (!this.write(eventResponse(record, this.request.uuidAsString))) return this.awaitDrain();
    }
    if (view.tombstoned) {
      // Live: the tombstone ($streamDeleted) ends the subscription.
      return this.fail(streamDeletedError(name));
    }
    if (!this.caughtUp) {
      this.caughtUp = true;
      if (this.sendsCaughtUp) this.write(caughtUpResponse());
      this.log(`subscription ${this.id} caught up`);
    }
  }

  private checkpoint(position: bigint): boolean {
    this.considered = 0;
    if (this.lastCheckpoint === position) return true;
    this.lastCheckpoint = position;
    const checkpoint = new ReadResp.Checkpoint();
    checkpoint.setCommitPosition(position.toString());
    checkpoint.setPreparePosition(position.toString());
    const response = new ReadResp();
    response.setCheckpoint(checkpoint);
    return this.write(response);
  }

  private write(response: StreamsPb.ReadResp): boolean {
    return this.call.write(response);
  }

  private awaitDrain(): void {
    this.waitingForDrain = true;
    this.call.once('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
  }
}

// --- request parsing ---

interface EventFilter {
  matches(record: LogRecord): boolean;
  checkpointInterval: number;
}

type ReadStart = { kind: 'start' } | { kind: 'end' } | { kind: 'revision'; revision: bigint } | { kind: 'position'; position: LogPosition };

interface ReadRequest {
  target: { kind: 'stream'; name: string } | { kind: 'all' };
  start: ReadStart;
  direction: 'forwards' | 'backwards';
  count: bigint;
  subscription: boolean;
  filter: EventFilter | undefined;
  uuidAsString: boolean;
}

function parseReadOptions(options: StreamsPb.ReadReq.Options): ReadRequest {
  const direction = options.getReadDirection() === ReadReqOptions.ReadDirection.BACKWARDS ? 'backwards' : 'forwards';
  const subscription = options.getCountOptionCase() === ReadReqOptions.CountOptionCase.SUBSCRIPTION;
  if (subscription && direction === 'backwards') throw rpcError(status.INVALID_ARGUMENT, 'Subscriptions read forwards only');
  // The server's default is the structured form; client 6.2.1 always asks for strings.
  const uuidAsString = options.getUuidOption()?.hasString() ?? false;
  const count = subscription ? 0n : BigInt(options.getCount() || '0');
  const filter = parseFilter(options);

  if (options.hasStream()) {
    if (filter) throw rpcError(status.INVALID_ARGUMENT, 'Filters apply to $all only');
    const stream = options.getStream()!;
    const name = streamNameOf(stream.getStreamIdentifier());
    const start: ReadStart = stream.hasRevision()
      ? { kind: 'revision', revision: BigInt(stream.getRevision()) }
      : stream.hasEnd()
        ? { kind: 'end' }
        : { kind: 'start' };
    return { target: { kind: 'stream', name }, start, direction, count, subscription, filter, uuidAsString };
  }
  if (options.hasAll()) {
    const all = options.getAll()!;
    let start: ReadStart = { kind: 'start' };
    if (all.hasEnd()) start = { kind: 'end' };
    else if (all.hasPosition()) {
      const position = all.getPosition()!;
      start = {
        kind: 'position',
        position: { commit: BigInt(position.getCommitPosition()), prepare: BigInt(position.getPreparePosition()) },
      };
    }
    return { target: { kind: 'all' }, start, direction, count, subscription, filter, uuidAsString };
  }
  throw rpcError(status.INVALID_ARGUMENT, 'Read: neither a stream nor $all');
}

function revisionOf(start: ReadStart): bigint {
  if (start.kind !== 'revision') throw rpcError(status.INVALID_ARGUMENT, 'A stream read needs a revision, not a position');
  return start.revision;
}

function positionOf(start: ReadStart): LogPosition {
  if (start.kind !== 'position') throw rpcError(status.INVALID_ARGUMENT, 'A $all read needs a position, not a revision');
  return start.position;
}

function parseFilter(options: StreamsPb.ReadReq.Options): EventFilter | undefined {
  if (options.getFilterOptionCase() !== ReadReqOptions.FilterOptionCase.FILTER) return undefined;
  const filter = options.getFilter()!;
  const onStream = filter.getFilterCase() === ReadReqOptions.FilterOptions.FilterCase.STREAM_IDENTIFIER;
  const expression = onStream ? filter.getStreamIdentifier() : filter.getEventType();
  if (!expression) throw rpcError(status.INVALID_ARGUMENT, 'Filter without an expression');
  const regex = expression.getRegex();
  const prefixes = expression.getPrefixList();
  let test: (value: string) => boolean;
  if (regex) {
    let compiled: RegExp;
    try {
      compiled = new RegExp(regex);
    } catch (error) {
      throw rpcError(status.INVALID_ARGUMENT, `Invalid filter regex ${regex}: ${describe(error)}`);
    }
    test = (value) => compiled.test(value);
  } else {
    test = (value) => prefixes.some((prefix) => value.startsWith(prefix));
  }
  const window = filter.getWindowCase() === ReadReqOptions.FilterOptions.WindowCase.MAX ? filter.getMax() : READ_BATCH_SIZE;
  const multiplier = filter.getCheckpointintervalmultiplier();
  if (window <= 0 || multiplier <= 0)
    throw rpcError(status.INVALID_ARGUMENT, 'Filter window and checkpoint interval multiplier must be positive');
  return {
    matches: (record) => test(onStream ? record.streamName : record.type),
    checkpointInterval: window * multiplier,
  };
}

/**
 * Index of the first record at or after a position. Only real record positions (and the start and the
 * head of the log) are accepted: the real server cannot read from the middle of a record, so a
 * made-up position (such as a known position + 1) must fail here too.
 * With `after`, the index past the record at that position (subscriptions start after it).
 */
function positionToIndex(store: InMemoryEventLog, position: LogPosition, after = false): number {
  const index = store.indexOfPosition(position);
  if (index !== undefined) return after ? index + 1 : index;
  if (position.commit === 0n && position.prepare === 0n) return 0;
  if (position.commit === store.headPosition && position.prepare === store.headPosition) return store.records.length;
  throw rpcError(status.INVALID_ARGUMENT, `Invalid position C:${position.commit}/P:${position.prepare}: no record starts there`);
}

function expectedFromAppend(options: StreamsPb.AppendReq.Options): ExpectedRevision {
  const Case = streamsPb.AppendReq.Options.ExpectedStreamRevisionCase;
  switch (options.getExpectedStreamRevisionCase()) {
    case Case.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    case Case.NO_STREAM:
      return { kind: 'no_stream' };
    case Case.ANY:
      return { kind: 'any' };
    case Case.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      throw rpcError(status.UNKNOWN, 'Append: expected stream revision not set');
  }
}

function expectedFromDelete(options: StreamsPb.DeleteReq.Options | StreamsPb.TombstoneReq.Options): ExpectedRevision {
  if (options.hasRevision()) return { kind: 'revision', revision: BigInt(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasAny()) return { kind: 'any' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  throw rpcError(status.INVALID_ARGUMENT, 'Expected stream revision not set');
}

function expectedVersionNumber(expected: ExpectedRevision): bigint {
  switch (expected.kind) {
    case 'any':
      return ANY_VERSION;
    case 'no_stream':
      return NO_STREAM_VERSION;
    case 'stream_exists':
      return STREAM_EXISTS_VERSION;
    case 'revision':
      return expected.revision;
  }
}

// --- responses ---

function appendResponse(streamName: string, expected: ExpectedRevision, outcome: WriteOutcome): StreamsPb.AppendResp {
  const response = new AppendResp();
  switch (outcome.kind) {
    case 'stream_deleted':
      throw streamDeletedError(streamName);
    case 'success': {
      const success = new AppendResp.Success();
      if (outcome.currentRevision < 0n) success.setNoStream(new sharedPb.Empty());
      else success.setCurrentRevision(outcome.currentRevision.toString());
      if (outcome.position === undefined) success.setNoPosition(new sharedPb.Empty());
      else {
        const position = new AppendResp.Position();
        position.setCommitPosition(outcome.position.toString());
        position.setPreparePosition(outcome.position.toString());
        success.setPosition(position);
      }
      response.setSuccess(success);
      return response;
    }
    case 'wrong_expected_version': {
      // In-band, as the server does for Append. Both the current fields and the legacy 20.6 ones are
      // set (the server fills both); 6.2.1 reads current_revision/current_no_stream and expected_*.
      const wrong = new AppendResp.WrongExpectedVersion();
      if (outcome.current < 0n) {
        wrong.setCurrentNoStream(new sharedPb.Empty());
        wrong.setNoStream2060(new sharedPb.Empty());
      } else {
        wrong.setCurrentRevision(outcome.current.toString());
        wrong.setCurrentRevision2060(Number(outcome.current));
      }
      switch (expected.kind) {
        case 'any':
          wrong.setExpectedAny(new sharedPb.Empty());
          wrong.setAny2060(new sharedPb.Empty());
          break;
        case 'stream_exists':
          wrong.setExpectedStreamExists(new sharedPb.Empty());
          wrong.setStreamExists2060(new sharedPb.Empty());
          break;
        case 'no_stream':
          wrong.setExpectedNoStream(new sharedPb.Empty());
          break;
        case 'revision':
          wrong.setExpectedRevision(expected.revision.toString());
          wrong.setExpectedRevision2060(Number(expected.revision));
          break;
      }
      response.setWrongExpectedVersion(wrong);
      return response;
    }
  }
}

function eventResponse(record: LogRecord, uuidAsString: boolean): StreamsPb.ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  recorded.setId(uuidMessage(record.id, uuidAsString));
  recorded.setStreamIdentifier(streamIdentifier(record.streamName));
  recorded.setStreamRevision(record.revision.toString());
  recorded.setCommitPosition(record.position.toString());
  recorded.setPreparePosition(record.position.toString());
  const metadata = recorded.getMetadataMap();
  metadata.set('type', record.type);
  metadata.set('content-type', record.isJson ? 'application/json' : 'application/octet-stream');
  metadata.set('created', record.created.toString());
  recorded.setCustomMetadata(record.metadata);
  recorded.setData(record.data);
  const event = new ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(record.position.toString());
  const response = new ReadResp();
  response.setEvent(event);
  return response;
}

function caughtUpResponse(): StreamsPb.ReadResp {
  const response = new ReadResp();
  response.setCaughtUp(new ReadResp.CaughtUp());
  return response;
}

// --- small helpers ---

/**
 * The public endpoint: a TCP front piping each connection to the gRPC server (on an internal port).
 * It lets stop() reset live connections the way a crash or a network cut does; grpc-js's forceShutdown
 * alone would instead answer open calls with CANCELLED, which no real outage produces.
 */
class TcpFront {
  port = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(public upstreamPort: number) {}

  async listen(port: number): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    // After stop() the port may take a moment to be free again.
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 40) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) {
      if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed && !socket.connecting) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect({ port: this.upstreamPort, host: '127.0.0.1' });
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

function createGrpcServer(target: () => EsdbTestServer | undefined): Server {
  const server = new grpc.Server();
  // Every handler is wrapped: a throw outside the handlers' own try blocks still answers the call.
  const guard =
    <A extends unknown[]>(name: string, handler: (...args: A) => void) =>
    (...args: A): void => {
      try {
        handler(...args);
      } catch (error) {
        const call = args[0] as { emit(event: 'error', error: ServerErrorResponse): boolean };
        const callback = args[1];
        const serviceError = toServiceError(error);
        if (typeof callback === 'function') (callback as sendUnaryData<unknown>)(serviceError);
        else call.emit('error', serviceError);
        target()?.reportCrash(name, error);
      }
    };
  server.addService(serverFeaturesGrpc.ServerFeaturesService, {
    getSupportedMethods: guard(
      'ServerFeatures.GetSupportedMethods',
      (
        call: ServerUnaryCall<SharedPb.Empty, SupportedMethodsPb.SupportedMethods>,
        callback: sendUnaryData<SupportedMethodsPb.SupportedMethods>,
      ) => target()!.getSupportedMethods(call, callback),
    ),
  });
  server.addService(streamsGrpc.StreamsService, {
    read: guard('Streams.Read', (call: ServerWritableStream<StreamsPb.ReadReq, StreamsPb.ReadResp>) => target()!.read(call)),
    append: guard(
      'Streams.Append',
      (call: ServerReadableStream<StreamsPb.AppendReq, StreamsPb.AppendResp>, callback: sendUnaryData<StreamsPb.AppendResp>) =>
        target()!.append(call, callback),
    ),
    delete: guard(
      'Streams.Delete',
      (call: ServerUnaryCall<StreamsPb.DeleteReq, StreamsPb.DeleteResp>, callback: sendUnaryData<StreamsPb.DeleteResp>) =>
        target()!.delete(call, callback),
    ),
    tombstone: guard(
      'Streams.Tombstone',
      (call: ServerUnaryCall<StreamsPb.TombstoneReq, StreamsPb.TombstoneResp>, callback: sendUnaryData<StreamsPb.TombstoneResp>) =>
        target()!.tombstone(call, callback),
    ),
    batchAppend: guard('Streams.BatchAppend', (call: ServerDuplexStream<StreamsPb.BatchAppendReq, StreamsPb.BatchAppendResp>) =>
      target()!.batchAppend(call),
    ),
  });
  return server;
}

function bind(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
}

/** A few `$`-typed system events, as a fresh node has, so that "exclude system events" is exercised. */
function seedSystemEvents(store: InMemoryEventLog): void {
  store.appendSystemEvent('$$$settings', '$metadata', { $acl: { $r: '$all', $w: '$admins' } });
  store.appendSystemEvent('$scavenges', '$scavengeIndexInitialized', {});
  store.appendSystemEvent('$stats-127.0.0.1:2113', '$statsCollected', { 'proc-id': 1 });
}

function describeAppendOutcome(outcome: AppendOutcome): string {
  return outcome.kind === 'idempotent_not_ready' ? 'written already, not yet committed' : describeOutcome(outcome);
}

function describeRead(request: ReadRequest): string {
  const target = request.target.kind === 'stream' ? request.target.name : '$all';
  const start = request.start;
  const from =
    start.kind === 'revision'
      ? `revision ${start.revision}`
      : start.kind === 'position'
        ? `C:${start.position.commit}/P:${start.position.prepare}`
        : start.kind;
  const mode = request.subscription ? 'subscribe' : `${request.direction} count=${request.count}`;
  return `${target} ${mode} from ${from}${request.filter ? ' filtered' : ''}`;
}

/** True when `version` (major.minor.patch, as ServerFeatures reports it) is before `since`. Unparsable: not before. */
function versionBefore(version: string, since: number[]): boolean {
  const parts = version.split('.').map((part) => Number.parseInt(part, 10));
  if (parts.some(Number.isNaN)) return false;
  for (let i = 0; i < since.length; i++) {
    const part = parts[i] ?? 0;
    if (part !== since[i]) return part < since[i];
  }
  return false;
}

function defaultLog(): (line: string) => void {
  if (!process.env.ESDB_TEST_SERVER_LOG) return () => undefined;
  return (line) => process.stderr.write(`[esdb-test-server] ${line}\n`);
}
