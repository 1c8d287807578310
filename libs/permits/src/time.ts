import { domainError } from './errors.js';

/**
 * Time rules (domain.md "Time"). The domain never reads a clock: every instant comes from a command
 * or an event envelope, and comparisons parse those given strings.
 */

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function isCalendarDate(value: string): boolean {
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Date.parse rolls 2021-02-30 over to March, so check the day against the month by hand.
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  // Month 00 or 13 has no days, so no day fits it.
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day >= 1 && day <= daysInMonth;
}

/** Validates a YYYY-MM-DD date (validFrom, expiresOn) and returns it. */
export function calendarDate(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isCalendarDate(value)) {
    throw domainError('INVALID_DATE', `${field} must be a calendar date YYYY-MM-DD`, field);
  }
  return value;
}

/** Parses an ISO 8601 timestamp with an explicit offset (effectiveAt) to epoch milliseconds. */
export function instant(value: unknown, field: string): number {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  const ms = match && isCalendarDate(match[1]!) ? Date.parse(value as string) : NaN;
  if (!Number.isFinite(ms)) {
    throw domainError('INVALID_DATE', `${field} must be an ISO 8601 timestamp with offset`, field);
  }
  return ms;
}

/** A permit expires at 00:00:00Z of its expiresOn date; the scheduler records PermitExpired at this instant. */
export function expiryInstant(expiresOn: string): string {
  return `${expiresOn}T00:00:00.000Z`;
}

/** True when `at` (ISO timestamp) is at or after the permit's expiry instant. */
export function isExpiredAt(expiresOn: string, at: string): boolean {
  return Date.parse(at) >= Date.parse(expiryInstant(expiresOn));
}

/** A stream's events are in effective-time order: a command may not take effect before the last event. */
export function assertNotBeforeLastEvent(effectiveAt: string, lastEffectiveAt: string | null): void {
  const at = instant(effectiveAt, 'effectiveAt');
  // Stryker disable next-line ConditionalExpression: Date.parse(null) is NaN and `at < NaN` is false, so no null check is just as quiet.
  if (lastEffectiveAt !== null && at < Date.parse(lastEffectiveAt)) {
    throw domainError(
      'EFFECTIVE_AT_BEFORE_LAST_EVENT',
      `effectiveAt ${effectiveAt} is before the stream's last event (${lastEffectiveAt})`,
      'effectiveAt',
    );
  }
}
