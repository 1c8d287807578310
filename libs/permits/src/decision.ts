import { domainError } from './errors.js';
import type { Dated } from './events.js';
import { assertNever, requireText } from './validation.js';

/**
 * A ministerial decision that applies to many permits (domain.md "Ministerial decisions"): recorded
 * once with its resolved targets, then carried out permit by permit by a process manager that
 * records what happened to each, until every target has an outcome.
 */
export type DecisionAction = 'suspend' | 'cancel' | 'reinstate' | 'open_review';

export interface DecisionSelector {
  permitNumbers?: string[];
  destination?: string;
  status?: string;
  eclItems?: string[];
}

export interface AppliedOutcome {
  permitNumber: string;
  /** The permit event the decision produced: its stream revision and global position. */
  revision: number;
  position: number;
}
export interface SkippedOutcome {
  permitNumber: string;
  /** The domain's refusal code, e.g. PERMIT_TERMINAL. */
  code: string;
  reason: string;
}
export interface FailedOutcome {
  permitNumber: string;
  error: string;
}

export interface DecisionRecorded {
  type: 'DecisionRecorded';
  data: {
    decisionRef: string;
    action: DecisionAction;
    selector: DecisionSelector;
    reason: string;
    legalBasis: string;
    /** Hash of the request that recorded it: the same decisionRef with another request is refused. */
    requestHash: string;
  };
}
/** The selector resolved once, so a restart or a re-run works on the same set. */
export interface DecisionTargetsResolved {
  type: 'DecisionTargetsResolved';
  data: { decisionRef: string; permitNumbers: string[] };
}
export interface DecisionPermitApplied {
  type: 'DecisionPermitApplied';
  data: { decisionRef: string } & AppliedOutcome;
}
export interface DecisionPermitSkipped {
  type: 'DecisionPermitSkipped';
  data: { decisionRef: string } & SkippedOutcome;
}
export interface DecisionPermitFailed {
  type: 'DecisionPermitFailed';
  data: { decisionRef: string } & FailedOutcome;
}
export interface DecisionCompleted {
  type: 'DecisionCompleted';
  data: { decisionRef: string; applied: number; skipped: number; failed: number };
}

export type DecisionEvent =
  DecisionRecorded | DecisionTargetsResolved | DecisionPermitApplied | DecisionPermitSkipped | DecisionPermitFailed | DecisionCompleted;

export const DECISION_EVENT_SCHEMA_VERSIONS = {
  DecisionRecorded: 1,
  DecisionTargetsResolved: 1,
  DecisionPermitApplied: 1,
  DecisionPermitSkipped: 1,
  DecisionPermitFailed: 1,
  DecisionCompleted: 1,
} as const satisfies Record<DecisionEvent['type'], number>;

export interface RecordDecision {
  type: 'RecordDecision';
  effectiveAt: string;
  data: DecisionRecorded['data'] & {
    /** Resolved by the application against the status read model before deciding. */
    targets: string[];
  };
}

export type PermitOutcome =
  ({ outcome: 'applied' } & AppliedOutcome) | ({ outcome: 'skipped' } & SkippedOutcome) | ({ outcome: 'failed' } & FailedOutcome);

export interface RecordDecisionOutcomes {
  type: 'RecordDecisionOutcomes';
  effectiveAt: string;
  data: { decisionRef: string; outcomes: PermitOutcome[] };
}

export type DecisionCommand = RecordDecision | RecordDecisionOutcomes;

interface DecisionFacts {
  decisionRef: string;
  action: DecisionAction;
  selector: DecisionSelector;
  reason: string;
  legalBasis: string;
  requestHash: string;
  effectiveAt: string;
  targets: string[];
  applied: AppliedOutcome[];
  skipped: SkippedOutcome[];
  failed: FailedOutcome[];
}

export type DecisionState = { status: 'NONE' } | ({ status: 'PENDING' } & DecisionFacts) | ({ status: 'COMPLETED' } & DecisionFacts);

export const initialDecisionState: DecisionState = { status: 'NONE' };

/** Targets that have no outcome yet, in the order they were resolved. */
export function pendingTargets(state: DecisionState): string[] {
  if (state.status === 'NONE') return [];
  const done = new Set([...state.applied, ...state.skipped, ...state.failed].map((o) => o.permitNumber));
  return state.targets.filter((n) => !done.has(n));
}

export function decideDecision(command: DecisionCommand, state: DecisionState): DecisionEvent[] {
  switch (command.type) {
    case 'RecordDecision': {
      const { targets, ...recorded } = command.data;
      if (state.status !== 'NONE') {
        if (state.requestHash === recorded.requestHash) return []; // the same request again: nothing to write
        throw domainError('DECISION_ALREADY_RECORDED', `decision ${recorded.decisionRef} was recorded with another request`);
      }
      // Every permit command it leads to requires them: refused here, not once per permit.
      requireText(recorded.reason, 'reason');
      requireText(recorded.legalBasis, 'legalBasis');
      const permitNumbers = [...new Set(targets)];
      const events: DecisionEvent[] = [
        { type: 'DecisionRecorded', data: recorded },
        { type: 'DecisionTargetsResolved', data: { decisionRef: recorded.decisionRef, permitNumbers } },
      ];
      if (permitNumbers.length === 0) {
        events.push({ type: 'DecisionCompleted', data: { decisionRef: recorded.decisionRef, applied: 0, skipped: 0, failed: 0 } });
      }
      return events;
    }
    case 'RecordDecisionOutcomes': {
      const { decisionRef } = command.data;
      if (state.status === 'NONE') throw domainError('DECISION_NOT_FOUND', `decision ${decisionRef} does not exist`);
      const pending = new Set(pendingTargets(state));
      const events: DecisionEvent[] = [];
      for (const outcome of command.data.outcomes) {
        if (!state.targets.includes(outcome.permitNumber)) {
          throw domainError('DECISION_TARGET_UNKNOWN', `${outcome.permitNumber} is not a target of decision ${decisionRef}`);
        }
        // An outcome already recorded (a re-run after a crash) is not recorded twice.
        if (!pending.delete(outcome.permitNumber)) continue;
        events.push(outcomeEvent(decisionRef, outcome));
      }
      // Every target has an outcome: completed now, or (a stream whose completion is missing) on the next outcomes.
      if (state.status === 'PENDING' && pending.size === 0) {
        const count = (type: DecisionEvent['type']) => events.filter((e) => e.type === type).length;
        events.push({
          type: 'DecisionCompleted',
          data: {
            decisionRef,
            applied: state.applied.length + count('DecisionPermitApplied'),
            skipped: state.skipped.length + count('DecisionPermitSkipped'),
            failed: state.failed.length + count('DecisionPermitFailed'),
          },
        });
      }
      return events;
    }
    default:
      return assertNever(command);
  }
}

function outcomeEvent(decisionRef: string, outcome: PermitOutcome): DecisionEvent {
  switch (outcome.outcome) {
    case 'applied':
      return {
        type: 'DecisionPermitApplied',
        data: { decisionRef, permitNumber: outcome.permitNumber, revision: outcome.revision, position: outcome.position },
      };
    case 'skipped':
      return {
        type: 'DecisionPermitSkipped',
        data: { decisionRef, permitNumber: outcome.permitNumber, code: outcome.code, reason: outcome.reason },
      };
    case 'failed':
      return { type: 'DecisionPermitFailed', data: { decisionRef, permitNumber: outcome.permitNumber, error: outcome.error } };
    default:
      return assertNever(outcome);
  }
}

export function evolveDecision(state: DecisionState, event: Dated<DecisionEvent>): DecisionState {
  switch (event.type) {
    case 'DecisionRecorded':
      return {
        status: 'PENDING',
        ...event.data,
        effectiveAt: event.effectiveAt,
        targets: [],
        applied: [],
        skipped: [],
        failed: [],
      };
    case 'DecisionTargetsResolved':
      return state.status === 'NONE' ? state : { ...state, targets: event.data.permitNumbers };
    case 'DecisionPermitApplied': {
      if (state.status === 'NONE') return state;
      const { decisionRef: _, ...outcome } = event.data;
      return { ...state, applied: [...state.applied, outcome] };
    }
    case 'DecisionPermitSkipped': {
      if (state.status === 'NONE') return state;
      const { decisionRef: _, ...outcome } = event.data;
      return { ...state, skipped: [...state.skipped, outcome] };
    }
    case 'DecisionPermitFailed': {
      if (state.status === 'NONE') return state;
      const { decisionRef: _, ...outcome } = event.data;
      return { ...state, failed: [...state.failed, outcome] };
    }
    case 'DecisionCompleted':
      return state.status === 'NONE' ? state : { ...state, status: 'COMPLETED' };
    default:
      return assertNever(event);
  }
}

export const foldDecision = (events: Dated<DecisionEvent>[]): DecisionState => events.reduce(evolveDecision, initialDecisionState);
