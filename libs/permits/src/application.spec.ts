import { describe, expect, it } from '@jest/globals';
import {
  isClosedApplication,
  issuePermitCommand,
  type ApplicationCommand,
  type ApplicationDecisionContext,
  type ApplicationEvent,
  type ApplicationState,
} from './application.js';
import { applicationDecider } from './application-decider.js';
import { foldStream } from './decider.js';
import { destinationDecider, permitDecider } from './deciders.js';
import { initialDestinationState, type DestinationState } from './destination.js';
import type { DomainErrorCode } from './errors.js';
import type { Dated, DestinationEvent } from './events.js';
import { initialPermitState, type PermitState } from './permit.js';
import { deciderSpec } from './testing/decider-spec.js';
import { day, NATO, noon, TR_HALT_2019, TR_NTE_992, trMeasureHistory } from './testing/fixture.js';

const REF = 'APP-19-0107';
const SUBMITTED_AT = noon('2019-11-04');

const form = {
  applicationRef: REF,
  destination: 'TR',
  exporter: { name: 'Northfield Optronics Inc.', businessNumber: '861234567' },
  consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
  endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
  intendedEndUse: 'integration on unmanned aerial vehicles',
  items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 }],
};

/** The Turkish measures as recorded by a date (the fixture's history up to and including it). */
const turkeyBy = (date: string): DestinationState =>
  foldStream(
    destinationDecider,
    'TR',
    trMeasureHistory
      .filter((e) => e.effectiveAt <= day(date))
      .map((e) => ({ ...e, schemaVersion: 1, data: e.data as Record<string, unknown> })),
  );
const TURKEY_2019 = turkeyBy('2019-12-31');
const TURKEY_2020 = turkeyBy('2020-12-31');
const NO_MEASURES = initialDestinationState('TR');

const context = (destination: DestinationState, permit: PermitState = initialPermitState): ApplicationDecisionContext => ({
  destination,
  permit,
});
const spec = (destination: DestinationState = NO_MEASURES, permit?: PermitState) =>
  deciderSpec(applicationDecider, { id: REF, context: context(destination, permit) });

const at =
  (effectiveAt: string) =>
  (e: ApplicationEvent): Dated<ApplicationEvent> => ({ ...e, effectiveAt });
const submitted = (exceptionGround: string | null = null): ApplicationEvent => ({
  type: 'ApplicationSubmitted',
  data: { ...form, exceptionGround },
});
const held = (measureId: string): ApplicationEvent => ({ type: 'ApplicationPlacedOnHold', data: { applicationRef: REF, measureId } });
const released = (measureId: string): ApplicationEvent => ({
  type: 'ApplicationReleasedFromHold',
  data: { applicationRef: REF, measureId },
});

/** The histories of every state the application can be in. */
const story = (effectiveAt: string, ...events: ApplicationEvent[]): Dated<ApplicationEvent>[] => events.map(at(effectiveAt));
const STATES = {
  SUBMITTED: story(noon('2019-03-01'), submitted()),
  ON_HOLD: story(SUBMITTED_AT, submitted(), held(TR_HALT_2019)),
  APPROVED: story(noon('2019-03-01'), submitted(), {
    type: 'ApplicationApproved',
    data: { applicationRef: REF, permitNumber: 'EXP-19-000107', validFrom: '2019-03-02', expiresOn: '2021-03-01', conditions: [] },
  }),
  REFUSED: story(noon('2019-03-01'), submitted(), {
    type: 'ApplicationRefused',
    data: { applicationRef: REF, criteria: ['IHL_VIOLATION'], reason: 'r', legalBasis: 'EIPA s.7.3' },
  }),
  WITHDRAWN: story(noon('2019-03-01'), submitted(), {
    type: 'ApplicationWithdrawn',
    data: { applicationRef: REF, reason: 'exporter withdrew' },
  }),
} satisfies Record<Exclude<ApplicationState['status'], 'NONE'>, Dated<ApplicationEvent>[]>;

const submit = (effectiveAt: string, exceptionGround?: string): ApplicationCommand => ({
  type: 'SubmitApplication',
  effectiveAt,
  data: { ...form, ...(exceptionGround ? { exceptionGround } : {}) },
});
const approve = (effectiveAt: string, overrides: Record<string, unknown> = {}): ApplicationCommand => ({
  type: 'ApproveApplication',
  effectiveAt,
  data: {
    applicationRef: REF,
    destination: 'TR',
    permitNumber: 'EXP-20-005190',
    validFrom: '2020-06-01',
    expiresOn: '2022-06-01',
    ...overrides,
  },
});
const refuse = (effectiveAt: string, criteria: unknown = ['IHRL_VIOLATION', 'SUBSTANTIAL_RISK']): ApplicationCommand => ({
  type: 'RefuseApplication',
  effectiveAt,
  data: { applicationRef: REF, criteria: criteria as string[], reason: 'risk of use against civilians', legalBasis: 'EIPA s.7.3' },
});
const withdraw = (effectiveAt: string, reason = 'contract cancelled'): ApplicationCommand => ({
  type: 'WithdrawApplication',
  effectiveAt,
  data: { applicationRef: REF, reason },
});
const review = (effectiveAt: string): ApplicationCommand => ({
  type: 'ReviewApplicationHold',
  effectiveAt,
  data: { applicationRef: REF, destination: 'TR' },
});

/** A refusal with its code, kind, field and a stable part of its message. */
function refuses(
  history: Dated<ApplicationEvent>[],
  command: ApplicationCommand,
  code: DomainErrorCode,
  message: string,
  field?: string,
  destination = NO_MEASURES,
  permit?: PermitState,
) {
  spec(destination, permit).given(history).when(command).thenThrows(code, { field, message });
}

describe('application decider: SubmitApplication', () => {
  it('records the application when no measure blocks it', () => {
    spec()
      .given([])
      .when(submit(noon('2019-03-01')))
      .then([submitted()]);
  });

  it('records it and places it on hold under the 2019 halt, rather than refusing it', () => {
    spec(TURKEY_2019)
      .given([])
      .when(submit(SUBMITTED_AT, NATO))
      .then([submitted(NATO), held(TR_HALT_2019)]);
  });

  it('holds a Group 2 application under NtE 992 without an exception ground, and not with one', () => {
    spec(TURKEY_2020)
      .given([])
      .when(submit(noon('2020-05-14')))
      .then([submitted(), held(TR_NTE_992)]);
    spec(TURKEY_2020)
      .given([])
      .when(submit(noon('2020-05-14'), NATO))
      .then([submitted(NATO)]);
  });

  it('takes effect at the command time', () => {
    spec(TURKEY_2019)
      .given([])
      .when(submit(SUBMITTED_AT))
      .thenAt([
        { type: 'ApplicationSubmitted', effectiveAt: SUBMITTED_AT },
        { type: 'ApplicationPlacedOnHold', effectiveAt: SUBMITTED_AT },
      ]);
  });

  it('copies only the known fields of parties and items', () => {
    const command = submit(noon('2019-03-01'));
    (command.data as Record<string, unknown>).items = [{ ...form.items[0], secret: 1 }];
    (command.data as Record<string, unknown>).exporter = { ...form.exporter, extra: 'x' };
    spec().given([]).when(command).then([submitted()]);
  });

  it.each([
    ['intendedEndUse', { intendedEndUse: ' ' }, 'REQUIRED_FIELD_MISSING', 'intendedEndUse is required'],
    ['exporter.name', { exporter: {} }, 'REQUIRED_FIELD_MISSING', 'exporter.name is required'],
    ['items', { items: [] }, 'INVALID_ITEMS', 'at least one item is required'],
    ['items[0].eclItem', { items: [{ ...form.items[0], eclItem: 'x' }] }, 'INVALID_ITEMS', 'eclItem must be an ECL item'],
    ['items[0].quantity', { items: [{ ...form.items[0], quantity: 0 }] }, 'INVALID_ITEMS', 'quantity must be a positive number'],
  ] as const)('refuses a bad %s', (field, change, code, message) => {
    const command = submit(noon('2019-03-01'));
    Object.assign(command.data, change);
    refuses([], command, code, message, field);
  });

  it('keeps party details that are given, drops blank ones, and drops a blank exception ground', () => {
    const command = submit(noon('2019-03-01'));
    Object.assign(command.data, {
      exporter: { name: 'Northfield Optronics Inc.', country: 'CA', address: '1 Sensor Way, Ottawa', businessNumber: ' ' },
      endUser: { name: 'Anadolu UAV Systems', country: '', address: ' ' },
      exceptionGround: ' ',
    });
    spec()
      .given([])
      .when(command)
      .then([
        {
          type: 'ApplicationSubmitted',
          data: {
            ...form,
            exporter: { name: 'Northfield Optronics Inc.', country: 'CA', address: '1 Sensor Way, Ottawa' },
            endUser: { name: 'Anadolu UAV Systems' },
            exceptionGround: null,
          },
        },
      ]);
  });

  const item = form.items[0];
  it.each([
    ['consignee.name', { consignee: { name: ' ', country: 'TR' } }, 'REQUIRED_FIELD_MISSING', 'consignee.name is required'],
    ['endUser.name', { endUser: undefined }, 'REQUIRED_FIELD_MISSING', 'endUser.name is required'],
    ['items', { items: 'gimbal' }, 'INVALID_ITEMS', 'at least one item is required'],
    ['items[0].eclItem', { items: [null] }, 'INVALID_ITEMS', 'eclItem must be an ECL item'],
    // A JSON array reads as "2-15.a" when turned into a string, but it is not one.
    ['items[0].eclItem', { items: [{ ...item, eclItem: ['2-15.a'] }] }, 'INVALID_ITEMS', 'eclItem must be an ECL item'],
    ['items[1].description', { items: [item, { ...item, description: '' }] }, 'REQUIRED_FIELD_MISSING', 'items[1].description is required'],
    ['items[0].unit', { items: [{ ...item, unit: ' ' }] }, 'REQUIRED_FIELD_MISSING', 'items[0].unit is required'],
    ['items[0].valueCad', { items: [{ ...item, valueCad: 0.001 }] }, 'INVALID_ITEMS', 'valueCad must be a non-negative amount'],
    [
      'items',
      { items: [item, ...Array.from({ length: 100 }, () => ({ ...item, valueCad: 1_000_000_000_000 }))] },
      'INVALID_ITEMS',
      'the total value is too large to record exactly',
    ],
    ['applicationRef', { applicationRef: ' ' }, 'REQUIRED_FIELD_MISSING', 'applicationRef is required'],
  ] as const)('refuses a bad %s (%#)', (field, change, code, message) => {
    const command = submit(noon('2019-03-01'));
    Object.assign(command.data, change);
    const id = command.data.applicationRef;
    deciderSpec(applicationDecider, { id, context: context(NO_MEASURES) })
      .given([])
      .when(command)
      .thenThrows(code, { field, message });
  });

  it('requires a destination and a well-formed effectiveAt', () => {
    const nowhere = submit(noon('2019-03-01'));
    Object.assign(nowhere.data, { destination: '' });
    refuses([], nowhere, 'REQUIRED_FIELD_MISSING', 'destination is required', 'destination', initialDestinationState(''));
    refuses([], submit('2019-03-01'), 'INVALID_DATE', 'effectiveAt must be an ISO 8601 timestamp', 'effectiveAt');
  });

  it.each(Object.entries(STATES))('refuses a second submission when %s', (status, history) => {
    refuses(history, submit(noon('2021-01-01')), 'APPLICATION_ALREADY_EXISTS', `already exists (${status})`);
  });
});

describe('application decider: ApproveApplication', () => {
  it('approves into the permit it would issue, with the checked conditions', () => {
    spec()
      .given(STATES.SUBMITTED)
      .when(approve(noon('2020-05-20'), { conditions: [{ code: 'NO-REEXPORT', text: 'No re-export' }] }))
      .then([
        {
          type: 'ApplicationApproved',
          data: {
            applicationRef: REF,
            permitNumber: 'EXP-20-005190',
            validFrom: '2020-06-01',
            expiresOn: '2022-06-01',
            conditions: [{ code: 'NO-REEXPORT', text: 'No re-export' }],
          },
        },
      ]);
  });

  it('refuses while a measure blocks the permit (409 ISSUANCE_BLOCKED), on hold or not', () => {
    refuses(STATES.ON_HOLD, approve(noon('2019-12-01')), 'ISSUANCE_BLOCKED', `blocked by measure ${TR_HALT_2019}`, undefined, TURKEY_2019);
    refuses(STATES.SUBMITTED, approve(noon('2020-05-20')), 'ISSUANCE_BLOCKED', `blocked by measure ${TR_NTE_992}`, undefined, TURKEY_2020);
  });

  it('approves a held application once its measure no longer blocks it (before the release is recorded)', () => {
    spec(turkeyBy('2024-01-29'))
      .given(STATES.ON_HOLD)
      .when(approve(noon('2024-02-01'), { validFrom: '2024-02-01', expiresOn: '2026-02-01' }))
      .thenMatch([{ type: 'ApplicationApproved' }]);
  });

  it('refuses a permit number already taken, and a validity the permit would refuse', () => {
    const taken = foldStream(permitDecider, 'EXP-20-005190', [
      {
        type: 'PermitIssued',
        schemaVersion: 2,
        effectiveAt: noon('2020-01-01'),
        data: {
          ...form,
          permitNumber: 'EXP-20-005190',
          totalValueCad: 1,
          validFrom: '2020-01-01',
          expiresOn: '2021-01-01',
          conditions: [],
          exceptionGround: null,
          supersedes: null,
        },
      },
    ]);
    refuses(
      STATES.SUBMITTED,
      approve(noon('2020-05-20')),
      'PERMIT_ALREADY_EXISTS',
      'permit EXP-20-005190 already exists',
      undefined,
      NO_MEASURES,
      taken,
    );
    refuses(
      STATES.SUBMITTED,
      approve(noon('2020-05-20'), { expiresOn: '2020-05-01' }),
      'INVALID_VALIDITY',
      'must be after validFrom',
      'expiresOn',
    );
    refuses(STATES.SUBMITTED, approve(noon('2020-05-20'), { validFrom: '2020-13-01' }), 'INVALID_DATE', 'calendar date', 'validFrom');
  });

  it("records the approval of a permit already issued on the application in the permit's terms, measures or not", () => {
    // The application layer issues the permit first; the approval recorded after it follows the permit.
    const { applicationRef: _, ...parties } = form;
    const issuedOn = (applicationRef: string | undefined, validFrom = '2020-06-01', expiresOn = '2022-06-01'): PermitState =>
      foldStream(permitDecider, 'EXP-20-005190', [
        {
          type: 'PermitIssued',
          schemaVersion: 2,
          effectiveAt: noon('2020-05-20'),
          data: {
            ...parties,
            permitNumber: 'EXP-20-005190',
            totalValueCad: 4_200_000,
            validFrom,
            expiresOn,
            conditions: [{ code: 'NO-REEXPORT', text: 'No re-export' }],
            exceptionGround: null,
            supersedes: null,
            ...(applicationRef ? { applicationRef } : {}),
          },
        },
      ]);
    spec(TURKEY_2020, issuedOn(REF))
      .given(STATES.ON_HOLD)
      .when(approve(noon('2020-05-20')))
      .then([
        {
          type: 'ApplicationApproved',
          data: {
            applicationRef: REF,
            permitNumber: 'EXP-20-005190',
            validFrom: '2020-06-01',
            expiresOn: '2022-06-01',
            conditions: [{ code: 'NO-REEXPORT', text: 'No re-export' }],
          },
        },
      ]);
    // Another application's permit, one issued directly, or one on this application with another validity.
    for (const taken of [
      issuedOn('APP-19-0999'),
      issuedOn(undefined),
      issuedOn(REF, '2020-07-01'),
      issuedOn(REF, '2020-06-01', '2022-07-01'),
    ]) {
      refuses(
        STATES.SUBMITTED,
        approve(noon('2020-05-20')),
        'PERMIT_ALREADY_EXISTS',
        'permit EXP-20-005190 already exists',
        undefined,
        NO_MEASURES,
        taken,
      );
    }
    refuses(STATES.APPROVED, approve(noon('2020-05-20')), 'APPLICATION_CLOSED', 'is APPROVED', undefined, NO_MEASURES, issuedOn(REF));
  });

  it('treats a command for another application or destination than it was decided against as a wiring bug', () => {
    const decide = (command: ApplicationCommand, state: ApplicationState) => () =>
      applicationDecider.decide(command, state, context(NO_MEASURES));
    const open = STATES.SUBMITTED.reduce(applicationDecider.evolve, applicationDecider.initialState(REF));
    const elsewhere = withdraw(noon('2020-02-01'));
    Object.assign(elsewhere.data, { applicationRef: 'APP-X' });
    expect(decide(elsewhere, open)).toThrow('command for APP-X decided against application-APP-19-0107');
    expect(decide(approve(noon('2020-05-20'), { destination: 'DE' }), open)).toThrow('application to DE decided against destination-TR');
    const reviewGermany = review(noon('2020-05-20'));
    Object.assign(reviewGermany.data, { destination: 'DE' });
    expect(decide(reviewGermany, open)).toThrow('application to DE decided against destination-TR');
    const toGermany = submit(noon('2019-03-01'));
    Object.assign(toGermany.data, { destination: 'DE' });
    expect(decide(toGermany, applicationDecider.initialState(REF))).toThrow('application to DE decided against destination-TR');
  });

  it('refuses an approval dated before the last event', () => {
    refuses(
      STATES.SUBMITTED,
      approve(noon('2019-02-01')),
      'EFFECTIVE_AT_BEFORE_LAST_EVENT',
      "before the stream's last event",
      'effectiveAt',
    );
  });

  it('refuses when there is no application', () => {
    refuses([], approve(noon('2020-05-20')), 'APPLICATION_NOT_FOUND', `application ${REF} does not exist`);
  });

  it.each(['APPROVED', 'REFUSED', 'WITHDRAWN'] as const)('refuses when %s', (status) => {
    refuses(STATES[status], approve(noon('2020-05-20')), 'APPLICATION_CLOSED', `is ${status}`);
  });
});

describe('application decider: RefuseApplication', () => {
  it.each(['SUBMITTED', 'ON_HOLD'] as const)('refuses a %s application citing its criteria once each', (status) => {
    spec()
      .given(STATES[status])
      .when(refuse(noon('2020-06-01'), ['IHRL_VIOLATION', 'SUBSTANTIAL_RISK', 'IHRL_VIOLATION']))
      .then([
        {
          type: 'ApplicationRefused',
          data: {
            applicationRef: REF,
            criteria: ['IHRL_VIOLATION', 'SUBSTANTIAL_RISK'],
            reason: 'risk of use against civilians',
            legalBasis: 'EIPA s.7.3',
          },
        },
      ]);
  });

  it.each([
    ['no criteria', [], 'at least one assessment criterion'],
    ['criteria that are not a list', 'IHL_VIOLATION', 'at least one assessment criterion'],
    ['an unknown code', ['IHL_VIOLATION', 'BAD_VIBES'], 'unknown criteria: BAD_VIBES'],
  ])('refuses %s (400 naming criteria)', (_, criteria, message) => {
    refuses(STATES.SUBMITTED, refuse(noon('2020-06-01'), criteria), 'INVALID_CRITERIA', message, 'criteria');
  });

  it('names every unknown code it refuses', () => {
    refuses(
      STATES.SUBMITTED,
      refuse(noon('2020-06-01'), ['BAD_VIBES', 'IHL_VIOLATION', 'HUNCH']),
      'INVALID_CRITERIA',
      'unknown criteria: BAD_VIBES, HUNCH (see GET /criteria)',
      'criteria',
    );
  });

  it.each(['reason', 'legalBasis'] as const)('requires a %s', (field) => {
    const command = refuse(noon('2020-06-01'));
    Object.assign(command.data, { [field]: ' ' });
    refuses(STATES.SUBMITTED, command, 'REQUIRED_FIELD_MISSING', `${field} is required`, field);
  });

  it('refuses one dated before the last event', () => {
    refuses(STATES.ON_HOLD, refuse(noon('2019-11-01')), 'EFFECTIVE_AT_BEFORE_LAST_EVENT', "before the stream's last event", 'effectiveAt');
  });

  it('refuses when there is no application, or it is decided', () => {
    refuses([], refuse(noon('2020-06-01')), 'APPLICATION_NOT_FOUND', 'does not exist');
    for (const status of ['APPROVED', 'REFUSED', 'WITHDRAWN'] as const) {
      refuses(STATES[status], refuse(noon('2020-06-01')), 'APPLICATION_CLOSED', `is ${status}`);
    }
  });
});

describe('application decider: WithdrawApplication', () => {
  it.each(['SUBMITTED', 'ON_HOLD'] as const)('withdraws a %s application', (status) => {
    spec()
      .given(STATES[status])
      .when(withdraw(noon('2020-02-01')))
      .then([{ type: 'ApplicationWithdrawn', data: { applicationRef: REF, reason: 'contract cancelled' } }]);
  });

  it('requires a reason', () => {
    refuses(STATES.SUBMITTED, withdraw(noon('2020-02-01'), ''), 'REQUIRED_FIELD_MISSING', 'reason is required', 'reason');
  });

  it('refuses when there is no application, it is decided, or the withdrawal predates the last event', () => {
    refuses([], withdraw(noon('2020-02-01')), 'APPLICATION_NOT_FOUND', 'does not exist');
    for (const status of ['APPROVED', 'REFUSED', 'WITHDRAWN'] as const) {
      refuses(STATES[status], withdraw(noon('2020-02-01')), 'APPLICATION_CLOSED', `is ${status}`);
    }
    refuses(
      STATES.ON_HOLD,
      withdraw(noon('2019-11-01')),
      'EFFECTIVE_AT_BEFORE_LAST_EVENT',
      "before the stream's last event",
      'effectiveAt',
    );
  });
});

describe('application decider: ReviewApplicationHold', () => {
  const liftOnly: Dated<DestinationEvent>[] = trMeasureHistory.slice(0, 2);
  const haltLifted = foldStream(
    destinationDecider,
    'TR',
    liftOnly.map((e) => ({ ...e, schemaVersion: 1, data: e.data as Record<string, unknown> })),
  );

  it('releases an application whose measure was lifted and nothing else blocks it', () => {
    spec(haltLifted)
      .given(STATES.ON_HOLD)
      .when(review(day('2020-04-16')))
      .then([released(TR_HALT_2019)]);
  });

  it('keeps an application held under the measure that replaced its own (NtE 992 for Group 2)', () => {
    spec(TURKEY_2020)
      .given(STATES.ON_HOLD)
      .when(review(day('2020-04-16')))
      .then([held(TR_NTE_992)]);
  });

  it('releases it when the replacing measure admits its exception ground', () => {
    const history = [submitted(NATO), held(TR_HALT_2019)].map(at(SUBMITTED_AT));
    spec(TURKEY_2020)
      .given(history)
      .when(review(day('2020-04-16')))
      .then([released(TR_HALT_2019)]);
  });

  it('changes nothing while its own measure still stands, or when it is already under the replacing one', () => {
    spec(TURKEY_2020)
      .given(STATES.ON_HOLD)
      .when(review(noon('2020-01-01')))
      .then([]);
    spec(TURKEY_2020)
      .given([...STATES.ON_HOLD, at(day('2020-04-16'))(held(TR_NTE_992))])
      .when(review(day('2020-04-16')))
      .then([]);
  });

  it('places a submitted application on hold under a measure imposed since, and leaves one nothing blocks', () => {
    spec(TURKEY_2019)
      .given(STATES.SUBMITTED)
      .when(review(day('2019-10-11')))
      .then([held(TR_HALT_2019)]);
    spec(NO_MEASURES)
      .given(STATES.SUBMITTED)
      .when(review(day('2019-10-11')))
      .then([]);
  });

  it.each(['APPROVED', 'REFUSED', 'WITHDRAWN'] as const)('changes nothing when %s', (status) => {
    spec(TURKEY_2019)
      .given(STATES[status])
      .when(review(day('2019-10-11')))
      .then([]);
  });

  it('refuses when there is no application, or when dated before its last event', () => {
    refuses([], review(day('2020-04-16')), 'APPLICATION_NOT_FOUND', 'does not exist');
    refuses(
      STATES.ON_HOLD,
      review(day('2019-10-11')),
      'EFFECTIVE_AT_BEFORE_LAST_EVENT',
      "before the stream's last event",
      'effectiveAt',
      haltLifted,
    );
  });
});

describe('application decider: evolve and context', () => {
  it('folds status, hold, permit number and criteria', () => {
    const fold = (history: Dated<ApplicationEvent>[]) => history.reduce(applicationDecider.evolve, applicationDecider.initialState(REF));
    expect(fold(STATES.ON_HOLD)).toMatchObject({ status: 'ON_HOLD', heldBy: TR_HALT_2019, submittedAt: SUBMITTED_AT });
    expect(fold([...STATES.ON_HOLD, at(day('2020-04-16'))(released(TR_HALT_2019))])).toMatchObject({ status: 'SUBMITTED', heldBy: null });
    expect(fold(STATES.APPROVED)).toMatchObject({ status: 'APPROVED', permitNumber: 'EXP-19-000107' });
    expect(fold(STATES.REFUSED)).toMatchObject({ status: 'REFUSED', criteria: ['IHL_VIOLATION'] });
  });

  it('clears the hold and dates the application by its last event whatever decides it', () => {
    const fold = (history: Dated<ApplicationEvent>[]) => history.reduce(applicationDecider.evolve, applicationDecider.initialState(REF));
    const decided = noon('2020-06-01');
    const approval = { permitNumber: 'EXP-20-005190', validFrom: '2020-06-01', expiresOn: '2022-06-01', conditions: [] };
    const decisions: ApplicationEvent[] = [
      { type: 'ApplicationApproved', data: { applicationRef: REF, ...approval } },
      { type: 'ApplicationRefused', data: { applicationRef: REF, criteria: ['IHL_VIOLATION'], reason: 'r', legalBasis: 'b' } },
      { type: 'ApplicationWithdrawn', data: { applicationRef: REF, reason: 'r' } },
    ];
    const [approved, refused, withdrawn] = decisions.map((e) => fold([...STATES.ON_HOLD, at(decided)(e)]));
    const open = { ...form, exceptionGround: null, submittedAt: SUBMITTED_AT, lastEffectiveAt: decided, heldBy: null };
    expect(approved).toEqual({ ...open, status: 'APPROVED', permitNumber: 'EXP-20-005190', approval, criteria: [] });
    expect(refused).toEqual({ ...open, status: 'REFUSED', permitNumber: null, approval: null, criteria: ['IHL_VIOLATION'] });
    expect(withdrawn).toEqual({ ...open, status: 'WITHDRAWN', permitNumber: null, approval: null, criteria: [] });
    expect(fold([...STATES.ON_HOLD, at(decided)(held(TR_NTE_992))])).toMatchObject({ heldBy: TR_NTE_992, lastEffectiveAt: decided });
  });

  it('stops on an event that does not fit (a release by another measure, anything after a decision)', () => {
    const fold = (history: Dated<ApplicationEvent>[]) => () =>
      history.reduce(applicationDecider.evolve, applicationDecider.initialState(REF));
    expect(fold([...STATES.ON_HOLD, at(SUBMITTED_AT)(released(TR_NTE_992))])).toThrow(
      `cannot apply ApplicationReleasedFromHold at ${SUBMITTED_AT} to application ${REF} in state ON_HOLD`,
    );
    expect(fold([...STATES.WITHDRAWN, at(SUBMITTED_AT)(held(TR_NTE_992))])).toThrow('in state WITHDRAWN');
    expect(fold([...STATES.SUBMITTED, at(SUBMITTED_AT)(submitted())])).toThrow('cannot apply ApplicationSubmitted');
    expect(fold([at(SUBMITTED_AT)(held(TR_NTE_992))])).toThrow('in state NONE');
    expect(isClosedApplication(applicationDecider.initialState(REF))).toBe(false);
    expect(isClosedApplication(fold(STATES.ON_HOLD)())).toBe(false);
    expect(isClosedApplication(fold(STATES.REFUSED)())).toBe(true);
  });

  it('stops on a command or an event of a kind it does not know', () => {
    const open = STATES.SUBMITTED.reduce(applicationDecider.evolve, applicationDecider.initialState(REF));
    const unknown = { type: 'ApplicationForgotten', effectiveAt: noon('2020-01-01'), data: { applicationRef: REF } } as never;
    expect(() => applicationDecider.evolve(open, unknown)).toThrow('unhandled variant');
    expect(() => applicationDecider.decide(unknown, open, context(NO_MEASURES))).toThrow('unhandled variant');
  });

  it('turns an approval into the IssuePermit it stands for: the application with the permit number, validity and conditions', () => {
    const application = STATES.SUBMITTED.reduce(applicationDecider.evolve, applicationDecider.initialState(REF));
    if (application.status === 'NONE') throw new Error('not submitted');
    const conditions = [{ code: 'NO-REEXPORT', text: 'No re-export' }];
    const approval = { permitNumber: 'EXP-20-005190', validFrom: '2020-06-01', expiresOn: '2022-06-01', conditions };
    const { applicationRef: _, ...parties } = form;
    expect(issuePermitCommand(application, approval, noon('2020-05-20'))).toEqual({
      type: 'IssuePermit',
      effectiveAt: noon('2020-05-20'),
      data: { ...parties, ...approval, exceptionGround: null, supersedes: null, applicationRef: REF },
    });
  });

  it('reads the destination for submission and reviews, and the permit too for approval', () => {
    const streams = applicationDecider.context!.streams;
    expect(streams(submit(SUBMITTED_AT))).toEqual(['destination-TR']);
    expect(streams(review(SUBMITTED_AT))).toEqual(['destination-TR']);
    expect(streams(approve(SUBMITTED_AT))).toEqual(['destination-TR', 'permit-EXP-20-005190']);
    expect(streams(refuse(SUBMITTED_AT))).toEqual([]);
    expect(streams(withdraw(SUBMITTED_AT))).toEqual([]);
    expect(streams(approve(SUBMITTED_AT, { destination: '' }))).toEqual([]);
    expect(applicationDecider.streamName(REF)).toBe(`application-${REF}`);
  });

  it('reads a stored event as it was written, dated by its envelope', () => {
    const data = { applicationRef: REF, reason: 'exporter withdrew' };
    expect(applicationDecider.upcast({ type: 'ApplicationWithdrawn', schemaVersion: 1, data, effectiveAt: SUBMITTED_AT })).toEqual({
      type: 'ApplicationWithdrawn',
      data,
      effectiveAt: SUBMITTED_AT,
    });
  });

  it("folds the streams' stored events into what decide is given", () => {
    const fold = applicationDecider.context!.fold;
    const measures = trMeasureHistory.map((e) => ({ ...e, schemaVersion: 1, data: e.data as Record<string, unknown> }));
    const issued = {
      type: 'PermitIssued',
      schemaVersion: 2,
      effectiveAt: noon('2020-05-20'),
      data: {
        ...form,
        permitNumber: 'EXP-20-005190',
        totalValueCad: 4_200_000,
        validFrom: '2020-06-01',
        expiresOn: '2022-06-01',
        conditions: [],
        exceptionGround: null,
        supersedes: null,
      },
    };
    expect(fold(submit(SUBMITTED_AT), [measures])).toEqual({ destination: turkeyBy('2024-12-31'), permit: initialPermitState });
    expect(fold(approve(SUBMITTED_AT), [measures, [issued]])).toEqual({
      destination: turkeyBy('2024-12-31'),
      permit: foldStream(permitDecider, 'EXP-20-005190', [issued]),
    });
    expect(fold(approve(SUBMITTED_AT), [])).toEqual({ destination: initialDestinationState('TR'), permit: initialPermitState });
    expect(fold(refuse(SUBMITTED_AT), [])).toEqual({ destination: initialDestinationState(''), permit: initialPermitState });
  });
});
