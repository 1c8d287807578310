export * from './port/envelope.js';
export * from './port/port.js';
export * from './port/errors.js';
export * from './integrity/integrity.js';
export * from './sqlite/sqlite-event-store.js';
// The contract suite (./contract/event-store.contract.js) imports @jest/globals: specs import it by path.
export * from './esdb/esdb-event-store.js';
export * from './open-store.js';
export * from './ledger/index.js';
export { toClientConnectionString } from './esdb/connection-string.js';
export * from './transparency/index.js';
export * from './witness/index.js';
