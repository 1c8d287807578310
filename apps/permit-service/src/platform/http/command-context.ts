import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { requestHash, RESERVED_KEY_PREFIXES, type CommandAnswer, type CommandMeta } from '../commands/command-runner.js';
import type { Clock, AppConfig } from '@permit-ledger/config';
import { CLOCK, APP_CONFIG } from '../store/tokens.js';
import { eventView } from './event-view.js';
import { toTimestamp } from '../time/instants.js';
import { invalidInput } from '../errors/application-error.js';

const KEY = /^[\x21-\x7e]{1,200}$/;
const IF_MATCH = /^(?:W\/)?"?(-1|\d{1,15})"?$/;

/** When a request's command takes effect, and who sends it under which headers: checked together, so one 400 names every bad field. */
export interface CommandInput {
  /** The command's effectiveAt: the body's, or now; the command is its one carrier down to the envelope. */
  effectiveAt: string;
  meta: CommandMeta;
}

/** Turns a request's caller, headers and effectiveAt into command input, and a command's result into the answer. */
@Injectable()
export class CommandContext {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  input(request: AuthenticatedRequest, effectiveAt: string | undefined): CommandInput {
    const errors: Array<{ field: string; messages: string[] }> = [];
    const now = this.clock();
    const asked = effectiveAt ? toTimestamp(effectiveAt) : now.toISOString();
    // The ledger records what has happened. A fact dated ahead would stand in front of every later act on
    // the stream (which may not predate it). A time within the clients' drift of now is recorded as now —
    // never ahead of the service's clock, so no caller can date an act the Minister's next one must follow.
    const latest = now.getTime() + this.config.commandClockSkewSeconds * 1000;
    if (Date.parse(asked) > latest) {
      errors.push({
        field: 'effectiveAt',
        messages: [`effectiveAt must not be later than now (${now.toISOString()}, give or take ${this.config.commandClockSkewSeconds} s)`],
      });
    }
    const at = Date.parse(asked) > now.getTime() ? now.toISOString() : asked;
    const key = header(request, 'idempotency-key');
    if (key !== undefined && !KEY.test(key)) {
      errors.push({ field: 'Idempotency-Key', messages: ['Idempotency-Key must be 1-200 printable ASCII characters'] });
    } else if (key !== undefined && RESERVED_KEY_PREFIXES.some((prefix) => key.toLowerCase().startsWith(prefix))) {
      errors.push({
        field: 'Idempotency-Key',
        messages: [`Idempotency-Key must not start with ${RESERVED_KEY_PREFIXES.join(' or ')}: those keys are the service's own`],
      });
    }
    const ifMatchRaw = header(request, 'if-match');
    const ifMatch = ifMatchRaw === undefined ? undefined : IF_MATCH.exec(ifMatchRaw.trim());
    if (ifMatch === null) errors.push({ field: 'If-Match', messages: ['If-Match must be a quoted revision such as "3"'] });
    const correlationId = header(request, 'x-correlation-id');
    if (correlationId !== undefined && !KEY.test(correlationId)) {
      errors.push({ field: 'X-Correlation-Id', messages: ['X-Correlation-Id must be 1-200 printable ASCII characters'] });
    }
    if (errors.length) throw invalidInput(errors);
    if (!request.actor) throw new Error('command route reached without an authenticated actor');
    return {
      effectiveAt: at,
      meta: {
        actor: request.actor,
        idempotencyKey: key,
        requestHash:
          key === undefined ? undefined : requestHash({ route: `${request.method} ${request.path}`, body: request.body as unknown }),
        ifMatch: ifMatch ? Number(ifMatch[1]) : undefined,
        correlationId,
      },
    };
  }
}

export function answer(response: Response, result: CommandAnswer, idField: Record<string, string>) {
  response.setHeader('ETag', `"${result.revision}"`);
  if (result.replayed) response.setHeader('Idempotent-Replayed', 'true');
  // The tree takes an event in after its commit, from the log: none just written has a leaf yet.
  return { ...idField, revision: result.revision, position: result.position, events: result.events.map((e) => eventView(e, null)) };
}

function header(request: AuthenticatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
