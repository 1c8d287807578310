import type { IssuePermit } from './commands.js';
import { isCriterionCode } from './criteria.js';
import { blockingMeasure, eclGroup, measuresInForce, type DestinationState } from './destination.js';
import { domainError } from './errors.js';
import type { Dated, PermitIssued } from './events.js';
import { decidePermit, type PermitState } from './permit.js';
import { assertNotBeforeLastEvent, instant } from './time.js';
import type { Party, PermitCondition, PermitItem } from './types.js';
import { assertNever, checkAmount, checkQuantity, requireText, sumCad } from './validation.js';

// ---------------------------------------------------------------------------------------------
// Events (stream `application-{applicationRef}`)
// ---------------------------------------------------------------------------------------------

export interface ApplicationSubmitted {
  type: 'ApplicationSubmitted';
  data: {
    applicationRef: string;
    destination: string;
    exporter: Party;
    consignee: Party;
    endUser: Party;
    intendedEndUse: string;
    items: PermitItem[];
    exceptionGround: string | null;
  };
}

/** Also recorded when a measure that replaces the one holding the application takes the hold over. */
export interface ApplicationPlacedOnHold {
  type: 'ApplicationPlacedOnHold';
  data: { applicationRef: string; measureId: string };
}

export interface ApplicationReleasedFromHold {
  type: 'ApplicationReleasedFromHold';
  data: { applicationRef: string; measureId: string };
}

export interface ApplicationApproved {
  type: 'ApplicationApproved';
  data: { applicationRef: string; permitNumber: string; validFrom: string; expiresOn: string; conditions: PermitCondition[] };
}

export interface ApplicationRefused {
  type: 'ApplicationRefused';
  data: { applicationRef: string; criteria: string[]; reason: string; legalBasis: string };
}

export interface ApplicationWithdrawn {
  type: 'ApplicationWithdrawn';
  data: { applicationRef: string; reason: string };
}

export type ApplicationEvent =
  | ApplicationSubmitted
  | ApplicationPlacedOnHold
  | ApplicationReleasedFromHold
  | ApplicationApproved
  | ApplicationRefused
  | ApplicationWithdrawn;

export const APPLICATION_EVENT_SCHEMA_VERSIONS = {
  ApplicationSubmitted: 1,
  ApplicationPlacedOnHold: 1,
  ApplicationReleasedFromHold: 1,
  ApplicationApproved: 1,
  ApplicationRefused: 1,
  ApplicationWithdrawn: 1,
} as const satisfies Record<ApplicationEvent['type'], number>;

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

interface Timed {
  effectiveAt: string;
}

export interface SubmitApplication extends Timed {
  type: 'SubmitApplication';
  data: Omit<ApplicationSubmitted['data'], 'exceptionGround'> & { exceptionGround?: string | null };
}

/**
 * `destination` is the application's own (the application layer reads it from the stream): it names the
 * destination stream the decision reads, since the command alone does not say where the application goes.
 */
export interface ApproveApplication extends Timed {
  type: 'ApproveApplication';
  data: {
    applicationRef: string;
    destination: string;
    permitNumber: string;
    validFrom: string;
    expiresOn: string;
    conditions?: PermitCondition[];
  };
}

export interface RefuseApplication extends Timed {
  type: 'RefuseApplication';
  data: { applicationRef: string; criteria: string[]; reason: string; legalBasis: string };
}

export interface WithdrawApplication extends Timed {
  type: 'WithdrawApplication';
  data: { applicationRef: string; reason: string };
}

/**
 * The process manager's command after a destination's measures changed (or an application was held by a
 * measure already lifted): holds, releases or hands the hold over to whatever blocks the application at
 * `effectiveAt`; nothing when the hold is already right.
 */
export interface ReviewApplicationHold extends Timed {
  type: 'ReviewApplicationHold';
  data: { applicationRef: string; destination: string };
}

export type ApplicationCommand = SubmitApplication | ApproveApplication | RefuseApplication | WithdrawApplication | ReviewApplicationHold;

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

export type ApplicationStatus = 'SUBMITTED' | 'ON_HOLD' | 'APPROVED' | 'REFUSED' | 'WITHDRAWN';

export interface ApplicationRecord extends Omit<ApplicationSubmitted['data'], never> {
  status: ApplicationStatus;
  submittedAt: string;
  lastEffectiveAt: string;
  /** The measure holding the application; null when none does. */
  heldBy: string | null;
  /** Set once approved. */
  permitNumber: string | null;
  approval: Omit<ApplicationApproved['data'], 'applicationRef'> | null;
  /** The criteria a refusal cited. */
  criteria: string[];
}

export type ApplicationState = { status: 'NONE'; applicationRef: string } | ApplicationRecord;

export const initialApplicationState = (applicationRef: string): ApplicationState => ({ status: 'NONE', applicationRef });

const CLOSED: ReadonlySet<ApplicationState['status']> = new Set(['APPROVED', 'REFUSED', 'WITHDRAWN']);
export const isClosedApplication = (state: ApplicationState): boolean => CLOSED.has(state.status);

export function evolveApplication(state: ApplicationState, event: Dated<ApplicationEvent>): ApplicationState {
  const at = event.effectiveAt;
  if (event.type === 'ApplicationSubmitted') {
    if (state.status !== 'NONE') throw corrupt(state, event);
    return {
      ...event.data,
      status: 'SUBMITTED',
      submittedAt: at,
      lastEffectiveAt: at,
      heldBy: null,
      permitNumber: null,
      approval: null,
      criteria: [],
    };
  }
  // Events come from decideApplication: one that does not fit the state means a corrupt stream, so stop.
  if (state.status === 'NONE' || isClosedApplication(state)) throw corrupt(state, event);
  const open = { ...state, lastEffectiveAt: at };
  switch (event.type) {
    case 'ApplicationPlacedOnHold':
      return { ...open, status: 'ON_HOLD', heldBy: event.data.measureId };
    case 'ApplicationReleasedFromHold':
      if (state.heldBy !== event.data.measureId) throw corrupt(state, event);
      return { ...open, status: 'SUBMITTED', heldBy: null };
    case 'ApplicationApproved': {
      const { applicationRef: _, ...approval } = event.data;
      return { ...open, status: 'APPROVED', heldBy: null, permitNumber: approval.permitNumber, approval };
    }
    case 'ApplicationRefused':
      return { ...open, status: 'REFUSED', heldBy: null, criteria: event.data.criteria };
    case 'ApplicationWithdrawn':
      return { ...open, status: 'WITHDRAWN', heldBy: null };
    default:
      return assertNever(event);
  }
}

function corrupt(state: ApplicationState, event: Dated<ApplicationEvent>): Error {
  return new Error(`cannot apply ${event.type} at ${event.effectiveAt} to application ${state.applicationRef} in state ${state.status}`);
}

// ---------------------------------------------------------------------------------------------
// Decide
// ---------------------------------------------------------------------------------------------

export interface ApplicationDecisionContext {
  /** The application's destination, folded: submission, approval and hold reviews consult its measures. */
  destination: DestinationState;
  /** The permit an approval would issue (NONE unless the number is taken). */
  permit: PermitState;
}

export function decideApplication(
  command: ApplicationCommand,
  state: ApplicationState,
  context: ApplicationDecisionContext,
): ApplicationEvent[] {
  if (command.data.applicationRef !== state.applicationRef) {
    throw new Error(`command for ${command.data.applicationRef} decided against application-${state.applicationRef}`);
  }
  switch (command.type) {
    case 'SubmitApplication':
      return submit(command, state, context.destination);
    case 'ApproveApplication':
      return approve(command, openAt(command, state), context);
    case 'RefuseApplication':
      return refuse(command, openAt(command, state));
    case 'WithdrawApplication': {
      const application = openAt(command, state);
      return [
        {
          type: 'ApplicationWithdrawn',
          data: { applicationRef: application.applicationRef, reason: requireText(command.data.reason, 'reason') },
        },
      ];
    }
    case 'ReviewApplicationHold':
      return reviewHold(command, state, context.destination);
    default:
      return assertNever(command);
  }
}

/** The application must exist and still be undecided, and the command may not take effect before its last event. */
function openAt(command: ApplicationCommand, state: ApplicationState): ApplicationRecord {
  const ref = command.data.applicationRef;
  if (state.status === 'NONE') throw domainError('APPLICATION_NOT_FOUND', `application ${ref} does not exist`);
  if (isClosedApplication(state)) {
    throw domainError('APPLICATION_CLOSED', `application ${ref} is ${state.status}; nothing more can be decided on it`);
  }
  assertNotBeforeLastEvent(command.effectiveAt, state.lastEffectiveAt);
  return state;
}

function submit(command: SubmitApplication, state: ApplicationState, destination: DestinationState): ApplicationEvent[] {
  const d = command.data;
  if (state.status !== 'NONE') {
    throw domainError('APPLICATION_ALREADY_EXISTS', `application ${d.applicationRef} already exists (${state.status})`);
  }
  instant(command.effectiveAt, 'effectiveAt');
  sameDestination(d.destination, destination);
  const submitted: ApplicationSubmitted = {
    type: 'ApplicationSubmitted',
    data: {
      applicationRef: requireText(d.applicationRef, 'applicationRef'),
      destination: requireText(d.destination, 'destination'),
      exporter: checkParty(d.exporter, 'exporter'),
      consignee: checkParty(d.consignee, 'consignee'),
      endUser: checkParty(d.endUser, 'endUser'),
      intendedEndUse: requireText(d.intendedEndUse, 'intendedEndUse'),
      items: checkItems(d.items),
      exceptionGround: typeof d.exceptionGround === 'string' && d.exceptionGround.trim() !== '' ? d.exceptionGround : null,
    },
  };
  // A measure that blocks issuance holds the application rather than refusing it: it waits for the measure.
  const blocker = blockingMeasure(destination, command.effectiveAt, submitted.data.items, submitted.data.exceptionGround);
  return blocker ? [submitted, hold(d.applicationRef, blocker.measureId)] : [submitted];
}

/**
 * The permit the approval issues, decided here by the permit's own rules (validity, the destination's
 * measures, a number already taken) so that an application is never approved into a permit that cannot be issued.
 * The application layer issues that permit first (its number is then taken atomically) and records the approval
 * after it: a permit already issued on this application with the approval's validity is what the approval records,
 * in the permit's own terms, since the permit's issuance was the decision; a number taken otherwise is refused.
 */
function approve(command: ApproveApplication, application: ApplicationRecord, context: ApplicationDecisionContext): ApplicationEvent[] {
  const { permitNumber, validFrom, expiresOn, conditions = [] } = command.data;
  sameDestination(command.data.destination, context.destination);
  const permit = context.permit;
  if (
    // Stryker disable next-line ConditionalExpression,StringLiteral: narrows the type; a permit with no events has no applicationRef, so the next check fails for it anyway
    permit.status !== 'NONE' &&
    permit.applicationRef === application.applicationRef &&
    permit.validFrom === validFrom &&
    permit.expiresOn === expiresOn
  ) {
    return [
      {
        type: 'ApplicationApproved',
        data: {
          applicationRef: application.applicationRef,
          permitNumber: permit.permitNumber,
          validFrom: permit.validFrom,
          expiresOn: permit.expiresOn,
          conditions: permit.conditions,
        },
      },
    ];
  }
  const [issued] = decidePermit(
    issuePermitCommand(application, { permitNumber, validFrom, expiresOn, conditions }, command.effectiveAt),
    context.permit,
    { destination: context.destination },
  ) as [PermitIssued];
  const { data } = issued;
  return [
    {
      type: 'ApplicationApproved',
      data: {
        applicationRef: application.applicationRef,
        permitNumber: data.permitNumber,
        validFrom: data.validFrom,
        expiresOn: data.expiresOn,
        conditions: data.conditions,
      },
    },
  ];
}

function refuse(command: RefuseApplication, application: ApplicationRecord): ApplicationEvent[] {
  const { criteria, reason, legalBasis } = command.data;
  if (!Array.isArray(criteria) || criteria.length === 0) {
    throw domainError('INVALID_CRITERIA', 'a refusal must cite at least one assessment criterion', 'criteria');
  }
  const unknown = criteria.filter((c) => !isCriterionCode(c));
  if (unknown.length > 0) throw domainError('INVALID_CRITERIA', `unknown criteria: ${unknown.join(', ')} (see GET /criteria)`, 'criteria');
  return [
    {
      type: 'ApplicationRefused',
      data: {
        applicationRef: application.applicationRef,
        criteria: [...new Set(criteria)],
        reason: requireText(reason, 'reason'),
        legalBasis: requireText(legalBasis, 'legalBasis'),
      },
    },
  ];
}

function reviewHold(command: ReviewApplicationHold, state: ApplicationState, destination: DestinationState): ApplicationEvent[] {
  if (state.status === 'NONE') throw domainError('APPLICATION_NOT_FOUND', `application ${command.data.applicationRef} does not exist`);
  // A decided application has nothing to wait for.
  if (isClosedApplication(state)) return [];
  assertNotBeforeLastEvent(command.effectiveAt, state.lastEffectiveAt);
  sameDestination(command.data.destination, destination);
  const at = command.effectiveAt;
  // The measure holding it (if any) still stands: it keeps the hold, whatever else came into force since.
  if (measuresInForce(destination, at).some((m) => m.measureId === state.heldBy)) return [];
  const blocker = blockingMeasure(destination, at, state.items, state.exceptionGround);
  if (blocker) return [hold(state.applicationRef, blocker.measureId)];
  return state.heldBy === null
    ? []
    : [{ type: 'ApplicationReleasedFromHold', data: { applicationRef: state.applicationRef, measureId: state.heldBy } }];
}

const hold = (applicationRef: string, measureId: string): ApplicationPlacedOnHold => ({
  type: 'ApplicationPlacedOnHold',
  data: { applicationRef, measureId },
});

function sameDestination(country: string, destination: DestinationState): void {
  // The application layer loads the stream the command names; a mismatch is a wiring bug.
  if (destination.country !== country) throw new Error(`application to ${country} decided against destination-${destination.country}`);
}

/**
 * The IssuePermit an approval stands for: the application's parties, end use, items and exception
 * ground with the approval's permit number, validity and conditions, taking effect at the approval.
 * The approval decides it once; the permit stream records it from the same function.
 */
export function issuePermitCommand(
  application: ApplicationRecord,
  approval: Pick<ApplicationApproved['data'], 'permitNumber' | 'validFrom' | 'expiresOn' | 'conditions'>,
  effectiveAt: string,
): IssuePermit {
  const { applicationRef, destination, exporter, consignee, endUser, intendedEndUse, items, exceptionGround } = application;
  return {
    type: 'IssuePermit',
    effectiveAt,
    data: {
      permitNumber: approval.permitNumber,
      destination,
      exporter,
      consignee,
      endUser,
      intendedEndUse,
      items,
      validFrom: approval.validFrom,
      expiresOn: approval.expiresOn,
      conditions: approval.conditions,
      exceptionGround,
      supersedes: null,
      applicationRef,
    },
  };
}

/** Copies only the known party fields, requiring a name (as a permit records them). */
function checkParty(party: Party | undefined, field: string): Party {
  const checked: Party = { name: requireText(party?.name, `${field}.name`) };
  for (const key of ['country', 'address', 'businessNumber'] as const) {
    // A missing party was refused for its name.
    const value = party![key];
    if (typeof value === 'string' && value.trim() !== '') checked[key] = value;
  }
  return checked;
}

/** The items a permit would carry, by the same rules as issuance, copying only their known fields. */
function checkItems(items: unknown): PermitItem[] {
  if (!Array.isArray(items) || items.length === 0) throw domainError('INVALID_ITEMS', 'at least one item is required', 'items');
  const checked = items.map((item: PermitItem, i) => {
    const at = `items[${i}]`;
    if (typeof item?.eclItem !== 'string' || eclGroup(item.eclItem) === null) {
      throw domainError('INVALID_ITEMS', 'eclItem must be an ECL item such as "2-15.a"', `${at}.eclItem`);
    }
    return {
      eclItem: item.eclItem,
      description: requireText(item.description, `${at}.description`),
      quantity: checkQuantity(item.quantity, `${at}.quantity`, 'INVALID_ITEMS'),
      unit: requireText(item.unit, `${at}.unit`),
      valueCad: checkAmount(item.valueCad, `${at}.valueCad`, 'INVALID_ITEMS'),
    };
  });
  // Refused now, not at approval: the permit it would become records this total.
  sumCad(
    checked.map((item) => item.valueCad),
    'items',
  );
  return checked;
}
