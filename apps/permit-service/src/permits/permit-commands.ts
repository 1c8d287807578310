import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { permitDecider, type PermitCommand } from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta } from '../platform/commands/command-runner.js';

/** Any permit command of the lifecycle, with who sends it and under which headers. */
export class ExecutePermitCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: PermitCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

/** A permit command runs on its permit's stream; the decider names the destination stream issuance also reads. */
@CommandHandler(ExecutePermitCommand)
export class PermitCommandHandler implements ICommandHandler<ExecutePermitCommand> {
  constructor(private readonly runner: CommandRunner) {}

  execute({ command, meta }: ExecutePermitCommand): Promise<CommandAnswer> {
    return this.runner.run(permitDecider, command.data.permitNumber, command, meta);
  }
}
