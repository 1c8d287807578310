import { expect } from '@jest/globals';
import type { Decider, DomainEvent, TimedCommand } from '../decider.js';
import { DOMAIN_ERROR_KINDS, DomainError, type DomainErrorCode } from '../errors.js';
import type { Dated } from '../events.js';

/** The stream the spec decides on, and the context the decider declares it reads (e.g. the permit's destination). */
export interface SpecSetup<Context> {
  id: string;
  context?: Context;
}

/**
 * given(history).when(command).then(events) / .thenMatch(partialEvents) / .thenThrows(code, { field, message }):
 * folds the history with the decider's evolve from its initial state, runs its decide, and checks the outcome.
 * Test-only (imports jest): not exported from the package index.
 */
export function deciderSpec<C extends TimedCommand, E extends DomainEvent, S, X>(decider: Decider<C, E, S, X>, setup: SpecSetup<X>) {
  return {
    given(history: Dated<E>[]) {
      return {
        when(command: C) {
          const state = () => history.reduce(decider.evolve, decider.initialState(setup.id));
          const run = () => decider.decide(command, state(), setup.context as X);
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
            /** The events and when each takes effect in the world (the decider's effectiveAt). */
            thenAt(expected: Array<{ type: E['type']; effectiveAt: string }>): void {
              expect(run().map((e) => ({ type: e.type, effectiveAt: decider.effectiveAt(e, command, state()) }))).toEqual(expected);
            },
            /**
             * The refusal: its code and kind, the request field it names (none when `field` is left out) and a
             * stable part of its message (a substring, or a pattern).
             */
            thenThrows(code: DomainErrorCode, expected: { field?: string; message: string | RegExp }): void {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(DomainError);
              const error = thrown as DomainError;
              expect({ code: error.code, kind: error.kind, field: error.field }).toEqual({
                code,
                kind: DOMAIN_ERROR_KINDS[code],
                field: expected.field,
              });
              if (typeof expected.message === 'string') expect(error.message).toContain(expected.message);
              else expect(error.message).toMatch(expected.message);
            },
          };
        },
      };
    },
  };
}
