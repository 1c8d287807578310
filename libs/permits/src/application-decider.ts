import {
  APPLICATION_EVENT_SCHEMA_VERSIONS,
  decideApplication,
  evolveApplication,
  initialApplicationState,
  type ApplicationCommand,
  type ApplicationDecisionContext,
  type ApplicationEvent,
  type ApplicationState,
} from './application.js';
import { atCommandTime, foldStream, type Decider } from './decider.js';
import { destinationDecider, permitDecider } from './deciders.js';
import { initialPermitState } from './permit.js';
import { applicationStream, destinationStream, permitStream } from './streams.js';
import { toDated } from './upcasters.js';

/** The destination stream a command reads, or none (refusal, withdrawal, or an application not known to go anywhere). */
function destinationOf(command: ApplicationCommand): string | null {
  // Refusal and withdrawal name no destination; the other commands name the application's.
  const data: { applicationRef: string; destination?: string } = command.data;
  return data.destination || null;
}

/**
 * `application-{applicationRef}`: one licence application, from submission to its decision. Submission and hold
 * reviews read the destination's measures; an approval also reads the permit it would issue.
 */
export const applicationDecider: Decider<ApplicationCommand, ApplicationEvent, ApplicationState, ApplicationDecisionContext> = {
  streamName: applicationStream,
  initialState: initialApplicationState,
  evolve: evolveApplication,
  decide: decideApplication,
  schemaVersions: APPLICATION_EVENT_SCHEMA_VERSIONS,
  upcast: (event) => toDated<ApplicationEvent>(event),
  effectiveAt: atCommandTime,
  context: {
    streams: (command) => {
      const destination = destinationOf(command);
      if (destination === null) return [];
      return command.type === 'ApproveApplication'
        ? [destinationStream(destination), permitStream(command.data.permitNumber)]
        : [destinationStream(destination)];
    },
    fold: (command, [destination = [], permit = []]) => ({
      destination: foldStream(destinationDecider, destinationOf(command) ?? '', destination),
      // Stryker disable next-line ConditionalExpression: any other command reads no permit stream, and no events fold to the initial state
      permit: command.type === 'ApproveApplication' ? foldStream(permitDecider, command.data.permitNumber, permit) : initialPermitState,
    }),
  },
};
