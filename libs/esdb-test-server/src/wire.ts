/**
 * Wire helpers shared by the handlers: identifiers, UUIDs, proposed events, error statuses (gRPC trailers
 * for the unary/streaming calls, google.rpc.Status for BatchAppend answers), log descriptions.
 */
import grpc from '@grpc/grpc-js';
import type { ServerErrorResponse, status as GrpcStatus } from '@grpc/grpc-js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type * as SharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import type * as StatusPb from '@eventstore/db-client/generated/status_pb.js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import type { ExpectedRevision, ProposedEvent, WriteOutcome } from './in-memory-event-log.js';

const { status } = grpc;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function streamNameOf(identifier: SharedPb.StreamIdentifier | undefined): string {
  if (!identifier) throw rpcError(status.INVALID_ARGUMENT, 'Stream identifier missing');
  return decoder.decode(identifier.getStreamName_asU8());
}

export function streamIdentifier(name: string): SharedPb.StreamIdentifier {
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(encoder.encode(name));
  return identifier;
}

/** Accepts what .NET Guid.Parse accepts in practice (hyphens or not, braces, any case); canonical lower case. */
export function parseUuid(uuid: SharedPb.UUID | undefined): string {
  if (!uuid) throw rpcError(status.UNKNOWN, 'Event id missing');
  let hex: string;
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    hex =
      BigInt.asUintN(64, BigInt(structured.getMostSignificantBits())).toString(16).padStart(16, '0') +
      BigInt.asUintN(64, BigInt(structured.getLeastSignificantBits())).toString(16).padStart(16, '0');
  } else {
    hex = uuid
      .getString()
      .replace(/^\{|\}$/g, '')
      .replace(/-/g, '')
      .toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(hex)) throw rpcError(status.UNKNOWN, `Invalid event id '${uuid.getString()}'`);
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidMessage(id: string, asString: boolean): SharedPb.UUID {
  const uuid = new sharedPb.UUID();
  if (asString) {
    uuid.setString(id);
    return uuid;
  }
  const hex = id.replace(/-/g, '');
  const structured = new sharedPb.UUID.Structured();
  structured.setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString());
  structured.setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  uuid.setStructured(structured);
  return uuid;
}

/** What AppendReq.ProposedMessage and BatchAppendReq.ProposedMessage have in common. */
export interface ProposedMessage {
  getId(): SharedPb.UUID | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

/** A proposed message as the server reads it: `type` and `content-type` are required. */
export function proposedEvent(message: ProposedMessage): ProposedEvent {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (type === undefined || contentType === undefined) {
    throw rpcError(status.INVALID_ARGUMENT, `Required Metadata Property '${type === undefined ? 'type' : 'content-type'}' is missing`, {
      exception: 'missing-required-metadata-property',
      'required-metadata-properties': 'type,content-type',
    });
  }
  return {
    id: parseUuid(message.getId()),
    type,
    isJson: contentType === 'application/json',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

/** The server's Event.SizeOnDisk, which the maximum append size is checked against (.NET chars are UTF-16). */
export function sizeOnDisk(event: ProposedEvent): number {
  return event.data.length + event.metadata.length + event.type.length * 2;
}

// --- gRPC statuses (trailers) ---

export function rpcError(code: GrpcStatus, details: string, trailers: Record<string, string> = {}): ServerErrorResponse {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return Object.assign(new Error(details), { code, details, metadata });
}

export function streamDeletedError(streamName: string): ServerErrorResponse {
  return rpcError(status.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`, {
    exception: 'stream-deleted',
    'stream-name': streamName,
  });
}

export function maxAppendSizeError(maxAppendSize: number): ServerErrorResponse {
  return rpcError(status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(maxAppendSize),
  });
}

/** RpcExceptions.Timeout: what Append answers on a prepare/commit timeout (the client's TimeoutError). */
export function appendTimeoutError(): ServerErrorResponse {
  return rpcError(status.ABORTED, 'Operation timed out: Commit phase timeout.');
}

/** A connection lost mid-call, as the client sees it. */
export function connectionDroppedError(): ServerErrorResponse {
  return rpcError(status.UNAVAILABLE, 'Connection dropped');
}

export function isServiceError(error: unknown): error is ServerErrorResponse {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number' && 'metadata' in error;
}

/** Anything thrown by a handler becomes a status, never an unanswered call (the client would hang). */
export function toServiceError(error: unknown): ServerErrorResponse {
  if (isServiceError(error)) return error;
  return rpcError(status.UNKNOWN, `Exception was thrown by handler: ${describe(error)}`);
}

// --- google.rpc.Status (BatchAppend answers), as the server's Status.cs builds them ---

/** google.rpc.Code values used here (the client's code_pb enum). */
export const RpcCode = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6 } as const;

function rpcStatus(code: number, message: string, detail: { serializeBinary(): Uint8Array }, typeName: string): StatusPb.Status {
  const details = new anyPb.Any();
  details.pack(detail.serializeBinary(), typeName);
  const result = new statusPb.Status();
  result.setCode(code);
  result.setMessage(message);
  result.setDetails(details);
  return result;
}

export function timeoutStatus(): StatusPb.Status {
  return rpcStatus(RpcCode.DEADLINE_EXCEEDED, 'Timeout', new sharedPb.Timeout(), 'event_store.client.Timeout');
}

export function streamDeletedStatus(streamName: string): StatusPb.Status {
  const detail = new sharedPb.StreamDeleted();
  detail.setStreamIdentifier(streamIdentifier(streamName));
  return rpcStatus(RpcCode.NOT_FOUND, 'StreamDeleted', detail, 'event_store.client.StreamDeleted');
}

export function maxAppendSizeStatus(maxAppendSize: number): StatusPb.Status {
  const detail = new sharedPb.MaximumAppendSizeExceeded();
  detail.setMaxappendsize(maxAppendSize);
  return rpcStatus(RpcCode.INVALID_ARGUMENT, 'MaximumAppendSizeExceeded', detail, 'event_store.client.MaximumAppendSizeExceeded');
}

export function badRequestStatus(message: string): StatusPb.Status {
  const detail = new sharedPb.BadRequest();
  detail.setMessage(message);
  return rpcStatus(RpcCode.INVALID_ARGUMENT, 'BadRequest', detail, 'event_store.client.BadRequest');
}

/** `current` is -1n when the stream does not exist. */
export function wrongExpectedVersionStatus(current: bigint, expected: ExpectedRevision): StatusPb.Status {
  const detail = new sharedPb.WrongExpectedVersion();
  if (current < 0n) detail.setCurrentNoStream(new emptyPb.Empty());
  else detail.setCurrentStreamRevision(current.toString());
  switch (expected.kind) {
    case 'any':
      detail.setExpectedAny(new emptyPb.Empty());
      break;
    case 'no_stream':
      detail.setExpectedNoStream(new emptyPb.Empty());
      break;
    case 'stream_exists':
      detail.setExpectedStreamExists(new emptyPb.Empty());
      break;
    case 'revision':
      detail.setExpectedStreamPosition(expected.revision.toString());
      break;
  }
  return rpcStatus(RpcCode.ALREADY_EXISTS, 'WrongExpectedVersion', detail, 'event_store.client.WrongExpectedVersion');
}

// --- log lines ---

export function describe(error: unknown): string {
  if (error instanceof Error) return (error as { details?: string }).details ?? error.message;
  return String(error);
}

export function describeExpected(expected: ExpectedRevision): string {
  return expected.kind === 'revision' ? expected.revision.toString() : expected.kind;
}

export function describeOutcome(outcome: WriteOutcome): string {
  switch (outcome.kind) {
    case 'success':
      return `success revision=${outcome.currentRevision} position=${outcome.position ?? 'none'}`;
    case 'wrong_expected_version':
      return `wrong expected version (current ${outcome.current})`;
    case 'stream_deleted':
      return 'stream deleted';
  }
}
