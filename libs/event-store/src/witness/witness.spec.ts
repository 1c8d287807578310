import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  EMPTY_ROOT,
  addSignatures,
  cosignerFromSeed,
  formatAddCheckpoint,
  openCheckpoint,
  parseCosignatureVerifierKey,
  parseSignatureLines,
  parseVerifierKey,
  signCheckpoint,
  type Hash,
} from '../transparency/index.js';
import { TestLog } from './testing/test-log.js';
import { originHash, lockWitnessState, MemoryWitnessState, WITNESS_LOCK_FILE } from './witness-state.js';
import { TLOG_SIZE_CONTENT_TYPE, Witness, witnessLog } from './witness.js';

const seed = (label: string) => new Uint8Array(createHash('sha256').update(label).digest());
const cosigner = cosignerFromSeed('witness.test/w1', seed('witness'));
const NOW = 1_700_000_000;

function setup() {
  const log = new TestLog();
  const state = new MemoryWitnessState();
  const witness = new Witness({ cosigner, logs: [witnessLog(log.verifierKey)], state, now: () => NOW });
  const add = (oldSize: number, checkpoint: string, proof: Hash[] = []) =>
    witness.addCheckpoint(formatAddCheckpoint({ oldSize, proof, checkpoint }));
  return { log, state, witness, add };
}

describe('Witness (C2SP tlog-witness add-checkpoint)', () => {
  it('given a new log, when a checkpoint arrives from size 0, then it answers a cosignature that verifies with its key and records the size', async () => {
    const { log, state, add } = setup();
    log.append(5);
    const answer = await add(0, log.checkpoint());
    expect(answer.status).toBe(200);
    const cosigned = addSignatures(log.checkpoint(), parseSignatureLines(answer.body));
    const opened = openCheckpoint(cosigned, [parseCosignatureVerifierKey(cosigner.verifierKey)], log.origin);
    expect(opened.note.verified.map((s) => s.name)).toEqual(['witness.test/w1']);
    expect(await state.load(log.origin)).toMatchObject({ size: 5 });
  });

  it('given a cosigned size, when the next checkpoint comes with the consistency proof from it, then it is cosigned', async () => {
    const { log, add } = setup();
    log.append(5);
    await add(0, log.checkpoint());
    log.append(12);
    expect((await add(5, log.checkpoint(), log.consistency(5))).status).toBe(200);
  });

  it('given a cosigned size, when the old size is another one, then 409 with the cosigned size as text/x.tlog.size', async () => {
    const { log, add } = setup();
    log.append(5);
    await add(0, log.checkpoint());
    log.append(3);
    const stale = await add(0, log.checkpoint());
    expect(stale).toEqual({ status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '5\n' });
    expect((await add(4, log.checkpoint(), log.consistency(4))).status).toBe(409);
  });

  it('when the consistency proof does not verify, then 422 and the state stays', async () => {
    const { log, state, add } = setup();
    log.append(5);
    await add(0, log.checkpoint());
    log.append(6);
    const proof = log.consistency(5).map((h) => new Uint8Array(h));
    proof[0][0] ^= 1;
    expect((await add(5, log.checkpoint(), proof)).status).toBe(422);
    expect((await add(5, log.checkpoint(), [])).status).toBe(422);
    expect(await state.load(log.origin)).toMatchObject({ size: 5 });
  });

  it('given a cosigned size, when a checkpoint of the same size has another root (a fork), then 422', async () => {
    const { log, add } = setup();
    log.append(5);
    await add(0, log.checkpoint());
    const fork = new TestLog(log.origin, seed('test log key'), 'forked').append(5);
    expect(fork.verifierKey).toBe(log.verifierKey);
    expect((await add(5, fork.checkpoint())).status).toBe(422);
    expect((await add(5, log.checkpoint())).status).toBe(200);
  });

  it('when a fork of a larger size comes with its own proof, then 422: it is not consistent with what was cosigned', async () => {
    const { log, add } = setup();
    log.append(5);
    await add(0, log.checkpoint());
    const fork = new TestLog(log.origin, seed('test log key'), 'forked').append(9);
    expect((await add(5, fork.checkpoint(), fork.consistency(5))).status).toBe(422);
  });

  it('refuses a proof from size 0 (422), an empty tree with another root (422), an old size above the size (400)', async () => {
    const { log, add } = setup();
    log.append(4);
    expect((await add(0, log.checkpoint(), log.consistency(2))).status).toBe(422);
    const badEmpty = signCheckpoint({ origin: log.origin, size: 0, root: log.root(1) }, log.signer);
    expect((await add(0, badEmpty)).status).toBe(422);
    const empty = signCheckpoint({ origin: log.origin, size: 0, root: EMPTY_ROOT }, log.signer);
    expect((await add(0, empty)).status).toBe(200);
    expect((await add(5, log.checkpoint())).status).toBe(400);
  });

  it('refuses an unknown origin (404), a checkpoint without a trusted signature or with a bad one (403), a malformed body (400)', async () => {
    const { log, witness, add } = setup();
    log.append(3);
    const other = new TestLog('other.test/log').append(3);
    expect((await add(0, other.checkpoint())).status).toBe(404);
    const impostor = new TestLog(log.origin, seed('another key')).append(3);
    expect((await add(0, impostor.checkpoint())).status).toBe(403);
    const note = log.checkpoint();
    // A character well inside the base64, after the key ID: the key is known, the signature fails.
    const at = note.lastIndexOf(' ') + 30;
    const tampered = note.slice(0, at) + (note[at] === 'A' ? 'B' : 'A') + note.slice(at + 1);
    expect((await add(0, tampered)).status).toBe(403);
    expect((await witness.addCheckpoint('old 01\n\n' + note)).status).toBe(400);
    expect((await witness.addCheckpoint('old 0\n' + note)).status).toBe(400);
    expect((await witness.addCheckpoint(new Uint8Array([0x6f, 0x6c, 0x64, 0x20, 0x30, 0x0a, 0x0a, 0xff]))).status).toBe(400);
  });

  it('ignores signatures of unknown keys on the checkpoint', async () => {
    const { log, add } = setup();
    log.append(2);
    const stranger = new TestLog('stranger.test/key', seed('stranger'));
    const both = signCheckpoint({ origin: log.origin, size: 2, root: log.root() }, log.signer, stranger.signer);
    expect((await add(0, both)).status).toBe(200);
  });

  it('checks and records concurrent requests one at a time: of two from the same old size, one wins and the other is 409', async () => {
    const { log, add } = setup();
    log.append(3);
    await add(0, log.checkpoint());
    log.append(2);
    const five = log.checkpoint();
    log.append(2);
    const seven = log.checkpoint();
    const answers = await Promise.all([add(3, five, log.consistency(3, 5)), add(3, seven, log.consistency(3, 7))]);
    expect(answers.map((a) => a.status)).toEqual([200, 409]);
    expect(answers[1].body).toBe('5\n');
  });

  it('serves the latest cosigned checkpoint under its origin hash, with the log signature and its own cosignature', async () => {
    const { log, witness, add } = setup();
    expect((await witness.latestCheckpoint(originHash(log.origin))).status).toBe(404);
    log.append(3);
    await add(0, log.checkpoint());
    const served = await witness.latestCheckpoint(originHash(log.origin));
    expect(served.status).toBe(200);
    const opened = openCheckpoint(served.body, [parseVerifierKey(log.verifierKey), parseCosignatureVerifierKey(cosigner.verifierKey)]);
    expect(opened.checkpoint.size).toBe(3);
    expect(opened.note.verified).toHaveLength(2);
  });
});

describe('lockWitnessState', () => {
  it('refuses a second holder of a state directory until the first releases it, and takes over the lock of a process that is gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'witness-lock-'));
    try {
      const release = lockWitnessState(dir);
      expect(() => lockWitnessState(dir)).toThrow(/another witness process/);
      release();
      expect(existsSync(join(dir, WITNESS_LOCK_FILE))).toBe(false);
      // A crashed witness's lock: a pid no process has (above Linux's pid_max).
      writeFileSync(join(dir, WITNESS_LOCK_FILE), '99999999\n');
      lockWitnessState(dir)();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
