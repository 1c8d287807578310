import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { registerDecorator, type ValidationOptions } from 'class-validator';
import { ProblemException } from './problem.js';

/** Flattens class-validator's tree into dotted field paths: "items.0.quantity". */
export function fieldErrors(errors: ValidationError[], prefix = ''): Array<{ field: string; messages: string[] }> {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

export function validationProblem(errors: Array<{ field: string; messages: string[] }>): ProblemException {
  const fields = [...new Set(errors.map((e) => e.field))];
  return new ProblemException(400, 'VALIDATION_FAILED', `invalid fields: ${fields.join(', ')}`, { errors });
}

/** No body of the API nests deeper than 4 levels; 16 leaves room and keeps class-transformer's recursion bounded. */
export const MAX_NESTING = 16;

/**
 * Keys that class-transformer and class-validator do not see as unknown fields: `constructor` is found on
 * every instance's prototype, and `__proto__` / `prototype` reach for prototypes; nor the other names every
 * object inherits (`toString`, `hasOwnProperty` …), which a whitelist lookup finds on the prototype. Refused wherever they occur.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype', ...Object.getOwnPropertyNames(Object.prototype)]);

/**
 * What no body may hold, found before any recursive code sees the value: nesting deeper than `max` (a body
 * of 50,000 nested arrays is 100 KB of JSON, and class-transformer, class-validator or canonical JSON would
 * overflow the stack on it and answer 500) and prototype keys. Iterative on purpose.
 */
export function unsafeFields(value: unknown, max = MAX_NESTING): Array<{ field: string; messages: string[] }> {
  const errors: Array<{ field: string; messages: string[] }> = [];
  const pending: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: '' }];
  while (pending.length > 0 && errors.length < 20) {
    const { value: current, depth, path } = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= max) {
      const field = path.length > 200 ? `${path.slice(0, 200)}…` : path;
      errors.push({ field, messages: [`${field} is nested more than ${max} levels deep`] });
      continue;
    }
    for (const key of Object.keys(current)) {
      const field = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) errors.push({ field, messages: [`property ${key} should not exist`] });
      else pending.push({ value: (current as Record<string, unknown>)[key], depth: depth + 1, path: field });
    }
  }
  return errors;
}

class SafeValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Only what the client sent: a custom decorator's value (e.g. a request object) is not walked.
    const errors = metadata.type === 'custom' ? [] : unsafeFields(value);
    if (errors.length > 0) throw validationProblem(errors);
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new SafeValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(fieldErrors(errors)),
  });
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** A real calendar date: 2019-02-30 is refused, not rolled over to March. */
function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE.exec(value);
  return !!m && isCalendarDate(+m[1], +m[2], +m[3]);
}

export function isIsoDateOrTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (isIsoDate(value)) return true;
  const m = TIMESTAMP.exec(value);
  if (!m || !isCalendarDate(+m[1], +m[2], +m[3]) || +m[4] > 23 || +m[5] > 59 || +(m[6] ?? 0) > 59) return false;
  // A UTC offset is at most 23:59 (RFC 3339); beyond it, and across year 0 / 10000, Date gives up: refuse, never throw later.
  if (m[8] !== undefined && (+m[8] > 23 || +m[9] > 59)) return false;
  return !Number.isNaN(new Date(value).getTime());
}

/** Normalises a date or timestamp to a UTC timestamp; a bare date means its start (00:00Z). */
export function toTimestamp(value: string): string {
  return new Date(isIsoDate(value) ? `${value}T00:00:00.000Z` : value).toISOString();
}

function simple(name: string, test: (value: unknown) => boolean, message: string) {
  return (options?: ValidationOptions) => (object: object, propertyName: string) =>
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: `${propertyName} ${message}`, ...options },
      validator: { validate: test },
    });
}

export const IsIsoDate = simple('isIsoDate', isIsoDate, 'must be a calendar date YYYY-MM-DD');
export const IsIsoDateOrTimestamp = simple(
  'isIsoDateOrTimestamp',
  isIsoDateOrTimestamp,
  'must be an ISO 8601 date (YYYY-MM-DD) or timestamp with a time zone',
);
