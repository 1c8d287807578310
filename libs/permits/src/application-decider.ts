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
const destinationOf = (command: ApplicationCommand): string | null =>
  command.type === 'RefuseApplication' || command.type === 'WithdrawApplication' || !command.data.destination
    ? null
    : command.data.destination;

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
      permit: command.type === 'ApproveApplication' ? foldStream(permitDecider, command.data.permitNumber, permit) : initialPermitState,
    }),
  },
};
