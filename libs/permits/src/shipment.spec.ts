import { describe, expect, it } from '@jest/globals';
import type { PermitCommand, RecordShipment } from './commands.js';
import { foldDestination } from './destination.js';
import { DomainError } from './errors.js';
import type { Dated, PermitEvent, ShipmentLine } from './events.js';
import { permitDecider } from './deciders.js';
import { checkCriteria, decidePermit, foldPermit, statusOn, usageOf } from './permit.js';
import { deciderSpec } from './testing/decider-spec.js';
import { day, NATO, noon, trMeasureHistory } from './testing/fixture.js';
import type { PermitItem } from './types.js';

/*
 * Shipments against a permit: EXP-20-005181, 5 sensors (4.0M) and 2 spares (1.6M), issued 2020-05-14 under the
 * NATO ground, suspended 2020-10-05, cancelled 2021-04-12, valid to 2021-06-30.
 */
const N = 'EXP-20-005181';
const destination = foldDestination('TR', trMeasureHistory);
const spec = deciderSpec(permitDecider, { id: N, context: { destination } });

const items: PermitItem[] = [
  { eclItem: '2-15.a', description: 'EO/IR targeting sensor', quantity: 5, unit: 'unit', valueCad: 4_000_000 },
  { eclItem: '2-15.a', description: 'EO/IR sensor spare', quantity: 2, unit: 'unit', valueCad: 1_600_000 },
];
const issued: Dated<PermitEvent> = {
  type: 'PermitIssued',
  effectiveAt: noon('2020-05-14'),
  data: {
    permitNumber: N,
    destination: 'TR',
    exporter: { name: 'Northfield Optronics' },
    consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
    endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
    intendedEndUse: 'Integration in UAV targeting pods',
    items,
    totalValueCad: 5_600_000,
    validFrom: '2020-05-14',
    expiresOn: '2021-06-30',
    conditions: [],
    exceptionGround: NATO,
    supersedes: null,
  },
};
const legal = { reason: 'Hostilities', legalBasis: 'EIPA s.10(1)', decisionRef: null };
const suspended: Dated<PermitEvent> = { type: 'PermitSuspended', effectiveAt: day('2020-10-05'), data: { permitNumber: N, ...legal } };
const reinstated: Dated<PermitEvent> = { type: 'PermitReinstated', effectiveAt: day('2020-12-01'), data: { permitNumber: N, ...legal } };
const cancelled: Dated<PermitEvent> = {
  type: 'PermitCancelled',
  effectiveAt: day('2021-04-12'),
  data: { permitNumber: N, ...legal, reviewId: null },
};
const expired: Dated<PermitEvent> = {
  type: 'PermitExpired',
  effectiveAt: day('2021-06-30'),
  data: { permitNumber: N, expiresOn: '2021-06-30' },
};

const line = (item: number, quantity: number, valueCad: number): ShipmentLine => ({ item, quantity, valueCad });
/** A declaration, sent (effectiveAt) at noon of `declaredOn`, by default the export date. */
const ship = (declarationRef: string, exportedOn: string, lines: ShipmentLine[], declaredOn = exportedOn): RecordShipment => ({
  type: 'RecordShipment',
  effectiveAt: noon(declaredOn),
  data: { permitNumber: N, declarationRef, lines, exportedOn },
});
/** The event a declaration records, as its fold sees it. */
const shipped = (declarationRef: string, exportedOn: string, lines: ShipmentLine[]): Dated<PermitEvent> => ({
  type: 'ShipmentRecorded',
  effectiveAt: day(exportedOn),
  data: { permitNumber: N, declarationRef, lines, exportedOn },
});
const recorded = (declarationRef: string, exportedOn: string, lines: ShipmentLine[]): PermitEvent => {
  const { effectiveAt: _, ...event } = shipped(declarationRef, exportedOn, lines);
  return event as PermitEvent;
};
const EVERYTHING = [line(0, 5, 4_000_000), line(1, 2, 1_600_000)];
const exhaustedAt = (exportedOn: string): Dated<PermitEvent> => ({
  type: 'PermitExhausted',
  effectiveAt: day(exportedOn),
  data: { permitNumber: N },
});
const EXHAUSTED = [issued, shipped('D-ALL', '2020-06-01', EVERYTHING), exhaustedAt('2020-06-01')];

function thrown(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('RecordShipment', () => {
  it('records the declaration, effective at 00:00Z of the export date', () => {
    spec
      .given([issued])
      .when(ship('D-1', '2020-06-01', [line(0, 2, 1_600_000)]))
      .then([recorded('D-1', '2020-06-01', [line(0, 2, 1_600_000)])]);
    spec
      .given([issued])
      .when(ship('D-1', '2020-06-01', [line(0, 2, 1_600_000)], '2020-06-09'))
      .thenAt([{ type: 'ShipmentRecorded', effectiveAt: day('2020-06-01') }]);
  });

  it('records only the known fields of each line', () => {
    const extra = { ...line(0, 1, 1), note: 'x' } as ShipmentLine;
    spec
      .given([issued])
      .when(ship('D-1', '2020-06-01', [extra]))
      .then([recorded('D-1', '2020-06-01', [line(0, 1, 1)])]);
  });

  describe('the permit must have been ISSUED on the export date', () => {
    const refusedAs = (history: Dated<PermitEvent>[], command: RecordShipment, status: string) => {
      const error = thrown(() => decidePermit(command, foldPermit(history), { destination }));
      expect({ code: error.code, kind: error.kind, field: error.field, details: error.details }).toEqual({
        code: 'PERMIT_NOT_VALID_FOR_EXPORT',
        kind: 'conflict',
        field: 'exportedOn',
        details: { statusOnExportDate: status },
      });
      expect(error.message).toContain(status);
    };

    it('before it was issued or valid: NOT_YET_VALID', () => {
      refusedAs([issued], ship('D-1', '2020-05-13', [line(0, 1, 1)]), 'NOT_YET_VALID');
      const later: Dated<PermitEvent> = { ...issued, data: { ...issued.data, validFrom: '2020-05-20' } as never };
      refusedAs([later], ship('D-1', '2020-05-19', [line(0, 1, 1)]), 'NOT_YET_VALID');
      spec
        .given([issued])
        .when(ship('D-1', '2020-05-15', [line(0, 1, 1)]))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
    });

    it('on the day it was issued (validFrom that day or before): recorded, though issued at noon', () => {
      spec
        .given([issued])
        .when(ship('D-1', '2020-05-14', [line(0, 1, 1)]))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
      const backdated: Dated<PermitEvent> = { ...issued, data: { ...issued.data, validFrom: '2020-05-01' } as never };
      refusedAs([backdated], ship('D-1', '2020-05-13', [line(0, 1, 1)]), 'NOT_YET_VALID');
      spec
        .given([backdated])
        .when(ship('D-1', '2020-05-14', [line(0, 1, 1)]))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
    });

    it('on the day of a suspension taking effect mid-day: SUSPENDED, whatever hour the goods left', () => {
      const atTwo: Dated<PermitEvent> = { ...suspended, effectiveAt: '2020-10-05T14:00:00.000Z' };
      refusedAs([issued, atTwo], ship('D-1', '2020-10-05', [line(0, 1, 1)], '2020-10-06'), 'SUSPENDED');
      spec
        .given([issued, atTwo])
        .when(ship('D-1', '2020-10-04', [line(0, 1, 1)], '2020-10-06'))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
      const reinstatedAtTwo: Dated<PermitEvent> = { ...reinstated, effectiveAt: '2020-12-01T14:00:00.000Z' };
      spec
        .given([issued, atTwo, reinstatedAtTwo])
        .when(ship('D-1', '2020-12-01', [line(0, 1, 1)], '2020-12-02'))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
    });

    it('on the day of a cancellation taking effect mid-day: CANCELLED', () => {
      const atNoon: Dated<PermitEvent> = { ...cancelled, effectiveAt: noon('2021-04-12') };
      refusedAs([issued, atNoon], ship('D-1', '2021-04-12', [line(0, 1, 1)], '2021-04-13'), 'CANCELLED');
    });

    it('from the day it was suspended: SUSPENDED, also when declared after the reinstatement', () => {
      refusedAs([issued, suspended], ship('D-1', '2020-10-05', [line(0, 1, 1)]), 'SUSPENDED');
      refusedAs([issued, suspended, reinstated], ship('D-1', '2020-11-30', [line(0, 1, 1)], '2020-12-02'), 'SUSPENDED');
      spec
        .given([issued, suspended, reinstated])
        .when(ship('D-1', '2020-12-01', [line(0, 1, 1)]))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
    });

    it('a late declaration for an export before the suspension is recorded, in its place', () =>
      spec
        .given([issued, suspended])
        .when(ship('D-LATE', '2020-10-04', [line(0, 1, 800_000)], '2020-11-20'))
        .thenAt([{ type: 'ShipmentRecorded', effectiveAt: day('2020-10-04') }]));

    it('on a cancelled permit: CANCELLED from its cancellation; before, SUSPENDED or recorded', () => {
      const history = [issued, suspended, cancelled];
      refusedAs(history, ship('D-1', '2021-04-12', [line(0, 1, 1)]), 'CANCELLED');
      refusedAs(history, ship('D-1', '2021-01-10', [line(0, 1, 1)], '2021-05-01'), 'SUSPENDED');
      spec
        .given(history)
        .when(ship('D-1', '2020-09-01', [line(0, 1, 1)], '2021-05-01'))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
    });

    it('at or after 00:00Z of expiresOn: EXPIRED, recorded or not', () => {
      refusedAs([issued], ship('D-1', '2021-06-30', [line(0, 1, 1)], '2021-07-02'), 'EXPIRED');
      refusedAs([issued, expired], ship('D-1', '2021-07-01', [line(0, 1, 1)]), 'EXPIRED');
      spec
        .given([issued, expired])
        .when(ship('D-1', '2021-06-29', [line(0, 1, 1)], '2021-07-01'))
        .thenMatch([{ type: 'ShipmentRecorded' }]);
    });

    it('after it was exhausted: EXHAUSTED, also once past its expiry', () => {
      refusedAs(EXHAUSTED, ship('D-2', '2020-06-02', [line(0, 1, 0)]), 'EXHAUSTED');
      refusedAs(EXHAUSTED, ship('D-2', '2021-07-01', [line(0, 1, 0)]), 'EXHAUSTED');
    });
  });

  describe('what is left of each item', () => {
    const history = [issued, shipped('D-1', '2020-06-01', [line(0, 3, 2_400_000)])];

    it('refuses a line over the remaining quantity, naming it', () =>
      spec
        .given(history)
        .when(ship('D-2', '2020-06-02', [line(1, 1, 1), line(0, 3, 1)]))
        .thenThrows('SHIPMENT_EXCEEDS_PERMIT', {
          field: 'lines[1].quantity',
          message: 'line 1 would ship more of item 0 (2-15.a) than its remaining quantity 2',
        }));

    it('refuses a line over the remaining value, naming it', () =>
      spec
        .given(history)
        .when(ship('D-2', '2020-06-02', [line(0, 1, 1_600_000.01)]))
        .thenThrows('SHIPMENT_EXCEEDS_PERMIT', {
          field: 'lines[0].valueCad',
          message: 'line 0 would ship more of item 0 (2-15.a) than its remaining valueCad 1600000',
        }));

    it('adds up the lines of one declaration for the same item', () =>
      spec
        .given(history)
        .when(ship('D-2', '2020-06-02', [line(0, 1, 100), line(0, 1, 100), line(0, 1, 100)]))
        .thenThrows('SHIPMENT_EXCEEDS_PERMIT', {
          field: 'lines[2].quantity',
          message: 'line 2 would ship more of item 0 (2-15.a) than its remaining quantity 2',
        }));

    it('ships exactly what is left of one item without exhausting the permit', () =>
      spec
        .given(history)
        .when(ship('D-2', '2020-06-02', [line(0, 2, 1_600_000)]))
        .thenMatch([{ type: 'ShipmentRecorded' }]));

    it('refuses more of an item whose value is used up, even at no value', () =>
      spec
        .given([issued, shipped('D-1', '2020-06-01', [line(1, 1, 1_600_000)])])
        .when(ship('D-2', '2020-06-02', [line(1, 1, 0)]))
        .thenThrows('SHIPMENT_EXCEEDS_PERMIT', {
          field: 'lines[0].quantity',
          message: 'line 0 would ship more of item 1 (2-15.a) than its remaining quantity 1',
        }));

    it('folds what was shipped into the usage of each item', () =>
      expect(usageOf(foldPermit([...history, shipped('D-2', '2020-06-02', [line(1, 1, 0.1), line(1, 0.5, 0.2)])]) as never)).toEqual([
        { item: 0, quantityShipped: 3, valueShippedCad: 2_400_000, quantityRemaining: 2, valueRemainingCad: 1_600_000 },
        { item: 1, quantityShipped: 1.5, valueShippedCad: 0.3, quantityRemaining: 0.5, valueRemainingCad: 1_599_999.7 },
      ]));
  });

  describe('exhaustion', () => {
    it('the declaration that uses up every item exhausts the permit, at its export date', () => {
      const history = [issued, shipped('D-1', '2020-06-01', [line(0, 5, 4_000_000)])];
      spec
        .given(history)
        .when(ship('D-2', '2020-07-01', [line(1, 2, 1_600_000)], '2020-07-03'))
        .then([recorded('D-2', '2020-07-01', [line(1, 2, 1_600_000)]), { type: 'PermitExhausted', data: { permitNumber: N } }]);
      spec
        .given(history)
        .when(ship('D-2', '2020-07-01', [line(1, 2, 1_600_000)], '2020-07-03'))
        .thenAt([
          { type: 'ShipmentRecorded', effectiveAt: day('2020-07-01') },
          { type: 'PermitExhausted', effectiveAt: day('2020-07-01') },
        ]);
    });

    it('a late declaration exhausts a permit suspended since: EXHAUSTED after the suspension, not before it', () => {
      spec
        .given([issued, suspended])
        .when(ship('D-ALL', '2020-09-01', EVERYTHING, '2020-11-01'))
        .thenAt([
          { type: 'ShipmentRecorded', effectiveAt: day('2020-09-01') },
          { type: 'PermitExhausted', effectiveAt: day('2020-10-05') },
        ]);
      const state = foldPermit([issued, suspended, shipped('D-ALL', '2020-09-01', EVERYTHING), exhaustedAt('2020-10-05')]);
      expect(state).toMatchObject({
        status: 'EXHAUSTED',
        exhaustedAt: day('2020-10-05'),
        suspendedAt: day('2020-10-05'),
        statusHistory: [
          { status: 'ISSUED', from: noon('2020-05-14') },
          { status: 'SUSPENDED', from: day('2020-10-05') },
          { status: 'EXHAUSTED', from: day('2020-10-05') },
        ],
      });
      expect(state.status !== 'NONE' && [statusOn(state, '2020-08-31'), statusOn(state, '2020-11-01')]).toEqual(['ISSUED', 'EXHAUSTED']);
    });

    it('a late declaration exhausts a permit at the last effective time of its stream, when that is after the export', () =>
      spec
        .given([issued, shipped('D-1', '2020-06-01', [line(0, 5, 4_000_000)]), { ...suspended, effectiveAt: noon('2020-06-20') }])
        .when(ship('D-2', '2020-06-10', [line(1, 2, 1_600_000)], '2020-07-01'))
        .thenAt([
          { type: 'ShipmentRecorded', effectiveAt: day('2020-06-10') },
          { type: 'PermitExhausted', effectiveAt: noon('2020-06-20') },
        ]));

    it('a permit cancelled since keeps its end: the late declaration that uses it up only counts as shipped', () =>
      spec
        .given([issued, suspended, cancelled])
        .when(ship('D-ALL', '2020-09-01', EVERYTHING, '2021-05-01'))
        .thenMatch([{ type: 'ShipmentRecorded' }]));

    it('a declaration dated before the exhaustion finds nothing left', () =>
      spec
        .given(EXHAUSTED)
        .when(ship('D-2', '2020-05-20', [line(0, 1, 0)]))
        .thenThrows('SHIPMENT_EXCEEDS_PERMIT', {
          field: 'lines[0].quantity',
          message: 'line 0 would ship more of item 0 (2-15.a) than its remaining quantity 0',
        }));

    const others: PermitCommand[] = [
      { type: 'AmendPermit', effectiveAt: noon('2020-07-01'), data: { permitNumber: N, changes: { conditions: [] }, reason: 'r' } },
      { type: 'SuspendPermit', effectiveAt: noon('2020-07-01'), data: { permitNumber: N, ...legal } },
      { type: 'ReinstatePermit', effectiveAt: noon('2020-07-01'), data: { permitNumber: N, ...legal } },
      { type: 'OpenReview', effectiveAt: noon('2020-07-01'), data: { permitNumber: N, reviewId: 'R-1', reason: 'r' } },
      {
        type: 'RecordReviewFinding',
        effectiveAt: noon('2020-07-01'),
        data: { permitNumber: N, reviewId: 'R-1', finding: 'f', assuranceBreached: false },
      },
      {
        type: 'ConcludeReview',
        effectiveAt: noon('2020-07-01'),
        data: { permitNumber: N, reviewId: 'R-1', outcome: 'no_action', summary: 's' },
      },
      { type: 'CancelPermit', effectiveAt: noon('2020-07-01'), data: { permitNumber: N, ...legal } },
      { type: 'ExpirePermit', effectiveAt: noon('2021-07-01'), data: { permitNumber: N } },
    ];
    it.each(others.map((c) => [c.type, c] as const))('%s on an EXHAUSTED permit: PERMIT_TERMINAL', (_, command) =>
      spec
        .given(EXHAUSTED)
        .when(command)
        .thenThrows('PERMIT_TERMINAL', { message: 'permit EXP-20-005181 is EXHAUSTED; nothing more can happen to it' }),
    );

    it('IssuePermit on an EXHAUSTED permit: PERMIT_ALREADY_EXISTS', () => {
      const { effectiveAt: _, ...event } = issued;
      const data = { ...(event.data as Record<string, unknown>) };
      spec
        .given(EXHAUSTED)
        .when({ type: 'IssuePermit', effectiveAt: noon('2020-07-01'), data } as PermitCommand)
        .thenThrows('PERMIT_ALREADY_EXISTS', { message: 'permit EXP-20-005181 already exists (EXHAUSTED)' });
    });
  });

  describe('the same declaration again', () => {
    const history = [issued, shipped('D-1', '2020-06-01', [line(0, 2, 1_600_000)])];

    it('with the same lines and date: nothing to change (the first answer stands), whoever sends it and whenever', () => {
      spec
        .given(history)
        .when(ship('D-1', '2020-06-01', [line(0, 2, 1_600_000)], '2020-06-20'))
        .then([]);
      spec
        .given([...history, suspended])
        .when(ship('D-1', '2020-06-01', [line(0, 2, 1_600_000)], '2020-10-20'))
        .then([]);
      spec
        .given(EXHAUSTED)
        .when(ship('D-ALL', '2020-06-01', EVERYTHING))
        .then([]);
    });

    it.each([
      ['a line added', [line(0, 2, 1_600_000), line(1, 1, 1)]],
      ['another item', [line(1, 2, 1_600_000)]],
      ['another value', [line(0, 2, 1_599_999)]],
      ['its first line and another', [line(0, 2, 1_600_000), line(1, 1, 1)]],
    ])('with %s: DECLARATION_ALREADY_RECORDED', (_, lines) =>
      spec
        .given(history)
        .when(ship('D-1', '2020-06-01', lines))
        .thenThrows('DECLARATION_ALREADY_RECORDED', { field: 'declarationRef', message: 'declaration D-1 was recorded' }),
    );

    it.each([
      ['a line left out', [line(0, 1, 1)]],
      ['its first line and another', [line(0, 1, 1), line(1, 2, 1)]],
    ])('of two lines, with %s: DECLARATION_ALREADY_RECORDED', (_, lines) =>
      spec
        .given([issued, shipped('D-1', '2020-06-01', [line(0, 1, 1), line(1, 1, 1)])])
        .when(ship('D-1', '2020-06-01', lines))
        .thenThrows('DECLARATION_ALREADY_RECORDED', { field: 'declarationRef', message: 'declaration D-1 was recorded' }),
    );

    it('with other lines or another date: DECLARATION_ALREADY_RECORDED', () => {
      spec
        .given(history)
        .when(ship('D-1', '2020-06-01', [line(0, 1, 1_600_000)]))
        .thenThrows('DECLARATION_ALREADY_RECORDED', {
          field: 'declarationRef',
          message: 'declaration D-1 was recorded against permit EXP-20-005181 with other content (exported on 2020-06-01)',
        });
      spec
        .given(history)
        .when(ship('D-1', '2020-06-02', [line(0, 2, 1_600_000)]))
        .thenThrows('DECLARATION_ALREADY_RECORDED', {
          field: 'declarationRef',
          message: 'declaration D-1 was recorded against permit EXP-20-005181 with other content (exported on 2020-06-01)',
        });
    });
  });

  describe('the declaration itself', () => {
    const noSuchItem = "item must be the index of one of the permit's 2 item(s)";
    it.each([
      ['no lines', [], 'lines', 'a declaration needs at least one line'],
      ['an item the permit does not have', [line(2, 1, 1)], 'lines[0].item', noSuchItem],
      ['a fractional item index', [line(0.5, 1, 1)], 'lines[0].item', noSuchItem],
      ['a negative item index', [line(-1, 1, 1)], 'lines[0].item', noSuchItem],
      ['an item index as text', [line('0' as never, 1, 1)], 'lines[0].item', noSuchItem],
      ['a line that is not an object', [line(0, 1, 1), null], 'lines[1].item', noSuchItem],
      ['lines that are not a list', { 0: line(0, 1, 1), length: 1 }, 'lines', 'a declaration needs at least one line'],
      [
        'a quantity as text',
        [line(0, '1' as never, 1)],
        'lines[0].quantity',
        'quantity must be a positive number: a whole one, at most 1000000000',
      ],
      [
        'a quantity above 1e9',
        [line(0, 1e9 + 1, 1)],
        'lines[0].quantity',
        'quantity must be a positive number: a whole one, at most 1000000000',
      ],
      [
        'a value as text',
        [line(0, 1, '1' as never)],
        'lines[0].valueCad',
        'valueCad must be a non-negative amount: at most 1000000000000 CAD, with at most two decimals',
      ],
      ['no quantity', [line(0, 0, 1)], 'lines[0].quantity', 'quantity must be a positive number: a whole one, at most 1000000000'],
      [
        'a negative value',
        [line(0, 1, -1)],
        'lines[0].valueCad',
        'valueCad must be a non-negative amount: at most 1000000000000 CAD, with at most two decimals',
      ],
    ] as Array<[string, ShipmentLine[], string, string]>)('refuses %s: INVALID_SHIPMENT', (_, lines, field, message) =>
      spec
        .given([issued])
        .when(ship('D-1', '2020-06-01', lines))
        .thenThrows('INVALID_SHIPMENT', { field, message }),
    );

    it('refuses an export date after the declaration, or not a date: INVALID_DATE', () => {
      spec
        .given([issued])
        .when(ship('D-1', '2020-06-02', [line(0, 1, 1)], '2020-06-01'))
        .thenThrows('INVALID_DATE', {
          field: 'exportedOn',
          message: 'exportedOn 2020-06-02 is after the declaration (2020-06-01T12:00:00.000Z)',
        });
      spec
        .given([issued])
        .when(ship('D-1', '2020-06-31', [line(0, 1, 1)], '2020-07-01'))
        .thenThrows('INVALID_DATE', { field: 'exportedOn', message: 'exportedOn must be a calendar date YYYY-MM-DD' });
    });

    it('accepts a declaration sent at 00:00Z of the export date', () =>
      spec
        .given([issued])
        .when({ ...ship('D-1', '2020-06-01', [line(0, 1, 1)]), effectiveAt: day('2020-06-01') })
        .thenMatch([{ type: 'ShipmentRecorded' }]));

    it('refuses a malformed effectiveAt', () =>
      spec
        .given([issued])
        .when({ ...ship('D-1', '2020-06-01', [line(0, 1, 1)]), effectiveAt: '2020-06-01' })
        .thenThrows('INVALID_DATE', { field: 'effectiveAt', message: 'effectiveAt must be an ISO 8601 timestamp with offset' }));

    it('refuses a declaration without a reference, or for no permit', () => {
      spec
        .given([issued])
        .when(ship(' ', '2020-06-01', [line(0, 1, 1)]))
        .thenThrows('REQUIRED_FIELD_MISSING', { field: 'declarationRef', message: 'declarationRef is required' });
      spec
        .given([])
        .when(ship('D-1', '2020-06-01', [line(0, 1, 1)]))
        .thenThrows('PERMIT_NOT_FOUND', { message: 'permit EXP-20-005181 does not exist' });
    });
  });

  it('a late declaration does not move the last effective time back: other commands keep their rule', () => {
    const history = [issued, suspended, shipped('D-LATE', '2020-09-01', [line(0, 1, 1)])];
    expect(foldPermit(history)).toMatchObject({ lastEffectiveAt: day('2020-10-05') });
    spec
      .given(history)
      .when({ type: 'ReinstatePermit', effectiveAt: noon('2020-10-04'), data: { permitNumber: N, ...legal } })
      .thenThrows('EFFECTIVE_AT_BEFORE_LAST_EVENT', {
        field: 'effectiveAt',
        message: "effectiveAt 2020-10-04T12:00:00.000Z is before the stream's last event (2020-10-05T00:00:00.000Z)",
      });
  });

  it('a fold of the events in effect at a date (append order) shows the permit as it stood then', () => {
    // Recorded: issued, suspended 2020-10-05, then a declaration for 2020-09-01 that used everything up.
    const log = [issued, suspended, shipped('D-ALL', '2020-09-01', EVERYTHING), exhaustedAt('2020-09-01')];
    const asOf = (date: string) => foldPermit(log.filter((e) => Date.parse(e.effectiveAt) <= Date.parse(`${date}T23:59:59.999Z`)));
    expect(asOf('2020-09-01')).toMatchObject({ status: 'EXHAUSTED', suspendedAt: null });
    expect(asOf('2020-08-31')).toMatchObject({ status: 'ISSUED', shipments: [] });
    expect(asOf('2020-12-31')).toMatchObject({ status: 'EXHAUSTED', suspendedAt: day('2020-10-05') });
  });
});

describe('AmendPermit against what was shipped', () => {
  const history = [issued, shipped('D-1', '2020-06-01', [line(0, 3, 2_400_000), line(1, 2, 1_600_000)])];
  const amend = (lines: PermitItem[]): PermitCommand => ({
    type: 'AmendPermit',
    effectiveAt: noon('2020-07-01'),
    data: { permitNumber: N, changes: { items: lines }, reason: 'Exporter request' },
  });

  it('refuses a quantity below what was shipped: AMENDMENT_BELOW_SHIPPED', () =>
    spec
      .given(history)
      .when(amend([{ ...items[0]!, quantity: 2 }, items[1]!]))
      .thenThrows('AMENDMENT_BELOW_SHIPPED', {
        field: 'changes.items[0].quantity',
        message: 'line 0 would authorize quantity 2, less than the 3 already shipped',
      }));

  it('refuses a value below what was shipped: AMENDMENT_BELOW_SHIPPED', () =>
    spec
      .given(history)
      .when(amend([{ ...items[0]!, valueCad: 2_399_999 }, items[1]!]))
      .thenThrows('AMENDMENT_BELOW_SHIPPED', {
        field: 'changes.items[0].valueCad',
        message: 'line 0 would authorize valueCad 2399999, less than the 2400000 already shipped',
      }));

  it('lowers an item to what was shipped; when that leaves nothing, the permit is exhausted', () => {
    spec
      .given(history)
      .when(amend([{ ...items[0]!, quantity: 4 }, items[1]!]))
      .thenMatch([{ type: 'PermitAmended' }]);
    spec
      .given(history)
      .when(amend([{ ...items[0]!, quantity: 3, valueCad: 3_000_000 }, items[1]!]))
      .thenMatch([
        { type: 'PermitAmended', data: { totalValueCad: 4_600_000 } },
        { type: 'PermitExhausted', data: { permitNumber: N } },
      ]);
    spec
      .given(history)
      .when(amend([{ ...items[0]!, quantity: 3, valueCad: 3_000_000 }, items[1]!]))
      .thenAt([
        { type: 'PermitAmended', effectiveAt: noon('2020-07-01') },
        { type: 'PermitExhausted', effectiveAt: noon('2020-07-01') },
      ]);
  });
});

describe('criteria on suspensions, cancellations and review findings', () => {
  const suspend = (criteria?: unknown): PermitCommand =>
    ({ type: 'SuspendPermit', effectiveAt: noon('2020-10-05'), data: { permitNumber: N, ...legal, criteria } }) as PermitCommand;

  it('records the codes cited, each once, in the order given', () =>
    spec
      .given([issued])
      .when(suspend(['IHL_VIOLATION', 'PEACE_AND_SECURITY', 'IHL_VIOLATION']))
      .thenMatch([{ type: 'PermitSuspended', data: { criteria: ['IHL_VIOLATION', 'PEACE_AND_SECURITY'] } }]));

  it.each([undefined, null])('leaves the event as it was when none are cited (%s)', (criteria) => {
    const [event] = decidePermit(suspend(criteria), foldPermit([issued]), { destination });
    expect(Object.keys(event!.data)).not.toContain('criteria');
  });

  it('refuses an unknown code, naming it: UNKNOWN_CRITERION', () => {
    spec
      .given([issued])
      .when(suspend(['IHL_VIOLATION', 'BAD_VIBES']))
      .thenThrows('UNKNOWN_CRITERION', { field: 'criteria[1]', message: '"BAD_VIBES" is not a known criterion code' });
    spec
      .given([issued])
      .when(suspend('IHL_VIOLATION'))
      .thenThrows('UNKNOWN_CRITERION', { field: 'criteria', message: 'criteria must be a list of criterion codes' });
  });

  it('on a cancellation and a review finding too', () => {
    spec
      .given([issued, suspended])
      .when({
        type: 'CancelPermit',
        effectiveAt: noon('2021-04-12'),
        data: { permitNumber: N, ...legal, criteria: ['END_USE_ASSURANCE_BREACH'] },
      })
      .thenMatch([{ type: 'PermitCancelled', data: { criteria: ['END_USE_ASSURANCE_BREACH'] } }]);
    const opened: Dated<PermitEvent> = {
      type: 'PermitReviewOpened',
      effectiveAt: day('2020-10-05'),
      data: { permitNumber: N, reviewId: 'R-1', reason: 'r', decisionRef: null },
    };
    spec
      .given([issued, opened])
      .when({
        type: 'RecordReviewFinding',
        effectiveAt: noon('2020-12-01'),
        data: { permitNumber: N, reviewId: 'R-1', finding: 'f', assuranceBreached: true, criteria: ['END_USE_ASSURANCE_BREACH'] },
      })
      .thenMatch([{ type: 'PermitReviewFindingRecorded', data: { criteria: ['END_USE_ASSURANCE_BREACH'] } }]);
    expect(() => checkCriteria(['nope'], 'criteria')).toThrow(DomainError);
  });
});
