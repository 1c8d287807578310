import { Query } from '@nestjs/cqrs';
import type { PermitHistory, PermitListFilter, PermitPage, PermitStatusRow, Stats } from '@permit-ledger/projections';
import type { PermitStateView, StreamVerification } from './permit-views.js';

export class ListPermits extends Query<PermitPage> {
  constructor(readonly filter: PermitListFilter) {
    super();
  }
}

export class GetPermitStatus extends Query<PermitStatusRow> {
  constructor(readonly permitNumber: string) {
    super();
  }
}

export class GetPermitHistory extends Query<PermitHistory> {
  constructor(
    readonly permitNumber: string,
    readonly asOf?: string,
    readonly knownAt?: string,
  ) {
    super();
  }
}

/** The permit folded from its own events up to a point: `asOf` (effective time), `knownAt` (recorded time), a revision. */
export class GetPermitState extends Query<PermitStateView> {
  constructor(
    readonly permitNumber: string,
    readonly asOf?: string,
    readonly revision?: number,
    readonly knownAt?: string,
  ) {
    super();
  }
}

export class VerifyPermit extends Query<StreamVerification> {
  constructor(readonly permitNumber: string) {
    super();
  }
}

export class GetStats extends Query<Stats> {}
