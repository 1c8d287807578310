import { describe, expect, it } from '@jest/globals';
import { decideApplication } from './application.js';
import type { PermitCommand } from './commands.js';
import { initialDestinationState } from './destination.js';
import { DomainError } from './errors.js';
import type { Dated, PermitEvent, ShipmentLine } from './events.js';
import { decidePermit, foldPermit, initialPermitState, usageOf, type ExistingPermit, type PermitState } from './permit.js';
import { noon } from './testing/fixture.js';
import type { PermitItem } from './types.js';

/* Money and quantities: bounded, whole quantities, amounts exact in cents, so that no event holds a non-finite number. */
const N = 'EXP-20-007001';
const context = { destination: initialDestinationState('TR') };
const item = (overrides: Partial<PermitItem> = {}): PermitItem => ({
  eclItem: '2-15.a',
  description: 'EO/IR sensor',
  quantity: 5,
  unit: 'unit',
  valueCad: 1_000,
  ...overrides,
});
const parties = {
  exporter: { name: 'Northfield Optronics' },
  consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
  endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
  intendedEndUse: 'Integration in UAV targeting pods',
};
const issue = (items: PermitItem[]): PermitCommand => ({
  type: 'IssuePermit',
  effectiveAt: noon('2020-05-14'),
  data: { permitNumber: N, destination: 'TR', ...parties, items, validFrom: '2020-05-14', expiresOn: '2021-06-30', conditions: [] },
});

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}
const refusedIssue = (items: PermitItem[]) => refusal(() => decidePermit(issue(items), initialPermitState, context));

/** A permit issued with `items`, as its stream folds. */
function issued(items: PermitItem[]): { state: PermitState; events: Dated<PermitEvent>[] } {
  const events = decidePermit(issue(items), initialPermitState, context).map((e) => ({ ...e, effectiveAt: noon('2020-05-14') }));
  return { state: foldPermit(events), events };
}
const ship = (lines: ShipmentLine[], ref = 'D-1'): PermitCommand => ({
  type: 'RecordShipment',
  effectiveAt: noon('2020-06-01'),
  data: { permitNumber: N, declarationRef: ref, lines, exportedOn: '2020-06-01' },
});
const line = (quantity: number, valueCad: number): ShipmentLine => ({ item: 0, quantity, valueCad });

describe('item amounts and quantities', () => {
  it.each([
    ['1e308', 1e308],
    ['more than 1e12', 1e12 + 0.01],
    ['three decimals', 0.001],
    ['1e-7', 1e-7],
    ['1e-320', 1e-320],
    ['negative', -1],
    ['NaN', Number.NaN],
  ])('refuses a valueCad of %s, naming the field', (_, valueCad) => {
    const error = refusedIssue([item(), item({ valueCad })]);
    expect([error.code, error.kind, error.field]).toEqual(['INVALID_ITEMS', 'invalid', 'items[1].valueCad']);
  });

  it.each([
    ['2^53 + 2', 2 ** 53 + 2],
    ['more than 1e9', 1e9 + 1],
    ['fractional', 1.5],
    ['zero', 0],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('refuses a quantity of %s, naming the field', (_, quantity) => {
    const error = refusedIssue([item({ quantity })]);
    expect([error.code, error.field]).toEqual(['INVALID_ITEMS', 'items[0].quantity']);
  });

  it('accepts the bounds themselves, and two decimals recorded exactly in the total', () => {
    const [event] = decidePermit(
      issue([item({ quantity: 1e9, valueCad: 1e12 }), item({ valueCad: 0.1 }), item({ valueCad: 0.2 })]),
      initialPermitState,
      context,
    );
    expect(event).toMatchObject({ type: 'PermitIssued', data: { totalValueCad: 1_000_000_000_000.3 } });
  });

  it('refuses items whose total is too large to record exactly, naming items', () => {
    const error = refusedIssue(Array.from({ length: 100 }, () => item({ valueCad: 1e12 })));
    expect([error.code, error.kind, error.field, error.message]).toEqual([
      'INVALID_ITEMS',
      'invalid',
      'items',
      'the total value is too large to record exactly',
    ]);
  });

  it('holds an amendment and an application to the same rules', () => {
    const { state } = issued([item()]);
    const amend: PermitCommand = {
      type: 'AmendPermit',
      effectiveAt: noon('2020-05-20'),
      data: { permitNumber: N, changes: { items: [item({ valueCad: 1e308 })] }, reason: 'typo' },
    };
    expect(refusal(() => decidePermit(amend, state, context)).field).toBe('changes.items[0].valueCad');

    const submit = (items: PermitItem[]) =>
      refusal(() =>
        decideApplication(
          {
            type: 'SubmitApplication',
            effectiveAt: noon('2020-05-14'),
            data: { applicationRef: 'APP-1', destination: 'TR', ...parties, items },
          },
          { status: 'NONE', applicationRef: 'APP-1' },
          { destination: context.destination, permit: initialPermitState },
        ),
      );
    expect([submit([item({ valueCad: 1e308 })]).code, submit([item({ valueCad: 1e308 })]).field]).toEqual([
      'INVALID_ITEMS',
      'items[0].valueCad',
    ]);
    expect(submit([item({ quantity: 2 ** 53 + 2 })]).field).toBe('items[0].quantity');
    expect(submit(Array.from({ length: 100 }, () => item({ valueCad: 1e12 }))).field).toBe('items');
  });
});

describe('shipment lines', () => {
  it.each([
    ['a fractional quantity', line(0.1, 0), 'lines[0].quantity'],
    ['a quantity above 1e9', line(2 ** 53 + 2, 0), 'lines[0].quantity'],
    ['a value with three decimals', line(1, 0.004), 'lines[0].valueCad'],
    ['a value of 1e-7', line(1, 1e-7), 'lines[0].valueCad'],
    ['a value of 1e308', line(1, 1e308), 'lines[0].valueCad'],
  ])('refuses %s, naming the field', (_, bad, field) => {
    const { state } = issued([item({ quantity: 1, valueCad: 1 })]);
    const error = refusal(() => decidePermit(ship([bad]), state, context));
    expect([error.code, error.kind, error.field]).toEqual(['INVALID_SHIPMENT', 'invalid', field]);
  });

  it('adds values in cents: the check and the fold agree exactly', () => {
    const { state, events } = issued([item({ quantity: 1000, valueCad: 1 })]);
    const cents = Array.from({ length: 100 }, () => line(1, 0.01));
    const over = refusal(() => decidePermit(ship([...cents, line(1, 0.01)]), state, context));
    expect([over.code, over.field]).toEqual(['SHIPMENT_EXCEEDS_PERMIT', 'lines[100].valueCad']);

    const recorded = decidePermit(ship(cents), state, context);
    expect(recorded.map((e) => e.type)).toEqual(['ShipmentRecorded', 'PermitExhausted']);
    const after = foldPermit([...events, ...recorded.map((e) => ({ ...e, effectiveAt: noon('2020-06-01') }))]) as ExistingPermit;
    expect(usageOf(after)[0]).toMatchObject({ quantityShipped: 100, valueShippedCad: 1, valueRemainingCad: 0 });
  });

  it('0.10 and 0.20 use up an item of 0.30, over two declarations', () => {
    const { state, events } = issued([item({ quantity: 10, valueCad: 0.3 })]);
    const first = decidePermit(ship([line(1, 0.1)], 'D-1'), state, context).map((e) => ({ ...e, effectiveAt: noon('2020-06-01') }));
    const between = foldPermit([...events, ...first]) as ExistingPermit;
    expect(usageOf(between)[0]!.valueRemainingCad).toBe(0.2);
    expect(decidePermit(ship([line(1, 0.2)], 'D-2'), between, context).map((e) => e.type)).toEqual(['ShipmentRecorded', 'PermitExhausted']);
    expect(refusal(() => decidePermit(ship([line(1, 0.21)], 'D-2'), between, context)).code).toBe('SHIPMENT_EXCEEDS_PERMIT');
  });

  it('whole quantities: one unit left takes exactly one', () => {
    const { state } = issued([item({ quantity: 1, valueCad: 0 })]);
    expect(decidePermit(ship([line(1, 0)]), state, context).map((e) => e.type)).toEqual(['ShipmentRecorded', 'PermitExhausted']);
    expect(refusal(() => decidePermit(ship([line(1, 0), line(1, 0)]), state, context)).field).toBe('lines[1].quantity');
  });
});
