import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Every request gets an id (X-Request-Id when the caller sends a sane one) and a correlation id
 * (X-Correlation-Id, else the request id), both returned; commands carry the correlation id into
 * their events' `correlationId`.
 */
export function correlation(req: Request, res: Response, next: NextFunction): void {
  const given = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' && ID.test(value) ? value : undefined;
  };
  const requestId = given('x-request-id') ?? randomUUID();
  const correlationId = given('x-correlation-id') ?? requestId;
  (req as Request & { id?: string }).id = requestId;
  req.headers['x-correlation-id'] = correlationId;
  res.setHeader('X-Request-Id', requestId);
  res.setHeader('X-Correlation-Id', correlationId);
  next();
}

/** One line per request: id, method, path (no query, no headers, no body), status, time, subject. */
export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as { id?: string }).id ?? randomUUID(),
    customProps: (req) => ({
      sub: (req as { caller?: { sub?: string } }).caller?.sub,
      correlationId: req.headers['x-correlation-id'],
    }),
    serializers: {
      req: (req: { id?: string; method?: string; url?: string }) => ({ id: req.id, method: req.method, path: req.url?.split('?')[0] }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: (err: { type?: string; message?: string }) => ({ type: err.type, message: err.message }),
    },
  });
}
