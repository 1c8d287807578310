import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, throwError, timeout, TimeoutError, type Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ProblemException } from './problem.js';

const NO_TIMEOUT = 'permit-ledger:no-timeout';
/** For a handler that streams its answer for as long as it needs (exports). */
export const NoTimeout = () => SetMetadata(NO_TIMEOUT, true);

/** A handler that has not answered within REQUEST_TIMEOUT_MS answers 503 instead of holding the connection. */
@Injectable()
export class TimeoutInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.get<boolean>(NO_TIMEOUT, context.getHandler())) return next.handle();
    return next.handle().pipe(
      timeout(this.config.requestTimeoutMs),
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof TimeoutError
            ? new ProblemException(503, 'REQUEST_TIMEOUT', `no answer within ${this.config.requestTimeoutMs} ms`, {}, { 'Retry-After': '5' })
            : error,
        ),
      ),
    );
  }
}
