import type { Measure as DomainMeasure, MeasureKind } from '@permit-ledger/permits';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { array, integer, named, nullable, object, oneOf, record, string, type Agree, type Static } from '../schema/schema.js';

export const MEASURE_KINDS = ['issuance_suspended', 'presumptive_denial'] as const satisfies readonly MeasureKind[];
const _everyKind: Agree<(typeof MEASURE_KINDS)[number], MeasureKind> = true;

/** A measure as the read model keeps it: the domain's measure, with its country, lift reason and revision. */
export const Measure = named(
  'MeasureView',
  object({
    country: string({ example: 'TR' }),
    measureId: string({ example: 'TR-2019-10' }),
    kind: oneOf(MEASURE_KINDS),
    eclGroups: nullable(array(integer()), { description: 'ECL groups covered; null = all goods.', example: [2] }),
    exceptionGrounds: array(string(), {
      description: 'Grounds under which issuance is still allowed; empty = none.',
      example: ['nato_cooperation'],
    }),
    reference: string({ example: 'NtE 992' }),
    reason: string(),
    imposedAt: string({ format: 'date-time' }),
    liftedAt: nullable(string({ format: 'date-time' })),
    liftReference: nullable(string()),
    liftReason: nullable(string()),
    revision: integer({ description: 'Revision of the destination stream last applied to this measure.' }),
  }),
);
export type Measure = Static<typeof Measure>;
const _measureAgrees: Agree<Measure, DomainMeasure & { country: string; liftReason: string | null; revision: number }> = true;

export const DestinationTimelineEntry = named(
  'DestinationTimelineEntryView',
  object({
    type: string({ example: 'DestinationMeasureImposed' }),
    revision: integer(),
    position: integer(),
    effectiveAt: string({ format: 'date-time' }),
    recordedAt: string({ format: 'date-time' }),
    data: record(),
  }),
);
export type DestinationTimelineEntry = Static<typeof DestinationTimelineEntry>;

export const DestinationView = named(
  'DestinationView',
  object({
    country: string({ example: 'TR' }),
    inForce: array(Measure, { description: 'Measures in force (now, or at `at`), oldest first.' }),
    measures: array(Measure, { description: 'Every measure ever imposed, oldest first.' }),
    history: array(DestinationTimelineEntry),
  }),
);
export type DestinationView = Static<typeof DestinationView>;

interface MeasureRow {
  country: string;
  measure_id: string;
  kind: MeasureKind;
  ecl_groups_json: string;
  exception_grounds_json: string;
  reference: string;
  reason: string;
  imposed_at: string;
  lifted_at: string | null;
  lift_reference: string | null;
  lift_reason: string | null;
  revision: number;
}

const toMeasure = (r: MeasureRow): Measure => ({
  country: r.country,
  measureId: r.measure_id,
  kind: r.kind,
  eclGroups: JSON.parse(r.ecl_groups_json) as number[] | null,
  exceptionGrounds: JSON.parse(r.exception_grounds_json) as string[],
  reference: r.reference,
  reason: r.reason,
  imposedAt: r.imposed_at,
  liftedAt: r.lifted_at,
  liftReference: r.lift_reference,
  liftReason: r.lift_reason,
  revision: r.revision,
});

/** Compared as instants, not strings: "2020-04-16" and "2020-04-16T00:00:00.000Z" are the same moment. */
const instant = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO 8601 date or time: "${iso}"`);
  return ms;
};

export class DestinationQueries {
  constructor(private readonly db: ReadModelDb) {}

  /**
   * null when nothing was ever recorded for the country. With `at` (ISO date or time, a date meaning
   * its 00:00 UTC), inForce lists the measures imposed at or before it and not lifted by then; the
   * measures and history lists are the whole record either way.
   */
  get(country: string, at?: string): DestinationView | null {
    const measures = (
      this.db.prepare('SELECT * FROM destination_measure WHERE country = ? ORDER BY imposed_position').all(country) as MeasureRow[]
    ).map(toMeasure);
    const history = (
      this.db
        .prepare(
          'SELECT type, revision, position, effective_at, recorded_at, data_json FROM destination_event WHERE country = ? ORDER BY revision',
        )
        .all(country) as Array<{
        type: string;
        revision: number;
        position: number;
        effective_at: string;
        recorded_at: string;
        data_json: string;
      }>
    ).map((r) => ({
      type: r.type,
      revision: r.revision,
      position: r.position,
      effectiveAt: r.effective_at,
      recordedAt: r.recorded_at,
      data: JSON.parse(r.data_json) as Record<string, unknown>,
    }));
    if (measures.length === 0 && history.length === 0) return null;
    const inForce =
      at === undefined
        ? measures.filter((m) => m.liftedAt === null)
        : measures.filter((m) => {
            const t = instant(at);
            return instant(m.imposedAt) <= t && (m.liftedAt === null || instant(m.liftedAt) > t);
          });
    return { country, inForce, measures, history };
  }
}
