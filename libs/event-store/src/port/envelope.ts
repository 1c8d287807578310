/** Who caused an event: taken from the authenticated caller, never from a request body. */
export interface Actor {
  id: string;
  role: string;
  /** Set when a process (e.g. the decision process manager) carried out the command for the actor. */
  executor?: string;
}

/** Envelope fields the writer supplies; the store adds stream, revision, position, recordedAt and hash. */
export interface EventMetadata {
  /** When it took effect in the world (ISO 8601 UTC timestamp). */
  effectiveAt: string;
  actor: Actor;
  /** The command that produced the event (its idempotency key when one was given). */
  commandId: string;
  correlationId: string;
  causationId: string | null;
  reason?: string;
  legalBasis?: string;
  decisionRef?: string;
  /** Set when the command carried an Idempotency-Key: a retry is recognised by these in the target stream. */
  idempotency?: IdempotencyScope;
}

/** An Idempotency-Key is scoped to its caller and the target stream; the request hash tells a retry from a reuse. */
export interface IdempotencyScope {
  key: string;
  /** The token subject, or the internal process (expiry scheduler, decision process manager) that sent the command. */
  caller: string;
  requestHash: string;
}

/** An event as handed to the store for appending. */
export interface NewEvent {
  eventId: string;
  /** Explicit, past-tense, never renamed: e.g. "PermitIssued". */
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

/** An event as stored: immutable, with its place in its stream and in the global log. */
export interface RecordedEvent extends NewEvent {
  stream: string;
  /** 0-based revision within its stream. */
  revision: number;
  /**
   * Position in the global log: strictly increasing across all streams. The SQLite adapter numbers
   * it 1, 2, 3 … without gaps; EventStoreDB's is the commit position (a byte offset), with gaps.
   */
  position: number;
  /** When the ledger recorded it (server clock, ISO 8601 UTC). */
  recordedAt: string;
  /** Hash of the previous event of the same stream; null for revision 0. */
  prevHash: string | null;
  /** SHA-256 (hex) over the canonical event content and prevHash: see integrity.ts. */
  hash: string;
}

/**
 * An event as it is published (the API's event views, the customs notifications): its whole envelope in one flat
 * object, in a fixed order, the optional texts as null when absent.
 */
export function publishedEvent(event: RecordedEvent) {
  const { metadata } = event;
  return {
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    stream: event.stream,
    revision: event.revision,
    position: event.position,
    recordedAt: event.recordedAt,
    effectiveAt: metadata.effectiveAt,
    actor: metadata.actor,
    data: event.data,
    reason: metadata.reason ?? null,
    legalBasis: metadata.legalBasis ?? null,
    decisionRef: metadata.decisionRef ?? null,
    commandId: metadata.commandId,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}
