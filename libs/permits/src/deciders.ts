import {
  decideDecision,
  DECISION_EVENT_SCHEMA_VERSIONS,
  evolveDecision,
  initialDecisionState,
  type DecisionCommand,
  type DecisionEvent,
  type DecisionState,
} from './decision.js';
import { atCommandTime, foldStream, type Decider } from './decider.js';
import type { DestinationCommand, PermitCommand } from './commands.js';
import { decideDestination, evolveDestination, initialDestinationState, type DestinationState } from './destination.js';
import { DESTINATION_EVENT_SCHEMA_VERSIONS, PERMIT_EVENT_SCHEMA_VERSIONS, type DestinationEvent, type PermitEvent } from './events.js';
import { decidePermit, evolvePermit, initialPermitState, startOfDay, type PermitDecisionContext, type PermitState } from './permit.js';
import { decisionStream, destinationStream, permitStream } from './streams.js';
import { expiryInstant } from './time.js';
import { toDated } from './upcasters.js';

/** `destination-{country}`: country-wide measures; the id is the ISO 3166 alpha-2 code. */
export const destinationDecider: Decider<DestinationCommand, DestinationEvent, DestinationState> = {
  streamName: destinationStream,
  initialState: initialDestinationState,
  evolve: evolveDestination,
  decide: decideDestination,
  schemaVersions: DESTINATION_EVENT_SCHEMA_VERSIONS,
  upcast: (event) => toDated<DestinationEvent>(event),
  effectiveAt: atCommandTime,
};

/**
 * A permit expires in the world at the start of its expiresOn date, whenever the ledger records it; a shipment at
 * the start of the day it was exported, however late it is declared. The exhaustion a shipment brings about is a
 * change of status, so it never goes before one already recorded: it takes effect at the later of that day's start
 * and the stream's last effective time (a late declaration exhausts the permit from now on, not in the past).
 */
function permitEffectiveAt(event: PermitEvent, command: PermitCommand, state: PermitState): string {
  if (event.type === 'PermitExpired') return expiryInstant(event.data.expiresOn);
  if (command.type !== 'RecordShipment') return command.effectiveAt;
  // A declaration records its shipment and, when that uses up every item, the exhaustion.
  const day = startOfDay(command.data.exportedOn);
  if (event.type === 'ShipmentRecorded') return day;
  // Stryker disable next-line ConditionalExpression,StringLiteral: narrows the type; a shipment on a permit with no events was refused
  const last = state.status === 'NONE' ? day : state.lastEffectiveAt;
  return Date.parse(last) <= Date.parse(day) ? day : last;
}

/** `permit-{permitNumber}`: one permit's whole life. Issuance also reads the destination's measures. */
export const permitDecider: Decider<PermitCommand, PermitEvent, PermitState, PermitDecisionContext> = {
  streamName: permitStream,
  initialState: () => initialPermitState,
  evolve: evolvePermit,
  decide: decidePermit,
  schemaVersions: PERMIT_EVENT_SCHEMA_VERSIONS,
  upcast: (event) => toDated<PermitEvent>(event),
  effectiveAt: permitEffectiveAt,
  context: {
    // Only issuance depends on the destination's measures; the other commands get an empty destination.
    streams: (command) => (command.type === 'IssuePermit' ? [destinationStream(command.data.destination)] : []),
    fold: (command, [destination = []]) => ({
      destination: foldStream(destinationDecider, command.type === 'IssuePermit' ? command.data.destination : '', destination),
    }),
  },
};

/** `decision-{decisionRef}`: one ministerial decision and what happened to each of its permits. */
export const decisionDecider: Decider<DecisionCommand, DecisionEvent, DecisionState> = {
  streamName: decisionStream,
  initialState: () => initialDecisionState,
  evolve: evolveDecision,
  decide: decideDecision,
  schemaVersions: DECISION_EVENT_SCHEMA_VERSIONS,
  upcast: (event) => toDated<DecisionEvent>(event),
  effectiveAt: atCommandTime,
};
