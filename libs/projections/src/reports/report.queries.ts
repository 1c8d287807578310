import { CRITERIA } from '@permit-ledger/permits';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { array, integer, named, nullable, number, object, string, type Schema, type Static } from '../schema/schema.js';

const count = (description: string) => integer({ minimum: 0, description });

/** Refusals per criterion code: every code of the reference list (0 when none), and any other code a refusal cited. */
const ByCriterion: Schema<Record<string, number>> = {
  type: 'object',
  additionalProperties: { type: 'integer', minimum: 0 },
  description: 'Refusals in the year citing each criterion code (a refusal citing two counts under both).',
  example: { PEACE_AND_SECURITY: 1, IHRL_VIOLATION: 1 },
};

/** One destination's figures for one year (the tables of the annual report on exports of military goods). */
export const ExportReportEntry = named(
  'ExportReportEntry',
  object({
    year: integer({ example: 2020 }),
    destination: string({ pattern: '^[A-Z]{2}$', example: 'TR' }),
    applications: named(
      'ReportApplications',
      object({
        received: count('Applications submitted in the year.'),
        approved: count('Approved in the year.'),
        refused: count('Refused in the year.'),
        withdrawn: count('Withdrawn in the year.'),
        onHold: count("On hold at the year's end (or at asOf, when that is earlier)."),
      }),
    ),
    refusalsByCriterion: ByCriterion,
    permits: named(
      'ReportPermits',
      object({
        issued: count('Permits issued in the year.'),
        suspended: count('Suspensions in the year.'),
        cancelled: count('Cancellations in the year.'),
        expired: count('Permits that expired in the year.'),
        exhausted: count('Permits whose items were all shipped in the year.'),
      }),
    ),
    valueAuthorizedCad: number({ description: 'Value of the permits issued in the year, with the changes amendments made in it.' }),
    permitsUtilized: count('Permits with at least one shipment in the year.'),
    valueExportedCad: number({ description: 'Value of the shipments exported in the year.' }),
  }),
);
export type ExportReportEntry = Static<typeof ExportReportEntry>;

/** GET /reports/exports. */
export const ExportReport = named(
  'ExportReport',
  object({
    year: integer({ example: 2020 }),
    destination: nullable(string({ pattern: '^[A-Z]{2}$' }), { description: 'The destination asked for; null for every destination.' }),
    asOf: nullable(string(), { description: 'The asOf asked for, as given.' }),
    knownAt: nullable(string(), { description: 'The knownAt cut-off applied (a later one is capped at now).' }),
    entries: array(ExportReportEntry, {
      description: 'One entry per destination with any figure in the year, by code; exactly one when a destination is asked for.',
    }),
  }),
);
export type ExportReport = Static<typeof ExportReport>;

export interface ReportFilter {
  year: number;
  destination?: string;
  /** Inclusive cut-offs, epoch milliseconds: in effect by (effectiveAt), recorded by (recordedAt). */
  asOfMs?: number;
  knownAtMs?: number;
}

const ZERO = (year: number, destination: string): ExportReportEntry => ({
  year,
  destination,
  applications: { received: 0, approved: 0, refused: 0, withdrawn: 0, onHold: 0 },
  refusalsByCriterion: Object.fromEntries(CRITERIA.map((c) => [c.code, 0])),
  permits: { issued: 0, suspended: 0, cancelled: 0, expired: 0, exhausted: 0 },
  valueAuthorizedCad: 0,
  permitsUtilized: 0,
  valueExportedCad: 0,
});

/** Cents: sums of REAL values must not print as 0.30000000000000004. */
const cad = (value: number) => Math.round(value * 100) / 100;

/** The year's bounds in epoch ms (years 0000-9999: Date.UTC would read 0-99 as 1900-1999). */
export function yearBounds(year: number): { start: number; end: number } {
  const y = String(year).padStart(4, '0');
  return { start: Date.parse(`${y}-01-01T00:00:00.000Z`), end: Date.parse(`${y}-12-31T23:59:59.999Z`) };
}

/** Reads report_fact (reports projection). */
export class ReportQueries {
  constructor(private readonly db: ReadModelDb) {}

  exports(filter: ReportFilter): ExportReportEntry[] {
    const { start, end } = yearBounds(filter.year);
    const until = Math.min(end, filter.asOfMs ?? Infinity);
    const known = filter.knownAtMs ?? Number.MAX_SAFE_INTEGER;
    const where = `effective_ms >= @start AND effective_ms <= @until AND recorded_ms <= @known${filter.destination ? ' AND destination = @destination' : ''}`;
    const only = filter.destination ? { destination: filter.destination } : {};
    const params = { start, until, known, ...only };

    return this.db
      .transaction((): ExportReportEntry[] => {
        const entries = new Map<string, ExportReportEntry>();
        const entry = (destination: string) => {
          let e = entries.get(destination);
          if (!e) entries.set(destination, (e = ZERO(filter.year, destination)));
          return e;
        };
        if (filter.destination) entry(filter.destination);

        const facts = this.db
          .prepare(
            `SELECT destination, kind, count(*) AS n, sum(amount_cad) AS amount, count(DISTINCT stream) AS streams
             FROM report_fact WHERE ${where} GROUP BY destination, kind`,
          )
          .all(params) as { destination: string; kind: string; n: number; amount: number; streams: number }[];
        for (const f of facts) {
          const e = entry(f.destination);
          switch (f.kind) {
            case 'received':
            case 'approved':
            case 'refused':
            case 'withdrawn':
              e.applications[f.kind] = f.n;
              break;
            case 'issued':
              e.permits.issued = f.n;
              e.valueAuthorizedCad = cad(e.valueAuthorizedCad + f.amount);
              break;
            case 'amended':
              e.valueAuthorizedCad = cad(e.valueAuthorizedCad + f.amount);
              break;
            case 'suspended':
            case 'cancelled':
            case 'expired':
            case 'exhausted':
              e.permits[f.kind] = f.n;
              break;
            case 'shipment':
              e.permitsUtilized = f.streams;
              e.valueExportedCad = cad(f.amount);
              break;
            // held, released, reinstated: they count only through the holds at the year's end.
          }
        }

        const cited = this.db
          .prepare(
            `SELECT destination, c.value AS code, count(*) AS n
             FROM report_fact, json_each(report_fact.criteria) AS c
             WHERE kind = 'refused' AND ${where} GROUP BY destination, c.value`,
          )
          .all(params) as { destination: string; code: string; n: number }[];
        for (const c of cited) entry(c.destination).refusalsByCriterion[c.code] = c.n;

        // An application is on hold when the last of its events in effect by then is a hold.
        const held = this.db
          .prepare(
            `SELECT destination, count(*) AS n FROM (
               SELECT destination, kind,
                 row_number() OVER (PARTITION BY stream ORDER BY effective_ms DESC, revision DESC) AS latest
               FROM report_fact
               WHERE subject = 'application' AND effective_ms <= @until AND recorded_ms <= @known
                 ${filter.destination ? 'AND destination = @destination' : ''}
             ) WHERE latest = 1 AND kind = 'held' GROUP BY destination`,
          )
          .all({ until, known, ...only }) as { destination: string; n: number }[];
        for (const h of held) entry(h.destination).applications.onHold = h.n;

        // By code: the keys are the destinations, distinct, and sort() orders them by UTF-16 code units as `<` does.
        return [...entries.keys()].sort().map((destination) => entries.get(destination) as ExportReportEntry);
      })
      .deferred();
  }
}
