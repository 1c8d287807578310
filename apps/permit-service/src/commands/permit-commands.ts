import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import {
  decideDestination,
  decidePermit,
  destinationStream,
  foldDestination,
  foldPermit,
  initialDestinationState,
  permitStream,
  type DestinationCommand,
  type DestinationEvent,
  type PermitCommand,
  type PermitEvent,
} from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta, type EventDraft } from './command-runner.js';
import { dated } from './dated.js';

/** Any permit command of the lifecycle, with who sends it and under which headers. */
export class ExecutePermitCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: PermitCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

export class ExecuteDestinationCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: DestinationCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

const startOfDay = (date: string) => `${date}T00:00:00.000Z`;

@CommandHandler(ExecutePermitCommand)
export class PermitCommandHandler implements ICommandHandler<ExecutePermitCommand> {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  execute({ command, meta }: ExecutePermitCommand): Promise<CommandAnswer> {
    return this.runner.run({
      command: command.type,
      stream: permitStream(command.data.permitNumber),
      meta,
      decide: async (history) => {
        const state = foldPermit(history.map((e) => dated<PermitEvent>(e)));
        // Only issuance depends on the destination's measures (read at decision time).
        const destination =
          command.type === 'IssuePermit'
            ? await this.destinationState(command.data.destination)
            : initialDestinationState('');
        return decidePermit(command, state, { destination }).map(toDraft);
      },
    });
  }

  private async destinationState(country: string) {
    const events = await this.store.readStream(destinationStream(country));
    return foldDestination(country, events.map((e) => dated<DestinationEvent>(e)));
  }
}

/** A permit expires in the world at the start of its expiresOn date, whenever the ledger records it. */
function toDraft(event: PermitEvent): EventDraft {
  const draft: EventDraft = { type: event.type, data: event.data as unknown as Record<string, unknown> };
  if (event.type === 'PermitExpired') draft.effectiveAt = startOfDay(event.data.expiresOn);
  return draft;
}

@CommandHandler(ExecuteDestinationCommand)
export class DestinationCommandHandler implements ICommandHandler<ExecuteDestinationCommand> {
  constructor(private readonly runner: CommandRunner) {}

  execute({ command, meta }: ExecuteDestinationCommand): Promise<CommandAnswer> {
    const country = command.data.country;
    return this.runner.run({
      command: command.type,
      stream: destinationStream(country),
      meta,
      decide: (history) => {
        const state = foldDestination(country, history.map((e) => dated<DestinationEvent>(e)));
        return decideDestination(command, state).map((e) => ({
          type: e.type,
          data: e.data as unknown as Record<string, unknown>,
        }));
      },
    });
  }
}
