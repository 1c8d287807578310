import { describe, expect, it } from '@jest/globals';
import type { Dated, PermitEvent } from './events.js';
import { evolvePermit, foldPermit, foldPermitOnto, initialPermitState } from './permit.js';
import { day, noon } from './testing/fixture.js';

const N = 'EXP-20-000777';
const at = (date: string, type: PermitEvent['type'], data: Record<string, unknown> = {}) =>
  ({ type, effectiveAt: date, data: { permitNumber: N, ...data } }) as Dated<PermitEvent>;

const issued = at(noon('2020-05-14'), 'PermitIssued', {
  destination: 'TR',
  exporter: { name: 'Northfield Optronics' },
  consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
  endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
  intendedEndUse: 'UAV targeting pods',
  items: [{ eclItem: '2-15.a', description: 'EO/IR sensor', quantity: 2, unit: 'unit', valueCad: 1000 }],
  totalValueCad: 1000,
  validFrom: '2020-05-14',
  expiresOn: '2022-06-30',
  conditions: [],
  exceptionGround: null,
  supersedes: null,
});
const suspend = (date: string) => at(date, 'PermitSuspended', { reason: 'r', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-1' });
const reinstate = (date: string) => at(date, 'PermitReinstated', { reason: 'r', legalBasis: 'EIPA s.10(1)', decisionRef: null });

/** Every kind of change a permit's record goes through, ending in exhaustion. */
const life: Dated<PermitEvent>[] = [
  issued,
  suspend(day('2020-10-05')),
  at(day('2020-10-05'), 'PermitReviewOpened', { reviewId: 'R-1', reason: 'r', decisionRef: 'MIN-1' }),
  at(noon('2020-12-01'), 'PermitReviewFindingRecorded', {
    reviewId: 'R-1',
    finding: 'f',
    theatre: null,
    evidenceRef: null,
    assuranceBreached: false,
  }),
  at(noon('2021-01-10'), 'PermitReviewConcluded', { reviewId: 'R-1', outcome: 'no_action', summary: 's' }),
  reinstate(noon('2021-01-11')),
  at(noon('2021-01-12'), 'PermitAmended', { changes: { expiresOn: '2022-12-31' }, totalValueCad: 1000, reason: 'r' }),
  at(day('2021-01-05'), 'ShipmentRecorded', {
    declarationRef: 'D-1',
    exportedOn: '2021-01-05',
    lines: [{ item: 0, quantity: 1, valueCad: 500 }],
  }),
  at(day('2021-02-01'), 'ShipmentRecorded', {
    declarationRef: 'D-2',
    exportedOn: '2021-02-01',
    lines: [{ item: 0, quantity: 1, valueCad: 500 }],
  }),
  at(day('2021-02-01'), 'PermitExhausted'),
];
const plain = (from: typeof initialPermitState, events: Dated<PermitEvent>[]) => events.reduce(evolvePermit, from);

describe('foldPermitOnto: the fold in linear time', () => {
  it('gives what reducing with evolvePermit gives, from the start and resumed at every point', () => {
    expect(foldPermit(life)).toEqual(plain(initialPermitState, life));
    for (let split = 0; split <= life.length; split++) {
      const resumed = foldPermitOnto(foldPermit(life.slice(0, split)), life.slice(split));
      expect(resumed).toEqual(plain(initialPermitState, life));
    }
  });

  it('folds thousands of suspensions and reinstatements to the same history, leaving the state it resumes from as it was', () => {
    const long = [issued, ...Array.from({ length: 3000 }, (_, i) => (i % 2 ? reinstate : suspend)(day('2021-03-01')))];
    const half = foldPermit(long.slice(0, 1501));
    const before = structuredClone(half);
    const whole = foldPermitOnto(half, long.slice(1501));
    expect(whole).toEqual(plain(initialPermitState, long));
    expect(whole).toMatchObject({ status: 'ISSUED' });
    expect(whole.status !== 'NONE' && whole.statusHistory).toHaveLength(3001);
    expect(half).toEqual(before);
  });

  it('stops on an event that does not fit, as evolvePermit does', () => {
    expect(() => foldPermit([issued, reinstate(day('2021-03-01'))])).toThrow('cannot apply PermitReinstated');
    expect(foldPermitOnto(initialPermitState, [])).toBe(initialPermitState);
  });
});
