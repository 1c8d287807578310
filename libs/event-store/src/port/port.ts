import type { NewEvent, RecordedEvent } from './envelope.js';

/** DI token for the store port. */
export const EVENT_STORE = Symbol('EVENT_STORE');

/**
 * The expected state of a stream for an append:
 * - 'any': no check;
 * - 'no_stream': the stream must not exist;
 * - a number: the stream's last revision must be exactly this.
 */
export type ExpectedRevision = 'any' | 'no_stream' | number;

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
  /**
   * The hash of the stream's event at `expectedRevision`, as the caller read it (null for 'no_stream').
   * Lets an adapter chain the new events without reading the stream's head again; the expected
   * revision check guarantees it is still the head.
   */
  headHash?: string | null;
}

export interface AppendResult {
  stream: string;
  /** The stream's revision after the append. */
  revision: number;
  /** Global position of the last event appended. */
  position: number;
  events: RecordedEvent[];
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start revision (default: first when forwards, last when backwards). */
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events with position > after (default 0 = from the start). */
  after?: number;
  maxCount?: number;
}

/** The answer of countAfter. */
export interface LogCount {
  /** Events of the log after the position asked for, as readAll delivers them; at most the limit asked for. */
  count: number;
  /** Position of the last event counted (the position asked for when none was): where a later count goes on. */
  through: number;
}

export interface Subscription {
  /** Stops delivery; resolves once no handler call is running. */
  close(): Promise<void>;
  /** Settles when the subscription ends: resolves after close(), rejects when the handler throws. */
  readonly done: Promise<void>;
}

export interface SubscribeOptions {
  /** Exclusive start position: events with position > after are delivered (default 0). */
  after?: number;
  /** Events are delivered in batches of at most this many, in log order. */
  batchSize?: number;
  /** Called once when the subscription has caught up with the log and goes live. */
  onCaughtUp?: () => void;
}

/**
 * The event store port. Every adapter passes the contract suite in libs/event-store/src/contract.
 * Stored events are never updated or deleted.
 */
export interface EventStore {
  /**
   * Appends events atomically to one stream if it is at the expected revision.
   * Throws WrongExpectedRevisionError when it is not. An append whose answer was lost (a timeout, a
   * dropped connection) is settled by the adapter before it answers: the events are there once, or
   * StoreUnavailableError says it could not tell; never twice.
   */
  append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /** Events of one stream, as the leader has them; an unknown stream reads as empty. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** The stream's last revision, or -1 when it does not exist. */
  streamRevision(stream: string): Promise<number>;
  /** The global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event in the log (0 when empty). */
  headPosition(): Promise<number>;
  /**
   * Counts the events readAll({ after }) would deliver, stopping at `limit`: lag in events without
   * handing them over (SQLite answers from its gap-free positions, EventStoreDB counts $all).
   */
  countAfter(after: number, limit: number): Promise<LogCount>;
  /** Catches up from `after`, then delivers new events as they are appended, woken by appends. */
  subscribeToAll(handler: (events: RecordedEvent[]) => Promise<void> | void, options?: SubscribeOptions): Subscription;
  /** Throws StoreUnavailableError when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
