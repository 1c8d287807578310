export { EsdbTestServer, type EsdbTestServerOptions, type FaultCounts, type FaultOptions } from './esdb-test-server.js';
