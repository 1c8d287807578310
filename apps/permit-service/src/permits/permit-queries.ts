import { Query } from '@nestjs/cqrs';
import type { PermitListFilter } from '@permit-ledger/projections';


export class ListPermits extends Query<unknown> {
  constructor(readonly filter: PermitListFilter) {
    super();
  }
}

export class GetPermitStatus extends Query<unknown> {
  constructor(readonly permitNumber: string) {
    super();
  }
}

export class GetPermitHistory extends Query<unknown> {
  constructor(
    readonly permitNumber: string,
    readonly asOf?: string,
    readonly knownAt?: string,
  ) {
    super();
  }
}

/** The permit folded from its own events up to a point: `asOf` (effective time), `knownAt` (recorded time), a revision. */
export class GetPermitState extends Query<unknown> {
  constructor(
    readonly permitNumber: string,
    readonly asOf?: string,
    readonly revision?: number,
    readonly knownAt?: string,
  ) {
    super();
  }
}

export class VerifyPermit extends Query<unknown> {
  constructor(readonly permitNumber: string) {
    super();
  }
}

export class GetStats extends Query<unknown> {}
