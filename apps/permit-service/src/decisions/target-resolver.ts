import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@permit-ledger/event-store';
import type { DecisionSelector } from '@permit-ledger/permits';
import { PermitStatusQueries, Projections, type PermitListFilter } from '@permit-ledger/projections';
import { ProblemException } from '../http/problem.js';

const PAGE = 500;

/** Resolves a decision's selector once, against the status read model as it stands now. */
@Injectable()
export class TargetResolver {
  constructor(
    private readonly permits: PermitStatusQueries,
    private readonly projections: Projections,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async resolve(selector: DecisionSelector): Promise<string[]> {
    if (selector.permitNumbers) return [...new Set(selector.permitNumbers)];
    // "As it stands now" means after every event already in the log, not as far as the read model got.
    const head = await this.store.headPosition();
    if (!(await this.projections.waitFor(head, 5_000))) {
      throw new ProblemException(503, 'PROJECTIONS_BEHIND', 'the status read model is behind the log; try again', {}, { 'Retry-After': '1' });
    }
    const base = { status: selector.status, destination: selector.destination } as Omit<PermitListFilter, 'limit'>;
    const targets = new Set<string>();
    for (const eclItem of selector.eclItems ?? [undefined]) {
      let cursor: string | undefined;
      do {
        const page = this.permits.list({ ...base, eclItem, limit: PAGE, cursor });
        for (const row of page.items) targets.add(row.permitNumber);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    return [...targets].sort();
  }
}
