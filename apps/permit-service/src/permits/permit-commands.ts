import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  decidePermit,
  destinationStream,
  foldDestination,
  foldPermit,
  permitStream,
  type DestinationEvent,
  type PermitCommand,
  type PermitEvent,
} from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta, type EventDraft } from '../platform/commands/command-runner.js';
import { dated } from '../platform/commands/dated.js';

/** Any permit command of the lifecycle, with who sends it and under which headers. */
export class ExecutePermitCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: PermitCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

const startOfDay = (date: string) => `${date}T00:00:00.000Z`;

@CommandHandler(ExecutePermitCommand)
export class PermitCommandHandler implements ICommandHandler<ExecutePermitCommand> {
  constructor(private readonly runner: CommandRunner) {}

  execute({ command, meta }: ExecutePermitCommand): Promise<CommandAnswer> {
    // Only issuance depends on the destination's measures, read together with the permit's stream.
    const country = command.type === 'IssuePermit' ? command.data.destination : undefined;
    return this.runner.run({
      command: command.type,
      stream: permitStream(command.data.permitNumber),
      alsoRead: country ? [destinationStream(country)] : [],
      meta,
      decide: (history, [destinationEvents = []]) => {
        const state = foldPermit(history.map((e) => dated<PermitEvent>(e)));
        const destination = foldDestination(country ?? '', destinationEvents.map((e) => dated<DestinationEvent>(e)));
        return decidePermit(command, state, { destination }).map(toDraft);
      },
    });
  }
}

/** A permit expires in the world at the start of its expiresOn date, whenever the ledger records it. */
function toDraft(event: PermitEvent): EventDraft {
  const draft: EventDraft = { type: event.type, data: event.data as unknown as Record<string, unknown> };
  if (event.type === 'PermitExpired') draft.effectiveAt = startOfDay(event.data.expiresOn);
  return draft;
}
