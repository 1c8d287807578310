import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decideDestination, destinationStream, foldDestination, type DestinationCommand, type DestinationEvent } from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta } from '../platform/commands/command-runner.js';
import { dated } from '../platform/commands/dated.js';

/** A measure on a destination country, with who sends it and under which headers. */
export class ExecuteDestinationCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: DestinationCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
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
