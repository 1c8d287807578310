import { afterAll, beforeAll } from '@jest/globals';
import { eventStoreContract } from '../contract/event-store.contract.js';
import { EsdbEventStore } from './esdb-event-store.js';
import { EsdbTestServer } from '@permit-ledger/esdb-test-server';

/**
 * The store contract on EventStoreDB: against a real server when EVENTSTORE_CONNECTION_STRING is set
 * (the parity check), otherwise against the in-process wire-level test server, through the real client.
 */
let server: EsdbTestServer | undefined;
let connectionString = process.env.EVENTSTORE_CONNECTION_STRING ?? '';

beforeAll(async () => {
  if (!connectionString) {
    server = await EsdbTestServer.start();
    connectionString = server.connectionString;
  }
});
afterAll(async () => {
  await server?.close();
});

eventStoreContract(process.env.EVENTSTORE_CONNECTION_STRING ? 'esdb (real server)' : 'esdb (test server)', async () => {
  const store = EsdbEventStore.open({ connectionString });
  return { store, cleanup: () => store.close() };
});
