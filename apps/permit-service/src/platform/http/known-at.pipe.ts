import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import type { Clock } from '@permit-ledger/config';
import { CLOCK } from '../store/tokens.js';
import { isIsoDate, toTimestamp } from '../time/instants.js';

/**
 * Caps a read's `knownAt` (the recorded-by clock) at now: a cut-off still to come is not reproducible (the next
 * record, late or not, changes what it shows), so it is read as now and answered as the timestamp used. A date
 * counts to its last millisecond, so today's date is also capped. Runs after validation: the value is well formed.
 */
@Injectable()
export class KnownAtCap implements PipeTransform {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  transform<T extends { knownAt?: string }>(query: T): T {
    if (query?.knownAt === undefined) return query;
    const asked = query.knownAt;
    const end = Date.parse(isIsoDate(asked) ? `${asked}T23:59:59.999Z` : toTimestamp(asked));
    const now = this.clock();
    if (end <= now.getTime()) return query;
    return Object.assign(query, { knownAt: now.toISOString() });
  }
}
