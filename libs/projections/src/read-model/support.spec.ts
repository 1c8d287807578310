import { describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { TestLog } from '../testing/events.js';
import { assertKnownSchema, decisionRefOf, eventJson, lendEventJson, monthOf, prepared } from './support.js';

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

describe('monthOf without a Date string', () => {
  /** Whether monthOf built a Date string for `time`: a replay computes a month for every event. */
  function builtDateString(time: string): boolean {
    const toISOString = jest.spyOn(Date.prototype, 'toISOString');
    try {
      monthOf(time);
      return toISOString.mock.calls.length > 0;
    } finally {
      toISOString.mockRestore();
    }
  }

  it('computes the month of a four-digit year from the day number, to the first and last millisecond of 0000-9999', () => {
    expect(
      ['0000-01-01T00:00:00.000Z', '2020-05-14T00:00:00.000Z', '9999-12-31T23:59:59.999Z'].map((time) => [time, builtDateString(time)]),
    ).toEqual([
      ['0000-01-01T00:00:00.000Z', false],
      ['2020-05-14T00:00:00.000Z', false],
      ['9999-12-31T23:59:59.999Z', false],
    ]);
  });

  it('leaves six-digit years to toISOString', () => {
    expect(builtDateString('-000001-12-31T23:59:59.999Z')).toBe(true);
    expect(builtDateString('+010000-01-01T00:00:00.000Z')).toBe(true);
  });
});

describe('prepared', () => {
  it('prepares a statement once per connection and SQL text', () => {
    const db = new Database(':memory:');
    const other = new Database(':memory:');
    const statement = prepared(db, 'SELECT 1');
    expect(prepared(db, 'SELECT 1')).toBe(statement);
    expect(prepared(db, 'SELECT 2')).not.toBe(statement);
    expect(prepared(other, 'SELECT 1')).not.toBe(statement);
    expect(prepared(other, 'SELECT 1')).toBe(prepared(other, 'SELECT 1'));
    expect(prepared(db, 'SELECT 2').pluck().get()).toBe(2);
    db.close();
    other.close();
  });
});

describe('eventJson', () => {
  const log = new TestLog();
  const lent = log.issued('EXP-1');
  const other = log.issued('EXP-2');
  // A spelling JSON.stringify does not produce, to see which of the two is answered.
  const lentJson = JSON.stringify(lent, null, 1);

  it('answers the lent JSON for the lent event, and serializes any other event, even an equal copy', () => {
    lendEventJson(lent, lentJson);
    expect(eventJson(lent)).toBe(lentJson);
    expect(eventJson(other)).toBe(JSON.stringify(other));
    expect(eventJson({ ...lent })).toBe(JSON.stringify(lent));
  });

  it('answers only the last lent JSON', () => {
    lendEventJson(lent, lentJson);
    lendEventJson(other, JSON.stringify(other, null, 1));
    expect(eventJson(other)).toBe(JSON.stringify(other, null, 1));
    expect(eventJson(lent)).toBe(JSON.stringify(lent));
  });
});

describe('decisionRefOf', () => {
  const log = new TestLog();

  it('takes the envelope first, then the event data, and null when neither names one', () => {
    expect(decisionRefOf(log.suspended('EXP-1', { decisionRef: 'MD-1', dataDecisionRef: 'MD-2' }))).toBe('MD-1');
    expect(decisionRefOf(log.suspended('EXP-1', { dataDecisionRef: 'MD-2' }))).toBe('MD-2');
    expect(decisionRefOf(log.suspended('EXP-1'))).toBeNull();
  });

  it('treats an empty reference as none', () => {
    expect(decisionRefOf(log.suspended('EXP-1', { decisionRef: '', dataDecisionRef: 'MD-2' }))).toBe('MD-2');
    expect(decisionRefOf(log.suspended('EXP-1', { decisionRef: '', dataDecisionRef: '' }))).toBeNull();
  });
});

describe('assertKnownSchema', () => {
  const log = new TestLog();
  const known = { PermitIssued: 2 };

  it('accepts the known schema version, older ones and event types it does not track', () => {
    expect(() => assertKnownSchema(log.issued('EXP-1', {}, { schemaVersion: 2 }), known)).not.toThrow();
    expect(() => assertKnownSchema(log.issued('EXP-1', {}, { schemaVersion: 1 }), known)).not.toThrow();
    expect(() => assertKnownSchema(log.suspended('EXP-1', { schemaVersion: 9 }), known)).not.toThrow();
  });

  it('refuses an event written with a newer schema', () => {
    expect(() => assertKnownSchema(log.issued('EXP-1', {}, { schemaVersion: 3 }), known)).toThrow(
      'PermitIssued schemaVersion 3 is newer than this projection knows (2)',
    );
  });
});
