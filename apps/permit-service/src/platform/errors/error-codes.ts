import { DOMAIN_ERROR_KINDS, type DomainErrorKind } from '@permit-ledger/permits';
import type { RefusalKind } from './application-error.js';

/**
 * The status of each kind of refusal: the problem filter answers with it, and the OpenAPI document lists each
 * route's codes under it. Besides the domain's and the application's kinds, those that only the HTTP edge
 * raises (a token, a limit of the transport).
 */
export const KIND_STATUS = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  timeout: 408,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  unprocessable: 422,
  too_many: 429,
  headers_too_large: 431,
  unavailable: 503,
} as const satisfies Record<RefusalKind | DomainErrorKind, number> & Record<string, number>;
export type ErrorKind = keyof typeof KIND_STATUS;
export type ProblemStatus = (typeof KIND_STATUS)[ErrorKind];

/**
 * Every code answered outside the domain's own refusals, with its kind (a code the edge answers with two
 * statuses lists both). Codes are part of the API: never renamed.
 */
export const APPLICATION_ERROR_KINDS = {
  VALIDATION_FAILED: ['invalid'],
  MALFORMED_JSON: ['invalid'],
  BAD_REQUEST: ['invalid'],
  MALFORMED_REQUEST: ['invalid'],
  UNAUTHENTICATED: ['unauthenticated'],
  FORBIDDEN: ['forbidden'],
  PERMIT_NOT_YET_ISSUED: ['not_found'],
  DESTINATION_NOT_FOUND: ['not_found'],
  APPLICATION_NOT_YET_SUBMITTED: ['not_found'],
  EXPORT_SCOPE_NOT_FOUND: ['not_found'],
  /** The transparency log has signed no checkpoint yet. */
  NO_CHECKPOINT: ['not_found'],
  ROUTE_NOT_FOUND: ['not_found'],
  CONCURRENT_MODIFICATION: ['conflict'],
  REVISION_MISMATCH: ['precondition_failed'],
  BODY_TOO_LARGE: ['too_large'],
  IDEMPOTENCY_KEY_REUSED: ['unprocessable'],
  RATE_LIMITED: ['too_many'],
  CONCURRENCY_LIMIT: ['too_many'],
  HEADERS_TOO_LARGE: ['headers_too_large'],
  PROJECTIONS_BEHIND: ['unavailable'],
  STORE_UNAVAILABLE: ['unavailable'],
  BUSY: ['unavailable'],
  /** 408 when the request itself did not arrive in time, 503 when the answer did not come in time. */
  REQUEST_TIMEOUT: ['timeout', 'unavailable'],
} as const satisfies Record<string, readonly ErrorKind[]>;

export type ErrorCode = keyof typeof DOMAIN_ERROR_KINDS | keyof typeof APPLICATION_ERROR_KINDS;

/** The statuses a code is answered with: from the domain's registry, else the application's. */
export function statusesOf(code: ErrorCode): ProblemStatus[] {
  const kinds: readonly ErrorKind[] =
    code in DOMAIN_ERROR_KINDS
      ? [DOMAIN_ERROR_KINDS[code as keyof typeof DOMAIN_ERROR_KINDS]]
      : APPLICATION_ERROR_KINDS[code as keyof typeof APPLICATION_ERROR_KINDS];
  return kinds.map((kind) => KIND_STATUS[kind]);
}
