/**
 * How the application layer refuses a request, below HTTP: a kind (mapped to a status in one place, the
 * problem filter), a stable code, and what the answer may carry. Domain refusals stay DomainErrors.
 */
export type RefusalKind = 'invalid' | 'not_found' | 'conflict' | 'precondition_failed' | 'unprocessable' | 'too_many' | 'unavailable';

export interface FieldError {
  field: string;
  messages: string[];
}

export interface RefusalDetails {
  errors?: FieldError[];
  errorsOmitted?: number;
  /** The stream's revision, for a failed precondition (sent back as the ETag). */
  currentRevision?: number;
  /** When a retry may succeed (Retry-After). */
  retryAfterSeconds?: number;
}

export class ApplicationError extends Error {
  constructor(
    readonly kind: RefusalKind,
    readonly code: string,
    message: string,
    readonly details: RefusalDetails = {},
  ) {
    super(message);
    this.name = 'ApplicationError';
  }
}

/**
 * The most field errors one answer lists; the rest are only counted (`errorsOmitted`). A body of 100,000
 * bad fields would otherwise be answered with 100,000 entries (7 MB of JSON, seconds to build).
 */
export const MAX_LISTED_ERRORS = 20;

/** VALIDATION_FAILED with the first MAX_LISTED_ERRORS errors; `omitted` more were found but not listed. */
export function invalidInput(errors: FieldError[], omitted = 0): ApplicationError {
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const rest = omitted + errors.length - listed.length;
  const fields = [...new Set(listed.map((e) => e.field))];
  const detail = `invalid fields: ${fields.join(', ')}${rest > 0 ? ` (and ${rest} more errors)` : ''}`;
  return new ApplicationError(
    'invalid',
    'VALIDATION_FAILED',
    detail,
    rest > 0 ? { errors: listed, errorsOmitted: rest } : { errors: listed },
  );
}
