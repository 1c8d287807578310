/**
 * Read side: store $all -> CheckpointedSubscription (subscription/: the one engine under every
 * consumer of the log) -> Projector (checkpoint in the same SQLite transaction as the rows) ->
 * read-model tables -> *Queries classes the HTTP app calls. Each read model lives in its own folder
 * with its projection, its queries and its spec.
 */
import type { Projection } from './read-model/projection.js';
import { applicationsProjection } from './applications/application.projection.js';
import { destinationsProjection } from './destinations/destination.projection.js';
import { permitHistoryProjection } from './history/permit-history.projection.js';
import { reportProjection } from './reports/report.projection.js';
import { statsProjection } from './stats/stats.projection.js';
import { permitStatusProjection } from './status/permit-status.projection.js';

/** The typed JSON Schema builder the read models' answer shapes are written in (and the HTTP layer documents). */
export * as schema from './schema/schema.js';
export type { Schema, Static } from './schema/schema.js';
export * from './read-model/read-model-db.js';
export * from './read-model/projection.js';
export * from './projector.js';
export * from './subscription/checkpoint-store.js';
export * from './subscription/checkpointed-subscription.js';
export * from './subscription/consumer-registry.js';
export * from './ledger-tree/ledger-tree.js';
export * from './projections.js';
export { PERMIT_STATUS_PROJECTION, permitStatusProjection } from './status/permit-status.projection.js';
export * from './status/permit-status.queries.js';
export * from './history/permit-history.projection.js';
export * from './history/permit-history.queries.js';
export * from './destinations/destination.projection.js';
export * from './destinations/destination.queries.js';
export * from './stats/stats.projection.js';
export * from './stats/stats.queries.js';
export * from './applications/application.projection.js';
export * from './applications/application.queries.js';
export * from './reports/report.projection.js';
export * from './reports/report.queries.js';

/** Every read model the service serves. StatsQueries also reads the status projection's table. */
export function allProjections(): Projection[] {
  return [
    permitStatusProjection,
    permitHistoryProjection,
    destinationsProjection,
    statsProjection,
    reportProjection,
    applicationsProjection,
  ];
}
