import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { once } from 'node:events';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import type { AuthenticatedRequest } from '../platform/auth/auth.guard.js';
import { Roles } from '../platform/auth/roles.js';
import { type AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../platform/store/tokens.js';
import { eventView } from '../platform/http/event-view.js';
import { ApiRead } from '../platform/http/openapi.js';
import { NoTimeout } from '../platform/http/timeout.interceptor.js';
import { ProblemException } from '../platform/errors/problem.js';
import { FeedQueryDto } from './feed.dto.js';
import { invalidInput } from '../platform/errors/application-error.js';
import { LedgerEvidence } from '../ledger/evidence.js';

const HEARTBEAT_MS = 15_000;
/** How long a batch of live events waits for the ledger's tree to take them in (then a leaf is null). */
const LEAF_WAIT_MS = 1000;
/** Seconds a refused client waits before trying again. */
const RETRY_AFTER = '10';

/**
 * Open feeds, per subject and in all. Each holds a connection, a store subscription and a heartbeat timer
 * for as long as the client keeps it: without a bound, one subject could open them until the process runs out.
 */
export class FeedSlots {
  private readonly bySubject = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perSubject: number,
    private readonly max: number,
  ) {}

  /** Takes a slot for `subject`, or throws 429 (the subject has its share) / 503 (the service has no more); answers its release. */
  take(subject: string): () => void {
    const mine = this.bySubject.get(subject) ?? 0;
    if (mine >= this.perSubject) {
      throw new ProblemException(
        429,
        'CONCURRENCY_LIMIT',
        `at most ${this.perSubject} live feeds per subject; close one first`,
        {},
        { 'Retry-After': RETRY_AFTER },
      );
    }
    if (this.total >= this.max) {
      throw new ProblemException(503, 'BUSY', `the service has ${this.max} live feeds open, its most`, {}, { 'Retry-After': RETRY_AFTER });
    }
    this.bySubject.set(subject, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.bySubject.get(subject) ?? 1) - 1;
      if (left > 0) this.bySubject.set(subject, left);
      else this.bySubject.delete(subject);
    };
  }

  get open(): number {
    return this.total;
  }
}

/**
 * Committed events as Server-Sent Events, from the store's ordered log (never from an in-process bus):
 * `id` is the log position, so a client resumes with Last-Event-ID (or `?from=`) and misses nothing.
 */
@ApiTags('feed')
@Controller('feed')
export class FeedController {
  private readonly slots: FeedSlots;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly evidence: LedgerEvidence,
  ) {
    this.slots = new FeedSlots(config.feedMaxPerSubject, config.feedMaxTotal);
  }

  @Get()
  @Roles('auditor', 'officer', 'minister')
  @NoTimeout()
  @ApiRead({
    summary: 'Live feed of committed events (Server-Sent Events)',
    description:
      "Each committed event as an SSE message: `id` is its log position, `event` its type, `data` the event with its envelope (as in command answers) and its `leaf` in the ledger's tree: " +
      'a live event waits up to a second for the tree to take it in, else its leaf is null. ' +
      'Resume with `Last-Event-ID` (or `?from=`): nothing is missed. ' +
      'Live feeds are bounded: FEED_MAX_PER_SUBJECT per token subject (then 429 `CONCURRENCY_LIMIT`) and FEED_MAX_TOTAL in all (then 503 `BUSY`), both with `Retry-After`.',
    roles: ['auditor', 'officer', 'minister'],
    timeout: false,
    problems: ['CONCURRENCY_LIMIT', 'STORE_UNAVAILABLE', 'BUSY'],
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'Resume after this log position.',
    schema: { type: 'string', pattern: '^[0-9]{1,15}$' },
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'An endless event stream.',
    content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 42\nevent: PermitSuspended\ndata: {...}\n\n' } } },
  })
  async feed(
    @Query() query: FeedQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: AuthenticatedRequest,
    @Res() res: Response,
  ) {
    if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId)) {
      throw invalidInput([{ field: 'Last-Event-ID', messages: ['Last-Event-ID must be a log position'] }]);
    }
    const release = this.slots.take(req.caller!.sub);
    // Released when the connection goes, whatever else happens.
    res.on('close', release);
    let after: number;
    try {
      after = lastEventId !== undefined ? Number(lastEventId) : (query.from ?? (await this.store.headPosition()));
    } catch (error) {
      release();
      throw error;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: 2000\n: from position ${after}\n\n`);

    const send = async (frame: string) => {
      if (!res.write(frame)) await once(res, 'drain');
    };
    const subscription = this.store.subscribeToAll(
      async (events) => {
        // One lookup a batch; live events are committed just before the tree's own subscription takes them in.
        const leaves = await this.evidence.leavesWithin(events, LEAF_WAIT_MS);
        for (const [i, event] of events.entries()) {
          await send(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(eventView(event, leaves[i]))}\n\n`);
        }
      },
      { after },
    );
    const heartbeat = setInterval(() => void send(': ping\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      release();
      void subscription.close();
    };
    req.on('close', end);
    subscription.done.catch(() => res.end()).finally(end);
  }
}
