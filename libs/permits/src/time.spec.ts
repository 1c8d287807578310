import { describe, expect, it } from '@jest/globals';
import { DomainError } from './errors.js';
import { assertNotBeforeLastEvent, calendarDate, expiryInstant, instant, isExpiredAt } from './time.js';

/** The refusal a time rule throws, or undefined when the value is accepted. */
function refusal(run: () => unknown): Pick<DomainError, 'code' | 'field' | 'message'> | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const { code, field, message } = error as DomainError;
    return { code, field, message };
  }
}

describe('calendarDate', () => {
  it.each([
    ['2021-01-31', 'the last day of a 31-day month'],
    ['2021-04-30', 'the last day of a 30-day month'],
    ['2020-02-29', 'a leap day in a year divisible by 4'],
    ['2000-02-29', 'a leap day in a century divisible by 400'],
    ['2021-12-01', 'December'],
  ])('accepts %s (%s) and returns it', (value) => expect(calendarDate(value, 'validFrom')).toBe(value));

  it.each([
    ['2021-02-29', 'a leap day in a common year'],
    ['1900-02-29', 'a leap day in a century not divisible by 400'],
    ['2100-02-29', 'a leap day in a century not divisible by 400'],
    ['2021-02-30', 'a day past the end of February'],
    ['2021-04-31', 'a day past the end of a 30-day month'],
    ['2021-01-32', 'a day past the end of a 31-day month'],
    ['2021-01-00', 'day 00'],
    ['2021-00-10', 'month 00'],
    ['2021-13-01', 'month 13'],
    ['x2021-01-01', 'text before the date'],
    ['2021-01-01x', 'text after the date'],
    ['2021-01-01T00:00:00Z', 'a timestamp'],
    ['21-01-01', 'a two-digit year'],
  ])('refuses %s (%s): INVALID_DATE naming the field', (value) =>
    expect(refusal(() => calendarDate(value, 'expiresOn'))).toEqual({
      code: 'INVALID_DATE',
      field: 'expiresOn',
      message: 'expiresOn must be a calendar date YYYY-MM-DD',
    }),
  );

  it.each([[['2021-01-01']], [20210101], [null], [undefined]])('refuses the non-string %j, even one that prints as a date', (value) =>
    expect(refusal(() => calendarDate(value, 'validFrom'))).toMatchObject({ code: 'INVALID_DATE', field: 'validFrom' }),
  );
});

describe('instant', () => {
  it.each([
    ['2021-03-04T05:06:07.890Z', Date.UTC(2021, 2, 4, 5, 6, 7, 890)],
    ['2021-03-04T05:06:07Z', Date.UTC(2021, 2, 4, 5, 6, 7)],
    ['2021-03-04T05:06Z', Date.UTC(2021, 2, 4, 5, 6)],
    ['2021-03-04T05:06:07+03:00', Date.UTC(2021, 2, 4, 2, 6, 7)],
    ['2021-03-04T05:06-10:30', Date.UTC(2021, 2, 4, 15, 36)],
    ['2021-03-01T01:00:00+03:00', Date.UTC(2021, 1, 28, 22)],
    ['2020-02-29T12:00:00Z', Date.UTC(2020, 1, 29, 12)],
  ])('reads %s as the instant it names', (value, ms) => expect(instant(value, 'effectiveAt')).toBe(ms));

  it.each([
    ['2021-03-04T05:06:07', 'no offset (local time)'],
    ['2021-03-04', 'a date alone'],
    ['2021-03-04T05:06:07+0300', 'an offset without its colon'],
    ['2021-03-04T05:06:07+3:00', 'a one-digit offset hour'],
    ['2021-03-04T05:06:07+03:0', 'a one-digit offset minute'],
    ['2021-03-04T05:06:07.Z', 'a decimal point without digits'],
    ['2021-02-29T12:00:00Z', 'a day that does not exist'],
    ['x2021-03-04T05:06:07Z', 'text before the timestamp'],
    ['+002021-03-04T05:06:07Z', 'an expanded six-digit year'],
    ['2021-03-04T05:06:07Z ', 'text after the offset'],
    // Date.parse (V8) reads up to a NUL and ignores the rest: the pattern's end anchor refuses it.
    ['2021-03-04T05:06:07Z\u0000', 'a NUL after the offset'],
  ])('refuses %j (%s): INVALID_DATE naming the field', (value) =>
    expect(refusal(() => instant(value, 'effectiveAt'))).toEqual({
      code: 'INVALID_DATE',
      field: 'effectiveAt',
      message: 'effectiveAt must be an ISO 8601 timestamp with offset',
    }),
  );

  it.each([[['2021-03-04T05:06:07Z']], [Date.UTC(2021, 2, 4)], [null]])(
    'refuses the non-string %j, even one that prints as a timestamp',
    (value) => expect(refusal(() => instant(value, 'at'))).toMatchObject({ code: 'INVALID_DATE', field: 'at' }),
  );
});

describe('expiry', () => {
  it('puts the expiry at the start of the expiresOn day, in UTC', () =>
    expect(expiryInstant('2021-06-30')).toBe('2021-06-30T00:00:00.000Z'));

  it.each([
    ['2021-06-29T23:59:59.999Z', false],
    ['2021-06-30T00:00:00.000Z', true],
    ['2021-06-30T02:59:59.999+03:00', false],
    ['2021-06-30T03:00:00+03:00', true],
    ['2021-06-29T23:59:59.999-01:00', true],
  ])('a permit expiring on 2021-06-30 is expired at %s: %s', (at, expired) => expect(isExpiredAt('2021-06-30', at)).toBe(expired));
});

describe('assertNotBeforeLastEvent', () => {
  const last = '2021-05-01T12:00:00.000Z';

  it('accepts the first event of a stream, and one at or after the last', () => {
    expect(refusal(() => assertNotBeforeLastEvent('1999-01-01T00:00:00Z', null))).toBeUndefined();
    expect(refusal(() => assertNotBeforeLastEvent(last, last))).toBeUndefined();
    expect(refusal(() => assertNotBeforeLastEvent('2021-05-01T15:00:00+03:00', last))).toBeUndefined();
  });

  it('refuses one a millisecond before the last, comparing instants rather than text', () => {
    const expected = {
      code: 'EFFECTIVE_AT_BEFORE_LAST_EVENT',
      field: 'effectiveAt',
      message: `effectiveAt 2021-05-01T14:59:59.999+03:00 is before the stream's last event (${last})`,
    };
    expect(refusal(() => assertNotBeforeLastEvent('2021-05-01T14:59:59.999+03:00', last))).toEqual(expected);
  });

  it('checks the effectiveAt itself first', () =>
    expect(refusal(() => assertNotBeforeLastEvent('2021-05-01', null))).toMatchObject({ code: 'INVALID_DATE', field: 'effectiveAt' }));
});
