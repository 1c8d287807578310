/** Dates and timestamps as the API takes them (RFC 3339), for request validation and for the queries' cut-offs. */
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
