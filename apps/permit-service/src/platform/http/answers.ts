import { ActorView, schema as s, type Schema, type Static } from '@permit-ledger/projections';
import type { eventView } from './event-view.js';

/*
 * The answer shapes of commands (and the live feed's events), written once; the compiler checks the event's
 * against what eventView() builds, the contract spec every answer against the document.
 */

/** One stored event with its whole envelope. */
export const EventView = s.named(
  'EventView',
  s.object({
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
      description:
        "The X-Correlation-Id of the request that caused it (default: its request id); the decision's for a decision's commands.",
    }),
    causationId: s.nullable(s.string()),
    prevHash: s.nullable(
      s.string({ description: 'Hash of the previous event of the stream (null at revision 0).', pattern: '^[0-9a-f]{64}$' }),
    ),
    hash: s.string({ description: 'SHA-256 (hex) of the canonical JSON of the event.', pattern: '^[0-9a-f]{64}$' }),
  }),
);
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
