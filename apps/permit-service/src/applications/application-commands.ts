import { Inject, Injectable } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import {
  applicationDecider,
  applicationStream,
  foldStream,
  isClosedApplication,
  issuePermitCommand,
  permitDecider,
  type ApplicationApproved,
  type ApplicationCommand,
  type ApplicationRecord,
  type ApplicationState,
  type ApplicationStatus,
  type ApproveApplication,
  type PermitIssued,
} from '@permit-ledger/permits';
import { CommandRunner, type CommandAnswer, type CommandMeta } from '../platform/commands/command-runner.js';
import { stored } from '../platform/commands/dated.js';

/** Names the service's own process in the envelope of what it writes for an application. */
export const APPLICATION_PROCESS = 'application-process-manager';

/** The Idempotency-Key of the permit an application's approval issues: one permit per application, however often it is tried. */
export const permitKey = (applicationRef: string): string => `application:${applicationRef}`;

/** The Idempotency-Key under which the process manager records the approval a permit issued on an application stands for. */
export const approvalKey = (applicationRef: string): string => `application:approval:${applicationRef}`;

/** A command on an application's stream, with who sends it and under which headers. */
export class ExecuteApplicationCommand extends Command<CommandAnswer> {
  constructor(
    readonly command: ApplicationCommand,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

/**
 * Application commands and what follows from them on other streams. An approval is a two-append saga, run in
 * the order that leaves nothing behind when it cannot finish: the permit is issued FIRST, on `permit-{n}` with
 * expected revision no_stream and naming the application, so the number is taken atomically and a second
 * approval to it is refused before anything is written; ApplicationApproved is recorded after it, in the
 * permit's terms, its causation the permit. A crash between the two is completed by the process manager, which
 * meets PermitIssued naming an application that is not yet approved. Every permit of an approval is issued
 * under a key derived from the application, so a retry finds it rather than issuing another; commands on one
 * application run one after another in this process, so two approvals of it (with two numbers) cannot both
 * issue a permit here.
 */
@Injectable()
export class ApplicationOutcomes {
  constructor(
    private readonly runner: CommandRunner,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  /** Tail of the queue of commands per application in this process. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /** Carries out a command on an application: an approval issues its permit first (see above). */
  execute(command: ApplicationCommand, meta: CommandMeta): Promise<CommandAnswer> {
    const ref = command.data.applicationRef;
    return this.serially(ref, () =>
      command.type === 'ApproveApplication' ? this.approve(command, meta) : this.runner.run(applicationDecider, ref, command, meta),
    );
  }

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

  /**
   * The permit `approved` names, under the approval's permit key: the permit the approval was recorded after
   * (answered from the key, nothing written), or, for an approval recorded before permits were issued first,
   * the permit it stands for, issued once.
   */
  async issuePermit(approved: RecordedEvent): Promise<CommandAnswer> {
    const data = approved.data as ApplicationApproved['data'];
    const state = await this.application(data.applicationRef);
    if (state.status === 'NONE') throw new Error(`approval of unknown application ${data.applicationRef}`);
    return this.issue(state, data, approved.metadata.effectiveAt, {
      actor: approved.metadata.actor,
      correlationId: approved.metadata.correlationId,
      causationId: approved.eventId,
    });
  }

  /**
   * Records the approval a permit issued on an application stands for, when the approval is not recorded yet
   * (the request that issued it stopped between its two appends). Nothing when there is nothing to complete; an
   * application decided otherwise meanwhile is refused by the domain (APPLICATION_CLOSED).
   */
  completeApproval(issued: RecordedEvent): Promise<CommandAnswer | null> {
    const permit = issued.data as PermitIssued['data'];
    const ref = permit.applicationRef;
    if (!ref) return Promise.resolve(null);
    return this.serially(ref, async () => {
      const state = await this.application(ref);
      if (state.status === 'NONE') throw new Error(`permit ${permit.permitNumber} names unknown application ${ref}`);
      if (state.status === 'APPROVED' && state.permitNumber === permit.permitNumber) return null;
      const at = issued.metadata.effectiveAt;
      const effectiveAt = Date.parse(state.lastEffectiveAt) > Date.parse(at) ? state.lastEffectiveAt : at;
      const key = approvalKey(ref);
      const command: ApproveApplication = {
        type: 'ApproveApplication',
        effectiveAt,
        data: {
          applicationRef: ref,
          destination: state.destination,
          permitNumber: permit.permitNumber,
          validFrom: permit.validFrom,
          expiresOn: permit.expiresOn,
          conditions: permit.conditions,
        },
      };
      return this.runner.run(applicationDecider, ref, command, {
        actor: { ...issued.metadata.actor, executor: APPLICATION_PROCESS },
        idempotencyKey: key,
        requestHash: key,
        correlationId: issued.metadata.correlationId,
        causationId: issued.eventId,
      });
    });
  }

  private async approve(command: ApproveApplication, meta: CommandMeta): Promise<CommandAnswer> {
    const ref = command.data.applicationRef;
    const state = await this.application(ref);
    // Unknown or decided: the runner answers a retry from its key, or refuses.
    if (state.status === 'NONE' || isClosedApplication(state)) return this.runner.run(applicationDecider, ref, command, meta);
    const context = applicationDecider.context;
    if (!context) throw new Error('the application decider reads no context');
    const [destination = [], permit = []] = await Promise.all(context.streams(command).map((s) => this.store.readStream(s)));
    // Every refusal (blocked, number taken, validity, dated too early) is met here, before anything is written.
    applicationDecider.decide(command, state, context.fold(command, [destination.map(stored), permit.map(stored)]));
    const { permitNumber, validFrom, expiresOn, conditions = [] } = command.data;
    // A permit already naming the application is this approval's, issued before a crash or a lost answer.
    const issued =
      permit[0] ??
      (
        await this.issue(state, { permitNumber, validFrom, expiresOn, conditions }, command.effectiveAt, {
          actor: meta.actor,
          correlationId: meta.correlationId,
          causationId: meta.causationId ?? null,
        })
      ).events[0];
    try {
      return await this.runner.run(applicationDecider, ref, command, { ...meta, causationId: issued.eventId });
    } catch (error) {
      // Another process's process manager may have recorded this very approval from the permit meanwhile.
      const recorded = (await this.store.readStream(applicationStream(ref))).find(
        (e) => e.type === 'ApplicationApproved' && e.metadata.causationId === issued.eventId,
      );
      if (!recorded) throw error;
      return { stream: recorded.stream, revision: recorded.revision, position: recorded.position, events: [recorded], replayed: true };
    }
  }

  /** Issues an application's permit under the application's permit key, by the service's process on behalf of `cause.actor`. */
  private issue(
    application: ApplicationRecord,
    approval: Pick<ApplicationApproved['data'], 'permitNumber' | 'validFrom' | 'expiresOn' | 'conditions'>,
    effectiveAt: string,
    cause: Pick<CommandMeta, 'actor' | 'correlationId' | 'causationId'>,
  ): Promise<CommandAnswer> {
    const key = permitKey(application.applicationRef);
    return this.runner.run(permitDecider, approval.permitNumber, issuePermitCommand(application, approval, effectiveAt), {
      actor: { ...cause.actor, executor: APPLICATION_PROCESS },
      idempotencyKey: key,
      requestHash: key,
      correlationId: cause.correlationId,
      causationId: cause.causationId,
    });
  }

  private serially<T>(applicationRef: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(applicationRef) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.catch(() => undefined);
    this.queues.set(applicationRef, tail);
    void tail.then(() => {
      if (this.queues.get(applicationRef) === tail) this.queues.delete(applicationRef);
    });
    return result;
  }
}

@CommandHandler(ExecuteApplicationCommand)
export class ApplicationCommandHandler implements ICommandHandler<ExecuteApplicationCommand> {
  constructor(private readonly outcomes: ApplicationOutcomes) {}

  execute({ command, meta }: ExecuteApplicationCommand): Promise<CommandAnswer> {
    return this.outcomes.execute(command, meta);
  }
}
