import 'reflect-metadata';
import { RequestMethod, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppModule } from './app.module.js';
import { setupOpenApi } from './platform/http/openapi.js';
import { Metrics } from './platform/observability/metrics.js';
import { correlation, requestLog } from './platform/http/request-context.js';
import type { Logger } from 'pino';
import type { AppConfig, Clock } from '@permit-ledger/config';
import { sendProblem, toProblem } from './platform/errors/problem.filter.js';
import { problem } from './platform/errors/problem.js';
import { AddressRateLimit } from './platform/auth/rate-limit.guard.js';

export const API_PREFIX = 'api/v1';
export { BODY_LIMIT } from './platform/http/body.interceptor.js';
/** How often node looks for connections past headersTimeout / requestTimeout (its default, 30 s, let them run 30 s over). */
const TIMEOUT_CHECK_MS = 1000;

/**
 * helmet's default headers, worked out once: they do not depend on the request, and running its fourteen
 * middlewares per request cost a twentieth of the service's time under load.
 */
function securityHeaders() {
  const set = new Map<string, string | number | readonly string[]>();
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => set.set(name, value),
    removeHeader: (name: string) => removed.push(name),
  };
  helmet()({} as Request, recorder as unknown as Response, () => undefined);
  return (_req: Request, res: Response, next: NextFunction) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of set) res.setHeader(name, value);
    next();
  };
}

/** Builds the HTTP app (used by main.ts and by the int-specs, so both run the same setup). */
export async function createApp(
  config: AppConfig,
  options: { clock?: Clock; logger?: false | LoggerService; requestLogger?: Logger } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options.clock), {
    bodyParser: false,
    logger: options.logger,
  });
  app.use(correlation);
  if (options.requestLogger) app.use(requestLog(options.requestLogger));
  // Security headers on every answer (the dashboard page sets its own, stricter-than-default CSP).
  app.use(securityHeaders());
  // CORS is closed unless origins are configured.
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins, methods: ['GET', 'POST'], maxAge: 600 });
  // Requests without a valid token, per client address, before anything reads them. Bodies are parsed only
  // after routing and the guards (BodyInterceptor), so no unknown route or unauthenticated request parses one.
  if (config.trustProxy > 0) app.set('trust proxy', config.trustProxy);
  // The ETags the API documents are stream revisions, set by their routes; express's own (a hash of every
  // body it sends) would only cost a SHA-1 per answer. Nor does anyone need to be told it is express.
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(app.get(AddressRateLimit).middleware);
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'health/{*rest}', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      { path: '/', method: RequestMethod.GET },
    ],
  });
  // HTTP latency by route pattern (never by raw URL: permit numbers would explode the label set).
  const metrics = app.get(Metrics);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const stop = metrics.httpSeconds.startTimer();
    res.on('finish', () =>
      stop({ method: req.method, route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched', status: res.statusCode }),
    );
    next();
  });
  // Errors of express middleware (outside Nest's routes) never reach Nest's filters.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!error) return next();
    const { problem: body, headers } = toProblem(error);
    sendProblem(res, body, headers);
  });
  // The OpenAPI document (/docs-json) and UI (/docs): plain express routes, so before the 404 below.
  setupOpenApi(app);
  await app.init();
  // A client that trickles its request (slowloris) is cut off; the interceptor bounds handlers.
  const server = app.getHttpServer() as Server;
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(config.requestTimeoutMs, 20_000);
  // Read by node when the server starts listening (a createServer option that @types/node does not list as a property).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    TIMEOUT_CHECK_MS,
    server.headersTimeout,
  );
  // Requests node refuses before any route (headers or URL over 16 KB, malformed HTTP) get a problem document too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    // Headers or body not in within headersTimeout / requestTimeout.
    const tooSlow = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const body = JSON.stringify(
      tooSlow
        ? problem(408, 'REQUEST_TIMEOUT', 'the request did not arrive in time', { title: 'Request Timeout' })
        : problem(
            tooLarge ? 431 : 400,
            tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST',
            tooLarge ? 'request headers or URL too large' : 'malformed HTTP request',
          ),
    );
    socket.end(
      `HTTP/1.1 ${tooSlow ? '408 Request Timeout' : tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // Unknown routes: a problem document too, not express's HTML page.
  app.use((_req: Request, res: Response) => sendProblem(res, problem(404, 'ROUTE_NOT_FOUND', 'no such route')));
  return app;
}
