import { describe, expect, it } from '@jest/globals';
import type { ImposeDestinationMeasure, LiftDestinationMeasure } from './commands.js';
import {
  blockingMeasure,
  decideDestination,
  eclGroup,
  evolveDestination,
  foldDestination,
  initialDestinationState,
  measuresInForce,
} from './destination.js';
import type { Dated, DestinationEvent } from './events.js';
import { destinationDecider } from './deciders.js';
import { deciderSpec } from './testing/decider-spec.js';
import { day, NATO, noon, TR_HALT_2019, TR_NTE_992, trMeasureHistory } from './testing/fixture.js';

const spec = deciderSpec(destinationDecider, { id: 'TR' });

const impose = (effectiveAt: string, data: Partial<ImposeDestinationMeasure['data']> = {}): ImposeDestinationMeasure => ({
  type: 'ImposeDestinationMeasure',
  effectiveAt,
  data: {
    country: 'TR',
    measureId: 'M-1',
    kind: 'presumptive_denial',
    eclGroups: [2],
    exceptionGrounds: [NATO],
    reference: 'NtE 992',
    reason: 'presumptive denial',
    ...data,
  },
});

const lift = (effectiveAt: string, measureId: string): LiftDestinationMeasure => ({
  type: 'LiftDestinationMeasure',
  effectiveAt,
  data: { country: 'TR', measureId, reference: 'NtE 1108', reason: 'lifted' },
});

/** The TR history up to (not including) the 2024 lifting. */
const untilNtE1108 = trMeasureHistory.slice(0, 3);

describe('decideDestination', () => {
  describe('ImposeDestinationMeasure', () => {
    it('records a measure, defaulting to all goods and no exception grounds', () =>
      spec
        .given([])
        .when(impose(day('2019-10-11'), { kind: 'issuance_suspended', eclGroups: undefined, exceptionGrounds: undefined }))
        .then([
          {
            type: 'DestinationMeasureImposed',
            data: {
              country: 'TR',
              measureId: 'M-1',
              kind: 'issuance_suspended',
              eclGroups: null,
              exceptionGrounds: [],
              reference: 'NtE 992',
              reason: 'presumptive denial',
            },
          },
        ]));

    it('drops duplicate groups and grounds', () =>
      spec
        .given([])
        .when(impose(day('2020-04-16'), { eclGroups: [2, 2], exceptionGrounds: [NATO, NATO] }))
        .then([
          {
            type: 'DestinationMeasureImposed',
            data: {
              country: 'TR',
              measureId: 'M-1',
              kind: 'presumptive_denial',
              eclGroups: [2],
              exceptionGrounds: [NATO],
              reference: 'NtE 992',
              reason: 'presumptive denial',
            },
          },
        ]));

    it('refuses a measure id already used, even by a lifted measure', () =>
      spec
        .given(trMeasureHistory)
        .when(impose(day('2024-02-01'), { measureId: TR_HALT_2019 }))
        .thenThrows('MEASURE_ALREADY_EXISTS', { message: 'measure TR-2019-10-11 already exists for TR' }));

    const MEASURE_RULES: Record<string, string> = {
      eclGroups: 'eclGroups must be null (all goods) or positive group numbers',
      exceptionGrounds: 'exceptionGrounds must be non-empty strings',
      kind: 'kind must be one of issuance_suspended, presumptive_denial',
    };
    it.each([
      [{ eclGroups: [] }, 'eclGroups'],
      [{ eclGroups: [0] }, 'eclGroups'],
      [{ eclGroups: [2.5] }, 'eclGroups'],
      [{ eclGroups: [2, 0] }, 'eclGroups'],
      [{ eclGroups: [0, 2] }, 'eclGroups'],
      [{ exceptionGrounds: [' '] }, 'exceptionGrounds'],
      [{ exceptionGrounds: [NATO, 3 as never] }, 'exceptionGrounds'],
      [{ kind: 'embargo' as never }, 'kind'],
    ])('refuses an invalid measure %j', (data, field) =>
      spec
        .given([])
        .when(impose(day('2020-04-16'), data))
        .thenThrows('INVALID_MEASURE', { field, message: MEASURE_RULES[field] }),
    );

    it.each(['measureId', 'reference', 'reason'] as const)('requires %s', (field) =>
      spec
        .given([])
        .when(impose(day('2020-04-16'), { [field]: '' }))
        .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` }),
    );
  });

  describe('LiftDestinationMeasure', () => {
    it('lifts a measure in force', () =>
      spec
        .given(untilNtE1108)
        .when(lift(day('2024-01-29'), TR_NTE_992))
        .then([
          {
            type: 'DestinationMeasureLifted',
            data: { country: 'TR', measureId: TR_NTE_992, reference: 'NtE 1108', reason: 'lifted' },
          },
        ]));

    it('refuses an unknown measure', () =>
      spec
        .given(untilNtE1108)
        .when(lift(day('2024-01-29'), 'nope'))
        .thenThrows('MEASURE_NOT_FOUND', { message: 'no measure nope for TR' }));

    it('refuses a measure already lifted', () =>
      spec
        .given(untilNtE1108)
        .when(lift(day('2024-01-29'), TR_HALT_2019))
        .thenThrows('MEASURE_ALREADY_LIFTED', { message: 'measure TR-2019-10-11 was lifted at 2020-04-16T00:00:00.000Z' }));

    it.each(['reference', 'reason'] as const)('requires a %s', (field) => {
      const command = lift(day('2024-01-29'), TR_NTE_992);
      Object.assign(command.data, { [field]: ' ' });
      spec
        .given(untilNtE1108)
        .when(command)
        .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` });
    });

    it('lifts only the measure it names', () => {
      const state = foldDestination('TR', [
        ...untilNtE1108,
        ...decideDestination(impose(day('2020-05-01'), { measureId: 'M-2' }), foldDestination('TR', untilNtE1108)).map((e) => ({
          ...e,
          effectiveAt: day('2020-05-01'),
        })),
      ]);
      const [lifted] = decideDestination(lift(day('2024-01-29'), 'M-2'), state);
      const after = evolveDestination(state, { ...lifted!, effectiveAt: day('2024-01-29') });
      expect(after.measures.map((m) => [m.measureId, m.liftedAt, m.liftReference])).toEqual([
        [TR_HALT_2019, day('2020-04-16'), 'NtE 992'],
        [TR_NTE_992, null, null],
        ['M-2', day('2024-01-29'), 'NtE 1108'],
      ]);
    });
  });

  describe('effective time', () => {
    it('refuses a command that takes effect before the last event', () =>
      spec
        .given(untilNtE1108)
        .when(lift(noon('2020-04-15'), TR_NTE_992))
        .thenThrows('EFFECTIVE_AT_BEFORE_LAST_EVENT', {
          field: 'effectiveAt',
          message: "effectiveAt 2020-04-15T12:00:00.000Z is before the stream's last event (2020-04-16T00:00:00.000Z)",
        }));

    it('accepts a command at the same instant as the last event (2020-04-16: lift and impose together)', () =>
      spec
        .given(trMeasureHistory.slice(0, 2))
        .when(impose(day('2020-04-16'), { measureId: 'M-2' }))
        .thenMatch([{ type: 'DestinationMeasureImposed' }]));

    it('refuses a malformed effectiveAt', () =>
      spec
        .given([])
        .when(impose('2020-04-16'))
        .thenThrows('INVALID_DATE', { field: 'effectiveAt', message: 'effectiveAt must be an ISO 8601 timestamp with offset' }));
  });

  it('treats a command for another country as a wiring bug, not a domain error', () => {
    const state = initialDestinationState('TR');
    expect(() => decideDestination(impose(day('2020-04-16'), { country: 'DE' }), state)).toThrow(
      'command for DE decided against destination-TR',
    );
  });
});

describe('evolveDestination / foldDestination', () => {
  it('keeps every measure with when it was imposed and lifted', () => {
    const state = foldDestination('TR', trMeasureHistory);
    expect(state).toEqual({
      country: 'TR',
      lastEffectiveAt: day('2024-01-29'),
      measures: [
        expect.objectContaining({
          measureId: TR_HALT_2019,
          kind: 'issuance_suspended',
          imposedAt: day('2019-10-11'),
          liftedAt: day('2020-04-16'),
          liftReference: 'NtE 992',
        }),
        expect.objectContaining({
          measureId: TR_NTE_992,
          kind: 'presumptive_denial',
          eclGroups: [2],
          exceptionGrounds: [NATO],
          reference: 'NtE 992',
          imposedAt: day('2020-04-16'),
          liftedAt: day('2024-01-29'),
          liftReference: 'NtE 1108',
        }),
      ],
    });
  });

  it('stops on a lift of an unknown measure (corrupt stream)', () => {
    const event: Dated<DestinationEvent> = {
      type: 'DestinationMeasureLifted',
      effectiveAt: day('2020-01-01'),
      data: { country: 'TR', measureId: 'ghost', reference: 'x', reason: 'x' },
    };
    expect(() => evolveDestination(initialDestinationState('TR'), event)).toThrow('unknown measure ghost');
    expect(() => evolveDestination(foldDestination('TR', untilNtE1108), event)).toThrow('destination-TR: lift of unknown measure ghost');
  });

  it('stops on a command or an event of a kind it does not know', () => {
    const state = foldDestination('TR', untilNtE1108);
    const unknown = { type: 'DestinationMeasureRenamed', effectiveAt: day('2024-02-01'), data: { country: 'TR' } } as never;
    expect(() => evolveDestination(state, unknown)).toThrow('unhandled variant');
    expect(() => decideDestination(unknown, state)).toThrow('unhandled variant');
  });
});

describe('measuresInForce (Turkey, 2019-2024)', () => {
  const tr = foldDestination('TR', trMeasureHistory);
  it.each([
    ['2019-10-10T23:59:59.999Z', []],
    [day('2019-10-11'), [TR_HALT_2019]],
    [noon('2019-12-01'), [TR_HALT_2019]],
    ['2020-04-15T23:59:59.999Z', [TR_HALT_2019]],
    [day('2020-04-16'), [TR_NTE_992]],
    [noon('2020-05-14'), [TR_NTE_992]],
    ['2024-01-28T23:59:59.999Z', [TR_NTE_992]],
    [day('2024-01-29'), []],
  ])('at %s: %j', (at, ids) => expect(measuresInForce(tr, at).map((m) => m.measureId)).toEqual(ids));
});

describe('blockingMeasure', () => {
  const tr = foldDestination('TR', trMeasureHistory);
  const sensors = [{ eclItem: '2-15.a' }];
  const dualUse = [{ eclItem: '1-6.A.3' }];

  it('2019-12-01: the halt blocks all goods, and no exception ground overcomes it', () => {
    expect(blockingMeasure(tr, noon('2019-12-01'), sensors, null)?.measureId).toBe(TR_HALT_2019);
    expect(blockingMeasure(tr, noon('2019-12-01'), dualUse, null)?.measureId).toBe(TR_HALT_2019);
    expect(blockingMeasure(tr, noon('2019-12-01'), sensors, NATO)?.measureId).toBe(TR_HALT_2019);
  });

  it('2020-05-14: NtE 992 blocks Group 2 unless the NATO ground is named', () => {
    expect(blockingMeasure(tr, noon('2020-05-14'), sensors, null)?.measureId).toBe(TR_NTE_992);
    expect(blockingMeasure(tr, noon('2020-05-14'), sensors, 'humanitarian')?.measureId).toBe(TR_NTE_992);
    expect(blockingMeasure(tr, noon('2020-05-14'), sensors, NATO)).toBeNull();
  });

  it('2020-05-14: goods outside Group 2 are not covered; one Group 2 line is enough to be covered', () => {
    expect(blockingMeasure(tr, noon('2020-05-14'), dualUse, null)).toBeNull();
    expect(blockingMeasure(tr, noon('2020-05-14'), [{ eclItem: '5A002' }], null)).toBeNull();
    expect(blockingMeasure(tr, noon('2020-05-14'), [...dualUse, ...sensors], null)?.measureId).toBe(TR_NTE_992);
  });

  it('a suspension of issuance covers all goods, even one that names ECL groups', () => {
    const halt = evolveDestination(initialDestinationState('XX'), {
      type: 'DestinationMeasureImposed',
      effectiveAt: day('2020-01-01'),
      data: {
        country: 'XX',
        measureId: 'H',
        kind: 'issuance_suspended',
        eclGroups: [2],
        exceptionGrounds: [NATO],
        reference: 'r',
        reason: 'r',
      },
    });
    expect(blockingMeasure(halt, noon('2020-01-01'), dualUse, null)?.measureId).toBe('H');
    expect(blockingMeasure(halt, noon('2020-01-01'), dualUse, NATO)).toBeNull();
  });

  it('a presumptive denial naming several ECL groups covers goods of any one of them', () => {
    const some = evolveDestination(initialDestinationState('XX'), {
      type: 'DestinationMeasureImposed',
      effectiveAt: day('2020-01-01'),
      data: {
        country: 'XX',
        measureId: 'G',
        kind: 'presumptive_denial',
        eclGroups: [2, 5],
        exceptionGrounds: [],
        reference: 'r',
        reason: 'r',
      },
    });
    expect(blockingMeasure(some, noon('2020-01-01'), sensors, null)?.measureId).toBe('G');
    expect(blockingMeasure(some, noon('2020-01-01'), dualUse, null)).toBeNull();
  });

  it('a presumptive denial without groups covers all goods', () => {
    const all = evolveDestination(initialDestinationState('XX'), {
      type: 'DestinationMeasureImposed',
      effectiveAt: day('2020-01-01'),
      data: {
        country: 'XX',
        measureId: 'A',
        kind: 'presumptive_denial',
        eclGroups: null,
        exceptionGrounds: [],
        reference: 'r',
        reason: 'r',
      },
    });
    expect(blockingMeasure(all, noon('2020-01-01'), dualUse, null)?.measureId).toBe('A');
  });

  it('2024-05-10: nothing blocks after NtE 1108', () => expect(blockingMeasure(tr, noon('2024-05-10'), sensors, null)).toBeNull());
});

describe('eclGroup', () => {
  it.each([
    ['2-15.a', 2],
    ['2-22', 2],
    ['22-1.b', 22],
    ['1-6.A.3', 1],
    ['5A002', null],
    ['A2-15', null],
    ['-15', null],
    ['', null],
  ])('%s -> %s', (item, group) => expect(eclGroup(item)).toBe(group));
});
