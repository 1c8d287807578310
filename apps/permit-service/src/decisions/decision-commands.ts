import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decideDecision, decisionStream, foldDecision, type DecisionCommand, type DecisionEvent } from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta } from '../platform/commands/command-runner.js';
import { dated } from '../platform/commands/dated.js';

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
    return this.runner.run({
      command: command.type,
      stream: decisionStream(command.data.decisionRef),
      meta,
      decide: (history) =>
        decideDecision(command, foldDecision(history.map((e) => dated<DecisionEvent>(e)))).map((e) => ({
          type: e.type,
          data: e.data as unknown as Record<string, unknown>,
        })),
    });
  }
}
