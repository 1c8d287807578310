import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decisionDecider, type DecisionCommand } from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta } from '../platform/commands/command-runner.js';

/** A command on a decision's own stream: record it, or record what happened to some of its permits. */
export class ExecuteDecisionCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: DecisionCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ExecuteDecisionCommand)
export class DecisionCommandHandler implements ICommandHandler<ExecuteDecisionCommand> {
  constructor(private readonly runner: CommandRunner) {}

  execute({ command, meta }: ExecuteDecisionCommand): Promise<CommandAnswer> {
    return this.runner.run(decisionDecider, command.data.decisionRef, command, meta);
  }
}
