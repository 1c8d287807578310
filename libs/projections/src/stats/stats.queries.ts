import type { ReadModelDb } from '../read-model/read-model-db.js';
import { array, integer, named, number, object, oneOf, string, type Static } from '../schema/schema.js';
import { PERMIT_STATUSES } from '../status/permit-status.queries.js';

const statusFigure = {
  status: oneOf(PERMIT_STATUSES),
  count: integer(),
  valueCad: number(),
};

/** Dashboard figures (GET /stats). */
export const Stats = named(
  'StatsView',
  object({
    byStatus: array(named('StatusFigure', object(statusFigure))),
    byDestination: array(named('DestinationFigure', object({ destination: string({ example: 'TR' }), ...statusFigure }))),
    perMonth: array(
      named(
        'MonthFigure',
        object({
          month: string({ pattern: '^[0-9]{4}-[0-9]{2}$', example: '2020-10' }),
          issued: integer(),
          suspended: integer(),
          reinstated: integer(),
          cancelled: integer(),
          expired: integer(),
          exhausted: integer(),
        }),
      ),
      { description: 'Months (YYYY-MM, UTC, of effectiveAt) with at least one lifecycle event, ascending.' },
    ),
    totals: named('TotalsFigure', object({ permits: integer(), valueCad: number() })),
  }),
);
export type Stats = Static<typeof Stats>;

/** Reads permit_status (status projection) and permit_lifecycle_event (stats projection). */
export class StatsQueries {
  constructor(private readonly db: ReadModelDb) {}

  stats(): Stats {
    // One read transaction: the figures come from two tables and must describe one moment.
    return this.db
      .transaction((): Stats => {
        const byStatus = this.db
          .prepare(
            `SELECT status, count(*) AS count, coalesce(sum(total_value_cad), 0) AS valueCad
           FROM permit_status GROUP BY status ORDER BY status`,
          )
          .all() as Stats['byStatus'];
        const byDestination = this.db
          .prepare(
            `SELECT destination, status, count(*) AS count, coalesce(sum(total_value_cad), 0) AS valueCad
           FROM permit_status GROUP BY destination, status ORDER BY destination, status`,
          )
          .all() as Stats['byDestination'];
        const perMonth = this.db
          .prepare(
            `SELECT month,
             sum(kind = 'issued') AS issued, sum(kind = 'suspended') AS suspended,
             sum(kind = 'reinstated') AS reinstated, sum(kind = 'cancelled') AS cancelled,
             sum(kind = 'expired') AS expired, sum(kind = 'exhausted') AS exhausted
           FROM permit_lifecycle_event GROUP BY month ORDER BY month`,
          )
          .all() as Stats['perMonth'];
        const totals = this.db
          .prepare('SELECT count(*) AS permits, coalesce(sum(total_value_cad), 0) AS valueCad FROM permit_status')
          .get() as Stats['totals'];
        return { byStatus, byDestination, perMonth, totals };
      })
      .deferred();
  }
}
