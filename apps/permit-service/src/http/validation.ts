import { ValidationPipe, type ValidationError } from '@nestjs/common';
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

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(fieldErrors(errors)),
  });
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

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
  return !!m && isCalendarDate(+m[1], +m[2], +m[3]) && +m[4] < 24 && +m[5] < 60 && +(m[6] ?? 0) < 60;
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
