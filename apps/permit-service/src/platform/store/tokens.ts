/** Nest injection tokens of what the platform provides (the event store's own token is EVENT_STORE). */
/** The validated configuration (AppConfig). */
export const APP_CONFIG = Symbol('APP_CONFIG');
/** The clock (Clock): the only source of "now" in the service, so specs can set it. */
export const CLOCK = Symbol('CLOCK');
/** The read-model database (ReadModelDb). */
export const READ_MODEL_DB = Symbol('READ_MODEL_DB');
/** Emits 'commit' (appends, seconds) for every group commit of the embedded store (metrics listen). */
export const STORE_TELEMETRY = Symbol('STORE_TELEMETRY');
