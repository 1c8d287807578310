import { randomUUID } from 'node:crypto';
import { WrongExpectedRevisionError, type EventStore, type NewEvent, type RecordedEvent } from '@permit-ledger/event-store';

/** The stream that records what the border agency was told, and when. */
export const CUSTOMS_OUTBOX_STREAM = 'customs-outbox';

/** The permit events the border agency is told of. */
export const NOTIFIABLE_TYPES: ReadonlySet<string> = new Set([
  'PermitIssued',
  'PermitSuspended',
  'PermitReinstated',
  'PermitCancelled',
  'PermitExpired',
  'PermitExhausted',
]);

export const isNotifiable = (event: RecordedEvent): boolean => event.stream.startsWith('permit-') && NOTIFIABLE_TYPES.has(event.type);

/** The receiver answered 2xx for this event at `deliveredAt` (this service's clock when the answer came). */
export interface CustomsNotified {
  permitNumber: string;
  eventId: string;
  eventType: string;
  position: number;
  hash: string;
  deliveredAt: string;
  attempts: number;
}

/** An attempt that did not get a 2xx; delivery goes on (recorded at attempts 1, 2, 4, 8, …). */
export interface CustomsNotificationFailed {
  permitNumber: string;
  eventId: string;
  eventType: string;
  position: number;
  error: string;
  attempts: number;
}

export const OUTBOX_SCHEMA_VERSIONS = { CustomsNotified: 1, CustomsNotificationFailed: 1 } as const;

export type OutboxEvent =
  { type: 'CustomsNotified'; data: CustomsNotified } | { type: 'CustomsNotificationFailed'; data: CustomsNotificationFailed };

/** What the outbox stream says: which events were notified. */
export interface OutboxState {
  revision: number;
  notified: Map<string, CustomsNotified>;
}

export const initialOutboxState = (): OutboxState => ({ revision: -1, notified: new Map() });

/** Folds one stored outbox event into the state (in place: the state only grows). */
export function evolveOutbox(state: OutboxState, event: { type: string; data: Record<string, unknown>; revision: number }): OutboxState {
  if (event.type === 'CustomsNotified') {
    const data = event.data as unknown as CustomsNotified;
    if (!state.notified.has(data.eventId)) state.notified.set(data.eventId, data);
  }
  state.revision = event.revision;
  return state;
}

/** What recording changes: a notification already recorded is not recorded again; a failure always is. */
export function decideOutbox(state: OutboxState, event: OutboxEvent): OutboxEvent[] {
  if (event.type === 'CustomsNotified' && state.notified.has(event.data.eventId)) return [];
  return [event];
}

/**
 * The outbox stream as this process knows it, read on incrementally (only what was appended since) and
 * appended to at the revision it read: replicas that record the same notification meet a revision conflict,
 * read on, and find it recorded, so each event has at most one CustomsNotified.
 */
export class CustomsOutbox {
  private readonly state = initialOutboxState();
  /** Events this process recorded itself: a notification recorded by another process means another notifier is running. */
  private readonly mine = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly store: EventStore) {}

  /** Reads what was appended since the last read. */
  refresh(): Promise<void> {
    return this.exclusive(() => this.readOn());
  }

  notified(eventId: string): CustomsNotified | undefined {
    return this.state.notified.get(eventId);
  }

  recordedHere(eventId: string): boolean {
    return this.mine.has(eventId);
  }

  /** Appends the event unless the outbox already holds it; 'already' when another process recorded it first. */
  record(event: OutboxEvent, cause: RecordedEvent, at: string): Promise<'recorded' | 'already'> {
    return this.exclusive(async () => {
      for (;;) {
        await this.readOn();
        const events = decideOutbox(this.state, event);
        if (events.length === 0) return 'already';
        try {
          const result = await this.store.append(
            CUSTOMS_OUTBOX_STREAM,
            events.map((e) => this.envelope(e, cause, at)),
            {
              expectedRevision: this.state.revision === -1 ? 'no_stream' : this.state.revision,
            },
          );
          if (event.type === 'CustomsNotified') this.mine.add(event.data.eventId);
          for (const recorded of result.events) evolveOutbox(this.state, recorded);
          return 'recorded';
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          // Another replica recorded meanwhile: read on and decide again.
        }
      }
    });
  }

  private async readOn(): Promise<void> {
    const events = await this.store.readStream(CUSTOMS_OUTBOX_STREAM, { fromRevision: this.state.revision + 1 });
    for (const event of events) if (event.revision > this.state.revision) evolveOutbox(this.state, event);
  }

  private envelope(event: OutboxEvent, cause: RecordedEvent, at: string): NewEvent {
    return {
      eventId: randomUUID(),
      type: event.type,
      schemaVersion: OUTBOX_SCHEMA_VERSIONS[event.type],
      data: { ...event.data },
      metadata: {
        effectiveAt: at,
        actor: { id: 'customs-notifier', role: 'system' },
        commandId: `customs:${cause.eventId}`,
        correlationId: cause.metadata.correlationId,
        causationId: cause.eventId,
      },
    };
  }

  /** One read or append at a time, so the revision read is the one appended at. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
