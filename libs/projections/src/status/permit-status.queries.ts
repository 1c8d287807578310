import type { Party, PermitStatus } from '@permit-ledger/permits';
import {
  array,
  integer,
  named,
  nullable,
  number,
  object,
  oneOf,
  optional,
  string,
  type Agree,
  type Schema,
  type Static,
} from '../schema/schema.js';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { foldName, type StoredUsage } from './permit-status.projection.js';

/** A permit's statuses, in lifecycle order. */
export const PERMIT_STATUSES = ['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED', 'EXHAUSTED'] as const satisfies readonly PermitStatus[];
const _everyStatus: Agree<(typeof PERMIT_STATUSES)[number], PermitStatus> = true;

/** A party as recorded on the permit (PermitIssued's exporter, consignee, end user). */
export const PartyView = named(
  'Party',
  object({
    name: string({ example: 'Anadolu UAV Systems' }),
    country: optional(string({ description: 'ISO 3166 alpha-2 country code.', example: 'TR' })),
    address: optional(string()),
    businessNumber: optional(string({ example: '861234567' })),
  }),
);
export const OpenReviewRef = named(
  'OpenReviewRef',
  object({ reviewId: string({ example: 'R-2020-TR-1' }), openedAt: string({ format: 'date-time' }) }),
);

/** How much of one item of the permit has been shipped, and what is left of it. */
export const ItemUsageView = named(
  'ItemUsage',
  object({
    item: integer({ description: "Index of the item in the permit's `items`.", example: 0 }),
    quantityShipped: number({ example: 2 }),
    valueShippedCad: number({ example: 1400000 }),
    quantityRemaining: number({ example: 4 }),
    valueRemainingCad: number({ example: 2800000 }),
  }),
);
export type ItemUsageView = Static<typeof ItemUsageView>;

/** The fields of a status row, for views that show part of it. */
export const permitStatusFields = {
  permitNumber: string({ example: 'EXP-19-004120' }),
  status: oneOf(PERMIT_STATUSES, { example: 'SUSPENDED' }),
  destination: string({ example: 'TR' }),
  exporter: PartyView,
  consignee: PartyView,
  endUser: PartyView,
  eclItems: array(string(), { description: 'Distinct ECL items, in the order the permit lists them.', example: ['2-15.a'] }),
  totalValueCad: number({ example: 4200000 }),
  validFrom: string({ format: 'date', example: '2019-03-20' }),
  expiresOn: string({ format: 'date', example: '2022-03-19' }),
  revision: integer({ description: "The stream's revision (also the ETag).", example: 1 }),
  position: integer({ description: 'Log position of the last event applied to this row.' }),
  openReview: nullable(OpenReviewRef),
  lastDecisionRef: nullable(string({ example: 'MIN-2020-10-05' })),
  supersedes: nullable(string()),
  issuedAt: string({ format: 'date-time', description: 'effectiveAt of PermitIssued.' }),
  updatedAt: string({ format: 'date-time', description: "effectiveAt of the permit's latest event." }),
  usage: array(ItemUsageView, { description: 'Per item of the permit: what customs declarations have used of it.' }),
};

/** A permit's current status, as GET /permits and GET /permits/{permitNumber} answer it (status projection). */
export const PermitStatusRow = named(
  'PermitStatusView',
  object(permitStatusFields, { description: "A permit's current status row, whole." }),
);
export type PermitStatusRow = Static<typeof PermitStatusRow>;
// The row holds the parties as the domain records them.
const _partyAgrees: Agree<Static<typeof PartyView>, Party> = true;

export interface PermitListFilter {
  /** ISSUED, SUSPENDED, CANCELLED, EXPIRED or EXHAUSTED; any other value matches nothing. */
  status?: string;
  /** Exact ISO alpha-2 code as recorded (e.g. "TR"). */
  destination?: string;
  /** Case-insensitive "contains" on the exporter's name ("northfield" finds "Northfield Optronics Inc."). */
  exporter?: string;
  /**
   * ECL item or a prefix of it, cut at a boundary: "2" and "2-15" match "2-15.a", "2-15.a" matches
   * itself and "2-15.a.1", but "2-1" does not match "2-15.a" (item 2-1 is small arms, not 2-15).
   */
  eclItem?: string;
  /** Permits an event recorded under this ministerial decision touched. */
  decisionRef?: string;
  /** Page size; clamped to 1..MAX_PAGE_SIZE. */
  limit: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

/** A page of status rows of any shape (the whole row, or a reader's part of it). */
export const pageOf = <S extends Schema>(name: string, row: S) =>
  named(
    name,
    object({
      items: array(row),
      nextCursor: nullable(string(), { description: 'Pass as `cursor` for the next page; null on the last page.' }),
    }),
  );
export const PermitPage = pageOf('PermitPage', PermitStatusRow);
export type PermitPage = Static<typeof PermitPage>;

export const MAX_PAGE_SIZE = 500;

/** A cursor that this service did not hand out. Maps to 400. */
export class InvalidCursorError extends Error {
  readonly code = 'INVALID_CURSOR';
  constructor(readonly cursor: string) {
    super('cursor is malformed: pass nextCursor from a previous page unchanged');
    this.name = 'InvalidCursorError';
  }
}

/**
 * Lower-casing leaves apart what a search should not: a final sigma (ς) and σ, ß and "ss", and the dot above that
 * "İ" keeps as U+0307. The stored fold stays foldName's (rows folded by earlier versions must still be found without
 * a rebuild): the query maps both the term and the column the same way.
 */
const searchFold = (text: string): string =>
  foldName(text)
    .replace(/ς/g, 'σ')
    .replace(/ß/g, 'ss')
    .replace(/\u0307/g, '');
const SEARCHED_EXPORTER = "replace(replace(replace(s.exporter_search, 'ς', 'σ'), 'ß', 'ss'), char(775), '')";

/** Opaque to clients: base64url of the last permit number of the page (keyset paging). */
export function encodeCursor(permitNumber: string): string {
  return Buffer.from(permitNumber).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  // Buffer.from(..., 'base64url') silently skips garbage; accept only the canonical encoding: what re-encodes to
  // the cursor itself has only base64url letters, no padding and no stray trailing bits.
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length === 0 || bytes.toString('base64url') !== cursor) throw new InvalidCursorError(cursor);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidCursorError(cursor);
  }
}

interface Row {
  permit_number: string;
  status: PermitStatus;
  destination: string;
  exporter_json: string;
  consignee_json: string;
  end_user_json: string;
  ecl_items_json: string;
  total_value_cad: number;
  valid_from: string;
  expires_on: string;
  revision: number;
  position: number;
  open_review_id: string | null;
  open_review_opened_at: string | null;
  last_decision_ref: string | null;
  supersedes: string | null;
  issued_at: string;
  updated_at: string;
  usage_json: string;
}

const roundCents = (value: number): number => Math.round(value * 100) / 100;

const toStatusRow = (r: Row): PermitStatusRow => ({
  permitNumber: r.permit_number,
  status: r.status,
  destination: r.destination,
  exporter: JSON.parse(r.exporter_json) as Party,
  consignee: JSON.parse(r.consignee_json) as Party,
  endUser: JSON.parse(r.end_user_json) as Party,
  eclItems: JSON.parse(r.ecl_items_json) as string[],
  totalValueCad: r.total_value_cad,
  validFrom: r.valid_from,
  expiresOn: r.expires_on,
  revision: r.revision,
  position: r.position,
  // Stryker disable next-line StringLiteral: open_review_opened_at is set and cleared with open_review_id, never null beside it
  openReview: r.open_review_id ? { reviewId: r.open_review_id, openedAt: r.open_review_opened_at ?? '' } : null,
  lastDecisionRef: r.last_decision_ref,
  supersedes: r.supersedes,
  issuedAt: r.issued_at,
  updatedAt: r.updated_at,
  usage: (JSON.parse(r.usage_json) as StoredUsage[]).map((u) => ({
    item: u.item,
    quantityShipped: u.quantityShipped,
    valueShippedCad: u.valueShippedCad,
    quantityRemaining: u.quantity - u.quantityShipped,
    valueRemainingCad: roundCents(u.valueCad - u.valueShippedCad),
  })),
});

export class PermitStatusQueries {
  constructor(private readonly db: ReadModelDb) {}

  get(permitNumber: string): PermitStatusRow | null {
    const row = this.db.prepare('SELECT * FROM permit_status WHERE permit_number = ?').get(permitNumber) as Row | undefined;
    return row ? toStatusRow(row) : null;
  }

  /** Ordered by permitNumber; throws InvalidCursorError for a cursor it did not issue. */
  list(filter: PermitListFilter): PermitPage {
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(filter.limit) || 1));
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: limit + 1 };
    if (filter.cursor !== undefined) {
      where.push('s.permit_number > @after');
      params['after'] = decodeCursor(filter.cursor);
    }
    if (filter.status !== undefined) {
      where.push('s.status = @status');
      params['status'] = filter.status;
    }
    if (filter.destination !== undefined) {
      where.push('s.destination = @destination');
      params['destination'] = filter.destination;
    }
    if (filter.exporter !== undefined) {
      // instr on a folded copy: Unicode-aware and no LIKE wildcards to escape.
      where.push(`instr(${SEARCHED_EXPORTER}, @exporter) > 0`);
      params['exporter'] = searchFold(filter.exporter);
    }
    if (filter.eclItem !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM permit_ecl_item e WHERE e.permit_number = s.permit_number AND (
        e.ecl_item = @ecl
        OR substr(e.ecl_item, 1, length(@ecl) + 1) IN (@ecl || '.', @ecl || '-')
        OR (substr(@ecl, -1) IN ('.', '-') AND substr(e.ecl_item, 1, length(@ecl)) = @ecl)))`);
      params['ecl'] = filter.eclItem;
    }
    if (filter.decisionRef !== undefined) {
      where.push('EXISTS (SELECT 1 FROM permit_decision d WHERE d.permit_number = s.permit_number AND d.decision_ref = @decisionRef)');
      params['decisionRef'] = filter.decisionRef;
    }
    const sql = `SELECT s.* FROM permit_status s ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY s.permit_number LIMIT @limit`;
    const rows = this.db.prepare(sql).all(params) as Row[];
    // One row more than asked tells whether a next page exists without a COUNT.
    const page = rows.slice(0, limit).map(toStatusRow);
    const nextCursor = rows.length > limit ? encodeCursor(page[page.length - 1]!.permitNumber) : null;
    return { items: page, nextCursor };
  }
}
