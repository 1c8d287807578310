import { state } from './state.js';
import type { FieldError, Problem } from './types.js';

export const API = '/api/v1';

/** A refused or failed call: the problem document's status, code and detail, or a code of the page's own. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail ? `${code} - ${detail}` : code);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Send no token (the dev login asks for one). */
  anonymous?: boolean;
  /** Sent as X-Min-Position: the service answers once its projections have reached it. */
  minPosition?: number;
}

/** A JSON call to the API with the reader's token; anything but a 2xx JSON answer is thrown as an ApiError. */
export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (state.token && !options.anonymous) headers.Authorization = `Bearer ${state.token}`;
  if (options.minPosition) headers['X-Min-Position'] = String(options.minPosition);
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(API + path, {
      method: options.method ?? 'GET',
      headers,
      cache: 'no-store',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK_ERROR', `the service did not answer (${messageOf(e)})`);
  }
  const text = await res.text();
  const body = parseJson(text);
  if (!res.ok) throw answerError(res, text, body);
  if (body === null) throw new ApiError(res.status, 'BAD_ANSWER', 'the answer was not JSON');
  // The service's answers are its contract (types.ts); the page reads them as such.
  return body as T;
}

/** The error for a non-2xx answer, from its problem document when it has one. */
export function answerError(res: Response, text: string, body: unknown = parseJson(text)): ApiError {
  const problem: Problem = typeof body === 'object' && body !== null ? body : {};
  const detail = problem.detail || problem.title;
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  return new ApiError(res.status, problem.code || res.statusText || 'HTTP_ERROR', detail || text.slice(0, 200), errors);
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}

/** One line for the status region: status, code, detail and every field the service named. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.errors.map((e) => `${e.field}: ${(e.messages ?? []).join(', ')}`).join('; ');
    return (
      (error.status ? `${error.status} ` : '') + error.code + (error.detail ? ` - ${error.detail}` : '') + (fields ? ` (${fields})` : '')
    );
  }
  return messageOf(error);
}

export function messageOf(error: unknown): string {
  return error instanceof Error && error.message ? error.message : String(error);
}
