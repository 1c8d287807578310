import type { MeasureKind, Party, PermitCondition, PermitItem, ReviewOutcome } from './types.js';

/**
 * Domain events. `type` strings are explicit and never renamed; a changed shape gets a new
 * schemaVersion and an upcaster. Envelope fields (effectiveAt, actor, reason, legalBasis,
 * decisionRef ...) travel in the store's metadata; `data` holds the facts of the event itself.
 * Where reason/legalBasis are part of the fact they are in data too, so a projection needs only data.
 */
export interface PermitIssued {
  type: 'PermitIssued';
  data: {
    permitNumber: string;
    destination: string;
    exporter: Party;
    consignee: Party;
    endUser: Party;
    intendedEndUse: string;
    items: PermitItem[];
    totalValueCad: number;
    validFrom: string; // YYYY-MM-DD
    expiresOn: string; // YYYY-MM-DD
    conditions: PermitCondition[];
    exceptionGround: string | null;
    supersedes: string | null;
    /** The application the permit was issued on; absent on permits issued directly (and on older events). */
    applicationRef?: string | null;
  };
}

export interface PermitAmended {
  type: 'PermitAmended';
  data: {
    permitNumber: string;
    changes: { expiresOn?: string; conditions?: PermitCondition[]; items?: PermitItem[] };
    /** Recomputed when items change. */
    totalValueCad: number;
    reason: string;
  };
}

export interface PermitSuspended {
  type: 'PermitSuspended';
  /** criteria: the assessment criteria (criteria.ts codes) it cites; absent when none were given (and on older events). */
  data: { permitNumber: string; reason: string; legalBasis: string; decisionRef: string | null; criteria?: string[] };
}

export interface PermitReinstated {
  type: 'PermitReinstated';
  data: { permitNumber: string; reason: string; legalBasis: string; decisionRef: string | null };
}

export interface PermitReviewOpened {
  type: 'PermitReviewOpened';
  data: { permitNumber: string; reviewId: string; reason: string; decisionRef: string | null };
}

export interface PermitReviewFindingRecorded {
  type: 'PermitReviewFindingRecorded';
  data: {
    permitNumber: string;
    reviewId: string;
    finding: string;
    theatre: string | null;
    evidenceRef: string | null;
    assuranceBreached: boolean;
    /** The assessment criteria it cites; absent when none were given. */
    criteria?: string[];
  };
}

export interface PermitReviewConcluded {
  type: 'PermitReviewConcluded';
  data: { permitNumber: string; reviewId: string; outcome: ReviewOutcome; summary: string };
}

export interface PermitCancelled {
  type: 'PermitCancelled';
  data: {
    permitNumber: string;
    reason: string;
    legalBasis: string;
    decisionRef: string | null;
    reviewId: string | null;
    /** The assessment criteria it cites; absent when none were given. */
    criteria?: string[];
  };
}

export interface PermitExpired {
  type: 'PermitExpired';
  data: { permitNumber: string; expiresOn: string };
}

/** One line of a customs declaration: how much of the permit's item (its index in `items`) left the country. */
export interface ShipmentLine {
  item: number;
  quantity: number;
  valueCad: number;
}

/** An export declared by the border agency against the permit; it takes effect at 00:00Z of exportedOn. */
export interface ShipmentRecorded {
  type: 'ShipmentRecorded';
  data: { permitNumber: string; declarationRef: string; lines: ShipmentLine[]; exportedOn: string };
}

/** Every item is used up (by shipments, or an amendment down to what was shipped): terminal. */
export interface PermitExhausted {
  type: 'PermitExhausted';
  data: { permitNumber: string };
}

export type PermitEvent =
  | PermitIssued
  | PermitAmended
  | PermitSuspended
  | PermitReinstated
  | PermitReviewOpened
  | PermitReviewFindingRecorded
  | PermitReviewConcluded
  | PermitCancelled
  | PermitExpired
  | ShipmentRecorded
  | PermitExhausted;

export interface DestinationMeasureImposed {
  type: 'DestinationMeasureImposed';
  data: {
    country: string;
    measureId: string;
    kind: MeasureKind;
    /** ECL groups the measure covers; null = all goods. */
    eclGroups: number[] | null;
    /** Grounds under which issuance is still allowed; empty = none. */
    exceptionGrounds: string[];
    reference: string;
    reason: string;
  };
}

export interface DestinationMeasureLifted {
  type: 'DestinationMeasureLifted';
  data: { country: string; measureId: string; reference: string; reason: string };
}

export type DestinationEvent = DestinationMeasureImposed | DestinationMeasureLifted;

/** Every permit event type with its current schema version. */
export const PERMIT_EVENT_SCHEMA_VERSIONS = {
  // v2: exporter is a party object (v1 stored a bare name; see upcasters.ts).
  PermitIssued: 2,
  PermitAmended: 1,
  PermitSuspended: 1,
  PermitReinstated: 1,
  PermitReviewOpened: 1,
  PermitReviewFindingRecorded: 1,
  PermitReviewConcluded: 1,
  PermitCancelled: 1,
  PermitExpired: 1,
  ShipmentRecorded: 1,
  PermitExhausted: 1,
} as const satisfies Record<PermitEvent['type'], number>;

export const DESTINATION_EVENT_SCHEMA_VERSIONS = {
  DestinationMeasureImposed: 1,
  DestinationMeasureLifted: 1,
} as const satisfies Record<DestinationEvent['type'], number>;

/** Every permit and destination event type with its current schema version. */
export const EVENT_SCHEMA_VERSIONS = {
  ...PERMIT_EVENT_SCHEMA_VERSIONS,
  ...DESTINATION_EVENT_SCHEMA_VERSIONS,
} as const satisfies Record<PermitEvent['type'] | DestinationEvent['type'], number>;

/** An event as the domain sees it when folding: its data plus the effective time from the envelope. */
export type Dated<E extends { type: string; data: unknown }> = E & { effectiveAt: string };
