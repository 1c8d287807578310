import type { Dated } from './events.js';

/** What every command carries: when it takes effect in the world (already defaulted by the application). */
export interface TimedCommand {
  type: string;
  effectiveAt: string;
}

/** A domain event: an explicit type string and its facts. */
export interface DomainEvent {
  type: string;
  data: unknown;
}

/** A stored event as the domain reads it: type, schema version and data, with the effective time of its envelope. */
export interface StoredEvent {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  effectiveAt: string;
}

/**
 * Streams besides its own that a decider reads to decide a command (the permit's destination for
 * IssuePermit): the application reads them together with the target stream and hands their events over.
 */
export interface DeciderContext<Command, Context> {
  /** The streams deciding `command` depends on, in the order `fold` expects their events. */
  streams(command: Command): string[];
  /** What `decide` is given, folded from those streams' stored events. */
  fold(command: Command, histories: StoredEvent[][]): Context;
}

/**
 * One stream type's domain as a value (style.md principle 11): the runner and the specs take it whole.
 * `decide` and `evolve` are pure; time arrives on the command, ids on the command or as the stream id.
 */
export interface Decider<Command extends TimedCommand, Event extends DomainEvent, State, Context = undefined> {
  /** `{category}-{id}`. */
  streamName(id: string): string;
  /** The state of a stream with no events. */
  initialState(id: string): State;
  evolve(state: State, event: Dated<Event>): State;
  /** The events the command produces on `state`, or a DomainError; none means nothing to change. */
  decide(command: Command, state: State, context: Context): Event[];
  /** The schema version each event type is written at. */
  schemaVersions: Readonly<Record<Event['type'], number>>;
  /** A stored event in the current shape (older schema versions brought up by their upcasters). */
  upcast(event: StoredEvent): Dated<Event>;
  /**
   * When an event takes effect in the world: the command's effectiveAt unless the domain says otherwise.
   * `state` is the one the command was decided on.
   */
  effectiveAt(event: Event, command: Command, state: State): string;
  /** Other streams the decision reads; absent when it needs only its own. */
  context?: DeciderContext<Command, Context>;
}

/** A stream's stored events, upcast once and folded from the decider's initial state. */
export function foldStream<C extends TimedCommand, E extends DomainEvent, S, X>(
  decider: Decider<C, E, S, X>,
  id: string,
  events: readonly StoredEvent[],
): S {
  return events.reduce((state, event) => decider.evolve(state, decider.upcast(event)), decider.initialState(id));
}

/** The command's own effective time: what most events take. */
export const atCommandTime = (_event: DomainEvent, command: TimedCommand): string => command.effectiveAt;
