import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
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
  constructor(
    private readonly runner: CommandRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ command, meta }: ExecutePermitCommand): Promise<CommandAnswer> {
    const answer = await this.runner.run(permitDecider, command.data.permitNumber, command, meta);
    return command.type === 'RecordShipment' && answer.events.length === 0 ? this.firstAnswer(answer, command.data.declarationRef) : answer;
  }

  /**
   * A declaration the decider found already recorded with the same content wrote nothing: its answer is the
   * events the first one wrote (the shipment and what the same command wrote with it), whoever sent it.
   */
  private async firstAnswer(answer: CommandAnswer, declarationRef: string): Promise<CommandAnswer> {
    const events = await this.store.readStream(answer.stream);
    const shipment = events.find((e) => e.type === 'ShipmentRecorded' && e.data['declarationRef'] === declarationRef);
    if (!shipment) return answer;
    const first = events.filter((e) => e.metadata.commandId === shipment.metadata.commandId && e.revision >= shipment.revision);
    const last = first[first.length - 1]!;
    return { stream: answer.stream, revision: last.revision, position: last.position, events: first, replayed: true };
  }
}
