/**
 * One Streams.BatchAppend call, as the server's Streams.BatchAppend.cs serves it: a bidirectional stream
 * carrying many appends, each identified by a correlation id. The first message of an append has its
 * options (stream, expected position, deadline); its events may span several messages; `is_final` commits
 * it. Each append is answered on its own, with success or a google.rpc.Status; only a failure of the call
 * itself (a dropped connection) fails every append in flight on it.
 */
import type { ServerDuplexStream, ServerErrorResponse } from '@grpc/grpc-js';
import grpc from '@grpc/grpc-js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type * as StatusPb from '@eventstore/db-client/generated/status_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import type { ExpectedRevision, ProposedEvent, WriteOutcome } from './in-memory-event-log.js';
import {
  badRequestStatus,
  connectionDroppedError,
  describe,
  describeExpected,
  describeOutcome,
  maxAppendSizeStatus,
  parseUuid,
  proposedEvent,
  rpcError,
  sizeOnDisk,
  streamDeletedStatus,
  streamIdentifier,
  streamNameOf,
  timeoutStatus,
  wrongExpectedVersionStatus,
} from './wire.js';

const { status } = grpc;
const { BatchAppendResp } = streamsPb;
const PositionCase = streamsPb.BatchAppendReq.Options.ExpectedStreamPositionCase;

/** The server's default write timeout (WriteTimeoutMs): the most an append may wait, whatever its deadline. */
export const WRITE_TIMEOUT_MS = 2_000;

/** How an append ended once handed to the log (faults included); a success only once committed. */
export type CommitResult = { kind: 'done'; outcome: WriteOutcome } | { kind: 'timeout' } | { kind: 'dropped' };

/** What a BatchAppend call needs from the server. */
export interface AppendHost {
  readonly log: (line: string) => void;
  readonly maxAppendSize: number;
  countCall(method: string): void;
  /** `done` is called once, possibly later (a success waits for its commit). */
  commit(
    method: string,
    streamName: string,
    expected: ExpectedRevision,
    events: ProposedEvent[],
    done: (result: CommitResult) => void,
  ): void;
}

interface PendingAppend {
  correlationId: SharedPb.UUID;
  streamName: string;
  expected: ExpectedRevision;
  events: ProposedEvent[];
  size: number;
  /** Answers Timeout if the final message does not come in time. */
  timer: NodeJS.Timeout;
}

type BatchCall = ServerDuplexStream<StreamsPb.BatchAppendReq, StreamsPb.BatchAppendResp>;

export class BatchAppendSession {
  private readonly pending = new Map<string, PendingAppend>();
  private closed = false;

  constructor(
    private readonly call: BatchCall,
    private readonly host: AppendHost,
  ) {
    call.on('data', (request: StreamsPb.BatchAppendReq) => this.receive(request));
    call.on('end', () => {
      if (this.closed) return;
      this.host.log('Streams.BatchAppend: the client ended the call');
      this.close();
      call.end();
    });
    call.on('error', (error) => {
      this.host.log(`Streams.BatchAppend stream error: ${describe(error)}`);
      this.close();
    });
    call.on('cancelled', () => {
      this.host.log('Streams.BatchAppend cancelled by the client');
      this.close();
    });
  }

  /** The whole call fails: every append in flight on it fails on the client side. */
  fail(error: ServerErrorResponse): void {
    if (this.closed) return;
    this.close();
    this.call.emit('error', error);
  }

  private receive(request: StreamsPb.BatchAppendReq): void {
    if (this.closed) return;
    let key: string | undefined;
    const options = request.getOptions();
    try {
      key = parseUuid(request.getCorrelationId());
      if (options) this.open(key, request.getCorrelationId()!, options);
      const append = this.pending.get(key);
      // Unknown correlation ids (expired, rejected, never opened) are ignored, as the server does.
      if (!append) return;
      for (const message of request.getProposedMessagesList()) {
        const event = proposedEvent(message);
        append.size += sizeOnDisk(event);
        append.events.push(event);
      }
      if (append.size > this.host.maxAppendSize) {
        this.forget(key);
        this.host.log(`Streams.BatchAppend ${append.streamName}: over the maximum append size`);
        this.answer(append.correlationId, append.streamName, maxAppendSizeStatus(this.host.maxAppendSize));
        return;
      }
      if (!request.getIsFinal()) return;
      this.forget(key);
      this.commit(append);
    } catch (error) {
      if (key) this.forget(key);
      this.host.log(`Streams.BatchAppend failed: ${describe(error)}`);
      if (!options) {
        // The server answers a bad request with the message's own options; without them its error handler
        // throws too, and that ends the whole call.
        this.fail(rpcError(status.UNKNOWN, 'Exception was thrown by handler.'));
        return;
      }
      this.answer(request.getCorrelationId(), optionalStreamName(options), badRequestStatus(describe(error)));
    }
  }

  private open(key: string, correlationId: SharedPb.UUID, options: StreamsPb.BatchAppendReq.Options): void {
    this.host.countCall('Streams.BatchAppend');
    if (!options.hasStreamIdentifier()) {
      this.answer(correlationId, undefined, badRequestStatus('Required field StreamIdentifier not set.'));
      return;
    }
    const streamName = streamNameOf(options.getStreamIdentifier());
    const timeoutMs = Math.min(requestedTimeoutMs(options), WRITE_TIMEOUT_MS);
    if (timeoutMs <= 0) {
      // A deadline already passed: answered Timeout at once, and the rest of this append is ignored.
      this.host.log(`Streams.BatchAppend ${streamName}: deadline already passed -> Timeout`);
      this.answer(correlationId, streamName, timeoutStatus());
      return;
    }
    if (this.pending.has(key)) return; // Options sent again: the server keeps the first ones.
    const expected = expectedFromBatch(options);
    const timer = setTimeout(() => this.expire(key), timeoutMs);
    timer.unref();
    this.pending.set(key, { correlationId, streamName, expected, events: [], size: 0, timer });
  }

  private commit(append: PendingAppend): void {
    const { streamName, expected, events } = append;
    this.host.commit('Streams.BatchAppend', streamName, expected, events, (result) => this.answerCommit(append, result));
  }

  private answerCommit(append: PendingAppend, result: CommitResult): void {
    const { streamName, expected, events } = append;
    const what = `Streams.BatchAppend ${streamName} expected=${describeExpected(expected)} events=${events.length}`;
    switch (result.kind) {
      case 'dropped':
        this.host.log(`${what} -> connection dropped (fault)`);
        this.fail(connectionDroppedError());
        return;
      case 'timeout':
        this.host.log(`${what} -> Timeout (fault)`);
        this.answer(append.correlationId, streamName, timeoutStatus());
        return;
      case 'done': {
        const { outcome } = result;
        this.host.log(`${what} -> ${describeOutcome(outcome)}`);
        if (outcome.kind === 'success') this.answer(append.correlationId, streamName, successOf(outcome));
        else if (outcome.kind === 'stream_deleted') this.answer(append.correlationId, streamName, streamDeletedStatus(streamName));
        else this.answer(append.correlationId, streamName, wrongExpectedVersionStatus(outcome.current, expected));
      }
    }
  }

  private expire(key: string): void {
    const append = this.pending.get(key);
    if (!append || this.closed) return;
    this.pending.delete(key);
    this.host.log(`Streams.BatchAppend ${append.streamName}: no final message in time -> Timeout`);
    this.answer(append.correlationId, append.streamName, timeoutStatus());
  }

  /** As the server: correlation id and stream identifier, then success or error (expected_* are not set). */
  private answer(
    correlationId: SharedPb.UUID | undefined,
    streamName: string | undefined,
    result: StatusPb.Status | StreamsPb.BatchAppendResp.Success,
  ): void {
    if (this.closed) return;
    const response = new BatchAppendResp();
    response.setCorrelationId(correlationId);
    if (streamName !== undefined) response.setStreamIdentifier(streamIdentifier(streamName));
    if (result instanceof BatchAppendResp.Success) response.setSuccess(result);
    else response.setError(result);
    this.call.write(response);
  }

  private forget(key: string): void {
    const append = this.pending.get(key);
    if (!append) return;
    clearTimeout(append.timer);
    this.pending.delete(key);
  }

  private close(): void {
    this.closed = true;
    for (const append of this.pending.values()) clearTimeout(append.timer);
    this.pending.clear();
  }
}

function successOf(outcome: Extract<WriteOutcome, { kind: 'success' }>): StreamsPb.BatchAppendResp.Success {
  const success = new BatchAppendResp.Success();
  if (outcome.currentRevision < 0n) success.setNoStream(new emptyPb.Empty());
  else success.setCurrentRevision(outcome.currentRevision.toString());
  if (outcome.position === undefined) success.setNoPosition(new emptyPb.Empty());
  else {
    const position = new sharedPb.AllStreamPosition();
    position.setCommitPosition(outcome.position.toString());
    position.setPreparePosition(outcome.position.toString());
    success.setPosition(position);
  }
  return success;
}

/**
 * Milliseconds left before the append's deadline. Client 6.2.1 sends the older Timestamp form
 * (deadline_21_10_0); the Duration form (field 7) is unknown to its stubs, so it reads as "no deadline".
 */
function requestedTimeoutMs(options: StreamsPb.BatchAppendReq.Options): number {
  const deadline = options.getDeadline();
  return deadline ? deadline.toDate().getTime() - Date.now() : Number.POSITIVE_INFINITY;
}

function expectedFromBatch(options: StreamsPb.BatchAppendReq.Options): ExpectedRevision {
  switch (options.getExpectedStreamPositionCase()) {
    case PositionCase.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    case PositionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case PositionCase.ANY:
      return { kind: 'any' };
    case PositionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      throw rpcError(status.INVALID_ARGUMENT, 'Expected stream position not set');
  }
}

function optionalStreamName(options: StreamsPb.BatchAppendReq.Options): string | undefined {
  return options.hasStreamIdentifier() ? streamNameOf(options.getStreamIdentifier()) : undefined;
}
