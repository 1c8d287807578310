import { describe, expect, it } from '@jest/globals';
import type { IssuePermit, PermitCommand } from './commands.js';
import { foldDestination, initialDestinationState, type DestinationState } from './destination.js';
import { DomainError } from './errors.js';
import type { Dated, PermitEvent, PermitIssued } from './events.js';
import { permitDecider } from './deciders.js';
import { decidePermit, foldPermit, initialPermitState } from './permit.js';
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
