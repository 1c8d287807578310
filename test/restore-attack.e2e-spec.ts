/**
 * The attack the transparency log exists for: the operator restores a backup of DATA_DIR taken earlier and records
 * other events, with the same signing key. Every signature still verifies; only a checkpoint held from before tells.
 * The built service and CLI as processes (dist/ must be built), on the embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519Signer, parseCheckpoint } from '@permit-ledger/event-store';
import { freePort, germanPermit, runCli, Service } from './support/service.js';
import { startWitnessProcess, type WitnessProcess } from './support/witness.js';

const ORIGIN = 'permit-ledger.restore-test';
const { privateKey } = generateKeyPairSync('ed25519');
const SIGNING_KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const LOG_KEY = ed25519Signer(ORIGIN, new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32))).verifierKey;

describe('a DATA_DIR restored from a backup, then written again', () => {
  let dir: string;
  let service: Service;
  let witness: WitnessProcess;
  const path = (name: string) => join(dir, name);
  const offline = { PATH: process.env.PATH };
  let n = 0;

  /** Leaves the service's tree should hold: one PermitIssued a permit. */
  let leaves = 0;

  /** Issues permits, then waits for the served checkpoint to cover them all (LEDGER_CHECKPOINT_SECONDS=1). */
  async function record(permits: number, tag: string): Promise<number> {
    for (let i = 0; i < permits; i++) {
      const res = await service.call('POST', '/permits', 'officer', germanPermit(`EXP-${tag}-${String(++n).padStart(6, '0')}`));
      expect(res.status).toBe(201);
    }
    leaves += permits;
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${service.url}/api/v1/ledger/checkpoint`);
      const text = res.status === 200 ? await res.text() : '';
      if (text && parseCheckpoint(text.slice(0, text.indexOf('\n\n') + 1)).size === leaves) return leaves;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no checkpoint of ${leaves} leaves`);
  }

  const audit = () =>
    runCli(['audit', '--url', service.url, '--verifier-key', path('log.vkey'), '--state', path('held.checkpoint')], offline);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-restore-'));
    writeFileSync(path('log.vkey'), `${LOG_KEY}\n`);
    witness = await startWitnessProcess({
      name: 'audit-office.test',
      logKeys: [LOG_KEY],
      state: path('witness'),
      keyFile: path('witness.key'),
      env: offline,
    });
    service = new Service(path('data'), await freePort(), {
      LEDGER_ORIGIN: ORIGIN,
      LEDGER_SIGNING_KEY: SIGNING_KEY,
      LEDGER_WITNESSES: `${witness.url} ${witness.verifierKey}`,
    });
    await service.start();
  }, 60_000);

  afterAll(async () => {
    await service?.kill();
    await witness?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the honest sequence, then refuses the restored history: audit exits 1 and the witness will not cosign it', async () => {
    // Honest: a backup is taken, more events are recorded, and each audit proves the log only grew.
    const before = await record(3, 'A');
    expect((await audit()).code).toBe(0);
    expect((await service.terminate()).code).toBe(0);
    cpSync(path('data'), path('backup'), { recursive: true });
    const backedUp = leaves;
    await service.start();
    const grown = await record(3, 'B');
    expect(grown).toBeGreaterThan(before);
    const honest = await audit();
    expect([honest.code, JSON.parse(honest.stdout).latest.size]).toEqual([0, grown]);
    const held = readFileSync(path('held.checkpoint'), 'utf8');
    // The witness cosigned what the service showed.
    const cosigned = await (await fetch(`${service.url}/api/v1/ledger/checkpoint`)).text();
    expect(cosigned).toContain('— audit-office.test ');

    // The restore: yesterday's DATA_DIR, then other events than the ones it lost, more of them.
    expect((await service.terminate()).code).toBe(0);
    rmSync(path('data'), { recursive: true, force: true });
    cpSync(path('backup'), path('data'), { recursive: true });
    leaves = backedUp;
    await service.start();
    const forked = await record(5, 'C');
    expect(forked).toBeGreaterThan(grown);

    const refused = await audit();
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ valid: false, reason: 'CONSISTENCY_PROOF_INVALID' });
    expect(readFileSync(path('held.checkpoint'), 'utf8')).toBe(held);

    // The witness was offered the forked checkpoint and refused it: it is served without the witness's line.
    const served = await (await fetch(`${service.url}/api/v1/ledger/checkpoint`)).text();
    expect(parseCheckpoint(served.slice(0, served.indexOf('\n\n') + 1)).size).toBe(forked);
    expect(served).not.toContain('— audit-office.test ');
    const ready = await fetch(`${service.url}/health/ready`).then(
      (r) => r.json() as Promise<{ details: Record<string, { state?: string }> }>,
    );
    expect(ready.details['witness:audit-office.test']?.state).toBe('refused');
  }, 120_000);
});
