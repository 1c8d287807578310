import { domainError } from './errors.js';

/** Rejects missing or blank text fields (reason, legal basis, finding ...). */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw domainError('REQUIRED_FIELD_MISSING', `${field} is required`, field);
  }
  return value;
}

/** Ends every switch over commands, events and states: a new variant fails to compile until handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
}
