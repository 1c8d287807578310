import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import {
  applicationDecider,
  applicationStream,
  foldStream,
  issuePermitCommand,
  permitDecider,
  type ApplicationApproved,
  type ApplicationCommand,
  type ApplicationState,
  type ApplicationStatus,
} from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta } from '../platform/commands/command-runner.js';
import { stored } from '../platform/commands/dated.js';

/** Names the service's own process in the envelope of what it writes for an application. */
export const APPLICATION_PROCESS = 'application-process-manager';

/** The Idempotency-Key of the permit an application's approval issues: one permit per application, however often it is tried. */
export const permitKey = (applicationRef: string): string => `application:${applicationRef}`;

/** A command on an application's stream, with who sends it and under which headers. */
export class ExecuteApplicationCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: ApplicationCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

@CommandHandler(ExecuteApplicationCommand)
export class ApplicationCommandHandler implements ICommandHandler<ExecuteApplicationCommand> {
  constructor(private readonly runner: CommandRunner) {}

  execute({ command, meta }: ExecuteApplicationCommand): Promise<CommandAnswer> {
    return this.runner.run(applicationDecider, command.data.applicationRef, command, meta);
  }
}

/**
 * What follows from an application's events on other streams: the permit an approval issues. The approval
 * is appended first; the permit is then issued under a key derived from the application, by the request
 * that approved it and again by the process manager when it meets ApplicationApproved in the log. Whichever
 * runs first writes PermitIssued; every later run (a retry, a crash between the two appends, the process
 * manager after the request) is answered from the key and writes nothing.
 */
@Injectable()
export class ApplicationOutcomes {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** The application as its stream now stands. */
  async application(applicationRef: string): Promise<ApplicationState> {
    const events = await this.store.readStream(applicationStream(applicationRef));
    return foldStream(applicationDecider, applicationRef, events.map(stored));
  }

  /** The status the application's stream stood in at `revision` (a command's answer). */
  async statusAt(applicationRef: string, revision: number): Promise<ApplicationStatus> {
    const events = await this.store.readStream(applicationStream(applicationRef));
    const state = foldStream(applicationDecider, applicationRef, events.filter((e) => e.revision <= revision).map(stored));
    if (state.status === 'NONE') throw new Error(`application ${applicationRef} has no events up to revision ${revision}`);
    return state.status;
  }

  /** Issues the permit `approved` stands for; its causation is the approval. */
  async issuePermit(approved: RecordedEvent): Promise<CommandAnswer> {
    const data = approved.data as ApplicationApproved['data'];
    const state = await this.application(data.applicationRef);
    if (state.status === 'NONE') throw new Error(`approval of unknown application ${data.applicationRef}`);
    const key = permitKey(data.applicationRef);
    return this.runner.run(permitDecider, data.permitNumber, issuePermitCommand(state, data, approved.metadata.effectiveAt), {
      actor: { ...approved.metadata.actor, executor: APPLICATION_PROCESS },
      idempotencyKey: key,
      requestHash: key,
      correlationId: approved.metadata.correlationId,
      causationId: approved.eventId,
    });
  }
}
