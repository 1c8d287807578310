import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Command, CommandBus, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { concatMap, defaultIfEmpty, filter, from, lastValueFrom, map, type Observable } from 'rxjs';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import {
  decisionStream,
  foldDecision,
  isDomainError,
  pendingTargets,
  type DecisionAction,
  type DecisionEvent,
  type DecisionState,
  type PermitCommand,
  type PermitOutcome,
} from '@permit-ledger/permits';
import { CHECKPOINT_STORE, CheckpointedSubscription, ConsumerRegistry, type CheckpointStore } from '@permit-ledger/projections';
import { dated } from '../platform/commands/dated.js';
import { ApplicationError } from '../platform/errors/application-error.js';
import { ExecutePermitCommand } from '../permits/permit-commands.js';
import { ExecuteDecisionCommand } from './decision-commands.js';

export const PROCESS_MANAGER = 'decision-process-manager';
/** Permits carried out together: their appends share group commits; their outcomes are recorded in one append. */
const CHUNK = 32;

/** Carry out every pending target of one decision. */
export class CarryOutDecision extends Command<void> {
  constructor(readonly decisionRef: string) {
    super();
  }
}

/**
 * The saga: which command follows from which event. Pure rxjs, fed from the store's log by the
 * process manager below — not from @nestjs/cqrs's in-memory EventBus, which is volatile.
 */
export const decisionSaga = (events$: Observable<RecordedEvent>): Observable<CarryOutDecision> =>
  events$.pipe(
    filter((e) => e.type === 'DecisionTargetsResolved'),
    map((e) => new CarryOutDecision((e.data as { decisionRef: string }).decisionRef)),
  );

/**
 * Feeds the saga from the store's ordered log on a CheckpointedSubscription: the checkpoint moves
 * only after every command of a batch has finished, and a failing command stops it there (it
 * retries with back-off, and reports under `processManager` in health). After a crash the unfinished
 * decision runs again: targets with a recorded outcome are not touched, and a permit command that had
 * landed but whose outcome was not yet recorded is answered from its idempotency key, so no permit
 * gets it twice.
 */
@Injectable()
export class DecisionProcessManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DecisionProcessManager');
  private readonly subscription: CheckpointedSubscription;

  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CHECKPOINT_STORE) checkpoints: CheckpointStore,
    consumers: ConsumerRegistry,
  ) {
    this.subscription = new CheckpointedSubscription(
      store,
      checkpoints,
      { name: PROCESS_MANAGER, handle: (batch) => this.handle(batch) },
      {
        onFailure: (error, status) =>
          this.logger.error(`stopped at position ${status.position}: ${error instanceof Error ? error.message : String(error)}`),
      },
    );
    consumers.register({
      kind: 'processor',
      indicator: 'processManager',
      // What readiness has always shown of the process manager.
      details: ({ position, lastError }) => ({ position, lastError }),
      subscription: this.subscription,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.subscription.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription.stop();
  }

  private async handle(batch: RecordedEvent[]): Promise<void> {
    await lastValueFrom(
      from(batch).pipe(
        decisionSaga,
        concatMap((command) => this.commands.execute(command)),
        defaultIfEmpty(undefined),
      ),
    );
  }
}

@CommandHandler(CarryOutDecision)
export class CarryOutDecisionHandler implements ICommandHandler<CarryOutDecision> {
  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async execute({ decisionRef }: CarryOutDecision): Promise<void> {
    const events = await this.store.readStream(decisionStream(decisionRef));
    const recorded = events.find((e) => e.type === 'DecisionRecorded');
    if (!recorded) throw new Error(`decision ${decisionRef} has no DecisionRecorded event`);
    let state = foldDecision(events.map((e) => dated<DecisionEvent>(e)));
    for (let pending = pendingTargets(state); pending.length > 0; pending = pendingTargets(state)) {
      const chunk = pending.slice(0, CHUNK);
      const outcomes = await Promise.all(chunk.map((permitNumber) => this.applyTo(permitNumber, state, recorded)));
      await this.commands.execute(
        new ExecuteDecisionCommand(
          { type: 'RecordDecisionOutcomes', effectiveAt: recorded.metadata.effectiveAt, data: { decisionRef, outcomes } },
          { ...this.meta(recorded), idempotencyKey: undefined },
        ),
      );
      state = foldDecision((await this.store.readStream(decisionStream(decisionRef))).map((e) => dated<DecisionEvent>(e)));
    }
  }

  /** Sends the decision's command to one permit and says what happened. */
  private async applyTo(permitNumber: string, state: DecisionState, recorded: RecordedEvent): Promise<PermitOutcome> {
    if (state.status === 'NONE') throw new Error('decision not recorded');
    const key = `decision:${state.decisionRef}:${permitNumber}`;
    const command = permitCommand(state.action, permitNumber, state, recorded.metadata.effectiveAt);
    try {
      const result = await this.commands.execute(
        new ExecutePermitCommand(command, { ...this.meta(recorded), idempotencyKey: key, requestHash: key }),
      );
      return { outcome: 'applied', permitNumber, revision: result.revision, position: result.position };
    } catch (error) {
      if (isDomainError(error)) return { outcome: 'skipped', permitNumber, code: error.code, reason: error.message };
      // A refusal of the request itself is final for this permit. Anything else (the store down or
      // electing a leader, a conflict that outlasted the retries) is not the permit's failure: stop
      // here and let the process manager try again later, rather than record an outcome for good.
      if (error instanceof ApplicationError && error.kind !== 'unavailable') {
        return { outcome: 'failed', permitNumber, error: error.message };
      }
      throw error;
    }
  }

  /** The minister who recorded the decision is the actor; the process manager is named as the executor. */
  private meta(recorded: RecordedEvent) {
    return {
      actor: { ...recorded.metadata.actor, executor: PROCESS_MANAGER },
      correlationId: recorded.metadata.correlationId,
      causationId: recorded.eventId,
    };
  }
}

function permitCommand(
  action: DecisionAction,
  permitNumber: string,
  d: { decisionRef: string; reason: string; legalBasis: string },
  effectiveAt: string,
): PermitCommand {
  const { decisionRef, reason, legalBasis } = d;
  switch (action) {
    case 'suspend':
      return { type: 'SuspendPermit', effectiveAt, data: { permitNumber, reason, legalBasis, decisionRef } };
    case 'cancel':
      return { type: 'CancelPermit', effectiveAt, data: { permitNumber, reason, legalBasis, decisionRef, reviewId: null } };
    case 'reinstate':
      return { type: 'ReinstatePermit', effectiveAt, data: { permitNumber, reason, legalBasis, decisionRef } };
    case 'open_review':
      // One review per decision and permit: the decision's ref names it.
      return { type: 'OpenReview', effectiveAt, data: { permitNumber, reviewId: decisionRef, reason, decisionRef } };
  }
}
