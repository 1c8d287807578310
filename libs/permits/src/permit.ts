import type {
  AmendPermit,
  CancelPermit,
  ConcludeReview,
  ExpirePermit,
  IssuePermit,
  OpenReview,
  PermitCommand,
  RecordReviewFinding,
  RecordShipment,
  ReinstatePermit,
  SuspendPermit,
} from './commands.js';
import { isCriterionCode } from './criteria.js';
import { blockingMeasure, eclGroup, type DestinationState } from './destination.js';
import { domainError } from './errors.js';
import type { Dated, PermitAmended, PermitEvent, PermitIssued, ShipmentLine } from './events.js';
import { assertNotBeforeLastEvent, calendarDate, expiryInstant, instant, isExpiredAt } from './time.js';
import type { Party, PermitCondition, PermitItem, PermitStatus, ReviewOutcome } from './types.js';
import { assertNever, checkAmount, checkQuantity, fromCents, requireText, sumCad, toCents } from './validation.js';

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

/** The permit as issued and amended: every PermitIssued data field. */
export type PermitDetails = PermitIssued['data'];

export interface ReviewFinding {
  finding: string;
  theatre: string | null;
  evidenceRef: string | null;
  assuranceBreached: boolean;
  recordedAt: string;
}

export interface ReviewRecord {
  reviewId: string;
  reason: string;
  decisionRef: string | null;
  openedAt: string;
  concludedAt: string | null;
  outcome: ReviewOutcome | null;
  summary: string | null;
  findings: ReviewFinding[];
}

/** The review under way, if any (a view of the one unconcluded entry of `reviews`). */
export interface OpenReviewState {
  reviewId: string;
  openedAt: string;
  findings: ReviewFinding[];
}

/** A customs declaration recorded against the permit. */
export interface ShipmentEntry {
  declarationRef: string;
  exportedOn: string;
  lines: ShipmentLine[];
}

/** How much of one item (its index in `items`) has been shipped. */
export interface ItemShipped {
  item: number;
  quantityShipped: number;
  valueShippedCad: number;
}

/** From when the permit had a status; a later entry takes over, except EXHAUSTED, which holds from its time on. */
export interface StatusPeriod {
  status: PermitStatus;
  from: string;
}

/** What every existing permit carries, whatever its status. */
export interface PermitRecord extends PermitDetails {
  /** effectiveAt of PermitIssued. */
  issuedAt: string;
  /** The latest effectiveAt folded (a late declaration does not move it back): no command but a shipment may take effect before it. */
  lastEffectiveAt: string;
  /** Every status the permit had and from when, in the order recorded. */
  statusHistory: StatusPeriod[];
  /** Every declaration, in the order recorded. */
  shipments: ShipmentEntry[];
  /** Per item of `items`: how much has been shipped. */
  shipped: ItemShipped[];
  openReview: OpenReviewState | null;
  reviews: ReviewRecord[];
  /** The last ministerial decision that touched this permit. */
  lastDecisionRef: string | null;
}

export interface IssuedPermit extends PermitRecord {
  status: 'ISSUED';
}
export interface SuspendedPermit extends PermitRecord {
  status: 'SUSPENDED';
  suspendedAt: string;
}
export interface CancelledPermit extends PermitRecord {
  status: 'CANCELLED';
  cancelledAt: string;
  /** Set when the permit was suspended at the time it was cancelled. */
  suspendedAt: string | null;
}
export interface ExpiredPermit extends PermitRecord {
  status: 'EXPIRED';
  expiredAt: string;
  /** Set when the permit was suspended when it expired (a suspension does not stop the clock). */
  suspendedAt: string | null;
}
export interface ExhaustedPermit extends PermitRecord {
  status: 'EXHAUSTED';
  exhaustedAt: string;
  /** Set when the permit was suspended when it was found exhausted. */
  suspendedAt: string | null;
}
export interface NoPermit {
  status: 'NONE';
}

export type ActivePermit = IssuedPermit | SuspendedPermit;
export type ClosedPermit = CancelledPermit | ExpiredPermit | ExhaustedPermit;
export type PermitState = NoPermit | ActivePermit | ClosedPermit;

export const initialPermitState: PermitState = { status: 'NONE' };

export const isActivePermit = (state: PermitState): state is ActivePermit => state.status === 'ISSUED' || state.status === 'SUSPENDED';
export const isClosedPermit = (state: PermitState): state is ClosedPermit =>
  state.status === 'CANCELLED' || state.status === 'EXPIRED' || state.status === 'EXHAUSTED';
export type ExistingPermit = ActivePermit | ClosedPermit;

/** What is left of one item: its authorized quantity and value less what was shipped. */
export interface ItemUsage extends ItemShipped {
  quantityRemaining: number;
  valueRemainingCad: number;
}

export function usageOf(permit: ExistingPermit): ItemUsage[] {
  return permit.items.map((item, i) => {
    // One entry per item from issuance on: an amendment keeps the same lines.
    const { quantityShipped, valueShippedCad } = permit.shipped[i]!;
    return {
      item: i,
      quantityShipped,
      valueShippedCad,
      quantityRemaining: item.quantity - quantityShipped,
      valueRemainingCad: fromCents(toCents(item.valueCad) - toCents(valueShippedCad)),
    };
  });
}

/** Nothing more of an item can leave: its quantity is used up, or its value (when it has one). */
const usedUp = (usage: ItemUsage, item: PermitItem): boolean =>
  usage.quantityRemaining <= 0 || (item.valueCad > 0 && usage.valueRemainingCad <= 0);

export const isExhausted = (permit: ExistingPermit): boolean => usageOf(permit).every((u, i) => usedUp(u, permit.items[i]!));

/** The start of a calendar date, UTC: when a shipment exported that day takes effect. */
export const startOfDay = expiryInstant;

const DAY_MS = 86_400_000;

/** The UTC calendar date of an instant, whatever offset it was written with. */
const dateOf = (at: string): string => new Date(Date.parse(at)).toISOString().slice(0, 10);

/**
 * The permit's status on a calendar date (UTC), as an export dated that day meets it: its status at the END of the
 * day, since a declaration names the day, not the hour. So a suspension, cancellation, expiry or exhaustion counts
 * from the day it takes effect (an export that day is refused), and an issuance or reinstatement from its day (an
 * export that day is accepted). NOT_YET_VALID only before validFrom or before the date it was issued.
 */
export function statusOn(permit: ExistingPermit, date: string): PermitStatus | 'NOT_YET_VALID' {
  if (date < permit.validFrom || date < dateOf(permit.issuedAt)) return 'NOT_YET_VALID';
  const endOfDay = Date.parse(startOfDay(date)) + DAY_MS;
  const inEffect = (period: StatusPeriod) => Date.parse(period.from) < endOfDay;
  const exhausted = permit.statusHistory.find((p) => p.status === 'EXHAUSTED');
  if (exhausted && inEffect(exhausted)) return 'EXHAUSTED';
  if (isExpiredAt(permit.expiresOn, startOfDay(date))) return 'EXPIRED';
  // The issuance is in effect (the date is not before it), so some period is.
  return permit.statusHistory.findLast(inEffect)!.status;
}

// ---------------------------------------------------------------------------------------------
// Evolve
// ---------------------------------------------------------------------------------------------

/** Events come from decidePermit, so one that does not fit the state means a corrupt stream: stop. */
function corrupt(state: PermitState, event: Dated<PermitEvent>): never {
  throw new Error(`cannot apply ${event.type} at ${event.effectiveAt} to a permit in state ${state.status}`);
}

function activeFor(state: PermitState, event: Dated<PermitEvent>): ActivePermit {
  return isActivePermit(state) ? state : corrupt(state, event);
}

function existingFor(state: PermitState, event: Dated<PermitEvent>): ExistingPermit {
  return state.status === 'NONE' ? corrupt(state, event) : state;
}

/** The later of the permit's last effective time and an event's: a late declaration does not move it back. */
const latest = (permit: PermitRecord, at: string): string =>
  // Stryker disable next-line EqualityOperator: at the same instant either string names it, and only its instant is compared
  Date.parse(at) > Date.parse(permit.lastEffectiveAt) ? at : permit.lastEffectiveAt;

/** The one place evolvePermit changes statusHistory, and only by appending to it: foldPermitOnto relies on that. */
const period = (permit: PermitRecord, status: PermitStatus, from: string) => ({
  statusHistory: [...permit.statusHistory, { status, from }],
});

function withReviews(permit: ActivePermit, reviews: ReviewRecord[]): ActivePermit {
  const open = reviews.find((r) => r.concludedAt === null);
  const openReview = open ? { reviewId: open.reviewId, openedAt: open.openedAt, findings: open.findings } : null;
  return { ...permit, reviews, openReview };
}

function updateReview(
  permit: ActivePermit,
  event: Dated<PermitEvent>,
  reviewId: string,
  update: (review: ReviewRecord) => ReviewRecord,
): ActivePermit {
  if (!permit.reviews.some((r) => r.reviewId === reviewId && r.concludedAt === null)) corrupt(permit, event);
  return withReviews(
    permit,
    permit.reviews.map((r) => (r.reviewId === reviewId ? update(r) : r)),
  );
}

/** Every event leaves an existing permit (or stops on a corrupt stream). */
export function evolvePermit(state: PermitState, event: Dated<PermitEvent>): ExistingPermit {
  const at = event.effectiveAt;
  switch (event.type) {
    case 'PermitIssued': {
      if (state.status !== 'NONE') return corrupt(state, event);
      return {
        status: 'ISSUED',
        ...event.data,
        issuedAt: at,
        lastEffectiveAt: at,
        statusHistory: [{ status: 'ISSUED', from: at }],
        shipments: [],
        shipped: event.data.items.map((_, item) => ({ item, quantityShipped: 0, valueShippedCad: 0 })),
        openReview: null,
        reviews: [],
        lastDecisionRef: null,
      };
    }
    case 'PermitAmended': {
      const permit = activeFor(state, event);
      const { changes, totalValueCad } = event.data;
      return {
        ...permit,
        ...(changes.expiresOn !== undefined && { expiresOn: changes.expiresOn }),
        ...(changes.conditions !== undefined && { conditions: changes.conditions }),
        ...(changes.items !== undefined && { items: changes.items }),
        totalValueCad,
        lastEffectiveAt: latest(permit, at),
      };
    }
    case 'PermitSuspended': {
      if (state.status !== 'ISSUED') return corrupt(state, event);
      const lastDecisionRef = event.data.decisionRef ?? state.lastDecisionRef;
      const suspended: SuspendedPermit = {
        ...state,
        status: 'SUSPENDED',
        suspendedAt: at,
        lastEffectiveAt: latest(state, at),
        lastDecisionRef,
      };
      return { ...suspended, ...period(state, 'SUSPENDED', at) };
    }
    case 'PermitReinstated': {
      if (state.status !== 'SUSPENDED') return corrupt(state, event);
      const { suspendedAt: _, ...rest } = state;
      const lastDecisionRef = event.data.decisionRef ?? state.lastDecisionRef;
      return { ...rest, status: 'ISSUED', lastEffectiveAt: latest(state, at), lastDecisionRef, ...period(rest, 'ISSUED', at) };
    }
    case 'PermitReviewOpened': {
      const permit = activeFor(state, event);
      const { reviewId, reason, decisionRef } = event.data;
      const review: ReviewRecord = {
        reviewId,
        reason,
        decisionRef,
        openedAt: at,
        concludedAt: null,
        outcome: null,
        summary: null,
        findings: [],
      };
      return {
        ...withReviews(permit, [...permit.reviews, review]),
        lastEffectiveAt: latest(permit, at),
        lastDecisionRef: decisionRef ?? permit.lastDecisionRef,
      };
    }
    case 'PermitReviewFindingRecorded': {
      const { reviewId, finding, theatre, evidenceRef, assuranceBreached } = event.data;
      const recorded: ReviewFinding = { finding, theatre, evidenceRef, assuranceBreached, recordedAt: at };
      return {
        ...updateReview(activeFor(state, event), event, reviewId, (r) => ({ ...r, findings: [...r.findings, recorded] })),
        lastEffectiveAt: latest(activeFor(state, event), at),
      };
    }
    case 'PermitReviewConcluded': {
      const { reviewId, outcome, summary } = event.data;
      return {
        ...updateReview(activeFor(state, event), event, reviewId, (r) => ({ ...r, concludedAt: at, outcome, summary })),
        lastEffectiveAt: latest(activeFor(state, event), at),
      };
    }
    case 'PermitCancelled': {
      const permit = activeFor(state, event);
      // The open review, if any, is kept as it was: it is part of the record, not of the permit's validity.
      return {
        ...permit,
        status: 'CANCELLED',
        cancelledAt: at,
        suspendedAt: permit.status === 'SUSPENDED' ? permit.suspendedAt : null,
        lastEffectiveAt: latest(permit, at),
        lastDecisionRef: event.data.decisionRef ?? permit.lastDecisionRef,
        ...period(permit, 'CANCELLED', at),
      };
    }
    case 'PermitExpired': {
      const permit = activeFor(state, event);
      return {
        ...permit,
        status: 'EXPIRED',
        expiredAt: at,
        suspendedAt: permit.status === 'SUSPENDED' ? permit.suspendedAt : null,
        lastEffectiveAt: latest(permit, at),
        ...period(permit, 'EXPIRED', at),
      };
    }
    case 'ShipmentRecorded': {
      // A late declaration is recorded on a permit closed since: what counts is its status on the export date.
      const permit = existingFor(state, event);
      const { declarationRef, exportedOn, lines } = event.data;
      const shipped = permit.shipped.map((s) => {
        const mine = lines.filter((l) => l.item === s.item);
        return {
          item: s.item,
          quantityShipped: mine.reduce((sum, l) => sum + l.quantity, s.quantityShipped),
          // In cents, as the decider's exceed check adds them, so the two agree exactly.
          valueShippedCad: fromCents(mine.reduce((sum, l) => sum + toCents(l.valueCad), toCents(s.valueShippedCad))),
        };
      });
      return {
        ...permit,
        shipments: [...permit.shipments, { declarationRef, exportedOn, lines }],
        shipped,
        lastEffectiveAt: latest(permit, at),
      };
    }
    case 'PermitExhausted': {
      const permit = activeFor(state, event);
      return {
        ...permit,
        status: 'EXHAUSTED',
        exhaustedAt: at,
        suspendedAt: permit.status === 'SUSPENDED' ? permit.suspendedAt : null,
        lastEffectiveAt: latest(permit, at),
        ...period(permit, 'EXHAUSTED', at),
      };
    }
    default:
      return assertNever(event);
  }
}

/**
 * Folds a permit stream in its append order. That is effective-time order except for shipments, which take effect
 * on their export date however late they are declared; their fold depends on no order. The exhaustion one causes
 * never goes before a status already recorded (permitDecider.effectiveAt), so statusHistory stays in order.
 */
export const foldPermit = (events: readonly Dated<PermitEvent>[]): PermitState => foldPermitOnto(initialPermitState, events);

/** What foldPermitOnto hands each step instead of the history so far; frozen, so a step that changed it would throw. */
const NO_PERIODS = Object.freeze([]) as unknown as StatusPeriod[];

/**
 * `events.reduce(evolvePermit, state)`, in time linear in the number of events. Each status change copies
 * statusHistory to append to it, which over a long stream (thousands of suspensions and reinstatements) is
 * quadratic; since evolvePermit only ever appends to it, each step is handed the state without it and the
 * periods it appends are gathered in one array, put back at the end.
 */
export function foldPermitOnto(state: PermitState, events: Iterable<Dated<PermitEvent>>): PermitState {
  const periods = state.status === 'NONE' ? [] : [...state.statusHistory];
  let current = state.status === 'NONE' ? state : { ...state, statusHistory: NO_PERIODS };
  for (const event of events) {
    const next = evolvePermit(current, event);
    for (const appended of next.statusHistory) periods.push(appended);
    current = { ...next, statusHistory: NO_PERIODS };
  }
  return current.status === 'NONE' ? current : { ...current, statusHistory: periods };
}

// ---------------------------------------------------------------------------------------------
// Decide
// ---------------------------------------------------------------------------------------------

export interface PermitDecisionContext {
  /** The destination stream of the permit's country, folded up to now; only IssuePermit consults it. */
  destination: DestinationState;
}

export function decidePermit(command: PermitCommand, state: PermitState, context: PermitDecisionContext): PermitEvent[] {
  switch (command.type) {
    case 'IssuePermit':
      return issue(command, state, context.destination);
    case 'AmendPermit':
      return amend(command, validAt(command, state));
    case 'SuspendPermit':
      return suspend(command, validAt(command, state));
    case 'ReinstatePermit':
      return reinstate(command, validAt(command, state));
    case 'OpenReview':
      return openReview(command, validAt(command, state));
    case 'RecordReviewFinding':
      return recordFinding(command, validAt(command, state));
    case 'ConcludeReview':
      return concludeReview(command, validAt(command, state));
    case 'CancelPermit':
      return cancel(command, validAt(command, state));
    case 'ExpirePermit':
      return expire(command, activeAt(command, state));
    case 'RecordShipment':
      return recordShipment(command, state);
    default:
      return assertNever(command);
  }
}

/** The permit must exist, not be terminal, and the command may not take effect before its last event. */
function activeAt(command: PermitCommand, state: PermitState): ActivePermit {
  const permitNumber = command.data.permitNumber;
  if (state.status === 'NONE') throw domainError('PERMIT_NOT_FOUND', `permit ${permitNumber} does not exist`);
  if (isClosedPermit(state)) {
    throw domainError('PERMIT_TERMINAL', `permit ${permitNumber} is ${state.status}; nothing more can happen to it`);
  }
  assertNotBeforeLastEvent(command.effectiveAt, state.lastEffectiveAt);
  return state;
}

/** As activeAt, and not yet expired at the command's effectiveAt: past expiresOn only ExpirePermit applies. */
function validAt(command: PermitCommand, state: PermitState): ActivePermit {
  const permit = activeAt(command, state);
  if (isExpiredAt(permit.expiresOn, command.effectiveAt)) {
    throw domainError('PERMIT_EXPIRED', `permit ${permit.permitNumber} expired on ${permit.expiresOn}, before ${command.effectiveAt}`);
  }
  return permit;
}

/** The items' total, added in cents (checked exact, naming `field` otherwise). */
export const totalValueCad = (items: readonly PermitItem[], field = 'items'): number =>
  sumCad(
    items.map((item) => item.valueCad),
    field,
  );

/** Validates items and copies only their known fields, so nothing extra from a request body is recorded. */
function checkItems(items: unknown, field: string): PermitItem[] {
  if (!Array.isArray(items) || items.length === 0) {
    throw domainError('INVALID_ITEMS', 'at least one item is required', field);
  }
  return items.map((item: PermitItem, i) => {
    const at = `${field}[${i}]`;
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
}

function checkConditions(conditions: unknown, field: string): PermitCondition[] {
  if (!Array.isArray(conditions)) throw domainError('REQUIRED_FIELD_MISSING', `${field} must be a list`, field);
  return conditions.map((c: PermitCondition, i) => ({
    code: requireText(c?.code, `${field}[${i}].code`),
    // A condition with a code is an object.
    text: requireText(c.text, `${field}[${i}].text`),
  }));
}

/** Copies only the known party fields, requiring a name. */
function checkParty(party: Party, field: string): Party {
  const checked: Party = { name: requireText(party?.name, `${field}.name`) };
  for (const key of ['country', 'address', 'businessNumber'] as const) {
    const value = optionalText(party[key], `${field}.${key}`);
    if (value !== null) checked[key] = value;
  }
  return checked;
}

/** Optional text: absent, null or blank means "none". */
function optionalText(value: string | null | undefined, field: string): string | null {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return null;
  return requireText(value, field);
}

function issue(command: IssuePermit, state: PermitState, destination: DestinationState): PermitEvent[] {
  const d = command.data;
  if (state.status !== 'NONE') {
    // Also when terminal: resumption is a new permit that names the old one in `supersedes`.
    throw domainError('PERMIT_ALREADY_EXISTS', `permit ${d.permitNumber} already exists (${state.status})`);
  }
  instant(command.effectiveAt, 'effectiveAt');
  const permitNumber = requireText(d.permitNumber, 'permitNumber');
  const validFrom = calendarDate(d.validFrom, 'validFrom');
  const expiresOn = calendarDate(d.expiresOn, 'expiresOn');
  if (expiresOn <= validFrom) {
    throw domainError('INVALID_VALIDITY', `expiresOn ${expiresOn} must be after validFrom ${validFrom}`, 'expiresOn');
  }
  if (isExpiredAt(expiresOn, command.effectiveAt)) {
    throw domainError('INVALID_VALIDITY', `expiresOn ${expiresOn} is not after the issue date`, 'expiresOn');
  }
  const items = checkItems(d.items, 'items');
  const supersedes = optionalText(d.supersedes, 'supersedes');
  if (supersedes === permitNumber) {
    throw domainError('SUPERSEDES_SELF', 'a permit cannot supersede itself', 'supersedes');
  }
  const exceptionGround = optionalText(d.exceptionGround, 'exceptionGround');
  if (destination.country !== d.destination) {
    // The application must load the destination stream the command names; a mismatch is a wiring bug.
    throw new Error(`IssuePermit to ${d.destination} decided against destination-${destination.country}`);
  }
  const blocker = blockingMeasure(destination, command.effectiveAt, items, exceptionGround);
  if (blocker) {
    const allowed = blocker.exceptionGrounds.length
      ? `; allowed exception grounds: ${blocker.exceptionGrounds.join(', ')}`
      : '; no exception ground applies';
    throw domainError(
      'ISSUANCE_BLOCKED',
      `issuance to ${d.destination} is blocked by measure ${blocker.measureId} (${blocker.kind}, ${blocker.reference})${allowed}`,
    );
  }
  return [
    {
      type: 'PermitIssued',
      data: {
        permitNumber,
        destination: d.destination,
        exporter: checkParty(d.exporter, 'exporter'),
        consignee: checkParty(d.consignee, 'consignee'),
        endUser: checkParty(d.endUser, 'endUser'),
        intendedEndUse: requireText(d.intendedEndUse, 'intendedEndUse'),
        items,
        totalValueCad: totalValueCad(items),
        validFrom,
        expiresOn,
        conditions: checkConditions(d.conditions ?? [], 'conditions'),
        exceptionGround,
        supersedes,
        // Only a permit issued on an application names one: direct issuance records exactly what it always did.
        ...(d.applicationRef ? { applicationRef: d.applicationRef } : {}),
      },
    },
  ];
}

const AMENDABLE = ['expiresOn', 'conditions', 'items'] as const;

function amend(command: AmendPermit, permit: ActivePermit): PermitEvent[] {
  const { permitNumber, reason } = command.data;
  requireText(reason, 'reason');
  const changes: Record<string, unknown> = command.data.changes ?? {};
  for (const key of Object.keys(changes)) {
    if (!(AMENDABLE as readonly string[]).includes(key)) {
      throw domainError(
        'AMENDMENT_NOT_ALLOWED',
        `${key} cannot be amended: destination, end-user, consignee or goods need a new permit`,
        `changes.${key}`,
      );
    }
  }
  const made: PermitAmended['data']['changes'] = {};
  if (changes.expiresOn !== undefined) {
    const expiresOn = calendarDate(changes.expiresOn, 'changes.expiresOn');
    if (expiresOn <= permit.validFrom) {
      throw domainError('INVALID_VALIDITY', `expiresOn must be after validFrom ${permit.validFrom}`, 'changes.expiresOn');
    }
    if (isExpiredAt(expiresOn, command.effectiveAt)) {
      throw domainError('INVALID_VALIDITY', 'expiresOn must be after the amendment date', 'changes.expiresOn');
    }
    made.expiresOn = expiresOn;
  }
  if (changes.conditions !== undefined) made.conditions = checkConditions(changes.conditions, 'changes.conditions');
  if (changes.items !== undefined) made.items = checkNotBelowShipped(permit, checkReducedItems(permit.items, changes.items));
  if (Object.keys(made).length === 0) {
    throw domainError('EMPTY_AMENDMENT', 'changes must set expiresOn, conditions or items', 'changes');
  }
  const amended: PermitAmended = {
    type: 'PermitAmended',
    data: {
      permitNumber,
      changes: made,
      // Stryker disable next-line StringLiteral: never named, as amended values only go down: their total is as exact as the issued one
      totalValueCad: made.items ? totalValueCad(made.items, 'changes.items') : permit.totalValueCad,
      reason,
    },
  };
  // Lowered to exactly what was shipped, the permit has nothing left to export.
  const after = evolvePermit(permit, { ...amended, effectiveAt: command.effectiveAt });
  return isExhausted(after) ? [amended, { type: 'PermitExhausted', data: { permitNumber } }] : [amended];
}

/** An amendment cannot take back what has already left the country. */
function checkNotBelowShipped(permit: ActivePermit, items: PermitItem[]): PermitItem[] {
  items.forEach((item, i) => {
    // The same lines as before (checkReducedItems), each with what was shipped of it.
    const shipped = permit.shipped[i]!;
    const below = (field: 'quantity' | 'valueCad', has: number, was: number) => {
      if (has < was) {
        throw domainError(
          'AMENDMENT_BELOW_SHIPPED',
          `line ${i} would authorize ${field} ${has}, less than the ${was} already shipped`,
          `changes.items[${i}].${field}`,
        );
      }
    };
    below('quantity', item.quantity, shipped.quantityShipped);
    below('valueCad', item.valueCad, shipped.valueShippedCad);
  });
  return items;
}

/** Same goods line by line, quantities and values only going down: anything else needs a new permit. */
function checkReducedItems(current: PermitItem[], proposed: unknown): PermitItem[] {
  const field = 'changes.items';
  const items = checkItems(proposed, field);
  const refuse = (why: string): never => {
    throw domainError('AMENDMENT_NOT_ALLOWED', `${why}: other goods or more of them need a new permit`, field);
  };
  if (items.length !== current.length) refuse(`expected the same ${current.length} item line(s)`);
  items.forEach((item, i) => {
    const was = current[i]!;
    if (item.eclItem !== was.eclItem || item.description !== was.description || item.unit !== was.unit) {
      refuse(`line ${i} changes the goods (${was.eclItem} ${was.description})`);
    }
    if (item.quantity > was.quantity) refuse(`line ${i} increases the quantity`);
    if (item.valueCad > was.valueCad) refuse(`line ${i} increases the value`);
  });
  return items;
}

function suspend(command: SuspendPermit, permit: ActivePermit): PermitEvent[] {
  const { permitNumber, reason, legalBasis, decisionRef } = command.data;
  const criteria = checkCriteria(command.data.criteria);
  if (permit.status !== 'ISSUED') {
    throw domainError('INVALID_TRANSITION', `permit ${permitNumber} is already suspended since ${permit.suspendedAt}`);
  }
  return [
    {
      type: 'PermitSuspended',
      data: {
        permitNumber,
        reason: requireText(reason, 'reason'),
        legalBasis: requireText(legalBasis, 'legalBasis'),
        decisionRef: optionalText(decisionRef, 'decisionRef'),
        ...criteria,
      },
    },
  ];
}

function reinstate(command: ReinstatePermit, permit: ActivePermit): PermitEvent[] {
  const { permitNumber, reason, legalBasis, decisionRef } = command.data;
  if (permit.status !== 'SUSPENDED') {
    throw domainError('INVALID_TRANSITION', `permit ${permitNumber} is not suspended`);
  }
  return [
    {
      type: 'PermitReinstated',
      data: {
        permitNumber,
        reason: requireText(reason, 'reason'),
        legalBasis: requireText(legalBasis, 'legalBasis'),
        decisionRef: optionalText(decisionRef, 'decisionRef'),
      },
    },
  ];
}

function openReview(command: OpenReview, permit: ActivePermit): PermitEvent[] {
  const { permitNumber, reviewId, reason, decisionRef } = command.data;
  requireText(reviewId, 'reviewId');
  if (permit.openReview) {
    throw domainError('REVIEW_ALREADY_OPEN', `review ${permit.openReview.reviewId} of permit ${permitNumber} is still open`);
  }
  if (permit.reviews.some((r) => r.reviewId === reviewId)) {
    throw domainError('REVIEW_ALREADY_EXISTS', `permit ${permitNumber} already had a review ${reviewId}`);
  }
  return [
    {
      type: 'PermitReviewOpened',
      data: { permitNumber, reviewId, reason: requireText(reason, 'reason'), decisionRef: optionalText(decisionRef, 'decisionRef') },
    },
  ];
}

function openReviewNamed(permit: ActivePermit, reviewId: string): ReviewRecord {
  const review = permit.reviews.find((r) => r.reviewId === reviewId);
  if (!review) throw domainError('REVIEW_NOT_FOUND', `permit ${permit.permitNumber} has no review ${reviewId}`);
  if (review.concludedAt !== null) {
    throw domainError('REVIEW_NOT_OPEN', `review ${reviewId} was concluded at ${review.concludedAt}`);
  }
  return review;
}

function recordFinding(command: RecordReviewFinding, permit: ActivePermit): PermitEvent[] {
  const { permitNumber, reviewId, finding, theatre, evidenceRef, assuranceBreached } = command.data;
  const criteria = checkCriteria(command.data.criteria);
  openReviewNamed(permit, reviewId);
  return [
    {
      type: 'PermitReviewFindingRecorded',
      data: {
        permitNumber,
        reviewId,
        finding: requireText(finding, 'finding'),
        theatre: optionalText(theatre, 'theatre'),
        evidenceRef: optionalText(evidenceRef, 'evidenceRef'),
        assuranceBreached: assuranceBreached === true,
        ...criteria,
      },
    },
  ];
}

function concludeReview(command: ConcludeReview, permit: ActivePermit): PermitEvent[] {
  const { permitNumber, reviewId, outcome, summary } = command.data;
  openReviewNamed(permit, reviewId);
  return [
    {
      type: 'PermitReviewConcluded',
      data: { permitNumber, reviewId, outcome, summary: requireText(summary, 'summary') },
    },
  ];
}

function cancel(command: CancelPermit, permit: ActivePermit): PermitEvent[] {
  const { permitNumber, reason, legalBasis, decisionRef } = command.data;
  const reviewId = optionalText(command.data.reviewId, 'reviewId');
  const criteria = checkCriteria(command.data.criteria);
  if (reviewId !== null && !permit.reviews.some((r) => r.reviewId === reviewId)) {
    throw domainError('REVIEW_NOT_FOUND', `permit ${permitNumber} has no review ${reviewId}`, 'reviewId');
  }
  return [
    {
      type: 'PermitCancelled',
      data: {
        permitNumber,
        reason: requireText(reason, 'reason'),
        legalBasis: requireText(legalBasis, 'legalBasis'),
        decisionRef: optionalText(decisionRef, 'decisionRef'),
        reviewId,
        ...criteria,
      },
    },
  ];
}

/** Whenever the scheduler runs, the event takes effect at expiryInstant(expiresOn) (permitDecider.effectiveAt). */
function expire(command: ExpirePermit, permit: ActivePermit): PermitEvent[] {
  if (!isExpiredAt(permit.expiresOn, command.effectiveAt)) {
    throw domainError(
      'PERMIT_NOT_YET_EXPIRED',
      `permit ${permit.permitNumber} expires on ${permit.expiresOn}, after ${command.effectiveAt}`,
    );
  }
  return [{ type: 'PermitExpired', data: { permitNumber: permit.permitNumber, expiresOn: permit.expiresOn } }];
}

/**
 * Optional criteria cited by a command: known codes only (criteria.ts), each once, in the order given. Absent
 * stays absent in the event, so events of commands that cite none keep their shape.
 */
export function checkCriteria(value: unknown, field = 'criteria'): { criteria?: string[] } {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) throw domainError('UNKNOWN_CRITERION', `${field} must be a list of criterion codes`, field);
  value.forEach((code: unknown, i) => {
    if (!isCriterionCode(code))
      throw domainError('UNKNOWN_CRITERION', `${JSON.stringify(code)} is not a known criterion code`, `${field}[${i}]`);
  });
  return { criteria: [...new Set(value as string[])] };
}

/** Validates the declaration's lines against the permit's items, copying only their known fields. */
function checkLines(lines: unknown, items: readonly PermitItem[]): ShipmentLine[] {
  if (!Array.isArray(lines) || lines.length === 0) {
    throw domainError('INVALID_SHIPMENT', 'a declaration needs at least one line', 'lines');
  }
  return lines.map((line: ShipmentLine, i) => {
    const at = `lines[${i}]`;
    if (!(Number.isInteger(line?.item) && line.item >= 0 && line.item < items.length)) {
      throw domainError('INVALID_SHIPMENT', `item must be the index of one of the permit's ${items.length} item(s)`, `${at}.item`);
    }
    // The items' own rules: whole quantities and amounts exact in cents, so usage adds up exactly.
    return {
      item: line.item,
      quantity: checkQuantity(line.quantity, `${at}.quantity`, 'INVALID_SHIPMENT'),
      valueCad: checkAmount(line.valueCad, `${at}.valueCad`, 'INVALID_SHIPMENT'),
    };
  });
}

const sameLines = (a: readonly ShipmentLine[], b: readonly ShipmentLine[]): boolean =>
  a.length === b.length && a.every((l, i) => l.item === b[i]!.item && l.quantity === b[i]!.quantity && l.valueCad === b[i]!.valueCad);

/**
 * A declaration takes effect on its export date, however late it arrives, and is decided on the permit's status
 * then. The same declarationRef again is the same declaration: with the same content nothing changes, with
 * other content it is refused, whoever sends it.
 */
function recordShipment(command: RecordShipment, state: PermitState): PermitEvent[] {
  const { permitNumber } = command.data;
  if (state.status === 'NONE') throw domainError('PERMIT_NOT_FOUND', `permit ${permitNumber} does not exist`);
  const declarationRef = requireText(command.data.declarationRef, 'declarationRef');
  const exportedOn = calendarDate(command.data.exportedOn, 'exportedOn');
  const lines = checkLines(command.data.lines, state.items);
  const earlier = state.shipments.find((s) => s.declarationRef === declarationRef);
  if (earlier) {
    if (earlier.exportedOn === exportedOn && sameLines(earlier.lines, lines)) return [];
    throw domainError(
      'DECLARATION_ALREADY_RECORDED',
      `declaration ${declarationRef} was recorded against permit ${permitNumber} with other content (exported on ${earlier.exportedOn})`,
      'declarationRef',
    );
  }
  const at = startOfDay(exportedOn);
  if (Date.parse(at) > instant(command.effectiveAt, 'effectiveAt')) {
    throw domainError('INVALID_DATE', `exportedOn ${exportedOn} is after the declaration (${command.effectiveAt})`, 'exportedOn');
  }
  const status = statusOn(state, exportedOn);
  if (status !== 'ISSUED') {
    throw domainError(
      'PERMIT_NOT_VALID_FOR_EXPORT',
      `permit ${permitNumber} was ${status} on ${exportedOn}: nothing may be exported under it then`,
      'exportedOn',
      { statusOnExportDate: status },
    );
  }
  const usage = usageOf(state);
  // Whole quantities and cents: the same exact sums the fold records.
  const declared = usage.map(() => ({ quantity: 0, cents: 0 }));
  lines.forEach((line, i) => {
    const left = usage[line.item]!;
    const sum = declared[line.item]!;
    sum.quantity += line.quantity;
    sum.cents += toCents(line.valueCad);
    const exceeds = (field: 'quantity' | 'valueCad', remaining: number) =>
      domainError(
        'SHIPMENT_EXCEEDS_PERMIT',
        `line ${i} would ship more of item ${line.item} (${state.items[line.item]!.eclItem}) than its remaining ${field} ${remaining}`,
        `lines[${i}].${field}`,
      );
    if (usedUp(left, state.items[line.item]!) || sum.quantity > left.quantityRemaining) throw exceeds('quantity', left.quantityRemaining);
    if (sum.cents > toCents(left.valueRemainingCad)) throw exceeds('valueCad', left.valueRemainingCad);
  });
  const recorded: PermitEvent = { type: 'ShipmentRecorded', data: { permitNumber, declarationRef, lines, exportedOn } };
  const after = evolvePermit(state, { ...recorded, effectiveAt: at });
  // A permit cancelled or expired since keeps that end; the declaration only adds to what it shows as shipped.
  const exhausts = isActivePermit(state) && isExhausted(after);
  return exhausts ? [recorded, { type: 'PermitExhausted', data: { permitNumber } }] : [recorded];
}
