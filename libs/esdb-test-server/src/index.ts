export { EsdbTestServer, type EsdbTestServerOptions, type FaultCounts, type FaultOptions } from './esdb-test-server.js';
export { mulberry32 } from './faults.js';
