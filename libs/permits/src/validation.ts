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

/** The largest amount any value field may hold, in CAD: far above any permit, and exact in cents as a double. */
export const MAX_VALUE_CAD = 1_000_000_000_000;
/** The largest quantity of one item or shipment line. */
export const MAX_QUANTITY = 1_000_000_000;

/** An amount in whole cents: exact integer arithmetic for amounts that hold at most two decimals. */
export const toCents = (valueCad: number): number => Math.round(valueCad * 100);
export const fromCents = (cents: number): number => cents / 100;

/** A positive whole quantity of at most MAX_QUANTITY. */
export function checkQuantity(value: unknown, field: string, code: 'INVALID_ITEMS' | 'INVALID_SHIPMENT'): number {
  if (!(Number.isInteger(value) && (value as number) > 0 && (value as number) <= MAX_QUANTITY)) {
    throw domainError(code, `quantity must be a positive number: a whole one, at most ${MAX_QUANTITY}`, field);
  }
  return value as number;
}

/** A non-negative amount of at most MAX_VALUE_CAD with at most two decimals (it is then exact in cents). */
export function checkAmount(value: unknown, field: string, code: 'INVALID_ITEMS' | 'INVALID_SHIPMENT'): number {
  if (!(
    // Stryker disable next-line ConditionalExpression: for the compiler; no other type passes the exact-in-cents check below
    typeof value === 'number' &&
    // NaN fails every comparison and ±Infinity a bound, so no finiteness check is needed.
    value >= 0 &&
    value <= MAX_VALUE_CAD &&
    fromCents(toCents(value)) === value
  )) {
    throw domainError(code, `valueCad must be a non-negative amount: at most ${MAX_VALUE_CAD} CAD, with at most two decimals`, field);
  }
  return value;
}

/** The sum of amounts, added in cents; refused (naming `field`) if it could ever be inexact. */
export function sumCad(values: readonly number[], field: string): number {
  const cents = values.reduce((sum, value) => sum + toCents(value), 0);
  if (!Number.isSafeInteger(cents)) throw domainError('INVALID_ITEMS', 'the total value is too large to record exactly', field);
  return fromCents(cents);
}
