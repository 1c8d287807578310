import { describe, expect, it } from '@jest/globals';
import type { IssuePermit, PermitCommand } from './commands.js';
import { foldDestination, initialDestinationState, type DestinationState } from './destination.js';
import { DomainError } from './errors.js';
import type { Dated, DestinationEvent, PermitEvent, PermitIssued } from './events.js';
import { permitDecider } from './deciders.js';
import { decidePermit, foldPermit, initialPermitState, type ExistingPermit } from './permit.js';
import { deciderSpec } from './testing/decider-spec.js';
import { day, NATO, noon, TR_HALT_2019, trMeasureHistory } from './testing/fixture.js';
import type { PermitItem } from './types.js';

const TR = foldDestination('TR', trMeasureHistory);
const specFor = (destination: DestinationState = TR) => deciderSpec(permitDecider, { id: 'EXP-20-005181', context: { destination } });
const spec = specFor();

// EXP-20-005181: 7 sensors to Anadolu UAV Systems, issued 2020-05-14 under the NATO ground, valid to 2021-06-30.
const N = 'EXP-20-005181';
const sensors: PermitItem[] = [
  { eclItem: '2-15.a', description: 'EO/IR targeting sensor', quantity: 5, unit: 'unit', valueCad: 4_000_000 },
  { eclItem: '2-15.a', description: 'EO/IR sensor spare', quantity: 2, unit: 'unit', valueCad: 1_600_000 },
];
const issueData = (over: Partial<IssuePermit['data']> = {}): IssuePermit['data'] => ({
  permitNumber: N,
  destination: 'TR',
  exporter: { name: 'Northfield Optronics', businessNumber: '123456789', country: 'CA' },
  consignee: { name: 'Anadolu UAV Systems', country: 'TR', address: 'Ankara' },
  endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
  intendedEndUse: 'Integration in UAV targeting pods',
  items: sensors,
  validFrom: '2020-05-14',
  expiresOn: '2021-06-30',
  conditions: [{ code: 'NO-REEXPORT', text: 'No re-export without a permit' }],
  exceptionGround: NATO,
  supersedes: null,
  ...over,
});
const issue = (effectiveAt = noon('2020-05-14'), over: Partial<IssuePermit['data']> = {}): IssuePermit => ({
  type: 'IssuePermit',
  effectiveAt,
  data: issueData(over),
});

const valid2024 = { validFrom: '2024-05-10', expiresOn: '2026-05-09' };

const issuedData: PermitIssued['data'] = { ...issueData(), exceptionGround: NATO, supersedes: null, totalValueCad: 5_600_000 };
const issued: Dated<PermitEvent> = { type: 'PermitIssued', effectiveAt: noon('2020-05-14'), data: issuedData };
const suspended: Dated<PermitEvent> = {
  type: 'PermitSuspended',
  effectiveAt: day('2020-10-05'),
  data: { permitNumber: N, reason: 'Hostilities in Nagorno-Karabakh', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-2020-10-05' },
};
const reviewOpened: Dated<PermitEvent> = {
  type: 'PermitReviewOpened',
  effectiveAt: day('2020-10-05'),
  data: { permitNumber: N, reviewId: 'R-1', reason: 'Allegations of use in Nagorno-Karabakh', decisionRef: 'MIN-2020-10-05' },
};
const finding: Dated<PermitEvent> = {
  type: 'PermitReviewFindingRecorded',
  effectiveAt: noon('2020-12-01'),
  data: {
    permitNumber: N,
    reviewId: 'R-1',
    finding: 'Sensor imaged on a downed UAV',
    theatre: 'Nagorno-Karabakh',
    evidenceRef: 'EV-17',
    assuranceBreached: true,
  },
};
const concluded: Dated<PermitEvent> = {
  type: 'PermitReviewConcluded',
  effectiveAt: noon('2021-03-01'),
  data: { permitNumber: N, reviewId: 'R-1', outcome: 'cancellation_recommended', summary: 'End-use assurances breached' },
};
const cancelled: Dated<PermitEvent> = {
  type: 'PermitCancelled',
  effectiveAt: day('2021-04-12'),
  data: {
    permitNumber: N,
    reason: 'Credible evidence of diversion',
    legalBasis: 'EIPA s.10(1)',
    decisionRef: 'MIN-2021-04-12',
    reviewId: 'R-1',
  },
};
const expired: Dated<PermitEvent> = {
  type: 'PermitExpired',
  effectiveAt: day('2021-06-30'),
  data: { permitNumber: N, expiresOn: '2021-06-30' },
};

/** Histories by state. */
const H = {
  NONE: [] as Dated<PermitEvent>[],
  ISSUED: [issued],
  ISSUED_REVIEWING: [issued, reviewOpened],
  SUSPENDED: [issued, suspended],
  SUSPENDED_REVIEWING: [issued, suspended, reviewOpened],
  SUSPENDED_REVIEWED: [issued, suspended, reviewOpened, finding, concluded],
  CANCELLED: [issued, suspended, reviewOpened, finding, concluded, cancelled],
  EXPIRED: [issued, expired],
};

const cmd = {
  amend: (effectiveAt: string, changes: Record<string, unknown>): PermitCommand => ({
    type: 'AmendPermit',
    effectiveAt,
    data: { permitNumber: N, changes, reason: 'Exporter request' },
  }),
  suspend: (effectiveAt: string, decisionRef: string | null = null): PermitCommand => ({
    type: 'SuspendPermit',
    effectiveAt,
    data: { permitNumber: N, reason: 'Hostilities', legalBasis: 'EIPA s.10(1)', decisionRef },
  }),
  reinstate: (effectiveAt: string): PermitCommand => ({
    type: 'ReinstatePermit',
    effectiveAt,
    data: { permitNumber: N, reason: 'Review found no breach', legalBasis: 'EIPA s.10(1)' },
  }),
  openReview: (effectiveAt: string, reviewId = 'R-2'): PermitCommand => ({
    type: 'OpenReview',
    effectiveAt,
    data: { permitNumber: N, reviewId, reason: 'Periodic review' },
  }),
  finding: (effectiveAt: string, reviewId = 'R-1'): PermitCommand => ({
    type: 'RecordReviewFinding',
    effectiveAt,
    data: { permitNumber: N, reviewId, finding: 'No information provided by TR', assuranceBreached: false },
  }),
  conclude: (effectiveAt: string, reviewId = 'R-1'): PermitCommand => ({
    type: 'ConcludeReview',
    effectiveAt,
    data: { permitNumber: N, reviewId, outcome: 'no_action', summary: 'Nothing found' },
  }),
  cancel: (effectiveAt: string, reviewId: string | null = null): PermitCommand => ({
    type: 'CancelPermit',
    effectiveAt,
    data: { permitNumber: N, reason: 'Diversion', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-2021-04-12', reviewId },
  }),
  expire: (effectiveAt: string): PermitCommand => ({ type: 'ExpirePermit', effectiveAt, data: { permitNumber: N } }),
};

/** One of each non-issue command, all effective at `at` (the review ones name the open review R-1). */
const everyCommand = (at: string): [string, PermitCommand][] =>
  [
    cmd.amend(at, { conditions: [] }),
    cmd.suspend(at),
    cmd.reinstate(at),
    cmd.openReview(at),
    cmd.finding(at),
    cmd.conclude(at),
    cmd.cancel(at),
    cmd.expire(at),
  ].map((c) => [c.type, c]);

describe('decidePermit', () => {
  describe('in any state', () => {
    it.each(everyCommand(day('2021-07-01')))('%s on a permit that does not exist: PERMIT_NOT_FOUND', (_, command) =>
      spec.given(H.NONE).when(command).thenThrows('PERMIT_NOT_FOUND', { message: 'permit EXP-20-005181 does not exist' }),
    );

    it.each(everyCommand(day('2021-07-01')))('%s on a CANCELLED permit: PERMIT_TERMINAL', (_, command) =>
      spec
        .given(H.CANCELLED)
        .when(command)
        .thenThrows('PERMIT_TERMINAL', { message: 'permit EXP-20-005181 is CANCELLED; nothing more can happen to it' }),
    );

    it.each(everyCommand(day('2021-07-01')))('%s on an EXPIRED permit: PERMIT_TERMINAL', (_, command) =>
      spec
        .given(H.EXPIRED)
        .when(command)
        .thenThrows('PERMIT_TERMINAL', { message: 'permit EXP-20-005181 is EXPIRED; nothing more can happen to it' }),
    );

    it.each(everyCommand(noon('2020-10-04')))('%s before the last event: EFFECTIVE_AT_BEFORE_LAST_EVENT', (_, command) =>
      spec.given(H.SUSPENDED_REVIEWING).when(command).thenThrows('EFFECTIVE_AT_BEFORE_LAST_EVENT', {
        field: 'effectiveAt',
        message: "effectiveAt 2020-10-04T12:00:00.000Z is before the stream's last event (2020-10-05T00:00:00.000Z)",
      }),
    );

    it.each(everyCommand(day('2021-06-30')).filter(([type]) => type !== 'ExpirePermit'))(
      '%s at 00:00Z of expiresOn: PERMIT_EXPIRED',
      (_, command) =>
        spec
          .given(H.SUSPENDED_REVIEWING)
          .when(command)
          .thenThrows('PERMIT_EXPIRED', { message: 'permit EXP-20-005181 expired on 2021-06-30, before 2021-06-30T00:00:00.000Z' }),
    );

    it('a command one millisecond before expiry still applies', () =>
      spec
        .given(H.SUSPENDED)
        .when(cmd.reinstate('2021-06-29T23:59:59.999Z'))
        .then([
          {
            type: 'PermitReinstated',
            data: { permitNumber: N, reason: 'Review found no breach', legalBasis: 'EIPA s.10(1)', decisionRef: null },
          },
        ]));

    it('a command at the same instant as the last event applies (suspension and review on 2020-10-05)', () =>
      spec
        .given(H.SUSPENDED)
        .when(cmd.openReview(day('2020-10-05')))
        .then([{ type: 'PermitReviewOpened', data: { permitNumber: N, reviewId: 'R-2', reason: 'Periodic review', decisionRef: null } }]));

    it('refuses a malformed effectiveAt', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.suspend('2020-10-05'))
        .thenThrows('INVALID_DATE', { field: 'effectiveAt', message: 'effectiveAt must be an ISO 8601 timestamp with offset' }));
  });

  describe('IssuePermit', () => {
    it('issues a new permit with its total value and the exception ground it relies on', () =>
      spec
        .given(H.NONE)
        .when(issue())
        .then([{ type: 'PermitIssued', data: issuedData }]));

    it('rounds the total to cents', () =>
      spec
        .given(H.NONE)
        .when(
          issue(noon('2024-05-10'), {
            ...valid2024,
            items: [
              { ...sensors[0]!, valueCad: 0.1 },
              { ...sensors[1]!, valueCad: 0.2 },
            ],
          }),
        )
        .thenMatch([{ type: 'PermitIssued', data: { totalValueCad: 0.3 } }]));

    it('records only the known fields of the request', () => {
      const [event] = decidePermit(
        issue(noon('2024-05-10'), {
          ...valid2024,
          exporter: { name: 'Northfield Optronics', role: 'x' } as never,
          items: [{ ...sensors[0]!, colour: 'red' } as never],
          exceptionGround: undefined,
          supersedes: undefined,
        }),
        initialPermitState,
        { destination: TR },
      );
      expect(event!.data).toMatchObject({
        exporter: { name: 'Northfield Optronics' },
        items: [sensors[0]],
        exceptionGround: null,
        supersedes: null,
      });
      expect((event!.data as PermitIssued['data']).exporter).not.toHaveProperty('role');
      expect((event!.data as PermitIssued['data']).items[0]).not.toHaveProperty('colour');
    });

    it.each(['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'] as const)(
      'refuses a permit number already used (%s): PERMIT_ALREADY_EXISTS',
      (status) =>
        spec
          .given(H[status])
          .when(issue(day('2024-05-10')))
          .thenThrows('PERMIT_ALREADY_EXISTS', { message: `permit EXP-20-005181 already exists (${status})` }),
    );

    it.each([
      ['expiresOn equal to validFrom', { expiresOn: '2020-05-14' }, 'expiresOn 2020-05-14 must be after validFrom 2020-05-14'],
      ['expiresOn before validFrom', { expiresOn: '2020-05-01' }, 'expiresOn 2020-05-01 must be after validFrom 2020-05-14'],
      [
        'expiresOn not after the issue date',
        { validFrom: '2020-01-01', expiresOn: '2020-05-14' },
        'expiresOn 2020-05-14 is not after the issue date',
      ],
    ])('refuses %s: INVALID_VALIDITY', (_, over, message) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), over))
        .thenThrows('INVALID_VALIDITY', { field: 'expiresOn', message }),
    );

    it.each([
      ['validFrom', { validFrom: '2020-5-14' }],
      ['expiresOn', { expiresOn: '2021-02-30' }],
    ])('refuses a malformed %s: INVALID_DATE', (field, over) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), over))
        .thenThrows('INVALID_DATE', { field, message: `${field} must be a calendar date YYYY-MM-DD` }),
    );

    it.each([
      ['items', [], 'at least one item is required'],
      ['items[0].eclItem', [{ ...sensors[0]!, eclItem: 'EO sensor' }], 'eclItem must be an ECL item such as "2-15.a"'],
      ['items[0].quantity', [{ ...sensors[0]!, quantity: 0 }], 'quantity must be a positive number: a whole one, at most 1000000000'],
      [
        'items[1].valueCad',
        [sensors[0]!, { ...sensors[1]!, valueCad: -1 }],
        'valueCad must be a non-negative amount: at most 1000000000000 CAD, with at most two decimals',
      ],
    ])('refuses invalid items (%s): INVALID_ITEMS', (field, items, message) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { items }))
        .thenThrows('INVALID_ITEMS', { field, message }),
    );

    it.each([
      ['permitNumber', { permitNumber: ' ' }],
      ['exporter.name', { exporter: { name: '' } }],
      ['intendedEndUse', { intendedEndUse: '' }],
      ['items[0].description', { items: [{ ...sensors[0]!, description: '' }] }],
      ['conditions[0].text', { conditions: [{ code: 'C', text: '' }] }],
    ])('requires %s', (field, over) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), over))
        .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` }),
    );

    it('refuses a permit that supersedes itself', () =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { supersedes: N }))
        .thenThrows('SUPERSEDES_SELF', { field: 'supersedes', message: 'a permit cannot supersede itself' }));

    describe('destination measures (Turkey)', () => {
      it('2019-03-20, before the halt: EXP-19-004120 is issued', () =>
        spec
          .given(H.NONE)
          .when(
            issue(noon('2019-03-20'), {
              permitNumber: 'EXP-19-004120',
              validFrom: '2019-03-20',
              expiresOn: '2022-03-19',
              exceptionGround: null,
            }),
          )
          .thenMatch([{ type: 'PermitIssued' }]));

      it('2019-10-11 00:00Z: the halt applies from the start of the day', () =>
        spec
          .given(H.NONE)
          .when(issue(day('2019-10-11'), { exceptionGround: null }))
          .thenThrows('ISSUANCE_BLOCKED', {
            message:
              'issuance to TR is blocked by measure TR-2019-10-11 (issuance_suspended, Ministerial statement of 2019-10-11); no exception ground applies',
          }));

      it('2019-12-01: refused, whatever the goods or the exception ground', () => {
        spec
          .given(H.NONE)
          .when(issue(noon('2019-12-01'), { exceptionGround: null }))
          .thenThrows('ISSUANCE_BLOCKED', {
            message:
              'issuance to TR is blocked by measure TR-2019-10-11 (issuance_suspended, Ministerial statement of 2019-10-11); no exception ground applies',
          });
        spec
          .given(H.NONE)
          .when(issue(noon('2019-12-01'), { exceptionGround: NATO }))
          .thenThrows('ISSUANCE_BLOCKED', {
            message:
              'issuance to TR is blocked by measure TR-2019-10-11 (issuance_suspended, Ministerial statement of 2019-10-11); no exception ground applies',
          });
        spec
          .given(H.NONE)
          .when(issue(noon('2019-12-01'), { items: [{ ...sensors[0]!, eclItem: '1-6.A.3' }], exceptionGround: null }))
          .thenThrows('ISSUANCE_BLOCKED', {
            message:
              'issuance to TR is blocked by measure TR-2019-10-11 (issuance_suspended, Ministerial statement of 2019-10-11); no exception ground applies',
          });
      });

      it('the refusal names the blocking measure', () => {
        expect(() => decidePermit(issue(noon('2019-12-01')), initialPermitState, { destination: TR })).toThrow(TR_HALT_2019);
      });

      it('2020-05-14: Group 2 is refused without an exception ground (NtE 992)', () =>
        spec
          .given(H.NONE)
          .when(issue(noon('2020-05-14'), { exceptionGround: null }))
          .thenThrows('ISSUANCE_BLOCKED', {
            message:
              'issuance to TR is blocked by measure TR-NtE-992 (presumptive_denial, NtE 992); allowed exception grounds: nato_cooperation',
          }));

      it('2020-05-14: Group 2 is refused with a ground the measure does not allow', () =>
        spec
          .given(H.NONE)
          .when(issue(noon('2020-05-14'), { exceptionGround: 'commercial' }))
          .thenThrows('ISSUANCE_BLOCKED', {
            message:
              'issuance to TR is blocked by measure TR-NtE-992 (presumptive_denial, NtE 992); allowed exception grounds: nato_cooperation',
          }));

      it('2020-05-14: Group 2 is issued under the NATO cooperation ground, which is recorded', () =>
        spec
          .given(H.NONE)
          .when(issue(noon('2020-05-14'), { exceptionGround: NATO }))
          .then([{ type: 'PermitIssued', data: { ...issuedData, exceptionGround: NATO } }]));

      it('2020-05-14: goods outside Group 2 need no exception ground', () =>
        spec
          .given(H.NONE)
          .when(issue(noon('2020-05-14'), { items: [{ ...sensors[0]!, eclItem: '1-6.A.3' }], exceptionGround: null }))
          .thenMatch([{ type: 'PermitIssued' }]));

      it('2024-05-10, after NtE 1108: EXP-24-000311 is issued and names the permit it supersedes', () =>
        spec
          .given(H.NONE)
          .when(
            issue(noon('2024-05-10'), {
              permitNumber: 'EXP-24-000311',
              validFrom: '2024-05-10',
              expiresOn: '2026-05-09',
              exceptionGround: null,
              supersedes: N,
            }),
          )
          .thenMatch([{ type: 'PermitIssued', data: { permitNumber: 'EXP-24-000311', supersedes: N, exceptionGround: null } }]));

      it("another destination is not affected by Turkey's measures", () =>
        specFor(initialDestinationState('DE'))
          .given(H.NONE)
          .when(issue(noon('2019-12-01'), { destination: 'DE', exceptionGround: null }))
          .thenMatch([{ type: 'PermitIssued' }]));

      it('deciding against the wrong destination stream is a wiring bug, not a domain error', () => {
        const run = () => decidePermit(issue(noon('2019-12-01'), { destination: 'DE' }), initialPermitState, { destination: TR });
        expect(run).toThrow('IssuePermit to DE decided against destination-TR');
        expect(run).not.toThrow(DomainError);
      });
    });
  });

  describe('AmendPermit', () => {
    const at = noon('2020-08-01');
    it.each(['ISSUED', 'SUSPENDED', 'ISSUED_REVIEWING', 'SUSPENDED_REVIEWING'] as const)(
      'extends validity of a %s permit; the total is unchanged',
      (status) =>
        spec
          .given(H[status])
          .when(cmd.amend(noon('2020-10-06'), { expiresOn: '2021-12-31' }))
          .then([
            {
              type: 'PermitAmended',
              data: { permitNumber: N, changes: { expiresOn: '2021-12-31' }, totalValueCad: 5_600_000, reason: 'Exporter request' },
            },
          ]),
    );

    it('lowers quantities and values and recomputes the total', () => {
      const items = [{ ...sensors[0]!, quantity: 4, valueCad: 3_200_000 }, sensors[1]!];
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { items }))
        .then([
          { type: 'PermitAmended', data: { permitNumber: N, changes: { items }, totalValueCad: 4_800_000, reason: 'Exporter request' } },
        ]);
    });

    it('replaces conditions', () => {
      const conditions = [{ code: 'END-USE', text: 'Annual end-use report' }];
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { conditions }))
        .then([
          {
            type: 'PermitAmended',
            data: { permitNumber: N, changes: { conditions }, totalValueCad: 5_600_000, reason: 'Exporter request' },
          },
        ]);
    });

    const goods = 'line 0 changes the goods (2-15.a EO/IR targeting sensor)';
    it.each([
      ['more of a line', [{ ...sensors[0]!, quantity: 6 }, sensors[1]!], 'line 0 increases the quantity'],
      ['a higher value', [sensors[0]!, { ...sensors[1]!, valueCad: 1_600_001 }], 'line 1 increases the value'],
      ['other goods (ECL item)', [{ ...sensors[0]!, eclItem: '2-15.b' }, sensors[1]!], goods],
      ['other goods (description)', [{ ...sensors[0]!, description: 'Laser designator' }, sensors[1]!], goods],
      ['other goods (unit)', [{ ...sensors[0]!, unit: 'kg' }, sensors[1]!], goods],
      ['a removed line', [sensors[0]!], 'expected the same 2 item line(s)'],
      ['an added line', [...sensors, sensors[1]!], 'expected the same 2 item line(s)'],
    ])('refuses %s: AMENDMENT_NOT_ALLOWED', (_, items, why) =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { items }))
        .thenThrows('AMENDMENT_NOT_ALLOWED', { field: 'changes.items', message: `${why}: other goods or more of them need a new permit` }),
    );

    it.each(['destination', 'endUser', 'consignee', 'exporter'])('refuses a change of %s: AMENDMENT_NOT_ALLOWED', (key) =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { [key]: 'DE' }))
        .thenThrows('AMENDMENT_NOT_ALLOWED', {
          field: `changes.${key}`,
          message: `${key} cannot be amended: destination, end-user, consignee or goods need a new permit`,
        }),
    );

    it('refuses an empty amendment', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, {}))
        .thenThrows('EMPTY_AMENDMENT', { field: 'changes', message: 'changes must set expiresOn, conditions or items' }));

    it('refuses expiresOn not after validFrom', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { expiresOn: '2020-05-14' }))
        .thenThrows('INVALID_VALIDITY', { field: 'changes.expiresOn', message: 'expiresOn must be after validFrom 2020-05-14' }));

    it('refuses expiresOn not after the amendment date', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { expiresOn: '2020-08-01' }))
        .thenThrows('INVALID_VALIDITY', { field: 'changes.expiresOn', message: 'expiresOn must be after the amendment date' }));

    it('accepts shortening validity to the day after the amendment', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { expiresOn: '2020-08-02' }))
        .thenMatch([{ type: 'PermitAmended' }]));

    it('refuses a malformed expiresOn', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { expiresOn: 'next year' }))
        .thenThrows('INVALID_DATE', { field: 'changes.expiresOn', message: 'changes.expiresOn must be a calendar date YYYY-MM-DD' }));

    it('requires a reason', () =>
      spec
        .given(H.ISSUED)
        .when({ type: 'AmendPermit', effectiveAt: at, data: { permitNumber: N, changes: { conditions: [] }, reason: '' } })
        .thenThrows('REQUIRED_FIELD_MISSING', { field: 'reason', message: 'reason is required' }));
  });

  describe('SuspendPermit', () => {
    it.each(['ISSUED', 'ISSUED_REVIEWING'] as const)('suspends an %s permit', (status) =>
      spec
        .given(H[status])
        .when(cmd.suspend(day('2020-10-05'), 'MIN-2020-10-05'))
        .then([
          {
            type: 'PermitSuspended',
            data: { permitNumber: N, reason: 'Hostilities', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-2020-10-05' },
          },
        ]),
    );

    it.each(['SUSPENDED', 'SUSPENDED_REVIEWING'] as const)('refuses a %s permit: INVALID_TRANSITION', (status) =>
      spec
        .given(H[status])
        .when(cmd.suspend(noon('2020-11-01')))
        .thenThrows('INVALID_TRANSITION', { message: 'permit EXP-20-005181 is already suspended since 2020-10-05T00:00:00.000Z' }),
    );

    it('requires a legal basis', () =>
      spec
        .given(H.ISSUED)
        .when({ type: 'SuspendPermit', effectiveAt: day('2020-10-05'), data: { permitNumber: N, reason: 'r', legalBasis: '' } })
        .thenThrows('REQUIRED_FIELD_MISSING', { field: 'legalBasis', message: 'legalBasis is required' }));
  });

  describe('ReinstatePermit', () => {
    it.each(['SUSPENDED', 'SUSPENDED_REVIEWING', 'SUSPENDED_REVIEWED'] as const)('reinstates a %s permit', (status) =>
      spec
        .given(H[status])
        .when(cmd.reinstate(noon('2021-03-02')))
        .then([
          {
            type: 'PermitReinstated',
            data: { permitNumber: N, reason: 'Review found no breach', legalBasis: 'EIPA s.10(1)', decisionRef: null },
          },
        ]),
    );

    it.each(['ISSUED', 'ISSUED_REVIEWING'] as const)('refuses an %s permit: INVALID_TRANSITION', (status) =>
      spec
        .given(H[status])
        .when(cmd.reinstate(noon('2020-11-01')))
        .thenThrows('INVALID_TRANSITION', { message: 'permit EXP-20-005181 is not suspended' }),
    );

    it('never reinstates a cancelled permit', () =>
      spec
        .given(H.CANCELLED)
        .when(cmd.reinstate(noon('2021-04-13')))
        .thenThrows('PERMIT_TERMINAL', { message: 'permit EXP-20-005181 is CANCELLED; nothing more can happen to it' }));

    it('only before expiry', () =>
      spec
        .given(H.SUSPENDED)
        .when(cmd.reinstate(noon('2021-07-01')))
        .thenThrows('PERMIT_EXPIRED', { message: 'permit EXP-20-005181 expired on 2021-06-30, before 2021-07-01T12:00:00.000Z' }));
  });

  describe('OpenReview', () => {
    it.each(['ISSUED', 'SUSPENDED', 'SUSPENDED_REVIEWED'] as const)('opens a review on a %s permit', (status) =>
      spec
        .given(H[status])
        .when(cmd.openReview(noon('2021-03-02')))
        .then([{ type: 'PermitReviewOpened', data: { permitNumber: N, reviewId: 'R-2', reason: 'Periodic review', decisionRef: null } }]),
    );

    it.each(['ISSUED_REVIEWING', 'SUSPENDED_REVIEWING'] as const)('one at a time (%s): REVIEW_ALREADY_OPEN', (status) =>
      spec
        .given(H[status])
        .when(cmd.openReview(noon('2020-11-01')))
        .thenThrows('REVIEW_ALREADY_OPEN', { message: 'review R-1 of permit EXP-20-005181 is still open' }),
    );

    it('a review id is never reused within the permit', () =>
      spec
        .given(H.SUSPENDED_REVIEWED)
        .when(cmd.openReview(noon('2021-03-02'), 'R-1'))
        .thenThrows('REVIEW_ALREADY_EXISTS', { message: 'permit EXP-20-005181 already had a review R-1' }));

    it('requires a review id', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.openReview(noon('2020-11-01'), ''))
        .thenThrows('REQUIRED_FIELD_MISSING', { field: 'reviewId', message: 'reviewId is required' }));
  });

  describe('RecordReviewFinding', () => {
    it.each(['ISSUED_REVIEWING', 'SUSPENDED_REVIEWING'] as const)('records a finding on the open review (%s)', (status) =>
      spec
        .given(H[status])
        .when({
          type: 'RecordReviewFinding',
          effectiveAt: noon('2020-12-01'),
          data: {
            permitNumber: N,
            reviewId: 'R-1',
            finding: 'Sensor imaged on a downed UAV',
            theatre: 'Nagorno-Karabakh',
            evidenceRef: 'EV-17',
            assuranceBreached: true,
          },
        })
        .then([{ type: 'PermitReviewFindingRecorded', data: finding.data }]),
    );

    it('defaults theatre and evidence to null', () =>
      spec
        .given(H.ISSUED_REVIEWING)
        .when(cmd.finding(noon('2020-12-01')))
        .then([
          {
            type: 'PermitReviewFindingRecorded',
            data: {
              permitNumber: N,
              reviewId: 'R-1',
              finding: 'No information provided by TR',
              theatre: null,
              evidenceRef: null,
              assuranceBreached: false,
            },
          },
        ]));

    it.each(['ISSUED', 'SUSPENDED_REVIEWING'] as const)('refuses an unknown review (%s): REVIEW_NOT_FOUND', (status) =>
      spec
        .given(H[status])
        .when(cmd.finding(noon('2020-12-01'), 'R-9'))
        .thenThrows('REVIEW_NOT_FOUND', { message: 'permit EXP-20-005181 has no review R-9' }),
    );

    it('refuses a concluded review: REVIEW_NOT_OPEN', () =>
      spec
        .given(H.SUSPENDED_REVIEWED)
        .when(cmd.finding(noon('2021-03-02')))
        .thenThrows('REVIEW_NOT_OPEN', { message: 'review R-1 was concluded at 2021-03-01T12:00:00.000Z' }));
  });

  describe('ConcludeReview', () => {
    it.each(['ISSUED_REVIEWING', 'SUSPENDED_REVIEWING'] as const)('concludes the open review (%s)', (status) =>
      spec
        .given(H[status])
        .when(cmd.conclude(noon('2021-03-01')))
        .then([
          { type: 'PermitReviewConcluded', data: { permitNumber: N, reviewId: 'R-1', outcome: 'no_action', summary: 'Nothing found' } },
        ]),
    );

    it.each(['ISSUED', 'SUSPENDED_REVIEWING'] as const)('refuses an unknown review (%s): REVIEW_NOT_FOUND', (status) =>
      spec
        .given(H[status])
        .when(cmd.conclude(noon('2021-03-01'), 'R-9'))
        .thenThrows('REVIEW_NOT_FOUND', { message: 'permit EXP-20-005181 has no review R-9' }),
    );

    it('refuses a concluded review: REVIEW_NOT_OPEN', () =>
      spec
        .given(H.SUSPENDED_REVIEWED)
        .when(cmd.conclude(noon('2021-03-02')))
        .thenThrows('REVIEW_NOT_OPEN', { message: 'review R-1 was concluded at 2021-03-01T12:00:00.000Z' }));
  });

  describe('CancelPermit', () => {
    it.each(['ISSUED', 'SUSPENDED', 'ISSUED_REVIEWING', 'SUSPENDED_REVIEWING'] as const)('cancels a %s permit', (status) =>
      spec
        .given(H[status])
        .when(cmd.cancel(day('2021-04-12')))
        .then([
          {
            type: 'PermitCancelled',
            data: { permitNumber: N, reason: 'Diversion', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-2021-04-12', reviewId: null },
          },
        ]),
    );

    it('names the review that led to it (2021-04-12)', () =>
      spec
        .given(H.SUSPENDED_REVIEWED)
        .when(cmd.cancel(day('2021-04-12'), 'R-1'))
        .then([
          {
            type: 'PermitCancelled',
            data: { permitNumber: N, reason: 'Diversion', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-2021-04-12', reviewId: 'R-1' },
          },
        ]));

    it('names one review of several', () =>
      spec
        .given([
          ...H.SUSPENDED_REVIEWED,
          { ...reviewOpened, effectiveAt: noon('2021-03-02'), data: { ...reviewOpened.data, reviewId: 'R-2' } },
        ])
        .when(cmd.cancel(day('2021-04-12'), 'R-1'))
        .thenMatch([{ type: 'PermitCancelled', data: { reviewId: 'R-1' } }]));

    it('refuses a review the permit never had: REVIEW_NOT_FOUND', () =>
      spec
        .given(H.SUSPENDED_REVIEWED)
        .when(cmd.cancel(day('2021-04-12'), 'R-9'))
        .thenThrows('REVIEW_NOT_FOUND', { field: 'reviewId', message: 'permit EXP-20-005181 has no review R-9' }));
  });

  describe('ExpirePermit', () => {
    it.each(['ISSUED', 'SUSPENDED', 'SUSPENDED_REVIEWING'] as const)(
      'expires a %s permit at 00:00Z of expiresOn (a suspension does not stop the clock)',
      (status) =>
        spec
          .given(H[status])
          .when(cmd.expire(day('2021-06-30')))
          .then([{ type: 'PermitExpired', data: { permitNumber: N, expiresOn: '2021-06-30' } }]),
    );

    it('a late scheduler run still expires it, taking effect at 00:00Z of expiresOn', () => {
      spec
        .given(H.ISSUED)
        .when(cmd.expire(noon('2021-09-01')))
        .then([{ type: 'PermitExpired', data: { permitNumber: N, expiresOn: '2021-06-30' } }]);
      spec
        .given(H.ISSUED)
        .when(cmd.expire(noon('2021-09-01')))
        .thenAt([{ type: 'PermitExpired', effectiveAt: day('2021-06-30') }]);
    });

    it('every other event takes effect when its command does', () =>
      spec
        .given(H.SUSPENDED)
        .when(cmd.reinstate(noon('2021-03-02')))
        .thenAt([{ type: 'PermitReinstated', effectiveAt: noon('2021-03-02') }]));

    it('uses the amended expiry date', () =>
      spec
        .given([
          issued,
          {
            type: 'PermitAmended',
            effectiveAt: noon('2020-08-01'),
            data: { permitNumber: N, changes: { expiresOn: '2020-12-31' }, totalValueCad: 5_600_000, reason: 'r' },
          },
        ])
        .when(cmd.expire(day('2020-12-31')))
        .then([{ type: 'PermitExpired', data: { permitNumber: N, expiresOn: '2020-12-31' } }]));

    it('refuses before expiresOn: PERMIT_NOT_YET_EXPIRED', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.expire('2021-06-29T23:59:59.999Z'))
        .thenThrows('PERMIT_NOT_YET_EXPIRED', { message: 'permit EXP-20-005181 expires on 2021-06-30, after 2021-06-29T23:59:59.999Z' }));

    it('an already expired permit: PERMIT_TERMINAL (the scheduler reads it as "already done")', () =>
      spec
        .given(H.EXPIRED)
        .when(cmd.expire(day('2021-06-30')))
        .thenThrows('PERMIT_TERMINAL', { message: 'permit EXP-20-005181 is EXPIRED; nothing more can happen to it' }));
  });
});

describe('evolvePermit / foldPermit', () => {
  it('folds EXP-20-005181 from issue to cancellation', () => {
    const state = foldPermit(H.CANCELLED);
    expect(state).toEqual({
      status: 'CANCELLED',
      ...issuedData,
      issuedAt: noon('2020-05-14'),
      suspendedAt: day('2020-10-05'),
      cancelledAt: day('2021-04-12'),
      lastEffectiveAt: day('2021-04-12'),
      lastDecisionRef: 'MIN-2021-04-12',
      statusHistory: [
        { status: 'ISSUED', from: noon('2020-05-14') },
        { status: 'SUSPENDED', from: day('2020-10-05') },
        { status: 'CANCELLED', from: day('2021-04-12') },
      ],
      shipments: [],
      shipped: [
        { item: 0, quantityShipped: 0, valueShippedCad: 0 },
        { item: 1, quantityShipped: 0, valueShippedCad: 0 },
      ],
      openReview: null,
      reviews: [
        {
          reviewId: 'R-1',
          reason: 'Allegations of use in Nagorno-Karabakh',
          decisionRef: 'MIN-2020-10-05',
          openedAt: day('2020-10-05'),
          concludedAt: noon('2021-03-01'),
          outcome: 'cancellation_recommended',
          summary: 'End-use assurances breached',
          findings: [
            {
              finding: 'Sensor imaged on a downed UAV',
              theatre: 'Nagorno-Karabakh',
              evidenceRef: 'EV-17',
              assuranceBreached: true,
              recordedAt: noon('2020-12-01'),
            },
          ],
        },
      ],
    });
  });

  it('shows the open review with its findings', () => {
    const state = foldPermit([...H.SUSPENDED_REVIEWING, finding]);
    expect(state).toMatchObject({
      status: 'SUSPENDED',
      openReview: { reviewId: 'R-1', openedAt: day('2020-10-05'), findings: [expect.objectContaining({ theatre: 'Nagorno-Karabakh' })] },
      lastEffectiveAt: noon('2020-12-01'),
    });
  });

  it('keeps an open review as it was when the permit is cancelled', () => {
    const state = foldPermit([...H.SUSPENDED_REVIEWING, { ...cancelled, data: { ...cancelled.data, reviewId: null } }]);
    expect(state).toMatchObject({ status: 'CANCELLED', openReview: { reviewId: 'R-1' }, reviews: [{ concludedAt: null }] });
  });

  it('applies an amendment and stays in the same state', () => {
    const items = [{ ...sensors[0]!, quantity: 4, valueCad: 3_200_000 }, sensors[1]!];
    const state = foldPermit([
      ...H.SUSPENDED,
      {
        type: 'PermitAmended',
        effectiveAt: noon('2020-11-01'),
        data: { permitNumber: N, changes: { items, expiresOn: '2021-12-31' }, totalValueCad: 4_800_000, reason: 'r' },
      },
    ]);
    expect(state).toMatchObject({
      status: 'SUSPENDED',
      items,
      expiresOn: '2021-12-31',
      totalValueCad: 4_800_000,
      conditions: issuedData.conditions,
    });
  });

  it('reinstatement returns to ISSUED without a suspension date', () => {
    const state = foldPermit([
      ...H.SUSPENDED,
      {
        type: 'PermitReinstated',
        effectiveAt: noon('2020-11-01'),
        data: { permitNumber: N, reason: 'r', legalBasis: 'b', decisionRef: null },
      },
    ]);
    expect(state.status).toBe('ISSUED');
    expect(state).not.toHaveProperty('suspendedAt');
    expect(state).toMatchObject({ lastDecisionRef: 'MIN-2020-10-05', lastEffectiveAt: noon('2020-11-01') });
  });

  it('a finding or a conclusion changes only the review it names', () => {
    const second: Dated<PermitEvent> = {
      ...reviewOpened,
      effectiveAt: noon('2021-03-02'),
      data: { ...reviewOpened.data, reviewId: 'R-2' },
    };
    const onSecond = <E extends Dated<PermitEvent>>(event: E): E => ({
      ...event,
      effectiveAt: noon('2021-03-03'),
      data: { ...event.data, reviewId: 'R-2' },
    });
    const first = foldPermit(H.SUSPENDED_REVIEWED) as ExistingPermit;
    const state = foldPermit([...H.SUSPENDED_REVIEWED, second, onSecond(finding), onSecond(concluded)]) as ExistingPermit;
    expect(state.reviews[0]).toEqual(first.reviews[0]);
    expect(state).toMatchObject({
      openReview: null,
      reviews: [{ reviewId: 'R-1' }, { reviewId: 'R-2', concludedAt: noon('2021-03-03'), findings: [{ recordedAt: noon('2021-03-03') }] }],
    });
  });

  it('expiry records its period in the history', () =>
    expect(foldPermit([...H.SUSPENDED, expired])).toMatchObject({
      statusHistory: [
        { status: 'ISSUED', from: noon('2020-05-14') },
        { status: 'SUSPENDED', from: day('2020-10-05') },
        { status: 'EXPIRED', from: day('2021-06-30') },
      ],
    }));

  it('expiry while suspended keeps the suspension date', () =>
    expect(foldPermit([...H.SUSPENDED, expired])).toMatchObject({
      status: 'EXPIRED',
      expiredAt: day('2021-06-30'),
      suspendedAt: day('2020-10-05'),
    }));

  it.each([
    ['PermitSuspended on no permit', [suspended]],
    ['PermitIssued twice', [issued, issued]],
    [
      'PermitReinstated on an issued permit',
      [
        issued,
        {
          type: 'PermitReinstated',
          effectiveAt: noon('2020-11-01'),
          data: { permitNumber: N, reason: 'r', legalBasis: 'b', decisionRef: null },
        },
      ],
    ],
    ['a finding on no open review', [issued, finding]],
    ['a finding on a concluded review', [...H.SUSPENDED_REVIEWED, { ...finding, effectiveAt: noon('2021-03-02') }]],
    ['a finding on another review than the open one', [...H.ISSUED_REVIEWING, { ...finding, data: { ...finding.data, reviewId: 'R-9' } }]],
    ['a review concluded twice', [...H.SUSPENDED_REVIEWED, { ...concluded, effectiveAt: noon('2021-03-02') }]],
    [
      'a declaration on no permit',
      [
        {
          type: 'ShipmentRecorded',
          effectiveAt: day('2020-06-01'),
          data: { permitNumber: N, declarationRef: 'D-1', exportedOn: '2020-06-01', lines: [{ item: 0, quantity: 1, valueCad: 1 }] },
        },
      ],
    ],
    ['PermitSuspended after cancellation', [...H.CANCELLED, { ...suspended, effectiveAt: day('2021-05-01') }]],
  ] as [string, Dated<PermitEvent>[]][])('stops on %s (corrupt stream)', (_, events) =>
    expect(() => foldPermit(events)).toThrow('cannot apply'),
  );
});

describe('the story of EXP-19-004120, decided and folded step by step', () => {
  it('is issued before the halt, suspended, reviewed, and cancelled on 2021-04-12', () => {
    const commands: PermitCommand[] = [
      issue(noon('2019-03-20'), {
        permitNumber: 'EXP-19-004120',
        items: [{ eclItem: '2-15.a', description: 'EO/IR sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 }],
        validFrom: '2019-03-20',
        expiresOn: '2022-03-19',
        exceptionGround: null,
      }),
      {
        type: 'SuspendPermit',
        effectiveAt: day('2020-10-05'),
        data: { permitNumber: 'EXP-19-004120', reason: 'Hostilities', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-2020-10-05' },
      },
      {
        type: 'OpenReview',
        effectiveAt: day('2020-10-05'),
        data: { permitNumber: 'EXP-19-004120', reviewId: 'R-2020-TR', reason: 'Review of all TR permits' },
      },
      {
        type: 'RecordReviewFinding',
        effectiveAt: noon('2020-12-15'),
        data: {
          permitNumber: 'EXP-19-004120',
          reviewId: 'R-2020-TR',
          finding: 'TR did not provide the information asked for',
          assuranceBreached: false,
        },
      },
      {
        type: 'ConcludeReview',
        effectiveAt: noon('2021-04-01'),
        data: {
          permitNumber: 'EXP-19-004120',
          reviewId: 'R-2020-TR',
          outcome: 'cancellation_recommended',
          summary: 'Used in Nagorno-Karabakh',
        },
      },
      {
        type: 'CancelPermit',
        effectiveAt: day('2021-04-12'),
        data: {
          permitNumber: 'EXP-19-004120',
          reason: 'Inconsistent with end-use assurances',
          legalBasis: 'EIPA s.10(1)',
          decisionRef: 'MIN-2021-04-12',
          reviewId: 'R-2020-TR',
        },
      },
    ];
    const { decide, evolve, effectiveAt, initialState } = permitDecider;
    const state = commands.reduce(
      (s, c) => decide(c, s, { destination: TR }).reduce((acc, e) => evolve(acc, { ...e, effectiveAt: effectiveAt(e, c, s) }), s),
      initialState('EXP-19-004120'),
    );
    expect(state).toMatchObject({
      status: 'CANCELLED',
      permitNumber: 'EXP-19-004120',
      totalValueCad: 4_200_000,
      suspendedAt: day('2020-10-05'),
      cancelledAt: day('2021-04-12'),
      lastDecisionRef: 'MIN-2021-04-12',
      reviews: [{ reviewId: 'R-2020-TR', outcome: 'cancellation_recommended' }],
    });
  });
});

describe('rules each case above meets only together with another', () => {
  // EXP-20-005190: issued 2020-05-14, valid only from 2020-09-01 (a future-dated permit).
  const future = { validFrom: '2020-09-01', expiresOn: '2021-06-30' };
  const issuedFuture: Dated<PermitEvent> = { ...issued, data: { ...issuedData, ...future } };

  describe('IssuePermit', () => {
    it('issues a permit valid from a later date', () =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), future))
        .then([{ type: 'PermitIssued', data: { ...issuedData, ...future } }]));

    it('accepts an expiry on the day after the issue', () =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { expiresOn: '2020-05-15' }))
        .thenMatch([{ type: 'PermitIssued', data: { validFrom: '2020-05-14', expiresOn: '2020-05-15' } }]));

    it.each([
      ['equal to', '2020-09-01'],
      ['before', '2020-08-31'],
    ])('refuses an expiry %s a validFrom still to come, though after the issue date: INVALID_VALIDITY', (_, expiresOn) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { validFrom: '2020-09-01', expiresOn }))
        .thenThrows('INVALID_VALIDITY', { field: 'expiresOn', message: `expiresOn ${expiresOn} must be after validFrom 2020-09-01` }),
    );

    it('refuses a malformed effectiveAt', () =>
      spec
        .given(H.NONE)
        .when(issue('2020-05-14'))
        .thenThrows('INVALID_DATE', { field: 'effectiveAt', message: 'effectiveAt must be an ISO 8601 timestamp with offset' }));

    it('accepts an item of no value, and counts it in the total as nothing', () =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { items: [sensors[0]!, { ...sensors[1]!, valueCad: 0 }] }))
        .thenMatch([{ type: 'PermitIssued', data: { items: [sensors[0], { ...sensors[1], valueCad: 0 }], totalValueCad: 4_000_000 } }]));

    const badValue = 'valueCad must be a non-negative amount: at most 1000000000000 CAD, with at most two decimals';
    const badQuantity = 'quantity must be a positive number: a whole one, at most 1000000000';
    const badEcl = 'eclItem must be an ECL item such as "2-15.a"';
    it.each([
      ['items[0].valueCad', { ...sensors[0]!, valueCad: Number.NaN }, badValue],
      ['items[0].valueCad', { ...sensors[0]!, valueCad: Number.POSITIVE_INFINITY }, badValue],
      ['items[0].valueCad', { ...sensors[0]!, valueCad: '4000000' }, badValue],
      ['items[0].quantity', { ...sensors[0]!, quantity: '5' }, badQuantity],
      ['items[0].quantity', { ...sensors[0]!, quantity: -1 }, badQuantity],
      ['items[0].eclItem', { ...sensors[0]!, eclItem: 'X2-15.a' }, badEcl],
      ['items[0].eclItem', { ...sensors[0]!, eclItem: ['2-15.a'] }, badEcl],
      ['items[0].eclItem', null, badEcl],
    ])('refuses an item with a bad %s (%j): INVALID_ITEMS', (field, item, message) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { items: [item as PermitItem] }))
        .thenThrows('INVALID_ITEMS', { field, message }),
    );

    it('refuses items that are not a list', () =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { items: { 0: sensors[0], length: 1 } as never }))
        .thenThrows('INVALID_ITEMS', { field: 'items', message: 'at least one item is required' }));

    it.each([
      ['consignee.name', { consignee: { name: ' ' } }],
      ['endUser.name', { endUser: { name: '' } }],
      ['exporter.name', { exporter: null as never }],
      ['exporter.country', { exporter: { name: 'Northfield Optronics', country: 5 as never } }],
      ['items[0].unit', { items: [{ ...sensors[0]!, unit: ' ' }] }],
      ['conditions[0].code', { conditions: [{ code: '', text: 'No re-export' }] }],
      ['conditions[0].code', { conditions: [null as never] }],
    ])('requires %s', (field, over) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), over))
        .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` }),
    );

    it('refuses conditions that are not a list', () =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { conditions: 'none' as never }))
        .thenThrows('REQUIRED_FIELD_MISSING', { field: 'conditions', message: 'conditions must be a list' }));

    it('records blank optional fields as none, and no conditions as an empty list', () => {
      const [event] = decidePermit(
        issue(noon('2020-05-14'), {
          exporter: { name: 'Northfield Optronics', country: ' ', address: '', businessNumber: null as never },
          conditions: undefined,
          exceptionGround: ' ',
          supersedes: '',
        }),
        initialPermitState,
        { destination: foldDestination('TR', []) },
      );
      expect(event!.data).toMatchObject({
        exporter: { name: 'Northfield Optronics' },
        conditions: [],
        exceptionGround: null,
        supersedes: null,
      });
      expect(Object.keys((event!.data as PermitIssued['data']).exporter)).toEqual(['name']);
      expect(event!.data).not.toHaveProperty('applicationRef');
    });

    it('records the application a permit is issued on', () =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { applicationRef: 'APP-2020-0042' }))
        .then([{ type: 'PermitIssued', data: { ...issuedData, applicationRef: 'APP-2020-0042' } }]));

    it('names every exception ground a blocking measure allows', () => {
      const measure: Dated<DestinationEvent> = {
        ...trMeasureHistory[2]!,
        data: { ...(trMeasureHistory[2]!.data as object), exceptionGrounds: [NATO, 'un_mandate'] } as never,
      };
      specFor(foldDestination('TR', [measure]))
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { exceptionGround: null }))
        .thenThrows('ISSUANCE_BLOCKED', { message: '; allowed exception grounds: nato_cooperation, un_mandate' });
    });

    it.each(['supersedes', 'exceptionGround'])('names %s when it is given but not text', (field) =>
      spec
        .given(H.NONE)
        .when(issue(noon('2020-05-14'), { [field]: 7 as never }))
        .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` }),
    );
  });

  describe('AmendPermit', () => {
    const at = noon('2020-08-01');

    it.each([
      ['equal to', '2020-09-01'],
      ['before', '2020-08-15'],
    ])('refuses an expiry %s a validFrom still to come, though after the amendment: INVALID_VALIDITY', (_, expiresOn) =>
      spec
        .given([issuedFuture])
        .when(cmd.amend(at, { expiresOn }))
        .thenThrows('INVALID_VALIDITY', { field: 'changes.expiresOn', message: 'expiresOn must be after validFrom 2020-09-01' }),
    );

    it('accepts an expiry the day after a validFrom still to come', () =>
      spec
        .given([issuedFuture])
        .when(cmd.amend(at, { expiresOn: '2020-09-02' }))
        .thenMatch([{ type: 'PermitAmended', data: { changes: { expiresOn: '2020-09-02' } } }]));

    it('refuses an amendment without changes', () =>
      spec
        .given(H.ISSUED)
        .when({ type: 'AmendPermit', effectiveAt: at, data: { permitNumber: N, reason: 'r' } } as PermitCommand)
        .thenThrows('EMPTY_AMENDMENT', { field: 'changes', message: 'changes must set expiresOn, conditions or items' }));

    it('refuses conditions that are not a list', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { conditions: { code: 'C', text: 't' } }))
        .thenThrows('REQUIRED_FIELD_MISSING', { field: 'changes.conditions', message: 'changes.conditions must be a list' }));

    it('refuses any key it does not know, even alongside one it does', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { conditions: [], validFrom: '2020-06-01' }))
        .thenThrows('AMENDMENT_NOT_ALLOWED', { field: 'changes.validFrom', message: 'validFrom cannot be amended' }));

    it('refuses changes to items that are no list: INVALID_ITEMS', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { items: [] }))
        .thenThrows('INVALID_ITEMS', { field: 'changes.items', message: 'at least one item is required' }));

    it('lowers a line to no value: the permit is used up only once its quantity is too', () =>
      spec
        .given(H.ISSUED)
        .when(cmd.amend(at, { items: [{ ...sensors[0]!, valueCad: 0 }, sensors[1]!] }))
        .then([
          {
            type: 'PermitAmended',
            data: {
              permitNumber: N,
              changes: { items: [{ ...sensors[0]!, valueCad: 0 }, sensors[1]!] },
              totalValueCad: 1_600_000,
              reason: 'Exporter request',
            },
          },
        ]));
  });

  describe('the text every decision on a permit must give', () => {
    const blank = (command: PermitCommand, key: string, value: unknown = ' '): PermitCommand =>
      ({ ...command, data: { ...command.data, [key]: value } }) as PermitCommand;
    it.each([
      ['SuspendPermit', H.ISSUED, blank(cmd.suspend(noon('2020-11-01')), 'reason'), 'reason'],
      ['SuspendPermit', H.ISSUED, blank(cmd.suspend(noon('2020-11-01')), 'legalBasis', undefined), 'legalBasis'],
      ['ReinstatePermit', H.SUSPENDED, blank(cmd.reinstate(noon('2020-11-01')), 'reason'), 'reason'],
      ['ReinstatePermit', H.SUSPENDED, blank(cmd.reinstate(noon('2020-11-01')), 'legalBasis'), 'legalBasis'],
      ['CancelPermit', H.SUSPENDED, blank(cmd.cancel(noon('2020-11-01')), 'reason', ''), 'reason'],
      ['CancelPermit', H.SUSPENDED, blank(cmd.cancel(noon('2020-11-01')), 'legalBasis'), 'legalBasis'],
      ['OpenReview', H.ISSUED, blank(cmd.openReview(noon('2020-11-01')), 'reason'), 'reason'],
      ['RecordReviewFinding', H.ISSUED_REVIEWING, blank(cmd.finding(noon('2020-11-01')), 'finding'), 'finding'],
      ['ConcludeReview', H.ISSUED_REVIEWING, blank(cmd.conclude(noon('2020-11-01')), 'summary'), 'summary'],
    ] as const)('%s requires %s', (_, history, command, field) =>
      spec
        .given(history)
        .when(command)
        .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` }),
    );

    it.each([
      ['SuspendPermit', H.ISSUED, blank(cmd.suspend(noon('2020-11-01')), 'decisionRef', 7), 'decisionRef'],
      ['ReinstatePermit', H.SUSPENDED, blank(cmd.reinstate(noon('2020-11-01')), 'decisionRef', 7), 'decisionRef'],
      ['OpenReview', H.ISSUED, blank(cmd.openReview(noon('2020-11-01')), 'decisionRef', 7), 'decisionRef'],
      ['CancelPermit', H.SUSPENDED, blank(cmd.cancel(noon('2020-11-01')), 'decisionRef', 7), 'decisionRef'],
      ['CancelPermit', H.SUSPENDED, blank(cmd.cancel(noon('2020-11-01')), 'reviewId', 7), 'reviewId'],
      ['RecordReviewFinding', H.ISSUED_REVIEWING, blank(cmd.finding(noon('2020-11-01')), 'theatre', 7), 'theatre'],
      ['RecordReviewFinding', H.ISSUED_REVIEWING, blank(cmd.finding(noon('2020-11-01')), 'evidenceRef', 7), 'evidenceRef'],
    ] as const)('%s names %s when it is given but not text', (_, history, command, field) =>
      spec
        .given(history)
        .when(command)
        .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` }),
    );

    it('records a blank decision reference as none, and only a literal true as a breached assurance', () => {
      spec
        .given(H.ISSUED)
        .when(cmd.suspend(noon('2020-11-01'), ' '))
        .thenMatch([{ type: 'PermitSuspended', data: { decisionRef: null } }]);
      spec
        .given(H.ISSUED_REVIEWING)
        .when(blank(cmd.finding(noon('2020-11-01')), 'assuranceBreached', 'yes'))
        .thenMatch([{ type: 'PermitReviewFindingRecorded', data: { assuranceBreached: false } }]);
      spec
        .given(H.SUSPENDED)
        .when(blank(cmd.cancel(noon('2020-11-01')), 'reviewId', ' '))
        .thenMatch([{ type: 'PermitCancelled', data: { reviewId: null } }]);
    });
  });

  describe('folding', () => {
    const amended = (changes: Record<string, unknown>, totalValueCad = 5_600_000): Dated<PermitEvent> => ({
      type: 'PermitAmended',
      effectiveAt: noon('2020-08-01'),
      data: { permitNumber: N, changes, totalValueCad, reason: 'r' } as never,
    });
    const conditions = [{ code: 'END-USE', text: 'Annual end-use report' }];

    it('an amendment of the conditions alone keeps the expiry and the items', () =>
      expect(foldPermit([issued, amended({ conditions })])).toMatchObject({
        status: 'ISSUED',
        conditions,
        expiresOn: '2021-06-30',
        items: sensors,
        lastEffectiveAt: noon('2020-08-01'),
      }));

    it('an amendment of the expiry alone keeps the conditions and the items', () =>
      expect(foldPermit([issued, amended({ expiresOn: '2020-12-31' })])).toMatchObject({
        expiresOn: '2020-12-31',
        conditions: issuedData.conditions,
        items: sensors,
      }));

    it('an amendment of the items alone keeps the expiry and takes its total from the event', () =>
      expect(foldPermit([issued, amended({ items: [sensors[0]!, { ...sensors[1]!, quantity: 1 }] }, 4_800_000)])).toMatchObject({
        expiresOn: '2021-06-30',
        conditions: issuedData.conditions,
        items: [sensors[0], { ...sensors[1], quantity: 1 }],
        totalValueCad: 4_800_000,
      }));

    it('remembers the last decision that named one, and keeps it through events that name none', () => {
      const opened: Dated<PermitEvent> = { ...reviewOpened, data: { ...reviewOpened.data, decisionRef: 'MIN-R' } };
      const quietly = <E extends Dated<PermitEvent>>(event: E, effectiveAt: string): E => ({
        ...event,
        effectiveAt,
        data: { ...event.data, decisionRef: null },
      });
      expect(foldPermit([issued, opened])).toMatchObject({ lastDecisionRef: 'MIN-R' });
      expect(foldPermit([issued, opened, quietly(suspended, noon('2020-10-06'))])).toMatchObject({ lastDecisionRef: 'MIN-R' });
      const reinstated: Dated<PermitEvent> = {
        type: 'PermitReinstated',
        effectiveAt: noon('2020-11-01'),
        data: { permitNumber: N, reason: 'r', legalBasis: 'b', decisionRef: 'MIN-2020-11-01' },
      };
      expect(foldPermit([issued, suspended, reinstated])).toMatchObject({ lastDecisionRef: 'MIN-2020-11-01' });
      expect(foldPermit([issued, suspended, quietly(reviewOpened, noon('2020-10-06'))])).toMatchObject({
        lastDecisionRef: 'MIN-2020-10-05',
      });
      expect(foldPermit([issued, suspended, quietly(cancelled, noon('2020-11-01'))])).toMatchObject({
        status: 'CANCELLED',
        lastDecisionRef: 'MIN-2020-10-05',
        suspendedAt: day('2020-10-05'),
      });
      expect(foldPermit([issued, cancelled])).toMatchObject({ lastDecisionRef: 'MIN-2021-04-12', suspendedAt: null });
      expect(foldPermit([issued, expired])).toMatchObject({ status: 'EXPIRED', suspendedAt: null, lastEffectiveAt: day('2021-06-30') });
    });
  });
});

describe('a command or event the domain does not know', () => {
  it('is a bug, not a domain error, and names what came', () => {
    const bogus = { type: 'RenamePermit', effectiveAt: noon('2020-06-01'), data: { permitNumber: N } };
    expect(() => decidePermit(bogus as never, foldPermit(H.ISSUED), { destination: TR })).toThrow(
      `unhandled variant: ${JSON.stringify(bogus)}`,
    );
    expect(() => foldPermit([issued, bogus as never])).toThrow(`unhandled variant: ${JSON.stringify(bogus)}`);
  });
});
