/**
 * permit-cli rebuild as a separate process (dist/ must be built), on the store the service would use:
 * EventStoreDB when EVENTSTORE_CONNECTION_STRING is set (given here in its kurrentdb:// form), else
 * DATA_DIR/events.sqlite.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EsdbEventStore, SqliteEventStore, type EventStore } from '@permit-ledger/event-store';
import { HistoryQueries, openReadModelDb, PermitStatusQueries } from '@permit-ledger/projections';
import { TestLog } from '../libs/projections/src/testing/events.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../apps/permit-service/src/testing/stores.js';
import { runCli } from './support/service.js';

function baseEnv(dir: string): NodeJS.ProcessEnv {
  const { EVENTSTORE_CONNECTION_STRING: _, ...base } = process.env;
  return { ...base, DATA_DIR: dir, NODE_ENV: 'test' };
}

describe.each(STORE_KINDS)('permit-cli rebuild on %s', (kind) => {
  // On a shared real EventStoreDB other suites write too: exact counts only where the log is ours alone.
  const isolated = kind === 'sqlite' || !process.env.EVENTSTORE_CONNECTION_STRING;
  const suffix = randomUUID().slice(0, 8);
  const [suspended, issued] = [`RB-${suffix}-1`, `RB-${suffix}-2`];
  let provided: ProvidedStore;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-rebuild-'));
    provided = await provideStore(kind);
    const connectionString = provided.env.EVENTSTORE_CONNECTION_STRING;
    // The scheme the KurrentDB documentation writes: the CLI rewrites it for the 6.2.1 client.
    env = {
      ...baseEnv(dir),
      ...(connectionString ? { EVENTSTORE_CONNECTION_STRING: connectionString.replace(/^esdb/, 'kurrentdb') } : {}),
    };
    const store: EventStore = connectionString
      ? EsdbEventStore.open({ connectionString })
      : SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
    const log = new TestLog();
    log.issued(suspended);
    log.issued(issued, { destination: 'DE' });
    log.suspended(suspended);
    try {
      for (const e of log.events) {
        await store.append(
          e.stream,
          [{ eventId: randomUUID(), type: e.type, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata }],
          {
            expectedRevision: 'any',
          },
        );
      }
    } finally {
      await store.close();
    }
  });

  afterAll(async () => {
    await provided?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays the log into DATA_DIR/read-models.sqlite, with progress and the count of events', async () => {
    const run = await runCli(['rebuild'], env);
    expect(run.stderr).toMatch(/\] \d+ events, \d+ events\/s/);
    expect(run.code).toBe(0);
    const rebuilt = /rebuilt 6 read models over (\d+) events/.exec(run.stderr);
    expect(rebuilt).not.toBeNull();
    if (isolated) expect(Number(rebuilt![1])).toBe(3);

    const db = openReadModelDb(join(dir, 'read-models.sqlite'));
    try {
      const status = new PermitStatusQueries(db);
      expect(status.get(suspended)).toMatchObject({ status: 'SUSPENDED', destination: 'TR' });
      expect(status.get(issued)).toMatchObject({ status: 'ISSUED', destination: 'DE' });
      expect(new HistoryQueries(db).history(suspended)?.map((e) => e.type)).toEqual(['PermitIssued', 'PermitSuspended']);
    } finally {
      db.close();
    }
    // On EventStoreDB it must not have fallen back to (and created) an embedded store.
    if (kind === 'esdb') expect(existsSync(join(dir, 'events.sqlite'))).toBe(false);
  });
});

describe('permit-cli rebuild refuses to start on a store it cannot use', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-rebuild-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a connection string in a scheme no KurrentDB client accepts, naming the variable and the schemes', async () => {
    const run = await runCli(['rebuild'], { ...baseEnv(dir), EVENTSTORE_CONNECTION_STRING: 'mysql://db:3306' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/EVENTSTORE_CONNECTION_STRING: must start with one of kurrentdb:\/\//);
  });

  it('a DATA_DIR without an event store (rather than rebuilding empty read models)', async () => {
    const run = await runCli(['rebuild'], baseEnv(dir));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no event store at ${join(dir, 'events.sqlite')}`);
    expect(existsSync(join(dir, 'events.sqlite'))).toBe(false);
  });
});
