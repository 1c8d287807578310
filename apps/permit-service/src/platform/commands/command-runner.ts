import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import {
  EVENT_STORE,
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type Actor,
  type EventMetadata,
  type EventStore,
  type IdempotencyScope,
  type NewEvent,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { type Decider, type DomainEvent, type StoredEvent, type TimedCommand } from '@permit-ledger/permits';
import { type AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../store/tokens.js';
import { ApplicationError } from '../errors/application-error.js';
import { Metrics, outcomeOf } from '../observability/metrics.js';
import { StreamCache, type CachedStream } from './stream-cache.js';

/**
 * Who sends a command and under which headers: filled in by the HTTP layer (or a process manager).
 * When the command takes effect is not here: it is the command's own `effectiveAt`.
 */
export interface CommandMeta {
  actor: Actor;
  idempotencyKey?: string;
  /** Hash of what the command asked for, stored with the idempotency key. */
  requestHash?: string;
  /** From If-Match: the stream's revision the caller saw. */
  ifMatch?: number;
  correlationId?: string;
  causationId?: string | null;
}

export interface CommandAnswer {
  stream: string;
  revision: number;
  position: number;
  events: RecordedEvent[];
  /** True when an Idempotency-Key returned the first answer and nothing was written. */
  replayed: boolean;
}

/** What the runner carries out: a decider's command on the stream `decider.streamName(id)`. */
interface Run<C extends TimedCommand, E extends DomainEvent, S, X> {
  decider: Decider<C, E, S, X>;
  id: string;
  stream: string;
  command: C;
  meta: CommandMeta;
}

/**
 * Idempotency-Key prefixes of the service's own processes (decision process manager, expiry scheduler).
 * A caller's request naming one is refused, so no caller can answer or block a process's command.
 */
export const RESERVED_KEY_PREFIXES = ['decision:', 'expire:', 'application:'] as const;

/** Who owns an Idempotency-Key: the process that carried the command out for the actor, else the actor. */
export function keyOwner(actor: Actor): string {
  return actor.executor ?? actor.id;
}

/** A stable hash of a command's content, for Idempotency-Key reuse checks. */
export function requestHash(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(sorted(value)))
    .digest('hex');
}

/**
 * The one command path: read the stream (and the streams the decider's context names, in the same
 * round trip), upcast and fold from the decider's initial state, decide, append with the expected
 * revision. A conflict is never overwritten: with If-Match it is a 412; without, the command is
 * decided again on the new state a bounded number of times.
 */
@Injectable()
export class CommandRunner {
  private readonly cache: StreamCache;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.cache = new StreamCache(store, config.commandCacheEvents);
  }

  /** Tail of the queue of commands per stream in this process. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /**
   * Commands on one stream run one after another in this process, so they never conflict with each
   * other; different streams still run concurrently (and share group commits). Conflicts with other
   * writers (another process on the same store) are still detected by the expected revision.
   */
  run<C extends TimedCommand, E extends DomainEvent, S, X>(
    decider: Decider<C, E, S, X>,
    id: string,
    command: C,
    meta: CommandMeta,
  ): Promise<CommandAnswer> {
    const spec: Run<C, E, S, X> = { decider, id, stream: decider.streamName(id), command, meta };
    const previous = this.queues.get(spec.stream) ?? Promise.resolve();
    const result = previous.then(() => this.decideAndAppend(spec));
    if (this.metrics) {
      const { commands } = this.metrics;
      const command = spec.command.type;
      result.then(
        (answer) => commands.inc({ command, outcome: answer.replayed ? 'replayed' : 'ok' }),
        (error: unknown) => commands.inc({ command, outcome: outcomeOf(error) }),
      );
    }
    const tail = result.catch(() => undefined);
    this.queues.set(spec.stream, tail);
    void tail.then(() => {
      if (this.queues.get(spec.stream) === tail) this.queues.delete(spec.stream);
    });
    return result;
  }

  private async decideAndAppend<C extends TimedCommand, E extends DomainEvent, S, X>(spec: Run<C, E, S, X>): Promise<CommandAnswer> {
    const { decider, command, meta } = spec;
    const context = decider.context;
    const contextStreams = context?.streams(command) ?? [];
    const scope: IdempotencyScope | undefined = meta.idempotencyKey
      ? { key: meta.idempotencyKey, caller: keyOwner(meta.actor), requestHash: meta.requestHash ?? '' }
      : undefined;
    /** The revision a conflict reported: a read that shows less has not caught up with the store yet. */
    let reported = -1;
    for (let attempt = 0, waits = 0; ; attempt++) {
      const [target, ...others] = await Promise.all([spec.stream, ...contextStreams].map((s) => this.cache.read(s)));
      const history = target.events;
      const head = history.at(-1);
      const revision = head?.revision ?? -1;
      // EventStoreDB can hold a write that took its revision but is not readable yet (a commit that timed
      // out, still replicating): wait for it rather than decide on a stream that is about to change —
      // it may be this very command, retried.
      if (revision < reported) {
        if (waits >= UNSEEN_WRITE_WAITS) throw new StoreUnavailableError(`${spec.stream} holds a write that cannot be read yet`);
        await pause(25 * 2 ** waits++);
        continue;
      }
      // A retry is recognised in the target stream itself, whichever process or replica wrote the first answer.
      if (scope) {
        const earlier = history.filter((e) => sameScope(e, scope));
        if (earlier.length > 0) return replay(earlier, scope);
      }
      if (meta.ifMatch !== undefined && meta.ifMatch !== revision) throw preconditionFailed(spec.stream, meta.ifMatch, revision);
      const state = folded(decider, spec.id, target);
      const decided = decider.decide(
        command,
        state,
        context?.fold(
          command,
          others.map((o) => o.stored as StoredEvent[]),
        ) as X,
      );
      // The decider found nothing to change (e.g. the same decision posted again): write nothing.
      if (decided.length === 0) return { stream: spec.stream, revision, position: head?.position ?? 0, events: [], replayed: true };
      const commandId = meta.idempotencyKey ?? randomUUID();
      const events = decided.map((event) => this.envelope(spec, event, state, commandId, scope));
      const stopTimer = this.metrics?.appendSeconds.startTimer();
      try {
        const result = await this.store.append(spec.stream, events, {
          expectedRevision: revision === -1 ? 'no_stream' : revision,
          headHash: head?.hash ?? null,
        });
        stopTimer?.();
        this.cache.appended(spec.stream, result.events);
        return { ...result, replayed: false };
      } catch (error) {
        // Whatever happened to the stream (another writer, a write whose fate is unknown), read it whole next time.
        this.cache.drop(spec.stream);
        // Another writer got in first — perhaps this very command, sent by another replica: read again.
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        reported = error.actual;
        // Under If-Match the next read answers: the first answer (a retry of this command) or 412.
        if (attempt >= this.config.conflictRetries && meta.ifMatch === undefined) throw error;
      }
    }
  }

  private envelope<C extends TimedCommand, E extends DomainEvent, S, X>(
    { decider, command, meta }: Run<C, E, S, X>,
    event: E,
    state: S,
    commandId: string,
    scope: IdempotencyScope | undefined,
  ): NewEvent {
    const schemaVersion = decider.schemaVersions[event.type as E['type']];
    if (!schemaVersion) throw new Error(`event type ${event.type} has no schema version`);
    const data = event.data as Record<string, unknown>;
    const { reason, legalBasis, decisionRef } = data as { reason?: string; legalBasis?: string; decisionRef?: string | null };
    const metadata: EventMetadata = {
      // The command's time, or the event's own where the domain says so (PermitExpired: the start of expiresOn).
      effectiveAt: decider.effectiveAt(event, command, state),
      actor: meta.actor,
      commandId,
      correlationId: meta.correlationId ?? commandId,
      causationId: meta.causationId ?? null,
      ...(reason ? { reason } : {}),
      ...(legalBasis ? { legalBasis } : {}),
      ...(decisionRef ? { decisionRef } : {}),
      ...(scope ? { idempotency: scope } : {}),
    };
    // A fresh id per attempt: the store resends one attempt under the same ids (EventStoreDB then
    // recognises the resend), while two attempts — a client's retry, another replica — never share
    // ids, so the later one meets a revision conflict, reads again and answers the first attempt's
    // events instead of being told "success" for events whose recordedAt and hash are not its own.
    return { eventId: randomUUID(), type: event.type, schemaVersion, data: withoutUndefined(data), metadata };
  }
}

/**
 * The stream's events upcast and folded from the decider's initial state; the fold is kept with the cached
 * stream, so the next command folds only the events after it.
 */
function folded<C extends TimedCommand, E extends DomainEvent, S, X>(decider: Decider<C, E, S, X>, id: string, stream: CachedStream): S {
  const known = stream.folded?.owner === decider ? stream.folded : undefined;
  let state = known ? (known.state as S) : decider.initialState(id);
  for (let i = known?.count ?? 0; i < stream.stored.length; i++) state = decider.evolve(state, decider.upcast(stream.stored[i]));
  stream.folded = { owner: decider, count: stream.stored.length, state };
  return state;
}

/** How often a command waits for a write the store reported but cannot show yet (25 ms, doubling: ~1.6 s). */
const UNSEEN_WRITE_WAITS = 6;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Events written under this scope. Events recorded before keys were scoped carry only `commandId` (the
 * key) and no request hash: the key's owner is then told by the actor, and the body cannot be compared.
 */
function sameScope(event: RecordedEvent, scope: IdempotencyScope): boolean {
  const found = event.metadata.idempotency;
  if (!found) return event.metadata.commandId === scope.key && keyOwner(event.metadata.actor) === scope.caller;
  return found.key === scope.key && found.caller === scope.caller;
}

/** The first answer to a key: the events it wrote; another request under the same key is refused. */
function replay(earlier: RecordedEvent[], scope: IdempotencyScope): CommandAnswer {
  const first = earlier[0].metadata.idempotency;
  if (first && first.requestHash !== scope.requestHash) {
    throw new ApplicationError('unprocessable', 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request');
  }
  const last = earlier[earlier.length - 1];
  return { stream: last.stream, revision: last.revision, position: last.position, events: earlier, replayed: true };
}

function preconditionFailed(stream: string, expected: number, actual: number): ApplicationError {
  return new ApplicationError(
    'precondition_failed',
    'REVISION_MISMATCH',
    `If-Match names revision ${expected} but ${stream} is at revision ${actual}`,
    {
      currentRevision: actual,
    },
  );
}

/** Stored data must be plain JSON: optional fields left unset are dropped, not stored as undefined. */
function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}
