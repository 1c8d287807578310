/**
 * The auditors' CLI as separate processes (dist/ must be built): `audit` against a stand-in of the service's
 * transparency routes, `verify --bundle` on evidence files, and `witness` as a C2SP tlog-witness.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatAddCheckpoint,
  openNote,
  parseCosignatureVerifierKey,
  parseSignatureLines,
  addSignatures,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { LedgerBuilder } from '../libs/event-store/src/ledger/testing/ledger-fixtures.js';
import { TestLog } from '../libs/event-store/src/witness/testing/test-log.js';
import { runCli } from './support/service.js';
import { startWitnessProcess } from './support/witness.js';
import { StandInLedger } from './support/stand-in-ledger.js';

const KEY_SEED = new Uint8Array(createHash('sha256').update('auditor-cli log key').digest());
const ORIGIN = 'ledger.test/auditor-cli';
const offline = { PATH: process.env.PATH };

let dir: string;
const path = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'permit-ledger-auditor-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('permit-cli audit', () => {
  const standIn = new StandInLedger(new TestLog(ORIGIN, KEY_SEED).append(10));
  let url: string;
  const audit = (state: string, ...more: string[]) =>
    runCli(['audit', '--url', url, '--verifier-key', path('log.vkey'), '--state', path(state), ...more], offline);

  beforeAll(async () => {
    url = await standIn.start();
    writeFileSync(path('log.vkey'), `${standIn.log.verifierKey}\n`);
  });
  afterAll(() => standIn.stop());

  it('first run: accepts the checkpoint and stores it; then, as the log grows, proves each one consistent and replaces it', async () => {
    const first = await audit('held.checkpoint');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ valid: true, held: null, latest: { size: 10 } });
    expect(readFileSync(path('held.checkpoint'), 'utf8')).toBe(standIn.log.checkpoint());

    standIn.log.append(7);
    const second = await audit('held.checkpoint');
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ valid: true, held: { size: 10 }, latest: { size: 17 } });
    expect(JSON.parse(second.stdout).proofLength).toBeGreaterThan(0);
    expect(readFileSync(path('held.checkpoint'), 'utf8')).toBe(standIn.log.checkpoint());
    expect((await audit('held.checkpoint')).code).toBe(0); // same size, same root
  });

  it('a restored backup (a smaller tree, then a different history of a larger size) is refused, the held file untouched', async () => {
    const honest = standIn.log;
    writeFileSync(path('restore.checkpoint'), honest.checkpoint());
    const held = readFileSync(path('restore.checkpoint'), 'utf8');
    try {
      // The backup: the first 12 leaves only.
      const backup = new TestLog(ORIGIN, KEY_SEED, 'recorded after the restore');
      for (const input of honest.inputs.slice(0, 12)) backup.appendInput(input);
      standIn.log = backup;
      const shrank = await audit('restore.checkpoint');
      expect(shrank.code).toBe(1);
      expect(JSON.parse(shrank.stdout)).toMatchObject({ valid: false, reason: 'TREE_SHRANK' });
      expect(shrank.stderr).toContain('TREE_SHRANK');
      expect(JSON.parse(readFileSync(path('restore.checkpoint.conflict'), 'utf8'))).toMatchObject({
        reason: 'TREE_SHRANK',
        held,
        checkpoint: backup.checkpoint(),
      });

      // New events written after the restore: same size as held first, then larger.
      backup.append(honest.size - 12);
      const fork = await audit('restore.checkpoint');
      const forkReport = JSON.parse(fork.stdout) as { evidence: string };
      expect(forkReport).toMatchObject({ valid: false, reason: 'FORK_DETECTED', evidence: path('restore.checkpoint.conflict.1') });
      expect(fork.stderr).toContain(path('restore.checkpoint.conflict.1'));
      // The evidence: both signed checkpoints of one size, which the log's key signed.
      expect(JSON.parse(readFileSync(forkReport.evidence, 'utf8'))).toMatchObject({
        reason: 'FORK_DETECTED',
        held,
        checkpoint: backup.checkpoint(),
        proof: null,
      });
      backup.append(5);
      const rewritten = await audit('restore.checkpoint');
      expect(rewritten.code).toBe(1);
      expect(JSON.parse(rewritten.stdout)).toMatchObject({
        valid: false,
        reason: 'CONSISTENCY_PROOF_INVALID',
        evidence: path('restore.checkpoint.conflict.2'),
      });
      expect(JSON.parse(readFileSync(path('restore.checkpoint.conflict.2'), 'utf8'))).toMatchObject({
        held,
        checkpoint: backup.checkpoint(),
        proof: {
          from: honest.size,
          size: backup.size,
          path: backup.consistency(honest.size).map((h) => Buffer.from(h).toString('base64')),
        },
      });
      // The first evidence is never overwritten.
      expect(JSON.parse(readFileSync(forkReport.evidence, 'utf8'))).toMatchObject({ reason: 'FORK_DETECTED' });
      expect(readFileSync(path('restore.checkpoint'), 'utf8')).toBe(held);
    } finally {
      standIn.log = honest;
    }
  });

  it('a checkpoint signed by another key, or of another origin, is refused and nothing is stored', async () => {
    const honest = standIn.log;
    try {
      standIn.log = new TestLog(ORIGIN, new Uint8Array(32).fill(7)).append(3);
      const forged = await audit('forged.checkpoint');
      expect(forged.code).toBe(1);
      expect(JSON.parse(forged.stdout)).toMatchObject({ reason: 'CHECKPOINT_SIGNATURE_INVALID' });
      expect(existsSync(path('forged.checkpoint'))).toBe(false);
    } finally {
      standIn.log = honest;
    }
    const other = await audit('origin.checkpoint', '--origin', 'another.test/log');
    expect(JSON.parse(other.stdout)).toMatchObject({ reason: 'ORIGIN_MISMATCH' });
    expect(existsSync(path('origin.checkpoint'))).toBe(false);
  });

  it('with --witness-key, requires that witness cosignature on the latest checkpoint before keeping it', async () => {
    // The verifier key as the routes serve it (no trailing newline).
    writeFileSync(path('served.vkey'), await (await fetch(`${url}/api/v1/ledger/verifier-key`)).text());
    const witness = await startWitness('witness.test/audit', standIn.log.verifierKey);
    try {
      const run = (state: string) =>
        runCli(
          ['audit', '--url', url, '--verifier-key', path('served.vkey'), '--state', path(state), '--witness-key', witness.verifierKey],
          offline,
        );
      const missing = await run('witnessed.checkpoint');
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stdout)).toMatchObject({ valid: false, reason: 'COSIGNATURE_MISSING' });
      expect(existsSync(path('witnessed.checkpoint'))).toBe(false);

      const res = await fetch(`${witness.url}/add-checkpoint`, {
        method: 'POST',
        body: formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: standIn.log.checkpoint() }),
      });
      expect(res.status).toBe(200);
      standIn.cosignatures = await res.text();
      const cosigned = await run('witnessed.checkpoint');
      expect(cosigned.code).toBe(0);
      expect(JSON.parse(cosigned.stdout)).toMatchObject({ valid: true, cosignedBy: ['witness.test/audit'] });
    } finally {
      standIn.cosignatures = '';
      await witness.stop();
    }
  });

  it('a service that does not answer, or a key file that is missing, ends with a stable reason and the JSON report', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const hung = await runCli(
        ['audit', '--url', silentUrl, '--verifier-key', path('log.vkey'), '--state', path('hung.checkpoint'), '--timeout', '0.3'],
        offline,
      );
      expect(hung.code).toBe(1);
      expect(JSON.parse(hung.stdout)).toMatchObject({
        valid: false,
        reason: 'SERVICE_UNAVAILABLE',
        detail: expect.stringContaining('300 ms'),
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
    const noKey = await runCli(
      ['audit', '--url', url, '--verifier-key', path('absent.vkey'), '--state', path('nokey.checkpoint')],
      offline,
    );
    expect(noKey.code).toBe(1);
    expect(JSON.parse(noKey.stdout)).toMatchObject({ valid: false, reason: 'FILE_UNREADABLE' });
    expect(noKey.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('permit-cli verify --bundle', () => {
  const log = new TestLog(ORIGIN, KEY_SEED);
  const ledger = new LedgerBuilder();
  let permitEventsRecorded: RecordedEvent[];

  /** A permit's evidence as the service answers it: its event views with their leaves, one inclusion path each. */
  function bundle(): { checkpoint: string; events: Array<Record<string, unknown>>; proofs: Array<{ leaf: number; path: string[] }> } {
    const leaves = new Map(ledger.events.map((e, i) => [e.eventId, i]));
    const permitEvents = structuredClone(permitEventsRecorded);
    return {
      checkpoint: log.checkpoint(),
      events: permitEvents.map((e) => {
        const { metadata, ...rest } = e;
        return {
          ...rest,
          ...metadata,
          reason: metadata.reason ?? null,
          legalBasis: metadata.legalBasis ?? null,
          decisionRef: metadata.decisionRef ?? null,
          leaf: leaves.get(e.eventId)!,
        };
      }),
      proofs: permitEvents.map((e) => {
        const leaf = leaves.get(e.eventId)!;
        return { leaf, path: log.inclusion(leaf).map((h) => Buffer.from(h).toString('base64')) };
      }),
    };
  }
  const verifyFile = async (name: string, content: unknown, ...more: string[]) => {
    writeFileSync(path(name), typeof content === 'string' ? content : JSON.stringify(content));
    const run = await runCli(['verify', '--bundle', path(name), '--verifier-key', path('bundle.vkey'), ...more], offline);
    return { ...run, report: JSON.parse(run.stdout) as { valid: boolean; firstBroken?: { reason: string } } };
  };

  beforeAll(() => {
    for (let i = 0; i < 20; i++) {
      ledger.add(`permit-OTHER-${i % 4}`, 'PermitIssued', { permitNumber: `OTHER-${i % 4}` });
      if (i === 3) ledger.add('permit-EXP-1', 'PermitIssued', { permitNumber: 'EXP-1', destination: 'TR' });
      if (i === 9)
        ledger.add('permit-EXP-1', 'PermitSuspended', {}, { reason: 'Review', legalBasis: 'EIPA s.10(1)', decisionRef: 'MIN-1' });
      if (i === 15) ledger.add('permit-EXP-1', 'PermitCancelled', {}, { reason: 'Misuse', legalBasis: 'EIPA s.10(1)' });
    }
    for (const event of ledger.events) log.appendInput(Buffer.from(event.hash, 'hex'));
    permitEventsRecorded = ledger.events.filter((e) => e.stream === 'permit-EXP-1');
    writeFileSync(path('bundle.vkey'), log.verifierKey);
  });

  it('a permit evidence bundle verifies offline: hashes, chain, inclusion, signature', async () => {
    const run = await verifyFile('ok.json', bundle());
    expect(run.code).toBe(0);
    expect(run.report).toMatchObject({
      valid: true,
      events: 3,
      streams: 1,
      proven: [{ stream: 'permit-EXP-1', lastRevision: 2 }],
      proofsChecked: 3,
      size: log.size,
      origin: ORIGIN,
    });
  });

  it('proves every event or refuses: invented events without leaves, a leaf beyond the checkpoint, an empty bundle, leaves out of revision order', async () => {
    // Self-consistent events nobody recorded, under the genuine checkpoint, claiming no leaf.
    const invented = new LedgerBuilder();
    invented.add('permit-EXP-9', 'PermitIssued', { permitNumber: 'EXP-9' });
    invented.add('permit-EXP-9', 'PermitCancelled', {}, { reason: 'invented', legalBasis: 'none' });
    const forged = {
      checkpoint: log.checkpoint(),
      events: invented.events.map(({ metadata, ...rest }) => ({ ...rest, metadata, leaf: null })),
      proofs: [],
    };
    const refused = await verifyFile('invented.json', forged);
    expect(refused.code).toBe(1);
    expect(refused.report).toMatchObject({ valid: false, proofsChecked: 0, firstBroken: { reason: 'INCLUSION_PROOF_INVALID' } });

    const beyond = bundle();
    beyond.events[2].leaf = log.size;
    expect((await verifyFile('beyond.json', beyond)).report.firstBroken?.reason).toBe('INCLUSION_PROOF_INVALID');

    const empty = await verifyFile('empty.json', { checkpoint: log.checkpoint(), events: [], proofs: [] });
    expect(empty.code).toBe(1);
    expect(empty.report.firstBroken?.reason).toBe('BUNDLE_MALFORMED');

    const swapped = bundle();
    [swapped.events[0].leaf, swapped.events[1].leaf] = [swapped.events[1].leaf, swapped.events[0].leaf];
    expect((await verifyFile('swapped.json', swapped)).report.firstBroken?.reason).toBe('LEAF_ORDER');
  });

  it('a missing bundle file ends with a stable reason and the JSON report, not a stack', async () => {
    const run = await runCli(['verify', '--bundle', path('absent.json'), '--verifier-key', path('bundle.vkey')], offline);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ valid: false, firstBroken: { reason: 'FILE_UNREADABLE' } });
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses with a stable reason: an edited event, a missing event, a bad path, another key, a malformed file', async () => {
    const edited = bundle();
    (edited.events[0].data as Record<string, unknown>).destination = 'DE';
    expect((await verifyFile('edited.json', edited)).report.firstBroken?.reason).toBe('HASH_MISMATCH');

    const gap = bundle();
    gap.events.splice(1, 1);
    const broken = await verifyFile('gap.json', gap);
    expect(broken.code).toBe(1);
    expect(broken.report.firstBroken?.reason).toBe('CHAIN_BROKEN');

    const badPath = bundle();
    const hash = Buffer.from(badPath.proofs[2].path[0], 'base64');
    hash[0] ^= 1;
    badPath.proofs[2].path[0] = hash.toString('base64');
    const refused = await verifyFile('path.json', badPath);
    expect(refused.report.firstBroken?.reason).toBe('INCLUSION_PROOF_INVALID');
    expect(refused.stderr).toContain('INCLUSION_PROOF_INVALID');

    const otherKey = bundle();
    otherKey.checkpoint = new TestLog(ORIGIN, new Uint8Array(32).fill(9)).append(3).checkpoint();
    expect((await verifyFile('key.json', otherKey)).report.firstBroken?.reason).toBe('CHECKPOINT_SIGNATURE_INVALID');

    expect((await verifyFile('malformed.json', '{"events": 3}')).report.firstBroken?.reason).toBe('BUNDLE_MALFORMED');
  });

  it('with --witness-key, requires that witness cosignature on the checkpoint', async () => {
    const witness = await startWitness('witness.test/bundle', log.verifierKey);
    try {
      const body = formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() });
      const res = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });
      expect(res.status).toBe(200);
      const cosigned = bundle();
      cosigned.checkpoint = addSignatures(cosigned.checkpoint, parseSignatureLines(await res.text()));
      const ok = await verifyFile('cosigned.json', cosigned, '--witness-key', witness.verifierKey);
      expect(ok.code).toBe(0);
      expect(ok.report).toMatchObject({ valid: true, cosignedBy: ['witness.test/bundle'] });
      const missing = await verifyFile('uncosigned.json', bundle(), '--witness-key', witness.verifierKey);
      expect(missing.report.firstBroken?.reason).toBe('COSIGNATURE_MISSING');
    } finally {
      await witness.stop();
    }
  });
});

/** `permit-cli witness-key` then `permit-cli witness`, with its state and key in this spec's folder. */
const startWitness = (name: string, logKey: string, state = path(`state-${name.replace(/\W/g, '_')}`), keyFile?: string) =>
  startWitnessProcess({ name, logKeys: [logKey], state, keyFile: keyFile ?? path(`${name.replace(/\W/g, '_')}.key`), env: offline });

describe('permit-cli witness (C2SP tlog-witness)', () => {
  const log = new TestLog(ORIGIN, KEY_SEED).append(6);
  const post = (url: string, oldSize: number, checkpoint: string, proof: Uint8Array[] = []) =>
    fetch(`${url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint({ oldSize, proof, checkpoint }) });

  it('refuses a second witness process on one state directory', async () => {
    const state = path('locked-state');
    const witness = await startWitness('witness.test/lock', log.verifierKey, state);
    try {
      await expect(startWitness('witness.test/lock', log.verifierKey, state)).rejects.toThrow(/another witness process/);
    } finally {
      await witness.stop();
    }
    // Released at exit: the next one starts.
    const next = await startWitness('witness.test/lock', log.verifierKey, state);
    expect(await next.stop()).toBe(0);
  });

  it('cosigns from 0, answers 409 with its size on a stale old size, refuses a bad proof and a fork, and keeps its state across a restart', async () => {
    const state = path('witness-state');
    const key = path('w2.key');
    const generated = await runCli(['witness-key', '--name', 'witness.test/w2', '--out', key], offline);
    const verifierKey = generated.stdout.trim();
    let witness = await startWitness('witness.test/w2', log.verifierKey, state, key);
    try {
      const first = await post(witness.url, 0, log.checkpoint());
      expect(first.status).toBe(200);
      const line = await first.text();
      expect(openNote(log.checkpoint() + line, [parseCosignatureVerifierKey(verifierKey)]).verified).toHaveLength(1);

      log.append(4);
      const stale = await post(witness.url, 0, log.checkpoint());
      expect(stale.status).toBe(409);
      expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
      expect(await stale.text()).toBe('6\n');

      const bad = log.consistency(6).map((h) => new Uint8Array(h));
      bad[0][3] ^= 0x10;
      expect((await post(witness.url, 6, log.checkpoint(), bad)).status).toBe(422);

      const fork = new TestLog(ORIGIN, KEY_SEED, 'forked').append(6);
      expect((await post(witness.url, 6, fork.checkpoint())).status).toBe(422);
      expect((await post(witness.url, 0, new TestLog('unknown.test/log').append(1).checkpoint())).status).toBe(404);

      expect((await post(witness.url, 6, log.checkpoint(), log.consistency(6))).status).toBe(200);
      expect(await witness.stop()).toBe(0);

      witness = await startWitness('witness.test/w2', log.verifierKey, state, key);
      const afterRestart = await post(witness.url, 6, log.checkpoint(), log.consistency(6));
      expect(afterRestart.status).toBe(409);
      expect(await afterRestart.text()).toBe('10\n');
    } finally {
      await witness.stop();
    }
  });
});
