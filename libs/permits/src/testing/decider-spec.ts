import { expect } from '@jest/globals';
import { DOMAIN_ERROR_KINDS, DomainError, type DomainErrorCode } from '../errors.js';
import type { Dated } from '../events.js';

/** Test-only (imports jest): not exported from the package index. */
export interface Decider<C, E extends { type: string; data: unknown }, S> {
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: Dated<E>) => S;
  initialState: () => S;
}

/**
 * given(history).when(command).then(events) / .thenMatch(partialEvents) / .thenThrows(code, field?):
 * folds the history with evolve, runs decide, and checks the outcome.
 */
export function deciderSpec<C, E extends { type: string; data: unknown }, S>(decider: Decider<C, E, S>) {
  return {
    given(history: Dated<E>[]) {
      return {
        when(command: C) {
          const run = () => decider.decide(command, history.reduce(decider.evolve, decider.initialState()));
          return {
            then(expected: E[]): void {
              expect(run()).toEqual(expected);
            },
            /** Partial match: each expected event's type and the data fields it names. */
            thenMatch(expected: Array<{ type: E['type']; data?: Record<string, unknown> }>): void {
              const events = run();
              expect(events).toHaveLength(expected.length);
              expect(events).toMatchObject(expected);
            },
            thenThrows(code: DomainErrorCode, field?: string): void {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(DomainError);
              const error = thrown as DomainError;
              expect({ code: error.code, kind: error.kind }).toEqual({ code, kind: DOMAIN_ERROR_KINDS[code] });
              if (field !== undefined) expect(error.field).toBe(field);
            },
          };
        },
      };
    },
  };
}
