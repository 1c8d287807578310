import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, switchMap, type Observable } from 'rxjs';
import { Projections } from '@permit-ledger/projections';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ProblemException } from './problem.js';
import { validationProblem } from './validation.js';

/** Read-your-writes: waits (bounded) until every projection has reached X-Min-Position, else 503. */
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
    if (!/^\d{1,15}$/.test(value)) {
      throw validationProblem([{ field: 'X-Min-Position', messages: ['X-Min-Position must be a log position (an integer)'] }]);
    }
    return from(this.projections.waitFor(Number(value), this.config.minPositionWaitMs)).pipe(
      switchMap((reached) => {
        if (!reached) {
          throw new ProblemException(503, 'PROJECTIONS_BEHIND', `projections have not reached position ${value} yet`, {}, { 'Retry-After': '1' });
        }
        return next.handle();
      }),
    );
  }
}
