import type { ApplicationRecord, ApplicationStatus, Party, PermitItem } from '@permit-ledger/permits';
import type { ReadModelDb } from '../read-model/read-model-db.js';
import { array, integer, named, nullable, number, object, oneOf, string, type Agree, type Static } from '../schema/schema.js';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageOf, PartyView } from '../status/permit-status.queries.js';

export const APPLICATION_STATUSES = [
  'SUBMITTED',
  'ON_HOLD',
  'APPROVED',
  'REFUSED',
  'WITHDRAWN',
] as const satisfies readonly ApplicationStatus[];
const _everyStatus: Agree<(typeof APPLICATION_STATUSES)[number], ApplicationStatus> = true;

export const ApplicationItemView = named(
  'ApplicationItem',
  object({
    eclItem: string({ example: '2-15.a' }),
    description: string({ example: 'EO/IR gimbal sensor' }),
    quantity: number({ example: 6 }),
    unit: string({ example: 'unit' }),
    valueCad: number({ example: 4200000 }),
  }),
);
const _itemAgrees: Agree<Static<typeof ApplicationItemView>, PermitItem> = true;

/** An application as GET /applications and GET /applications/{applicationRef} answer it (applications projection). */
export const ApplicationView = named(
  'ApplicationView',
  object({
    applicationRef: string({ example: 'APP-19-0107' }),
    status: oneOf(APPLICATION_STATUSES, { example: 'ON_HOLD' }),
    destination: string({ example: 'TR' }),
    exporter: PartyView,
    consignee: PartyView,
    endUser: PartyView,
    intendedEndUse: string(),
    items: array(ApplicationItemView),
    exceptionGround: nullable(string({ example: 'nato_cooperation' })),
    heldBy: nullable(
      string({ description: 'The destination measure holding the application; null when none does.', example: 'TR-2019-HALT' }),
    ),
    permitNumber: nullable(string({ description: 'The permit the approval issued; null until approved.', example: 'EXP-20-005181' })),
    criteria: array(string(), {
      description: 'The assessment criteria a refusal cited (GET /criteria); empty otherwise.',
      example: ['IHL_VIOLATION'],
    }),
    submittedAt: string({ format: 'date-time' }),
    updatedAt: string({ format: 'date-time', description: "effectiveAt of the application's last event." }),
    revision: integer({ description: "The stream's revision (also the ETag)." }),
    position: integer({ description: 'Log position of the last event applied to this row.' }),
  }),
);
export type ApplicationView = Static<typeof ApplicationView>;
// The row holds what the domain folds, under the read model's names.
const _viewAgrees: Agree<
  Omit<ApplicationView, 'updatedAt' | 'revision' | 'position'>,
  Omit<ApplicationRecord, 'lastEffectiveAt' | 'approval'>
> = true;

export const ApplicationPage = pageOf('ApplicationPage', ApplicationView);
export type ApplicationPage = Static<typeof ApplicationPage>;

export interface ApplicationListFilter {
  status?: string;
  destination?: string;
  limit: number;
  cursor?: string;
}

interface Row {
  application_ref: string;
  status: ApplicationStatus;
  destination: string;
  form_json: string;
  exception_ground: string | null;
  held_by: string | null;
  permit_number: string | null;
  criteria_json: string;
  submitted_at: string;
  updated_at: string;
  revision: number;
  position: number;
}

interface Form {
  exporter: Party;
  consignee: Party;
  endUser: Party;
  intendedEndUse: string;
  items: PermitItem[];
}

const toView = (r: Row): ApplicationView => {
  const form = JSON.parse(r.form_json) as Form;
  return {
    applicationRef: r.application_ref,
    status: r.status,
    destination: r.destination,
    exporter: form.exporter,
    consignee: form.consignee,
    endUser: form.endUser,
    intendedEndUse: form.intendedEndUse,
    items: form.items,
    exceptionGround: r.exception_ground,
    heldBy: r.held_by,
    permitNumber: r.permit_number,
    criteria: JSON.parse(r.criteria_json) as string[],
    submittedAt: r.submitted_at,
    updatedAt: r.updated_at,
    revision: r.revision,
    position: r.position,
  };
};

export class ApplicationQueries {
  constructor(private readonly db: ReadModelDb) {}

  get(applicationRef: string): ApplicationView | null {
    const row = this.db.prepare('SELECT * FROM application_status WHERE application_ref = ?').get(applicationRef) as Row | undefined;
    return row ? toView(row) : null;
  }

  /** Ordered by applicationRef; throws InvalidCursorError for a cursor it did not issue. */
  list(filter: ApplicationListFilter): ApplicationPage {
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(filter.limit) || 1));
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: limit + 1 };
    if (filter.cursor !== undefined) {
      where.push('application_ref > @after');
      params['after'] = decodeCursor(filter.cursor);
    }
    if (filter.status !== undefined) {
      where.push('status = @status');
      params['status'] = filter.status;
    }
    if (filter.destination !== undefined) {
      where.push('destination = @destination');
      params['destination'] = filter.destination;
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM application_status ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY application_ref LIMIT @limit`,
      )
      .all(params) as Row[];
    const items = rows.slice(0, limit).map(toView);
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.applicationRef) : null };
  }

  /** Applications to `destination` a change of its measures may concern: held by `measureId`, or not held at all. */
  awaitingDecision(destination: string, heldBy: string | null): string[] {
    const rows =
      heldBy === null
        ? this.db.prepare(
            "SELECT application_ref FROM application_status WHERE destination = ? AND status = 'SUBMITTED' ORDER BY application_ref",
          )
        : this.db.prepare(
            "SELECT application_ref FROM application_status WHERE destination = ? AND status = 'ON_HOLD' AND held_by = ? ORDER BY application_ref",
          );
    return (heldBy === null ? rows.pluck().all(destination) : rows.pluck().all(destination, heldBy)) as string[];
  }
}
