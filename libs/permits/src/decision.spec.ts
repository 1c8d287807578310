import { describe, expect, it } from '@jest/globals';
import { decideDecision, foldDecision, pendingTargets, type DecisionCommand, type DecisionEvent } from './decision.js';
import type { Dated } from './events.js';
import { decisionDecider } from './deciders.js';
import { deciderSpec } from './testing/decider-spec.js';

const spec = deciderSpec(decisionDecider, { id: 'MIN-2021-04-12' });

const AT = '2021-04-12T12:00:00.000Z';
const REF = 'MIN-2021-04-12';
const base = {
  decisionRef: REF,
  action: 'cancel' as const,
  selector: { destination: 'TR', status: 'SUSPENDED' },
  reason: 'goods used in Nagorno-Karabakh',
  legalBasis: 'EIPA s.10(1)',
  requestHash: 'h1',
};
const record = (targets: string[], requestHash = 'h1'): DecisionCommand => ({
  type: 'RecordDecision',
  effectiveAt: AT,
  data: { ...base, requestHash, targets },
});
const dated = (e: DecisionEvent): Dated<DecisionEvent> => ({ ...e, effectiveAt: AT });
const recorded = (targets: string[]) => [
  dated({ type: 'DecisionRecorded', data: base }),
  dated({ type: 'DecisionTargetsResolved', data: { decisionRef: REF, permitNumbers: targets } }),
];
const outcomes = (...o: Extract<DecisionCommand, { type: 'RecordDecisionOutcomes' }>['data']['outcomes']): DecisionCommand => ({
  type: 'RecordDecisionOutcomes',
  effectiveAt: AT,
  data: { decisionRef: REF, outcomes: o },
});

describe('decision decider', () => {
  it('records a decision with its resolved targets, without duplicates', () => {
    spec
      .given([])
      .when(record(['A', 'B', 'A']))
      .then([
        { type: 'DecisionRecorded', data: base },
        { type: 'DecisionTargetsResolved', data: { decisionRef: REF, permitNumbers: ['A', 'B'] } },
      ]);
  });

  it('completes at once a decision that targets nothing', () => {
    spec
      .given([])
      .when(record([]))
      .thenMatch([
        { type: 'DecisionRecorded' },
        { type: 'DecisionTargetsResolved' },
        { type: 'DecisionCompleted', data: { applied: 0, skipped: 0, failed: 0 } },
      ]);
  });

  it('writes nothing for the same request again, and refuses another request under the same ref', () => {
    spec
      .given(recorded(['A']))
      .when(record(['A', 'B']))
      .then([]);
    spec
      .given(recorded(['A']))
      .when(record(['A'], 'h2'))
      .thenThrows('DECISION_ALREADY_RECORDED', { message: 'decision MIN-2021-04-12 was recorded with another request' });
  });

  it('records outcomes permit by permit and completes when every target has one', () => {
    spec
      .given(recorded(['A', 'B', 'C']))
      .when(outcomes({ outcome: 'applied', permitNumber: 'A', revision: 3, position: 40 }))
      .then([{ type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'A', revision: 3, position: 40 } }]);
    spec
      .given([
        ...recorded(['A', 'B', 'C']),
        dated({ type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'A', revision: 3, position: 40 } }),
      ])
      .when(
        outcomes(
          { outcome: 'skipped', permitNumber: 'B', code: 'PERMIT_TERMINAL', reason: 'already cancelled' },
          { outcome: 'failed', permitNumber: 'C', error: 'store unavailable' },
        ),
      )
      .then([
        {
          type: 'DecisionPermitSkipped',
          data: { decisionRef: REF, permitNumber: 'B', code: 'PERMIT_TERMINAL', reason: 'already cancelled' },
        },
        { type: 'DecisionPermitFailed', data: { decisionRef: REF, permitNumber: 'C', error: 'store unavailable' } },
        { type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 1, failed: 1 } },
      ]);
  });

  it('ignores an outcome already recorded (a re-run after a crash) and never completes twice', () => {
    const history = [
      ...recorded(['A']),
      dated({ type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'A', revision: 3, position: 40 } }),
      dated({ type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 0, failed: 0 } }),
    ];
    spec
      .given(history)
      .when(outcomes({ outcome: 'applied', permitNumber: 'A', revision: 3, position: 40 }))
      .then([]);
  });

  it('writes nothing for the same request once the decision is completed', () => {
    spec
      .given([...recorded([]), dated({ type: 'DecisionCompleted', data: { decisionRef: REF, applied: 0, skipped: 0, failed: 0 } })])
      .when(record([]))
      .then([]);
  });

  it.each(['reason', 'legalBasis'] as const)('requires a %s, which every permit command it leads to needs', (field) => {
    const command = record(['A']);
    Object.assign(command.data, { [field]: ' ' });
    spec
      .given([])
      .when(command)
      .thenThrows('REQUIRED_FIELD_MISSING', { field, message: `${field} is required` });
  });

  it('completes with the outcomes recorded before, failures included', () => {
    spec
      .given([
        ...recorded(['A', 'B', 'C']),
        dated({ type: 'DecisionPermitFailed', data: { decisionRef: REF, permitNumber: 'A', error: 'store unavailable' } }),
        dated({ type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'B', revision: 2, position: 41 } }),
      ])
      .when(outcomes({ outcome: 'skipped', permitNumber: 'C', code: 'PERMIT_TERMINAL', reason: 'already cancelled' }))
      .then([
        {
          type: 'DecisionPermitSkipped',
          data: { decisionRef: REF, permitNumber: 'C', code: 'PERMIT_TERMINAL', reason: 'already cancelled' },
        },
        { type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 1, failed: 1 } },
      ]);
  });

  it('records an outcome once when a batch names its permit twice, and the new ones of a partial re-run', () => {
    spec
      .given(recorded(['A']))
      .when(
        outcomes(
          { outcome: 'applied', permitNumber: 'A', revision: 3, position: 40 },
          { outcome: 'failed', permitNumber: 'A', error: 'x' },
        ),
      )
      .then([
        { type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'A', revision: 3, position: 40 } },
        { type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 0, failed: 0 } },
      ]);
    spec
      .given([
        ...recorded(['A', 'B']),
        dated({ type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'A', revision: 3, position: 40 } }),
      ])
      .when(
        outcomes(
          { outcome: 'applied', permitNumber: 'A', revision: 3, position: 40 },
          { outcome: 'failed', permitNumber: 'B', error: 'x' },
        ),
      )
      .then([
        { type: 'DecisionPermitFailed', data: { decisionRef: REF, permitNumber: 'B', error: 'x' } },
        { type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 0, failed: 1 } },
      ]);
  });

  it('completes a decision whose every target has an outcome but whose completion is missing, on its next outcomes', () => {
    const crashed = [
      ...recorded(['A', 'B']),
      dated({ type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'A', revision: 3, position: 40 } }),
      dated({ type: 'DecisionPermitFailed', data: { decisionRef: REF, permitNumber: 'B', error: 'x' } }),
    ];
    expect(foldDecision(crashed).status).toBe('PENDING');
    spec
      .given(crashed)
      .when(outcomes({ outcome: 'applied', permitNumber: 'A', revision: 3, position: 40 }))
      .then([{ type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 0, failed: 1 } }]);
  });

  it('refuses outcomes for an unknown decision or a permit it does not target', () => {
    spec
      .given([])
      .when(outcomes({ outcome: 'failed', permitNumber: 'A', error: 'x' }))
      .thenThrows('DECISION_NOT_FOUND', { message: 'decision MIN-2021-04-12 does not exist' });
    spec
      .given(recorded(['A']))
      .when(outcomes({ outcome: 'failed', permitNumber: 'Z', error: 'x' }))
      .thenThrows('DECISION_TARGET_UNKNOWN', { message: 'Z is not a target of decision MIN-2021-04-12' });
  });

  it('folds to the progress auditors read: pending targets, outcomes, status', () => {
    const state = foldDecision([
      ...recorded(['A', 'B']),
      dated({
        type: 'DecisionPermitSkipped',
        data: { decisionRef: REF, permitNumber: 'B', code: 'INVALID_TRANSITION', reason: 'not suspended' },
      }),
    ]);
    expect(state).toMatchObject({
      status: 'PENDING',
      targets: ['A', 'B'],
      skipped: [{ permitNumber: 'B', code: 'INVALID_TRANSITION' }],
      effectiveAt: AT,
    });
    expect(pendingTargets(state)).toEqual(['A']);
  });

  it('folds a completed decision: every outcome, nothing pending, status COMPLETED', () => {
    const state = foldDecision([
      ...recorded(['A', 'B', 'C']),
      dated({ type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'C', revision: 3, position: 40 } }),
      dated({ type: 'DecisionPermitFailed', data: { decisionRef: REF, permitNumber: 'A', error: 'refused' } }),
      dated({ type: 'DecisionPermitSkipped', data: { decisionRef: REF, permitNumber: 'B', code: 'PERMIT_TERMINAL', reason: 'r' } }),
      dated({ type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 1, failed: 1 } }),
    ]);
    expect(state).toEqual({
      status: 'COMPLETED',
      ...base,
      effectiveAt: AT,
      targets: ['A', 'B', 'C'],
      applied: [{ permitNumber: 'C', revision: 3, position: 40 }],
      skipped: [{ permitNumber: 'B', code: 'PERMIT_TERMINAL', reason: 'r' }],
      failed: [{ permitNumber: 'A', error: 'refused' }],
    });
    expect(pendingTargets(state)).toEqual([]);
  });

  it('folds nothing from events that come before the decision is recorded', () => {
    const strays: DecisionEvent[] = [
      { type: 'DecisionTargetsResolved', data: { decisionRef: REF, permitNumbers: ['A'] } },
      { type: 'DecisionPermitApplied', data: { decisionRef: REF, permitNumber: 'A', revision: 3, position: 40 } },
      { type: 'DecisionPermitSkipped', data: { decisionRef: REF, permitNumber: 'A', code: 'PERMIT_TERMINAL', reason: 'r' } },
      { type: 'DecisionPermitFailed', data: { decisionRef: REF, permitNumber: 'A', error: 'x' } },
      { type: 'DecisionCompleted', data: { decisionRef: REF, applied: 1, skipped: 0, failed: 0 } },
    ];
    for (const stray of strays) expect(foldDecision([dated(stray)])).toEqual({ status: 'NONE' });
    expect(pendingTargets(foldDecision([]))).toEqual([]);
  });

  it('has no targets until they are resolved (a stream read up to its first event)', () => {
    const [first] = recorded(['A']);
    const state = foldDecision([first!]);
    expect(state).toMatchObject({ status: 'PENDING', targets: [], applied: [], skipped: [], failed: [] });
    expect(pendingTargets(state)).toEqual([]);
  });

  it('stops on a command, an outcome or an event of a kind it does not know', () => {
    const state = foldDecision(recorded(['A']));
    expect(() => decideDecision({ type: 'ForgetDecision', effectiveAt: AT, data: { decisionRef: REF } } as never, state)).toThrow(
      'unhandled variant',
    );
    expect(() => decideDecision(outcomes({ outcome: 'deferred', permitNumber: 'A' } as never), state)).toThrow('unhandled variant');
    expect(() => foldDecision([...recorded(['A']), dated({ type: 'DecisionForgotten', data: {} } as never)])).toThrow('unhandled variant');
  });
});
