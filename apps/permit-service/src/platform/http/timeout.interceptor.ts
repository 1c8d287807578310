import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { catchError, throwError, timeout, TimeoutError, type Observable } from 'rxjs';
import { type AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../store/tokens.js';
import { ProblemException } from '../errors/problem.js';

const NO_TIMEOUT = 'permit-ledger:no-timeout';
/** For a handler that streams its answer for as long as it needs (exports). */
export const NoTimeout = () => SetMetadata(NO_TIMEOUT, true);

/** A handler that has not answered within REQUEST_TIMEOUT_MS answers 503 (408 while its body is still arriving) instead of holding the connection. */
@Injectable()
export class TimeoutInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.get<boolean>(NO_TIMEOUT, context.getHandler())) return next.handle();
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    return next.handle().pipe(
      timeout(this.config.requestTimeoutMs),
      catchError((error: unknown) => throwError(() => (error instanceof TimeoutError ? this.timedOut(req) : error))),
    );
  }

  /**
   * A body still arriving is the client's delay, as node's own requestTimeout answers it: 408, and the
   * connection is closed (the rest of the body is not read). Otherwise the service was too slow: 503.
   */
  private timedOut(req: IncomingMessage): ProblemException {
    if (!req.complete) {
      return new ProblemException(408, 'REQUEST_TIMEOUT', 'the request did not arrive in time', {}, { Connection: 'close' });
    }
    return new ProblemException(503, 'REQUEST_TIMEOUT', `no answer within ${this.config.requestTimeoutMs} ms`, {}, { 'Retry-After': '5' });
  }
}
