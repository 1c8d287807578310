import { EsdbTestServer } from '@permit-ledger/esdb-test-server';

export type StoreKind = 'sqlite' | 'esdb';

/**
 * The stores every store-facing suite runs on: both by default; TEST_STORES=sqlite (or esdb) narrows it.
 * With EVENTSTORE_CONNECTION_STRING set, "esdb" means that real server (the parity check, on a fresh
 * server: the suites use fixed permit numbers); otherwise the in-process wire-level test server.
 */
export const STORE_KINDS: StoreKind[] = ((process.env.TEST_STORES ?? 'sqlite,esdb').split(',') as StoreKind[]).filter(
  (k) => k === 'sqlite' || k === 'esdb',
);

/** Set ESDB_TEST_FAULTS=off to run the EventStoreDB suites on a test server without faults. */
const TEST_SERVER_FAULTS = process.env.ESDB_TEST_FAULTS === 'off' ? undefined : { seed: 1019, ambiguous: 0.03, late: 0.03, drop: 0.02 };

export interface ProvidedStore {
  kind: StoreKind;
  /** Environment for the service: EVENTSTORE_CONNECTION_STRING for esdb, nothing for sqlite. */
  env: Record<string, string>;
  /** The in-process test server, when one was started (to stop, restart or drop subscriptions). */
  server?: EsdbTestServer;
  close(): Promise<void>;
}

export async function provideStore(kind: StoreKind): Promise<ProvidedStore> {
  if (kind === 'sqlite') return { kind, env: {}, close: async () => undefined };
  const real = process.env.EVENTSTORE_CONNECTION_STRING;
  if (real) return { kind, env: { EVENTSTORE_CONNECTION_STRING: real }, close: async () => undefined };
  // With faults on: appends time out after writing or commit late, calls drop, at seeded points; the
  // service must settle each one so that every suite still sees exactly what it wrote.
  const server = await EsdbTestServer.start({ faults: TEST_SERVER_FAULTS });
  return { kind, env: { EVENTSTORE_CONNECTION_STRING: server.connectionString }, server, close: () => server.close() };
}
