import { schema as s, type Static } from '@permit-ledger/projections';

/** A health check's answer (terminus): each indicator under its name with `status: up|down`. */
export const HealthView = s.named(
  'HealthView',
  s.object({
    status: s.oneOf(['ok', 'error', 'shutting_down'], { example: 'ok' }),
    info: s.optional(s.record({ description: 'Indicators that are up.' })),
    error: s.optional(s.record({ description: 'Indicators that are down.' })),
    details: s.optional(s.record({ description: 'Every indicator.' })),
  }),
);
export type HealthView = Static<typeof HealthView>;
