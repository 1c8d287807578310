import type { DestinationCommand } from './commands.js';
import { domainError } from './errors.js';
import type { Dated, DestinationEvent } from './events.js';
import { assertNotBeforeLastEvent } from './time.js';
import type { MeasureKind, PermitItem } from './types.js';
import { assertNever, requireText } from './validation.js';

/** A country-wide measure (the 2019 halt, the 2020 presumptive denial), kept after it is lifted for history. */
export interface Measure {
  measureId: string;
  kind: MeasureKind;
  /** ECL groups covered; null = all goods. */
  eclGroups: number[] | null;
  /** Grounds under which issuance is still allowed; empty = none. */
  exceptionGrounds: string[];
  reference: string;
  reason: string;
  imposedAt: string;
  liftedAt: string | null;
  liftReference: string | null;
}

export interface DestinationState {
  country: string;
  measures: Measure[];
  lastEffectiveAt: string | null;
}

export const initialDestinationState = (country: string): DestinationState => ({
  country,
  measures: [],
  lastEffectiveAt: null,
});

export function evolveDestination(state: DestinationState, event: Dated<DestinationEvent>): DestinationState {
  const lastEffectiveAt = event.effectiveAt;
  switch (event.type) {
    case 'DestinationMeasureImposed': {
      const { measureId, kind, eclGroups, exceptionGrounds, reference, reason } = event.data;
      const measure: Measure = {
        measureId,
        kind,
        eclGroups,
        exceptionGrounds,
        reference,
        reason,
        imposedAt: event.effectiveAt,
        liftedAt: null,
        liftReference: null,
      };
      return { ...state, measures: [...state.measures, measure], lastEffectiveAt };
    }
    case 'DestinationMeasureLifted': {
      const { measureId, reference } = event.data;
      // A stream that lifts an unknown measure is corrupt: stop rather than fold a guess.
      if (!state.measures.some((m) => m.measureId === measureId)) {
        throw new Error(`destination-${state.country}: lift of unknown measure ${measureId}`);
      }
      const measures = state.measures.map((m) =>
        m.measureId === measureId ? { ...m, liftedAt: event.effectiveAt, liftReference: reference } : m,
      );
      return { ...state, measures, lastEffectiveAt };
    }
    default:
      return assertNever(event);
  }
}

export const foldDestination = (country: string, events: Dated<DestinationEvent>[]): DestinationState =>
  events.reduce(evolveDestination, initialDestinationState(country));

const MEASURE_KINDS: readonly MeasureKind[] = ['issuance_suspended', 'presumptive_denial'];

export function decideDestination(command: DestinationCommand, state: DestinationState): DestinationEvent[] {
  if (command.data.country !== state.country) {
    // The application loads the stream named by the command; a mismatch is a wiring bug, not a user error.
    throw new Error(`command for ${command.data.country} decided against destination-${state.country}`);
  }
  assertNotBeforeLastEvent(command.effectiveAt, state.lastEffectiveAt);
  switch (command.type) {
    case 'ImposeDestinationMeasure': {
      const { country, measureId, kind, reference, reason } = command.data;
      requireText(measureId, 'measureId');
      requireText(reference, 'reference');
      requireText(reason, 'reason');
      if (!MEASURE_KINDS.includes(kind)) {
        throw domainError('INVALID_MEASURE', `kind must be one of ${MEASURE_KINDS.join(', ')}`, 'kind');
      }
      const eclGroups = command.data.eclGroups ?? null;
      if (eclGroups !== null && (eclGroups.length === 0 || !eclGroups.every((g) => Number.isInteger(g) && g > 0))) {
        throw domainError('INVALID_MEASURE', 'eclGroups must be null (all goods) or positive group numbers', 'eclGroups');
      }
      const exceptionGrounds = command.data.exceptionGrounds ?? [];
      if (!exceptionGrounds.every((g) => typeof g === 'string' && g.trim() !== '')) {
        throw domainError('INVALID_MEASURE', 'exceptionGrounds must be non-empty strings', 'exceptionGrounds');
      }
      // Ids stay unique forever, lifted or not, so a reference to a measure is never ambiguous.
      if (state.measures.some((m) => m.measureId === measureId)) {
        throw domainError('MEASURE_ALREADY_EXISTS', `measure ${measureId} already exists for ${country}`);
      }
      return [
        {
          type: 'DestinationMeasureImposed',
          data: {
            country,
            measureId,
            kind,
            eclGroups: eclGroups === null ? null : [...new Set(eclGroups)],
            exceptionGrounds: [...new Set(exceptionGrounds)],
            reference,
            reason,
          },
        },
      ];
    }
    case 'LiftDestinationMeasure': {
      const { country, measureId, reference, reason } = command.data;
      requireText(reference, 'reference');
      requireText(reason, 'reason');
      const measure = state.measures.find((m) => m.measureId === measureId);
      if (!measure) throw domainError('MEASURE_NOT_FOUND', `no measure ${measureId} for ${country}`);
      if (measure.liftedAt !== null) {
        throw domainError('MEASURE_ALREADY_LIFTED', `measure ${measureId} was lifted at ${measure.liftedAt}`);
      }
      return [{ type: 'DestinationMeasureLifted', data: { country, measureId, reference, reason } }];
    }
    default:
      return assertNever(command);
  }
}

/** Measures in force at `at`: imposed at or before it and not yet lifted (a lift takes effect at its instant). */
export function measuresInForce(state: DestinationState, at: string): Measure[] {
  const t = Date.parse(at);
  return state.measures.filter((m) => Date.parse(m.imposedAt) <= t && (m.liftedAt === null || Date.parse(m.liftedAt) > t));
}

/** ECL group of an item: the number before the first '-' ("2-15.a" -> 2); null when there is none. */
export function eclGroup(eclItem: string): number | null {
  const match = /^(\d+)-/.exec(eclItem);
  return match ? Number(match[1]) : null;
}

/**
 * The first measure that blocks issuing `items` at `at`, or null. A suspension of issuance covers all
 * goods; a presumptive denial covers its ECL groups (all goods when eclGroups is null). Either can be
 * overcome only by an exception ground the measure names.
 */
export function blockingMeasure(
  state: DestinationState,
  at: string,
  items: readonly Pick<PermitItem, 'eclItem'>[],
  exceptionGround: string | null | undefined,
): Measure | null {
  const covers = (m: Measure): boolean =>
    m.kind === 'issuance_suspended' ||
    m.eclGroups === null ||
    items.some((item) => {
      const group = eclGroup(item.eclItem);
      return m.eclGroups!.some((listed) => listed === group);
    });
  const excepted = (m: Measure): boolean => m.exceptionGrounds.some((ground) => ground === exceptionGround);
  return measuresInForce(state, at).find((m) => covers(m) && !excepted(m)) ?? null;
}
