import type { ChainVerification } from '@permit-ledger/event-store';
import type { PermitState } from '@permit-ledger/permits';
import { pageOf, PartyView, permitStatusFields, schema as s, type Static } from '@permit-ledger/projections';

/*
 * The answer shapes of the permit reads that are not a read model's own rows: each written once, here, with its
 * type derived from it; the compiler checks each against the domain's or the store's type it is built from.
 */

/**
 * A status row as a viewer (the dashboard's public-facing reader) sees it: the permit's status and figures, and of
 * the parties only the exporter's name.
 */
const { consignee: _consignee, endUser: _endUser, exporter: _exporter, ...viewerFields } = permitStatusFields;
export const ViewerPermitRow = s.named(
  'PermitSummaryView',
  s.object(
    { ...viewerFields, exporter: s.named('PartyName', s.object({ name: s.string({ example: 'Northfield Optronics Inc.' }) })) },
    { description: "A permit's status row as a viewer sees it: no consignee or end user, and of the exporter only its name." },
  ),
);
export type ViewerPermitRow = Static<typeof ViewerPermitRow>;
export const ViewerPermitPage = pageOf('PermitSummaryPage', ViewerPermitRow);
export type ViewerPermitPage = Static<typeof ViewerPermitPage>;

export const StreamVerification = s.named(
  'StreamVerificationView',
  s.object({
    permitNumber: s.string({ example: 'EXP-19-004120' }),
    valid: s.boolean({ example: true }),
    checked: s.integer({ description: 'Events checked (up to and including the first broken one).', example: 6 }),
    firstBrokenRevision: s.optional(s.integer({ description: 'Present when the chain is broken.' })),
  }),
);
export type StreamVerification = Static<typeof StreamVerification>;
const _verificationAgrees: s.Agree<StreamVerification, ChainVerification & { permitNumber: string }> = true;

const reviewOutcome = s.oneOf(['no_action', 'reinstatement_recommended', 'cancellation_recommended']);
const ReviewFinding = s.named(
  'ReviewFindingView',
  s.object({
    finding: s.string(),
    theatre: s.nullable(s.string()),
    evidenceRef: s.nullable(s.string()),
    assuranceBreached: s.boolean(),
    recordedAt: s.string({ format: 'date-time' }),
  }),
);
const Item = s.named(
  'ItemView',
  s.object({
    eclItem: s.string({ example: '2-15.a' }),
    description: s.string(),
    quantity: s.integer({ example: 6 }),
    unit: s.string({ example: 'unit' }),
    valueCad: s.number({ example: 4200000 }),
  }),
);
const Condition = s.named('ConditionView', s.object({ code: s.string({ example: 'NO-REEXPORT' }), text: s.string() }));
const statusOf = s.oneOf(['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED', 'EXHAUSTED']);
const ShipmentLine = s.named(
  'ShipmentLineView',
  s.object({
    item: s.integer({ description: "Index of the item in the permit's `items`.", example: 0 }),
    quantity: s.number({ example: 2 }),
    valueCad: s.number({ example: 1400000 }),
  }),
);
const Shipment = s.named(
  'ShipmentView',
  s.object({
    declarationRef: s.string({ example: 'CBSA-2020-0412-0071' }),
    exportedOn: s.string({ format: 'date', example: '2020-04-12' }),
    lines: s.array(ShipmentLine),
  }),
);

/** What every permit folded from its events carries, and where the fold stopped. */
const stateFields = {
  permitNumber: s.string({ example: 'EXP-19-004120' }),
  asOf: s.nullable(s.string(), { description: 'The asOf asked for.', example: '2020-10-06' }),
  knownAt: s.nullable(s.string(), { description: 'The knownAt cut-off applied (a later one is capped at now).' }),
  destination: s.string({ example: 'TR' }),
  exporter: PartyView,
  consignee: PartyView,
  endUser: PartyView,
  intendedEndUse: s.string(),
  items: s.array(Item),
  totalValueCad: s.number({ example: 4200000 }),
  validFrom: s.string({ format: 'date' }),
  expiresOn: s.string({ format: 'date' }),
  conditions: s.array(Condition),
  exceptionGround: s.nullable(s.string()),
  supersedes: s.nullable(s.string()),
  applicationRef: s.optional(
    s.nullable(s.string({ description: 'The application it was approved from; absent on permits issued directly.' })),
  ),
  issuedAt: s.string({ format: 'date-time' }),
  lastEffectiveAt: s.string({ format: 'date-time' }),
  openReview: s.nullable(
    s.named(
      'OpenReviewStateView',
      s.object({ reviewId: s.string(), openedAt: s.string({ format: 'date-time' }), findings: s.array(ReviewFinding) }),
    ),
  ),
  reviews: s.array(
    s.named(
      'ReviewView',
      s.object({
        reviewId: s.string(),
        reason: s.string(),
        decisionRef: s.nullable(s.string()),
        openedAt: s.string({ format: 'date-time' }),
        concludedAt: s.nullable(s.string({ format: 'date-time' })),
        outcome: s.nullable(reviewOutcome),
        summary: s.nullable(s.string()),
        findings: s.array(ReviewFinding),
      }),
    ),
  ),
  lastDecisionRef: s.nullable(s.string()),
  statusHistory: s.array(s.named('StatusPeriodView', s.object({ status: statusOf, from: s.string({ format: 'date-time' }) })), {
    description: 'Every status the permit had and from when, in the order recorded (EXHAUSTED holds from its time on).',
  }),
  shipments: s.array(Shipment, { description: 'Every customs declaration recorded against the permit, in the order recorded.' }),
  shipped: s.array(
    s.named(
      'ItemShippedView',
      s.object({
        item: s.integer({ example: 0 }),
        quantityShipped: s.number({ example: 2 }),
        valueShippedCad: s.number({ example: 1400000 }),
      }),
    ),
    { description: 'Per item: how much has been shipped.' },
  ),
  revision: s.integer({ description: 'Revision of the last event folded.' }),
  position: s.integer({ description: 'Log position of the last event folded.' }),
  effectiveAt: s.string({ format: 'date-time', description: 'effectiveAt of the last event folded.' }),
  recordedAt: s.string({ format: 'date-time', description: 'recordedAt of the last event folded.' }),
};
const when = (description: string) => s.string({ format: 'date-time', description });
const suspendedSince = s.nullable(when('Set when the permit was suspended at that point.'));

/** The permit folded from its own events up to the requested point: one shape per status. */
export const PermitStateView = s.named(
  'PermitStateView',
  s.anyOf([
    s.object({ ...stateFields, status: s.literal('ISSUED') }),
    s.object({ ...stateFields, status: s.literal('SUSPENDED'), suspendedAt: when('When it was suspended.') }),
    s.object({ ...stateFields, status: s.literal('CANCELLED'), cancelledAt: when('When it was cancelled.'), suspendedAt: suspendedSince }),
    s.object({ ...stateFields, status: s.literal('EXPIRED'), expiredAt: when('When it expired.'), suspendedAt: suspendedSince }),
    s.object({
      ...stateFields,
      status: s.literal('EXHAUSTED'),
      exhaustedAt: when('When its last item was used up (the export date of the shipment that used it up).'),
      suspendedAt: suspendedSince,
    }),
  ]),
);
export type PermitStateView = Static<typeof PermitStateView>;

/** Where a fold stopped, besides the permit's own state. */
export interface FoldPoint {
  permitNumber: string;
  asOf: string | null;
  knownAt: string | null;
  revision: number;
  position: number;
  effectiveAt: string;
  recordedAt: string;
}
const _stateAgrees: s.Agree<PermitStateView, FoldPoint & Exclude<PermitState, { status: 'NONE' }>> = true;
