import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import {
  destinationDecider,
  destinationStream,
  foldStream,
  isClosedApplication,
  isDomainError,
  type ApplicationPlacedOnHold,
  type DestinationMeasureImposed,
  type DestinationMeasureLifted,
} from '@permit-ledger/permits';
import {
  ApplicationQueries,
  CHECKPOINT_STORE,
  CheckpointedSubscription,
  ConsumerRegistry,
  Projections,
  type CheckpointStore,
} from '@permit-ledger/projections';
import { stored } from '../platform/commands/dated.js';
import { APPLICATION_PROCESS, ApplicationOutcomes, ExecuteApplicationCommand } from './application-commands.js';

/** How long a change of measures waits for the applications read model to reach it before it is retried. */
const READ_MODEL_WAIT_MS = 5_000;

/**
 * Carries out, durably, what an application's or a destination's events imply elsewhere, on the one
 * subscription engine (its checkpoint moves only after a batch is done; a failure stops it there and it
 * retries with back-off):
 * - PermitIssued naming an application: the approval it stands for is recorded when it is not yet (see
 *   ApplicationOutcomes: the permit is issued first), so a crash between the permit and the approval is completed here;
 * - ApplicationApproved: the permit it names, answered from its key (recorded before permits were issued first:
 *   issued once);
 * - DestinationMeasureLifted: every application the measure held is reviewed at the lift's time — released,
 *   or held under a measure that replaced it and still blocks it;
 * - DestinationMeasureImposed: every application to the country not yet held is reviewed (held when the
 *   new measure blocks it);
 * - ApplicationPlacedOnHold by a measure already lifted (submitted while the lift was being recorded): reviewed.
 * Every command carries a key derived from the application and the event that caused it, so a batch
 * delivered again writes nothing twice; a review that finds the hold right writes nothing at all.
 */
@Injectable()
export class ApplicationProcessManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ApplicationProcessManager');
  private readonly subscription: CheckpointedSubscription;

  constructor(
    private readonly commands: CommandBus,
    private readonly outcomes: ApplicationOutcomes,
    private readonly applications: ApplicationQueries,
    private readonly projections: Projections,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CHECKPOINT_STORE) checkpoints: CheckpointStore,
    consumers: ConsumerRegistry,
  ) {
    this.subscription = new CheckpointedSubscription(
      store,
      checkpoints,
      { name: APPLICATION_PROCESS, handle: (batch) => this.handle(batch) },
      {
        onFailure: (error, status) =>
          this.logger.error(`stopped at position ${status.position}: ${error instanceof Error ? error.message : String(error)}`),
      },
    );
    consumers.register({
      kind: 'processor',
      indicator: 'applicationProcessManager',
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
    for (const event of batch) {
      switch (event.type) {
        case 'PermitIssued':
          await this.settle(event, () => this.outcomes.completeApproval(event));
          break;
        case 'ApplicationApproved':
          await this.settle(event, () => this.outcomes.issuePermit(event));
          break;
        case 'ApplicationPlacedOnHold':
          await this.heldByLifted(event);
          break;
        case 'DestinationMeasureLifted':
        case 'DestinationMeasureImposed':
          await this.measuresChanged(event);
          break;
      }
    }
  }

  private async measuresChanged(event: RecordedEvent): Promise<void> {
    const { country, measureId } = event.data as (DestinationMeasureLifted | DestinationMeasureImposed)['data'];
    // The read model must hold every application recorded before the change, or one could be missed.
    if (!(await this.projections.waitFor(event.position, READ_MODEL_WAIT_MS))) {
      throw new Error(`read models have not reached position ${event.position}: reviewing applications to ${country} later`);
    }
    const refs = this.applications.awaitingDecision(country, event.type === 'DestinationMeasureLifted' ? measureId : null);
    for (const ref of refs) await this.review(ref, country, event, event.metadata.effectiveAt);
  }

  private async heldByLifted(event: RecordedEvent): Promise<void> {
    const { applicationRef, measureId } = event.data as ApplicationPlacedOnHold['data'];
    const state = await this.outcomes.application(applicationRef);
    if (state.status === 'NONE') return;
    const destination = foldStream(
      destinationDecider,
      state.destination,
      (await this.store.readStream(destinationStream(state.destination))).map(stored),
    );
    const liftedAt = destination.measures.find((m) => m.measureId === measureId)?.liftedAt;
    if (liftedAt) await this.review(applicationRef, state.destination, event, liftedAt);
  }

  /** Reviews one application's hold at `at` (or its last event, when later), under a key naming the cause. */
  private async review(applicationRef: string, destination: string, cause: RecordedEvent, at: string): Promise<void> {
    const state = await this.outcomes.application(applicationRef);
    if (state.status === 'NONE' || isClosedApplication(state)) return;
    const effectiveAt = Date.parse(state.lastEffectiveAt) > Date.parse(at) ? state.lastEffectiveAt : at;
    const key = `application:hold:${applicationRef}:${cause.eventId}`;
    await this.settle(cause, () =>
      this.commands.execute(
        new ExecuteApplicationCommand(
          { type: 'ReviewApplicationHold', effectiveAt, data: { applicationRef, destination } },
          {
            actor: { ...cause.metadata.actor, executor: APPLICATION_PROCESS },
            idempotencyKey: key,
            requestHash: key,
            correlationId: cause.metadata.correlationId,
            causationId: cause.eventId,
          },
        ),
      ),
    );
  }

  /** A refusal by the domain is final for that command (logged, not retried); anything else stops the subscription to retry. */
  private async settle(cause: RecordedEvent, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      if (!isDomainError(error)) throw error;
      this.logger.warn(`after ${cause.type} at position ${cause.position}: ${error.code}: ${error.message}`);
    }
  }
}
