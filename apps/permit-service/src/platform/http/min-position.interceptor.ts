import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, switchMap, type Observable } from 'rxjs';
import { Projections } from '@permit-ledger/projections';
import { type AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../store/tokens.js';
import { ProblemException } from '../errors/problem.js';
import { invalidInput } from '../errors/application-error.js';

/**
 * No store reaches 10^15 (an EventStoreDB commit position counts bytes: a petabyte of log); anything
 * longer is no position at all, and stays below Number.MAX_SAFE_INTEGER so the number is exact.
 */
const POSITION = /^\d{1,15}$/;

/**
 * Read-your-writes: waits (bounded) until every projection has reached X-Min-Position, else 503.
 * A plausible position past the head is waited for like any other (it is cheap: a timer), and its 503
 * is an answer, not a fault: the problem filter logs it as one line without a stack.
 */
@Injectable()
export class MinPositionInterceptor implements NestInterceptor {
  constructor(
    private readonly projections: Projections,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const raw = context.switchToHttp().getRequest<Request>().headers['x-min-position'];
    if (raw === undefined) return next.handle();
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!POSITION.test(value)) {
      throw invalidInput([
        { field: 'X-Min-Position', messages: ['X-Min-Position must be a log position: an integer of at most 15 digits'] },
      ]);
    }
    return from(this.projections.waitFor(Number(value), this.config.minPositionWaitMs)).pipe(
      switchMap((reached) => {
        if (!reached) {
          throw new ProblemException(
            503,
            'PROJECTIONS_BEHIND',
            `projections have not reached position ${value} yet`,
            {},
            { 'Retry-After': '1' },
          );
        }
        return next.handle();
      }),
    );
  }
}
