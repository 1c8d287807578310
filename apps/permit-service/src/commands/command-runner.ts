import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import {
  EVENT_STORE,
  IdempotencyKeyConflictError,
  WrongExpectedRevisionError,
  type Actor,
  type EventMetadata,
  type EventStore,
  type IdempotencyRecord,
  type NewEvent,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { CURRENT_SCHEMA_VERSIONS } from '@permit-ledger/permits';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ProblemException } from '../http/problem.js';
import { Metrics, outcomeOf } from '../observability/metrics.js';

/** Who sends a command and under which headers: filled in by the HTTP layer (or a process manager). */
export interface CommandMeta {
  actor: Actor;
  /** Default effective time of the events (ISO timestamp). */
  effectiveAt: string;
  idempotencyKey?: string;
  /** Hash of what the command asked for, stored with the idempotency key. */
  requestHash?: string;
  /** From If-Match: the stream's revision the caller saw. */
  ifMatch?: number;
  correlationId?: string;
  causationId?: string | null;
}

/** An event the decider produced, before the envelope is added. */
export interface EventDraft {
  type: string;
  data: Record<string, unknown>;
  /** Overrides the command's effectiveAt (e.g. PermitExpired takes effect at expiresOn). */
  effectiveAt?: string;
}

export interface CommandAnswer {
  stream: string;
  revision: number;
  position: number;
  events: RecordedEvent[];
  /** True when an Idempotency-Key returned the first answer and nothing was written. */
  replayed: boolean;
}

export interface CommandSpec {
  /** The command's type, for metrics. */
  command?: string;
  stream: string;
  meta: CommandMeta;
  /** Folds the stream and decides; throws a DomainError to refuse. */
  decide(history: RecordedEvent[]): Promise<EventDraft[]> | EventDraft[];
}

/** A stable hash of a command's content, for Idempotency-Key reuse checks. */
export function requestHash(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(sorted(value))).digest('hex');
}

/**
 * The one command path: read the stream, fold, decide, append with the expected revision.
 * A conflict is never overwritten: with If-Match it is a 412; without, the command is decided
 * again on the new state a bounded number of times.
 */
@Injectable()
export class CommandRunner {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** Tail of the queue of commands per stream in this process. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /**
   * Commands on one stream run one after another in this process, so they never conflict with each
   * other; different streams still run concurrently (and share group commits). Conflicts with other
   * writers (another process on the same store) are still detected by the expected revision.
   */
  run(spec: CommandSpec): Promise<CommandAnswer> {
    const previous = this.queues.get(spec.stream) ?? Promise.resolve();
    const result = previous.then(() => this.decideAndAppend(spec));
    if (this.metrics && spec.command) {
      const { commands } = this.metrics;
      const command = spec.command;
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

  private async decideAndAppend(spec: CommandSpec): Promise<CommandAnswer> {
    const { meta } = spec;
    if (meta.idempotencyKey) {
      const earlier = await this.store.findIdempotency(meta.idempotencyKey);
      if (earlier) return this.replay(earlier, meta);
    }
    for (let attempt = 0; ; attempt++) {
      const history = await this.store.readStream(spec.stream);
      const revision = history.length === 0 ? -1 : history[history.length - 1].revision;
      if (meta.ifMatch !== undefined && meta.ifMatch !== revision) throw preconditionFailed(spec.stream, meta.ifMatch, revision);
      const drafts = await spec.decide(history);
      // The decider found nothing to change (e.g. the same decision posted again): write nothing.
      if (drafts.length === 0) return { stream: spec.stream, revision, position: history.at(-1)?.position ?? 0, events: [], replayed: true };
      const commandId = meta.idempotencyKey ?? randomUUID();
      const stopTimer = this.metrics?.appendSeconds.startTimer();
      try {
        const result = await this.store.append(spec.stream, drafts.map((d, i) => this.envelope(d, meta, commandId, i)), {
          expectedRevision: revision === -1 ? 'no_stream' : revision,
          idempotency: meta.idempotencyKey ? { key: meta.idempotencyKey, requestHash: meta.requestHash ?? '' } : undefined,
        });
        stopTimer?.();
        return { ...result, replayed: false };
      } catch (error) {
        if (error instanceof IdempotencyKeyConflictError && meta.idempotencyKey) {
          const earlier = await this.store.findIdempotency(meta.idempotencyKey);
          if (earlier) return this.replay(earlier, meta);
        }
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (meta.ifMatch !== undefined) throw preconditionFailed(spec.stream, meta.ifMatch, error.actual);
        if (attempt >= this.config.conflictRetries) throw error;
      }
    }
  }

  private async replay(record: IdempotencyRecord, meta: CommandMeta): Promise<CommandAnswer> {
    if (record.requestHash !== (meta.requestHash ?? '')) {
      throw new ProblemException(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request');
    }
    const events = await this.store.readStream(record.stream, {
      fromRevision: record.firstRevision,
      maxCount: record.lastRevision - record.firstRevision + 1,
    });
    return { stream: record.stream, revision: record.lastRevision, position: record.lastPosition, events, replayed: true };
  }

  private envelope(draft: EventDraft, meta: CommandMeta, commandId: string, index: number): NewEvent {
    const schemaVersion = CURRENT_SCHEMA_VERSIONS[draft.type];
    if (!schemaVersion) throw new Error(`event type ${draft.type} has no schema version`);
    const { reason, legalBasis, decisionRef } = draft.data as { reason?: string; legalBasis?: string; decisionRef?: string | null };
    const metadata: EventMetadata = {
      effectiveAt: draft.effectiveAt ?? meta.effectiveAt,
      actor: meta.actor,
      commandId,
      correlationId: meta.correlationId ?? commandId,
      causationId: meta.causationId ?? null,
      ...(reason ? { reason } : {}),
      ...(legalBasis ? { legalBasis } : {}),
      ...(decisionRef ? { decisionRef } : {}),
    };
    // Under an Idempotency-Key the event ids derive from it, so a store that deduplicates a retried
    // append by event id (EventStoreDB) recognises the retry.
    const eventId = meta.idempotencyKey ? keyedUuid(`${meta.idempotencyKey}:${index}`) : randomUUID();
    return { eventId, type: draft.type, schemaVersion, data: withoutUndefined(draft.data), metadata };
  }
}

/** A name-based UUID (the version-5 layout, over SHA-256): the same name always gives the same id. */
export function keyedUuid(name: string): string {
  const bytes = createHash('sha256').update(`permit-ledger:${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function preconditionFailed(stream: string, expected: number, actual: number): ProblemException {
  return new ProblemException(
    412,
    'REVISION_MISMATCH',
    `If-Match names revision ${expected} but ${stream} is at revision ${actual}`,
    { currentRevision: actual },
    { ETag: `"${actual}"` },
  );
}

/** Stored data must be plain JSON: optional fields left unset are dropped, not stored as undefined. */
function withoutUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
}
