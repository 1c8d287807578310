import type { PermitStatus } from '@permit-ledger/permits';
import type { ReadModelDb } from '../read-model-db.js';

export interface Stats {
  byStatus: Array<{ status: PermitStatus; count: number; valueCad: number }>;
  byDestination: Array<{ destination: string; status: PermitStatus; count: number; valueCad: number }>;
  /** Months with at least one lifecycle event, ascending; month = YYYY-MM (UTC) of effectiveAt. */
  perMonth: Array<{ month: string; issued: number; suspended: number; reinstated: number; cancelled: number; expired: number }>;
  totals: { permits: number; valueCad: number };
}

/** Reads permit_status (status projection) and permit_lifecycle_event (stats projection). */
export class StatsQueries {
  constructor(private readonly db: ReadModelDb) {}

  stats(): Stats {
    // One read transaction: the figures come from two tables and must describe one moment.
    return this.db.transaction((): Stats => {
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
             sum(kind = 'expired') AS expired
           FROM permit_lifecycle_event GROUP BY month ORDER BY month`,
        )
        .all() as Stats['perMonth'];
      const totals = this.db
        .prepare('SELECT count(*) AS permits, coalesce(sum(total_value_cad), 0) AS valueCad FROM permit_status')
        .get() as Stats['totals'];
      return { byStatus, byDestination, perMonth, totals };
    }).deferred();
  }
}
