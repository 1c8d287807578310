/**
 * permit-cli verify / export against a real store, as a separate process (dist/ must be built).
 * The ledger is written through the library (events, a signed anchor); the auditor's side only has
 * the CLI, the exported file and the public key.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EsdbEventStore, SqliteEventStore, type EventStore } from '@permit-ledger/event-store';
import { appendAnchor, newEvent } from '../libs/event-store/src/ledger/testing/ledger-fixtures.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../apps/permit-service/src/testing/stores.js';
import { CLI, SECRET } from './support/service.js';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Asynchronous, not spawnSync: the in-process EventStoreDB test server must keep answering meanwhile. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(STORE_KINDS)('permit-cli verify and export on %s', (kind) => {
  // On a shared real EventStoreDB other suites write (and may anchor) concurrently: whole-ledger
  // checks that depend on this suite's key or event count run only where the ledger is ours alone.
  const isolated = kind === 'sqlite' || !process.env.EVENTSTORE_CONNECTION_STRING;
  const suffix = randomUUID().slice(0, 8);
  const permits = [`E2E-${suffix}-1`, `E2E-${suffix}-2`, `E2E-${suffix}-3`];
  const decisionRef = `MIN-${suffix}`;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  let provided: ProvidedStore;
  let store: EventStore;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, env);
  const path = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-cli-'));
    provided = await provideStore(kind);
    const { EVENTSTORE_CONNECTION_STRING: _, ...base } = process.env;
    env = { ...base, ...provided.env, DATA_DIR: dir, AUTH_JWT_SECRET: SECRET, NODE_ENV: 'test' };
    store = provided.env.EVENTSTORE_CONNECTION_STRING
      ? EsdbEventStore.open({ connectionString: provided.env.EVENTSTORE_CONNECTION_STRING })
      : SqliteEventStore.open({ file: path('events.sqlite') });
    const append = (stream: string, type: string, data: Record<string, unknown>, reason?: string) =>
      store.append(stream, [newEvent(type, data, reason ? { reason, decisionRef } : {})], { expectedRevision: 'any' });
    for (const [i, n] of permits.entries()) {
      await append(`permit-${n}`, 'PermitIssued', {
        permitNumber: n,
        destination: i < 2 ? 'TR' : 'DE',
        exporter: { name: 'Northfield Optronics Inc.' },
      });
    }
    await append(`decision-${decisionRef}`, 'DecisionRecorded', { decisionRef, reason: 'Review of permits to Turkey' });
    await append(`decision-${decisionRef}`, 'DecisionTargetsResolved', { decisionRef, permitNumbers: permits.slice(0, 2) });
    await appendAnchor(store, privateKey);
    for (const n of permits.slice(0, 2)) await append(`permit-${n}`, 'PermitSuspended', {}, 'Review of permits to Turkey');
    writeFileSync(path('key.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    // The SQLite store stays open, as the service's would: the CLI reads the WAL file beside it.
  });

  afterAll(async () => {
    await store?.close();
    await provided?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verify: the whole store is valid, with a progress line on stderr and the result as JSON on stdout', async () => {
    const run = await cli('verify', ...(isolated ? ['--public-key', path('key.pem')] : []));
    expect(run.stderr).toMatch(/\r.*\d+ events, \d+ events\/s/);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ valid: true, source: kind });
    if (isolated) expect(report).toMatchObject({ checked: 8, anchorsChecked: 1, unanchored: 2 });
  });

  it('export --out, then verify --file offline with the public key; one byte changed fails', async () => {
    const scopeArgs = isolated ? [] : ['--decision', decisionRef];
    const exported = await cli('export', ...scopeArgs, '--out', path('f.ndjson'));
    expect(exported.code).toBe(0);
    const lines = readFileSync(path('f.ndjson'), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ format: 'permit-ledger/export', version: 1 });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, count: lines.length - 2 });

    // Offline: no DATA_DIR, no secret, no store: the file and the key only.
    const offline = { PATH: process.env.PATH };
    const ok = await runCli(['verify', '--file', path('f.ndjson'), '--public-key', path('key.pem')], offline);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, checked: lines.length - 2, ...(isolated ? { anchorsChecked: 1 } : {}) });

    const target = lines.findIndex((l) => l.includes('"destination":"TR"'));
    lines[target] = lines[target].replace('"destination":"TR"', '"destination":"TQ"');
    writeFileSync(path('g.ndjson'), lines.join('\n') + '\n');
    const bad = await runCli(['verify', '--file', path('g.ndjson'), '--public-key', path('key.pem')], offline);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ valid: false, firstBroken: { reason: 'HASH_MISMATCH', line: target + 1 } });
  });

  it("export --decision to stdout: the decision's stream, then its permits", async () => {
    const run = await cli('export', '--decision', decisionRef);
    expect(run.code).toBe(0);
    const events = run.stdout
      .trimEnd()
      .split('\n')
      .slice(1, -1)
      .map((l) => JSON.parse(l) as { stream: string });
    expect(events.map((e) => e.stream)).toEqual([
      `decision-${decisionRef}`,
      `decision-${decisionRef}`,
      `permit-${permits[0]}`,
      `permit-${permits[0]}`,
      `permit-${permits[1]}`,
      `permit-${permits[1]}`,
    ]);
  });

  it('a CSV export has a header and one row per event', async () => {
    const run = await cli('export', '--format', 'csv', '--permit', permits[0], '--out', path('f.csv'));
    expect(run.code).toBe(0);
    const rows = readFileSync(path('f.csv'), 'utf8').split('\r\n').filter(Boolean);
    expect(rows[0]).toBe(
      'position,stream,revision,type,schemaVersion,effectiveAt,recordedAt,actorId,actorRole,executor,reason,legalBasis,decisionRef,data,prevHash,hash,leaf',
    );
    // A stream's export from the CLI has no leaves (they are in the service's tree); the whole ledger counts them.
    expect(rows.slice(1).map((r) => r.split(',').at(-1))).toEqual(['', '']);
    expect(rows.slice(1).map((r) => r.split(',').slice(1, 4).join(','))).toEqual([
      `permit-${permits[0]},0,PermitIssued`,
      `permit-${permits[0]},1,PermitSuspended`,
    ]);
    if (isolated) {
      const ledger = await cli('export', '--format', 'csv');
      const lines = ledger.stdout.split('\r\n').filter(Boolean);
      expect(lines).toHaveLength(1 + 8);
      const leaves = lines.slice(1).map((r) => [r.split(',')[1], r.split(',').at(-1)]);
      // Every event but the ledger's own anchors is a leaf, numbered in log order.
      const chained = leaves.filter(([stream]) => stream !== 'ledger-anchors');
      expect(chained.map(([, leaf]) => leaf)).toEqual(chained.map((_, i) => String(i)));
      expect(leaves.filter(([stream]) => stream === 'ledger-anchors').every(([, leaf]) => leaf === '')).toBe(true);
    }
  });

  it('an unknown permit is an error, not an empty export', async () => {
    const run = await cli('export', '--permit', 'NOPE-0', '--out', path('none.ndjson'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('NOPE-0');
  });
});
