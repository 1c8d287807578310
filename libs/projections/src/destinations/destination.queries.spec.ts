import { beforeAll, describe, expect, it } from '@jest/globals';
import { applyAll, memoryDb, TestLog } from '../testing/events.js';
import { destinationsProjection } from './destination.projection.js';
import { DestinationQueries } from './destination.queries.js';

/** M1 in force from 2020-01-10 (00:00 UTC) until lifted on 2020-03-01 at noon; M2 imposed later and never lifted. */
function given() {
  const log = new TestLog();
  log.measureImposed('SY', 'M1', {}, { at: '2020-01-10' });
  log.measureLifted('SY', 'M1', 'lift ref', { at: '2020-03-01T12:00:00.000Z' });
  log.measureImposed('SY', 'M2', { kind: 'presumptive_denial', eclGroups: [2, 5] }, { at: '2020-06-01' });
  const db = memoryDb(destinationsProjection);
  applyAll(db, destinationsProjection, log.events);
  return new DestinationQueries(db);
}

describe('DestinationQueries', () => {
  let queries: DestinationQueries;
  beforeAll(() => {
    queries = given();
  });
  const inForce = (at?: string) => queries.get('SY', at)!.inForce.map((m) => m.measureId);

  it('counts a measure in force from the instant it was imposed, a date meaning its 00:00 UTC', () => {
    expect(inForce('2020-01-09T23:59:59.999Z')).toEqual([]);
    expect(inForce('2020-01-10')).toEqual(['M1']);
    expect(inForce('2020-01-10T00:00:00.000Z')).toEqual(['M1']);
    expect(inForce('2020-01-10T01:00:00+01:00')).toEqual(['M1']);
  });

  it('and no longer from the instant it was lifted', () => {
    expect(inForce('2020-03-01T11:59:59.999Z')).toEqual(['M1']);
    expect(inForce('2020-03-01T12:00:00.000Z')).toEqual([]);
    expect(inForce('2020-03-01')).toEqual(['M1']);
  });

  it('without a time, lists the measures not lifted; at a later time, those too', () => {
    expect(inForce()).toEqual(['M2']);
    expect(inForce('2030-01-01')).toEqual(['M2']);
    expect(queries.get('SY', '2020-07-01')).toMatchObject({
      country: 'SY',
      inForce: [{ measureId: 'M2', kind: 'presumptive_denial', eclGroups: [2, 5], liftedAt: null, liftReference: null, liftReason: null }],
      measures: [
        { measureId: 'M1', liftedAt: '2020-03-01T12:00:00.000Z', liftReference: 'lift ref', liftReason: 'superseded', revision: 1 },
        { measureId: 'M2', revision: 2 },
      ],
    });
    expect(queries.get('SY')!.history.map((h) => [h.type, h.revision, h.effectiveAt])).toEqual([
      ['DestinationMeasureImposed', 0, '2020-01-10T00:00:00.000Z'],
      ['DestinationMeasureLifted', 1, '2020-03-01T12:00:00.000Z'],
      ['DestinationMeasureImposed', 2, '2020-06-01T00:00:00.000Z'],
    ]);
  });

  it('refuses a time that is none, naming it', () => {
    expect(() => queries.get('SY', 'next tuesday')).toThrow(new RangeError('not an ISO 8601 date or time: "next tuesday"'));
  });

  it('answers null for a country with no record, at any time', () => {
    expect(queries.get('DE')).toBeNull();
    expect(queries.get('DE', '2020-01-10')).toBeNull();
  });
});

describe('DestinationQueries on a country with one of its two records only', () => {
  /** SY's record with the rows of one table removed: null is the answer only when neither table holds the country. */
  function without(table: 'destination_event' | 'destination_measure') {
    const log = new TestLog();
    log.measureImposed('SY', 'M1', {}, { at: '2020-01-10' });
    const db = memoryDb(destinationsProjection);
    applyAll(db, destinationsProjection, log.events);
    db.exec(`DELETE FROM ${table}`);
    return new DestinationQueries(db);
  }

  it('answers the measures of a country without a timeline', () => {
    expect(without('destination_event').get('SY')).toMatchObject({ country: 'SY', inForce: [{ measureId: 'M1' }], history: [] });
  });

  it('answers the timeline of a country without measures', () => {
    expect(without('destination_measure').get('SY')).toMatchObject({
      country: 'SY',
      inForce: [],
      measures: [],
      history: [{ type: 'DestinationMeasureImposed', revision: 0 }],
    });
  });
});
