import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { destinationDecider, type DestinationCommand } from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta } from '../platform/commands/command-runner.js';

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
    return this.runner.run(destinationDecider, command.data.country, command, meta);
  }
}
