import type { Actor } from '@permit-ledger/event-store';
import type { AppliedOutcome, DecisionAction, DecisionSelector, FailedOutcome, SkippedOutcome } from '@permit-ledger/permits';
import { ActorView, PERMIT_STATUSES, schema as s, type Static } from '@permit-ledger/projections';

/** The answer shapes of decisions, written once; the compiler checks them against the domain's types. */

export const DECISION_ACTIONS = ['suspend', 'cancel', 'reinstate', 'open_review'] as const satisfies readonly DecisionAction[];
const _everyAction: s.Agree<(typeof DECISION_ACTIONS)[number], DecisionAction> = true;

/** The selector as recorded (the request's, as validated by RecordDecisionDto). */
const Selector = s.named(
  'DecisionSelectorView',
  s.object({
    permitNumbers: s.optional(s.array(s.string(), { example: ['EXP-19-004120'] })),
    destination: s.optional(s.string({ example: 'TR' })),
    status: s.optional(s.string({ description: `One of ${PERMIT_STATUSES.join(', ')}.`, example: 'SUSPENDED' })),
    eclItems: s.optional(s.array(s.string(), { example: ['2-15'] })),
  }),
);
const _selectorAgrees: s.Agree<Static<typeof Selector>, DecisionSelector> = true;

const decisionRef = s.string({ example: 'MIN-2021-04-12' });
const action = s.oneOf(DECISION_ACTIONS, { example: 'cancel' });
const targeted = s.array(s.string(), { description: 'The permits the selector resolved to, once.', example: ['EXP-19-004120'] });

export const DecisionRecordedAnswer = s.named(
  'DecisionRecordedAnswer',
  s.object({
    decisionRef,
    action,
    selector: Selector,
    targeted,
    revision: s.integer({ example: 1 }),
    position: s.integer({ example: 57 }),
  }),
);
export type DecisionRecordedAnswer = Static<typeof DecisionRecordedAnswer>;

const Applied = s.named(
  'AppliedOutcomeView',
  s.object({
    permitNumber: s.string({ example: 'EXP-19-004120' }),
    revision: s.integer({ description: 'Revision of the permit event the decision produced.' }),
    position: s.integer({ description: 'Its log position.' }),
  }),
);
const Skipped = s.named(
  'SkippedOutcomeView',
  s.object({
    permitNumber: s.string({ example: 'EXP-19-004121' }),
    code: s.string({ description: "The domain's refusal code.", example: 'PERMIT_TERMINAL' }),
    reason: s.string({ example: 'permit EXP-19-004121 is CANCELLED' }),
  }),
);
const Failed = s.named('FailedOutcomeView', s.object({ permitNumber: s.string(), error: s.string() }));
const _outcomesAgree: [
  s.Agree<Static<typeof Applied>, AppliedOutcome>,
  s.Agree<Static<typeof Skipped>, SkippedOutcome>,
  s.Agree<Static<typeof Failed>, FailedOutcome>,
] = [true, true, true];

/** A decision's progress, folded from its stream. */
export const DecisionView = s.named(
  'DecisionView',
  s.object({
    decisionRef,
    status: s.oneOf(['PENDING', 'COMPLETED'], { example: 'COMPLETED' }),
    action,
    selector: Selector,
    reason: s.string({ example: 'Canadian sensors found in Nagorno-Karabakh' }),
    legalBasis: s.string({ example: 'EIPA s.10(1)' }),
    effectiveAt: s.string({ format: 'date-time' }),
    recordedBy: ActorView,
    recordedAt: s.string({ format: 'date-time' }),
    targeted,
    applied: s.array(Applied),
    skipped: s.array(Skipped),
    failed: s.array(Failed),
    revision: s.integer({ description: "Revision of the decision's stream." }),
  }),
);
export type DecisionView = Static<typeof DecisionView>;
const _recordedByAgrees: s.Agree<DecisionView['recordedBy'], Actor> = true;
