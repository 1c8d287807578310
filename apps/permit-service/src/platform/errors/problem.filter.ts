import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '@permit-ledger/permits';
import { StoreUnavailableError, WrongExpectedRevisionError } from '@permit-ledger/event-store';
import { ApplicationError, type RefusalKind } from './application-error.js';
import { KIND_STATUS } from './error-codes.js';
import { problem, ProblemException, type Problem } from './problem.js';

/** One table of statuses by kind, shared with the OpenAPI document's error lists. */
const STATUS: Record<RefusalKind, number> = KIND_STATUS;

function fromApplication(error: ApplicationError): { problem: Problem; headers: Record<string, string> } {
  const { retryAfterSeconds, currentRevision, ...extra } = error.details;
  const headers: Record<string, string> = {};
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  if (currentRevision !== undefined) headers.ETag = `"${currentRevision}"`;
  const body = problem(STATUS[error.kind], error.code, error.message, {
    ...extra,
    ...(currentRevision !== undefined ? { currentRevision } : {}),
  });
  return { problem: body, headers };
}

/** The one place where errors become answers: every error is application/problem+json. */
export function toProblem(error: unknown): { problem: Problem; headers: Record<string, string> } {
  if (error instanceof ProblemException) return { problem: error.problem, headers: error.headers };
  if (error instanceof ApplicationError) return fromApplication(error);
  if (error instanceof DomainError) {
    const extra = { ...error.details, ...(error.field ? { errors: [{ field: error.field, messages: [error.message] }] } : {}) };
    return { problem: problem(STATUS[error.kind], error.code, error.message, extra), headers: {} };
  }
  if (error instanceof WrongExpectedRevisionError) {
    return { problem: problem(409, 'CONCURRENT_MODIFICATION', error.message), headers: {} };
  }
  if (error instanceof StoreUnavailableError) {
    return { problem: problem(503, 'STORE_UNAVAILABLE', 'the event store is unavailable'), headers: { 'Retry-After': '5' } };
  }
  // Errors raised by express's body parser before any route runs.
  const parser = error as { type?: string; status?: number; expose?: boolean };
  if (parser?.type === 'entity.too.large') {
    return { problem: problem(413, 'BODY_TOO_LARGE', 'the request body exceeds 1 MB'), headers: {} };
  }
  if (parser?.type === 'entity.parse.failed') {
    return { problem: problem(400, 'MALFORMED_JSON', 'the request body is not valid JSON'), headers: {} };
  }
  if (parser?.type && typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
    return { problem: problem(parser.status, 'BAD_REQUEST', `the request body could not be read (${parser.type})`), headers: {} };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === 404 ? 'ROUTE_NOT_FOUND' : status === 413 ? 'BODY_TOO_LARGE' : status === 400 ? 'BAD_REQUEST' : `HTTP_${status}`;
    // The router's own text ("Cannot GET /…") would echo the request's path and query back into the page.
    const detail = status === 404 ? 'no such route' : error.message;
    return { problem: problem(status, code, detail), headers: {} };
  }
  // Other client errors of the body parser, http-errors style without a `type`: a body that does not decode
  // as its Content-Encoding says (zlib's Z_DATA_ERROR wrapped in a 400) was answered 500.
  const client = error as { status?: unknown; statusCode?: unknown; code?: unknown };
  const status = typeof client?.status === 'number' ? client.status : client?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const zlib = typeof client.code === 'string' && client.code.startsWith('Z_');
    const detail = zlib ? 'the request body does not decode as its Content-Encoding says' : 'the request could not be read';
    return { problem: problem(status, 'BAD_REQUEST', detail), headers: {} };
  }
  return { problem: problem(500, 'INTERNAL', 'an unexpected error occurred'), headers: {} };
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { problem: body, headers } = toProblem(error);
    if ((error instanceof ProblemException || error instanceof ApplicationError) && body.status >= 500) {
      // An answer the service chose (projections behind, a timeout) is not a fault of its code: one line, no stack.
      this.logger.warn(`${body.status} ${body.code}: ${body.detail}`);
    } else if (body.status >= 500) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    sendProblem(response, body, headers);
  }
}

export function sendProblem(response: Response, body: Problem, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
