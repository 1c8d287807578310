/** How the application reports a refusal: 'conflict' -> 409, 'not_found' -> 404, 'invalid' -> 400. */
export type DomainErrorKind = 'conflict' | 'not_found' | 'invalid';

/**
 * Every refusal the domain can produce, with its kind. Codes are part of the API (clients and the
 * scheduler match on them), so they are never renamed.
 */
export const DOMAIN_ERROR_KINDS = {
  PERMIT_NOT_FOUND: 'not_found',
  PERMIT_ALREADY_EXISTS: 'conflict',
  INVALID_TRANSITION: 'conflict',
  PERMIT_TERMINAL: 'conflict',
  PERMIT_EXPIRED: 'conflict',
  PERMIT_NOT_YET_EXPIRED: 'conflict',
  EFFECTIVE_AT_BEFORE_LAST_EVENT: 'conflict',
  INVALID_DATE: 'invalid',
  INVALID_VALIDITY: 'invalid',
  INVALID_ITEMS: 'invalid',
  REQUIRED_FIELD_MISSING: 'invalid',
  ISSUANCE_BLOCKED: 'conflict',
  EMPTY_AMENDMENT: 'invalid',
  AMENDMENT_NOT_ALLOWED: 'invalid',
  SUPERSEDES_SELF: 'invalid',
  REVIEW_ALREADY_OPEN: 'conflict',
  REVIEW_ALREADY_EXISTS: 'conflict',
  REVIEW_NOT_FOUND: 'not_found',
  REVIEW_NOT_OPEN: 'conflict',
  MEASURE_ALREADY_EXISTS: 'conflict',
  MEASURE_NOT_FOUND: 'not_found',
  MEASURE_ALREADY_LIFTED: 'conflict',
  INVALID_MEASURE: 'invalid',
  DECISION_ALREADY_RECORDED: 'conflict',
  DECISION_NOT_FOUND: 'not_found',
  DECISION_TARGET_UNKNOWN: 'conflict',
  APPLICATION_NOT_FOUND: 'not_found',
  APPLICATION_ALREADY_EXISTS: 'conflict',
  APPLICATION_CLOSED: 'conflict',
  INVALID_CRITERIA: 'invalid',
  UNKNOWN_CRITERION: 'invalid',
  INVALID_SHIPMENT: 'invalid',
  PERMIT_NOT_VALID_FOR_EXPORT: 'conflict',
  SHIPMENT_EXCEEDS_PERMIT: 'conflict',
  DECLARATION_ALREADY_RECORDED: 'conflict',
  AMENDMENT_BELOW_SHIPPED: 'conflict',
} as const satisfies Record<string, DomainErrorKind>;

export type DomainErrorCode = keyof typeof DOMAIN_ERROR_KINDS;

/** `DomainErrorCode.PERMIT_NOT_FOUND === 'PERMIT_NOT_FOUND'`, so callers never spell codes by hand. */
export const DomainErrorCode = Object.freeze(Object.fromEntries(Object.keys(DOMAIN_ERROR_KINDS).map((code) => [code, code]))) as {
  readonly [C in DomainErrorCode]: C;
};

export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: DomainErrorKind,
    /** The offending request-body field for 'invalid' errors, e.g. 'expiresOn', 'changes.items'. */
    readonly field?: string,
    /** Facts a client may act on besides the code (e.g. the permit's status on an export date). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Builds a DomainError whose kind always matches its code's entry in DOMAIN_ERROR_KINDS. */
export function domainError(code: DomainErrorCode, message: string, field?: string, details?: Record<string, unknown>): DomainError {
  return new DomainError(code, message, DOMAIN_ERROR_KINDS[code], field, details);
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
