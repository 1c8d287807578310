/** Permit fields, as on the application form under the regulations (domain.md "Permit fields"). */
export interface Party {
  name: string;
  country?: string;
  address?: string;
  businessNumber?: string;
}

export interface PermitItem {
  /** Export Control List item, e.g. "2-15.a" (group 2 = munitions). */
  eclItem: string;
  description: string;
  quantity: number;
  unit: string;
  valueCad: number;
}

export interface PermitCondition {
  code: string;
  text: string;
}

export type PermitStatus = 'ISSUED' | 'SUSPENDED' | 'CANCELLED' | 'EXPIRED' | 'EXHAUSTED';

export type ReviewOutcome = 'no_action' | 'reinstatement_recommended' | 'cancellation_recommended';

export type MeasureKind = 'issuance_suspended' | 'presumptive_denial';
