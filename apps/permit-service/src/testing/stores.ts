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
  const server = await EsdbTestServer.start();
  return { kind, env: { EVENTSTORE_CONNECTION_STRING: server.connectionString }, server, close: () => server.close() };
}
