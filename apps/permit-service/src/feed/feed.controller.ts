import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { once } from 'node:events';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import { Roles } from '../auth/roles.js';
import { eventView } from '../http/event-view.js';
import { ApiRead } from '../http/openapi.js';
import { NoTimeout } from '../http/timeout.interceptor.js';
import { validationProblem } from '../http/validation.js';
import { FeedQueryDto } from './feed.dto.js';

const HEARTBEAT_MS = 15_000;

/**
 * Committed events as Server-Sent Events, from the store's ordered log (never from an in-process bus):
 * `id` is the log position, so a client resumes with Last-Event-ID (or `?from=`) and misses nothing.
 */
@ApiTags('feed')
@Controller('feed')
export class FeedController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @Roles('auditor', 'officer', 'minister')
  @NoTimeout()
  @ApiRead({
    summary: 'Live feed of committed events (Server-Sent Events)',
    description:
      'Each committed event as an SSE message: `id` is its log position, `event` its type, `data` the event with its envelope (as in command answers). ' +
      'Resume with `Last-Event-ID` (or `?from=`): nothing is missed.',
    roles: ['auditor', 'officer', 'minister'],
    timeout: false,
    problems: { 503: ['STORE_UNAVAILABLE'] },
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this log position.', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An endless event stream.', content: { 'text/event-stream': { schema: { type: 'string', example: 'id: 42\nevent: PermitSuspended\ndata: {...}\n\n' } } } })
  async feed(
    @Query() query: FeedQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    if (lastEventId !== undefined && !/^\d{1,15}$/.test(lastEventId)) {
      throw validationProblem([{ field: 'Last-Event-ID', messages: ['Last-Event-ID must be a log position'] }]);
    }
    const after = lastEventId !== undefined ? Number(lastEventId) : (query.from ?? (await this.store.headPosition()));
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write(`retry: 2000\n: from position ${after}\n\n`);

    const send = async (frame: string) => {
      if (!res.write(frame)) await once(res, 'drain');
    };
    const subscription = this.store.subscribeToAll(async (events) => {
      for (const event of events) {
        await send(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(eventView(event))}\n\n`);
      }
    }, { after });
    const heartbeat = setInterval(() => void send(': ping\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      void subscription.close();
    };
    req.on('close', end);
    subscription.done.catch(() => res.end()).finally(end);
  }
}
