import { APPLICATION_STATUSES, schema as s, type Static } from '@permit-ledger/projections';

/*
 * The answer shapes the slice's queries build (the read model's rows are in @permit-ledger/projections; the
 * command answers and the history, made of event views, beside the controller that builds them).
 */

const applicationRef = s.string({ example: 'APP-19-0107' });

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
