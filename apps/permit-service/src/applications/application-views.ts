import { APPLICATION_STATUSES, pageOf, schema as s, type ApplicationView, type Static } from '@permit-ledger/projections';

/*
 * The answer shapes the slice's queries build (the read model's rows are in @permit-ledger/projections; the
 * command answers and the history, made of event views, beside the controller that builds them).
 */

const applicationRef = s.string({ example: 'APP-19-0107' });

/**
 * An application as a viewer (the dashboard's public-facing reader) sees it: where it stands and of the parties only
 * the exporter's name, as for permits. The consignee and end user (foreign companies and people, with addresses), the
 * exporter's address, country and business number, the intended end use and the items are for the roles that act on
 * or audit it. Fields are picked, not removed: a field later added to the read model stays hidden from viewers until
 * it is listed here and in viewerApplication.
 */
export const ViewerApplicationView = s.named(
  'ApplicationSummaryView',
  s.object(
    {
      applicationRef,
      status: s.oneOf(APPLICATION_STATUSES, { example: 'ON_HOLD' }),
      destination: s.string({ example: 'TR' }),
      exporter: s.object({ name: s.string({ example: 'Northfield Optronics Inc.' }) }),
      exceptionGround: s.nullable(s.string({ example: 'nato_cooperation' })),
      heldBy: s.nullable(s.string({ description: 'The destination measure holding the application; null when none does.' })),
      permitNumber: s.nullable(s.string({ description: 'The permit the approval issued; null until approved.' })),
      criteria: s.array(s.string(), { description: 'The assessment criteria a refusal cited (GET /criteria); empty otherwise.' }),
      submittedAt: s.string({ format: 'date-time' }),
      updatedAt: s.string({ format: 'date-time', description: "effectiveAt of the application's last event." }),
      revision: s.integer({ description: "The stream's revision (also the ETag)." }),
      position: s.integer({ description: 'Log position of the last event applied to this row.' }),
    },
    { description: 'An application as a viewer sees it: no consignee, end user, end use or items, and of the exporter only its name.' },
  ),
);
export type ViewerApplicationView = Static<typeof ViewerApplicationView>;
export const ViewerApplicationPage = pageOf('ApplicationSummaryPage', ViewerApplicationView);
export type ViewerApplicationPage = Static<typeof ViewerApplicationPage>;

export function viewerApplication(row: ApplicationView): ViewerApplicationView {
  return {
    applicationRef: row.applicationRef,
    status: row.status,
    destination: row.destination,
    exporter: { name: row.exporter.name },
    exceptionGround: row.exceptionGround,
    heldBy: row.heldBy,
    permitNumber: row.permitNumber,
    criteria: row.criteria,
    submittedAt: row.submittedAt,
    updatedAt: row.updatedAt,
    revision: row.revision,
    position: row.position,
  };
}

export const ApplicationStateView = s.named(
  'ApplicationStateView',
  s.object({
    applicationRef,
    status: s.oneOf(APPLICATION_STATUSES),
    destination: s.string({ example: 'TR' }),
    heldBy: s.nullable(s.string()),
    permitNumber: s.nullable(s.string()),
    criteria: s.array(s.string()),
    submittedAt: s.string({ format: 'date-time' }),
    lastEffectiveAt: s.string({ format: 'date-time' }),
    revision: s.integer({ description: 'The last revision folded.' }),
    recordedAt: s.string({ format: 'date-time', description: 'When the last event folded was recorded.' }),
  }),
);
export type ApplicationStateView = Static<typeof ApplicationStateView>;

export const CriteriaView = s.named(
  'CriteriaView',
  s.object({
    version: s.integer({ description: 'Version of the list: codes are never renamed or reused.', example: 1 }),
    items: s.array(
      s.object({
        code: s.string({ example: 'IHL_VIOLATION' }),
        text: s.string(),
        source: s.string({ example: 'EIPA s.7.3(1)(b)(i)' }),
      }),
    ),
  }),
);
export type CriteriaView = Static<typeof CriteriaView>;
