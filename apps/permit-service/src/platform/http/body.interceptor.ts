import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import express, { type Request, type Response } from 'express';
import { from, switchMap, type Observable } from 'rxjs';

export const BODY_LIMIT = '1mb';

const parseJson = express.json({ limit: BODY_LIMIT });

/**
 * Reads and parses a JSON body only once the request has found its route and passed the guards (who is
 * calling, how often): an unknown route, a request without a valid token and a rate-limited one never
 * cost a parse of up to 1 MB. Pipes read `req.body` after the interceptors, so the handler's @Body() sees it.
 * A GET or HEAD body is never read (no read route takes one). Parser errors (413, malformed JSON) reach
 * the ProblemFilter like any other error.
 */
@Injectable()
export class BodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    if (req.method === 'GET' || req.method === 'HEAD') return next.handle();
    const res = http.getResponse<Response>();
    const parsed = new Promise<void>((resolve, reject) => parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
    return from(parsed).pipe(switchMap(() => next.handle()));
  }
}
