import { ActorView, historyEntryFields, schema as s, type HistoryEntry, type Schema, type Static } from '@permit-ledger/projections';
import type { eventView, evidenceView } from './event-view.js';

/** An event's index in the ledger's transparency log (RFC 9162 tree): what its inclusion proofs are for. */
const leaf = s.nullable(
  s.integer({
    minimum: 0,
    description:
      "The event's leaf index in the ledger's Merkle tree (GET /ledger/proof/inclusion?leaf=). Null for an event the tree has not taken in " +
      "yet (it follows the log within about a second, so always null in a command's answer), and for the ledger's own anchors, which are no leaves.",
    example: 41,
  }),
);

/*
 * The answer shapes of commands (and the live feed's events), written once; the compiler checks the event's
 * against what eventView() builds, the contract spec every answer against the document.
 */

const eventFields = {
  eventId: s.string({ format: 'uuid' }),
  type: s.string({ example: 'PermitSuspended' }),
  schemaVersion: s.integer({ example: 1 }),
  stream: s.string({ example: 'permit-EXP-19-004120' }),
  revision: s.integer({ description: 'Revision in its stream (0 = first event).', example: 1 }),
  position: s.integer({ description: 'Global log position: send it as X-Min-Position to read your write.', example: 42 }),
  recordedAt: s.string({ format: 'date-time', description: 'When the ledger recorded it.' }),
  effectiveAt: s.string({ format: 'date-time', description: 'When it took effect in the world.', example: '2020-10-05T00:00:00.000Z' }),
  actor: ActorView,
  data: s.record({ description: "The event's data, as recorded." }),
  reason: s.nullable(s.string({ example: 'Review of permits to Turkey' })),
  legalBasis: s.nullable(s.string({ example: 'EIPA s.10(1)' })),
  decisionRef: s.nullable(s.string({ example: 'MIN-2020-10-05' })),
  commandId: s.string(),
  correlationId: s.string({
    description: "The X-Correlation-Id of the request that caused it (default: its request id); the decision's for a decision's commands.",
  }),
  causationId: s.nullable(s.string()),
  prevHash: s.nullable(
    s.string({ description: 'Hash of the previous event of the stream (null at revision 0).', pattern: '^[0-9a-f]{64}$' }),
  ),
  hash: s.string({ description: 'SHA-256 (hex) of the canonical JSON of the event.', pattern: '^[0-9a-f]{64}$' }),
  leaf,
};

/** One stored event with its whole envelope. */
export const EventView = s.named('EventView', s.object(eventFields));
export type EventView = Static<typeof EventView>;
const _eventViewAgrees: s.Agree<EventView, ReturnType<typeof eventView>> = true;

const commandFields = {
  revision: s.integer({ description: 'The stream revision after the command (also the ETag).', example: 1 }),
  position: s.integer({ description: 'Log position of the last event written (for X-Min-Position).', example: 42 }),
  events: s.array(EventView, { description: 'The events the command appended (or, on a replay, had appended).' }),
};

/** A command's answer: the ids of its target, then the revision, position and events answer() adds. */
function commandAnswer<P extends Record<string, Schema>>(name: string, ids: P) {
  return s.named(name, s.object({ ...ids, ...commandFields }));
}

const permitNumber = s.string({ example: 'EXP-19-004120' });
export const PermitCommandAnswer = commandAnswer('PermitCommandAnswer', { permitNumber });
export const OpenReviewAnswer = commandAnswer('OpenReviewAnswer', {
  permitNumber,
  reviewId: s.string({ description: 'The review opened (generated when the body named none).', example: 'R-2020-TR-1' }),
});
export const DestinationCommandAnswer = commandAnswer('DestinationCommandAnswer', {
  country: s.string({ example: 'TR' }),
  measureId: s.string({ example: 'TR-2019-10' }),
});

/** A history entry (the read model's) with its leaf, which only the service's transparency log knows. */
export const HistoryEntryView = s.named('HistoryEntryView', s.object({ ...historyEntryFields, leaf }));
export type HistoryEntryView = Static<typeof HistoryEntryView>;
const _historyEntryAgrees: s.Agree<HistoryEntryView, HistoryEntry & { leaf: number | null }> = true;

export const PermitHistoryView = s.named(
  'PermitHistoryView',
  s.object({ permitNumber: s.string({ example: 'EXP-19-004120' }), events: s.array(HistoryEntryView, { description: 'Oldest first.' }) }),
);
export type PermitHistoryView = Static<typeof PermitHistoryView>;

const base64Hash = s.string({
  description: 'A SHA-256 node hash of the tree, standard base64 (32 bytes).',
  pattern: '^[A-Za-z0-9+/]{43}=$',
  example: 'bpIbKzr3Q3lr6Y/KTwsQnqBWwL26ZGG2gM4mS7yGL/E=',
});

/** One event's RFC 9162 inclusion path in the checkpoint's tree. */
export const InclusionPathView = s.named(
  'InclusionPathView',
  s.object({
    leaf: s.integer({ minimum: 0, description: 'The leaf index (the event of the same `leaf`).', example: 41 }),
    path: s.array(base64Hash, { description: 'PATH(leaf, D[size]) of RFC 9162 2.1.3.1, from the leaf up; empty in a tree of one leaf.' }),
  }),
);

/** An event of an evidence bundle: its view, and its metadata exactly as stored, so that its hash can be recomputed offline. */
export const EvidenceEventView = s.named(
  'EvidenceEventView',
  s.object({
    ...eventFields,
    metadata: s.record({
      description:
        "The event's metadata as stored (the envelope fields above come from it, and so may an idempotency scope): with the hashed fields it recomputes `hash`.",
    }),
  }),
);

/** One permit's or decision's events with what proves each is in a signed state of the ledger. */
export const EvidenceView = s.named(
  'EvidenceView',
  s.object({
    checkpoint: s.string({
      description:
        "The latest signed checkpoint (C2SP tlog-checkpoint note: origin, size, base64 root, a blank line, the log's signature line and its witnesses' cosignature lines), as GET /ledger/checkpoint serves it.",
      example: 'permit-ledger.example\n1042\nbpIbKzr3Q3lr6Y/KTwsQnqBWwL26ZGG2gM4mS7yGL/E=\n\n\u2014 permit-ledger.example Az3grl...\n',
    }),
    events: s.array(EvidenceEventView, {
      description:
        "The stream's events the checkpoint covers, oldest first, each with its leaf. An event newer than the checkpoint is left out.",
    }),
    proofs: s.array(InclusionPathView, {
      description: "One inclusion path per event, in the events' order, each to the checkpoint's root.",
    }),
  }),
);
export type EvidenceView = Static<typeof EvidenceView>;
const _evidenceAgrees: s.Agree<EvidenceView, ReturnType<typeof evidenceView>> = true;

/** RFC 9162 inclusion proof (GET /ledger/proof/inclusion). */
export const InclusionProofView = s.named(
  'InclusionProofView',
  s.object({
    leaf: s.integer({ minimum: 0, example: 41 }),
    size: s.integer({ minimum: 1, description: 'The tree size the path leads to the root of.', example: 1042 }),
    path: s.array(base64Hash, { description: 'PATH(leaf, D[size]) of RFC 9162 2.1.3.1.' }),
  }),
);
export type InclusionProofView = Static<typeof InclusionProofView>;

/** RFC 9162 consistency proof (GET /ledger/proof/consistency). */
export const ConsistencyProofView = s.named(
  'ConsistencyProofView',
  s.object({
    from: s.integer({ minimum: 1, description: 'The older tree size.', example: 1000 }),
    size: s.integer({ minimum: 1, description: 'The newer tree size.', example: 1042 }),
    path: s.array(base64Hash, { description: 'PROOF(from, D[size]) of RFC 9162 2.1.4.1; empty when from = size.' }),
  }),
);
export type ConsistencyProofView = Static<typeof ConsistencyProofView>;
