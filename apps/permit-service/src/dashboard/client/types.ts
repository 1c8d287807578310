/**
 * The answers of the API that the dashboard reads, as far as it reads them. The service sends more
 * fields; the page relies on none beyond these.
 */

export type PermitStatus = 'ISSUED' | 'SUSPENDED' | 'CANCELLED' | 'EXPIRED';

/** The lifecycle events counted per month, in the order the chart stacks them. */
export const KINDS = ['issued', 'suspended', 'reinstated', 'cancelled', 'expired'] as const;
export type LifecycleKind = (typeof KINDS)[number];

/** GET /stats */
export interface Stats {
  byStatus: Array<{ status: PermitStatus; count: number; valueCad: number }>;
  byDestination: DestinationFigure[];
  /** Months with at least one lifecycle event, ascending; month is YYYY-MM. */
  perMonth: MonthFigures[];
  totals: { permits: number; valueCad: number };
}

export interface DestinationFigure {
  destination: string;
  status: PermitStatus;
  count: number;
  valueCad: number;
}

export type MonthFigures = { month: string } & Record<LifecycleKind, number>;

/** A destination measure, as GET /destinations/{country} lists it. */
export interface Measure {
  measureId: string;
  kind: 'issuance_suspended' | 'presumptive_denial';
  /** The ECL groups it applies to; null for all goods. */
  eclGroups: number[] | null;
  exceptionGrounds: string[];
  reference: string;
  reason: string;
  imposedAt: string;
  liftedAt: string | null;
  liftReference: string | null;
  liftReason: string | null;
}

/** GET /destinations/{country} */
export interface DestinationView {
  country: string;
  inForce: Measure[];
  measures: Measure[];
}

/** A status row: GET /permits/{permitNumber}, and the items of GET /permits (a viewer sees fewer party fields). */
export interface PermitRow {
  permitNumber: string;
  status: PermitStatus;
  destination: string;
  exporter: { name?: string } | null;
  totalValueCad: number;
  expiresOn: string;
  lastDecisionRef: string | null;
}

/** GET /permits */
export interface PermitPage {
  items?: PermitRow[];
}

export interface Actor {
  id: string;
  role: string;
  /** Set when a process carried out the command for the actor. */
  executor?: string;
}

/** One event with its envelope: an item of a permit's history, and the data of a live feed frame. */
export interface EventView {
  type: string;
  stream: string;
  position: number;
  effectiveAt: string;
  recordedAt: string;
  actor?: Actor;
  data?: EventData;
  reason?: string | null;
  legalBasis?: string | null;
  decisionRef?: string | null;
}

/** The event data fields the page summarises (each event type holds some of them). */
export interface EventData {
  permitNumber?: string;
  country?: string;
  decisionRef?: string;
  reason?: string;
  destination?: string;
  endUser?: { name?: string };
  validFrom?: string;
  expiresOn?: string;
  items?: Array<{ eclItem: string; description: string; quantity: number; unit: string; valueCad: number }>;
  reviewId?: string;
  finding?: string;
  theatre?: string;
  evidenceRef?: string;
  assuranceBreached?: boolean;
  outcome?: string;
  summary?: string;
}

/** GET /permits/{permitNumber}/history */
export interface PermitHistory {
  events: EventView[];
}

/** POST /dev/token */
export interface DevToken {
  token?: string;
}

/** A problem document (RFC 9457) as the service answers errors. */
export interface Problem {
  code?: string;
  title?: string;
  detail?: string;
  errors?: FieldError[];
}

export interface FieldError {
  field: string;
  messages?: string[];
}

/** GET /reports/exports: the annual report, one entry per destination. */
export interface ReportEntry {
  year: number;
  destination: string;
  applications: { received: number; approved: number; refused: number; withdrawn: number; onHold: number };
  refusalsByCriterion: Record<string, number>;
  permits: { issued: number; suspended: number; cancelled: number; expired: number; exhausted: number };
  valueAuthorizedCad: number;
  permitsUtilized: number;
  valueExportedCad: number;
}
export interface ExportReport {
  year: number;
  destination: string | null;
  asOf: string | null;
  knownAt: string | null;
  entries: ReportEntry[];
}
