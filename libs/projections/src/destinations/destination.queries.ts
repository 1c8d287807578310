import type { Measure as DomainMeasure, MeasureKind } from '@permit-ledger/permits';
import type { ReadModelDb } from '../read-model-db.js';

/** A measure as the read model keeps it: the domain's measure, with its country, lift reason and revision. */
export interface Measure extends DomainMeasure {
  country: string;
  liftReason: string | null;
  /** Revision of the destination stream last applied to this measure. */
  revision: number;
}

export interface DestinationTimelineEntry {
  type: string;
  revision: number;
  position: number;
  effectiveAt: string;
  recordedAt: string;
  data: Record<string, unknown>;
}

export interface DestinationView {
  country: string;
  /** Measures in force (now, or at `at`), oldest first. */
  inForce: Measure[];
  /** Every measure ever imposed, oldest first. */
  measures: Measure[];
  history: DestinationTimelineEntry[];
}

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
        .prepare('SELECT type, revision, position, effective_at, recorded_at, data_json FROM destination_event WHERE country = ? ORDER BY revision')
        .all(country) as Array<{ type: string; revision: number; position: number; effective_at: string; recorded_at: string; data_json: string }>
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
