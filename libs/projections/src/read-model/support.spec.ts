import { describe, expect, it } from '@jest/globals';
import { monthOf } from './support.js';

/** What monthOf computes without building a Date and its string. */
const viaDate = (time: string): string => new Date(Date.parse(time)).toISOString().slice(0, 7);

describe('monthOf', () => {
  it('is the UTC month toISOString names, at the edges of months, leap days, years and four-digit years', () => {
    const times = [
      '0000-01-01T00:00:00.000Z',
      '0000-02-29T12:00:00.000Z',
      '0000-12-31T23:59:59.999Z',
      '1582-10-15',
      '1899-12-31T23:59:59.999Z',
      '1900-02-28T23:59:59.999Z',
      '1900-03-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '2000-02-29T00:00:00.000Z',
      '2019-03-20',
      '2020-10-05T23:30:00+05:00',
      '2020-10-31T23:30:00-05:00',
      '2100-03-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ];
    for (const time of times) expect([time, monthOf(time)]).toEqual([time, viaDate(time)]);
    // Every 13th day of a 400-year cycle (the Gregorian calendar repeats after it), at its first and last millisecond.
    const wrong: string[] = [];
    for (let day = Date.UTC(1600, 0, 1); day < Date.UTC(2000, 0, 1); day += 13 * 86_400_000) {
      for (const time of [new Date(day).toISOString(), new Date(day + 86_399_999).toISOString()]) {
        if (monthOf(time) !== viaDate(time)) wrong.push(time);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the six-digit spelling of years outside 0000-9999', () => {
    expect(monthOf('+010000-01-01T00:00:00.000Z')).toBe('+010000');
    expect(monthOf('-000001-12-31T00:00:00.000Z')).toBe('-000001');
  });

  it('refuses what is not a time', () => {
    expect(() => monthOf('2020-13-01')).toThrow(/not an ISO 8601 time/);
    expect(() => monthOf('yesterday')).toThrow(/not an ISO 8601 time/);
  });
});
