import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../port/envelope.js';
import { encodeBase64 } from '../transparency/encoding.js';
import { ed25519Signer } from '../transparency/note.js';
import { signCheckpoint } from '../transparency/checkpoint.js';
import { verifyLedger, type LedgerVerifierOptions } from './ledger-verifier.js';
import { ANCHOR_EVENT_TYPE, ANCHOR_STREAM, signAnchor } from './anchor.js';
import { LedgerBuilder, rootOf, statementOf } from './testing/ledger-fixtures.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const seed = privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32);
const signer = ed25519Signer('permit-ledger.example', seed);
const attacker = ed25519Signer(
  'permit-ledger.example',
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }).subarray(-32),
);

/**
 *  1 permit-A r0   2 permit-B r0   3 permit-A r1   4 v2 anchor (3 leaves)   5 permit-C r0   6 v1 anchor (4)
 *  7 permit-B r1   8 permit-A r2   9 v2 anchor covering position 7 (5 leaves), appended after 8   10 permit-C r1
 */
function ledger(edit?: {
  at: 'first' | 'last';
  change: (data: Record<string, unknown>, before: RecordedEvent[]) => void;
}): RecordedEvent[] {
  const b = new LedgerBuilder();
  b.add('permit-A', 'PermitIssued', { destination: 'TR' });
  b.add('permit-B', 'PermitIssued', { destination: 'DE' });
  b.add('permit-A', 'PermitSuspended', {}, { reason: 'review' });
  b.checkpoint(privateKey, signer, undefined, edit?.at === 'first' ? edit.change : undefined);
  b.add('permit-C', 'PermitIssued');
  b.anchor(privateKey);
  b.add('permit-B', 'PermitSuspended');
  b.add('permit-A', 'PermitCancelled');
  b.checkpoint(privateKey, signer, 7, edit?.at === 'last' ? edit.change : undefined);
  b.add('permit-C', 'PermitCancelled');
  return b.events;
}

const verify = (events: RecordedEvent[], options: LedgerVerifierOptions = { publicKey }) => verifyLedger(events, options);

/** The note with its text changed and its signature kept. */
const changedText = (note: string, from: string, to: string) => note.replace(from, to);

describe('LedgerVerifier: v2 anchors (signed checkpoints of the tree)', () => {
  it('accepts v1 and v2 anchors together, with the public key, the verifier key or no key', async () => {
    const events = ledger();
    const expected = { valid: true, checked: 10, anchorsChecked: 3, lastAnchorPosition: 7, unanchored: 2 };
    expect(await verify(events)).toEqual(expected);
    expect(await verify(events, { verifierKey: signer.verifierKey })).toEqual(expected);
    expect(await verify(events, {})).toEqual(expected);
  });

  it('a checkpoint whose root the events do not give: CHECKPOINT_ROOT_MISMATCH at that anchor', async () => {
    const events = ledger({ at: 'last', change: (data, before) => (data.note = signCheckpointNote(5, rootOf(before, 2))) });
    const result = await verify(events);
    expect(result).toMatchObject({ valid: false, anchorsChecked: 2, firstBroken: { position: 9, reason: 'CHECKPOINT_ROOT_MISMATCH' } });
  });

  it('a checkpoint of another size than the anchor covers: CHECKPOINT_ROOT_MISMATCH', async () => {
    const events = ledger({ at: 'first', change: (data, before) => (data.note = signCheckpointNote(2, rootOf(before, 2))) });
    expect((await verify(events)).firstBroken).toMatchObject({ position: 4, reason: 'CHECKPOINT_ROOT_MISMATCH' });
  });

  it('a changed note (its signature kept): CHECKPOINT_SIGNATURE_INVALID with a key, CHECKPOINT_ROOT_MISMATCH without', async () => {
    const events = ledger({
      at: 'first',
      change: (data, before) =>
        (data.note = changedText(data.note as string, encodeBase64(rootOf(before, 3)), encodeBase64(rootOf(before, 2)))),
    });
    expect((await verify(events)).firstBroken).toMatchObject({ position: 4, reason: 'CHECKPOINT_SIGNATURE_INVALID' });
    expect((await verify(events, { verifierKey: signer.verifierKey })).firstBroken).toMatchObject({
      reason: 'CHECKPOINT_SIGNATURE_INVALID',
    });
    expect((await verify(events, {})).firstBroken).toMatchObject({ position: 4, reason: 'CHECKPOINT_ROOT_MISMATCH' });
  });

  it('a checkpoint signed by another key (a forged signature): CHECKPOINT_SIGNATURE_INVALID; unchecked without a key', async () => {
    const events = ledger({ at: 'last', change: (data, before) => (data.note = signCheckpointNote(5, rootOf(before, 7), attacker)) });
    expect((await verify(events)).firstBroken).toMatchObject({ position: 9, reason: 'CHECKPOINT_SIGNATURE_INVALID' });
    expect((await verify(events, { verifierKey: signer.verifierKey })).firstBroken).toMatchObject({
      reason: 'CHECKPOINT_SIGNATURE_INVALID',
    });
    expect(await verify(events, {})).toMatchObject({ valid: true });
  });

  it('a checkpoint of another origin than the verifier key names: CHECKPOINT_SIGNATURE_INVALID', async () => {
    const elsewhere = ed25519Signer('another-ledger.example', seed);
    const events = ledger({ at: 'first', change: (data, before) => (data.note = signCheckpointNote(3, rootOf(before, 3), elsewhere)) });
    expect((await verify(events, { verifierKey: signer.verifierKey })).firstBroken).toMatchObject({
      reason: 'CHECKPOINT_SIGNATURE_INVALID',
    });
  });

  it('a v2 anchor without a note, or with one that is no checkpoint: CHECKPOINT_MALFORMED', async () => {
    const without = ledger({ at: 'first', change: (data) => delete data.note });
    expect((await verify(without)).firstBroken).toMatchObject({ position: 4, reason: 'CHECKPOINT_MALFORMED' });
    const garbled = ledger({ at: 'first', change: (data) => (data.note = 'not a note') });
    expect((await verify(garbled, {})).firstBroken).toMatchObject({ position: 4, reason: 'CHECKPOINT_MALFORMED' });
  });

  it('a checkpoint further back than the lookback cannot be checked and says so', async () => {
    const b = new LedgerBuilder();
    for (let i = 0; i < 600; i++) b.add(`permit-${i % 7}`, 'PermitIssued');
    b.checkpoint(privateKey, signer, 3);
    const result = await verify(b.events, { publicKey, anchorLookback: 3 });
    expect(result.firstBroken?.reason).toBe('RUNNING_HASH_MISMATCH');
    // Within the lookback, a root 300 leaves back is rebuilt from the snapshots.
    const near = new LedgerBuilder();
    for (let i = 0; i < 600; i++) near.add(`permit-${i % 7}`, 'PermitIssued');
    near.checkpoint(privateKey, signer, 300);
    expect(await verify(near.events, { publicKey })).toMatchObject({ valid: true, anchorsChecked: 1 });
  });
});

function signCheckpointNote(size: number, root: Uint8Array, by = signer): string {
  return signCheckpoint({ origin: by.name, size, root }, by);
}

describe('LedgerVerifier: v2 anchors at the edges of the tree', () => {
  const built = new Map<number, RecordedEvent[]>();
  /** `count` chained events over 7 permits (built once per count), then what `then` appends. */
  function chained(count: number, then: (b: LedgerBuilder) => void): RecordedEvent[] {
    if (!built.has(count)) {
      const b = new LedgerBuilder();
      for (let i = 0; i < count; i++) b.add(`permit-${i % 7}`, 'PermitIssued');
      built.set(count, b.events);
    }
    const b = new LedgerBuilder();
    b.events.push(...built.get(count)!);
    then(b);
    return b.events;
  }

  it('a checkpoint of the empty tree (an anchor at position 0), before any event or after many', async () => {
    const first = chained(0, (b) => b.checkpoint(privateKey, signer));
    expect(await verify(first)).toMatchObject({ valid: true, anchorsChecked: 1, lastAnchorPosition: 0 });
    // With a lookback of 1, the snapshots of the first leaves are long gone: the empty tree needs none.
    const late = chained(700, (b) => b.checkpoint(privateKey, signer, 0));
    expect(await verify(late, { publicKey, anchorLookback: 1 })).toMatchObject({ valid: true, anchorsChecked: 1, lastAnchorPosition: 0 });
  });

  it('a checkpoint of exactly one snapshot interval (256 leaves), and of the tree as it is when it is a multiple of it', async () => {
    expect(await verify(chained(256, (b) => b.checkpoint(privateKey, signer)))).toMatchObject({ valid: true, anchorsChecked: 1 });
    expect(await verify(chained(512, (b) => b.checkpoint(privateKey, signer, 256)))).toMatchObject({ valid: true, anchorsChecked: 1 });
  });

  it('with a small lookback, a checkpoint as far back as the lookback allows is still rebuilt', async () => {
    // Lookback 3 after 600 leaves: sizes 598..600 must stay rebuildable, 598 and 599 from the snapshot at 512.
    for (const covers of [598, 599, 600]) {
      const events = chained(600, (b) => b.checkpoint(privateKey, signer, covers));
      expect([covers, await verify(events, { publicKey, anchorLookback: 3 })]).toMatchObject([covers, { valid: true, anchorsChecked: 1 }]);
    }
    // 257 leaves and a lookback of 3: size 255 is in the snapshot at 0, which the one at 256 must not have evicted.
    const early = chained(257, (b) => b.checkpoint(privateKey, signer, 255));
    expect(await verify(early, { publicKey, anchorLookback: 3 })).toMatchObject({ valid: true, anchorsChecked: 1 });
  });

  it('with a lookback of one snapshot interval, the oldest size it allows is rebuilt and the next older is refused', async () => {
    // 513 leaves, lookback 256: size 258 is the oldest, in the snapshot at 256 (the one at 512 was taken before leaf 513).
    const oldest = chained(513, (b) => b.checkpoint(privateKey, signer, 258));
    expect(await verify(oldest, { publicKey, anchorLookback: 256 })).toMatchObject({
      valid: true,
      anchorsChecked: 1,
      lastAnchorPosition: 258,
    });
    const older = chained(513, (b) => b.checkpoint(privateKey, signer, 257));
    expect((await verify(older, { publicKey, anchorLookback: 256 })).firstBroken).toMatchObject({
      position: 514,
      reason: 'RUNNING_HASH_MISMATCH',
      detail: 'anchor covers position 257, more than 256 chained events back',
    });
  });

  it('a checkpoint whose origin is not the verifier key name, though that key signed it: CHECKPOINT_SIGNATURE_INVALID', async () => {
    const events = ledger({
      at: 'first',
      change: (data, before) =>
        (data.note = signCheckpoint({ origin: 'another-ledger.example', size: 3, root: rootOf(before, 3) }, signer)),
    });
    const result = await verify(events, { verifierKey: signer.verifierKey });
    expect(result.firstBroken).toMatchObject({ position: 4, reason: 'CHECKPOINT_SIGNATURE_INVALID' });
    expect(result.firstBroken?.detail).toContain('ORIGIN_MISMATCH');
    expect(await verify(events, {})).toMatchObject({ valid: true });
  });

  it('says what is wrong with a checkpoint', async () => {
    const without = ledger({ at: 'first', change: (data) => delete data.note });
    expect((await verify(without)).firstBroken?.detail).toBe('a v2 anchor without its checkpoint note');
    const garbled = ledger({ at: 'first', change: (data) => (data.note = 'not a note') });
    expect((await verify(garbled, {})).firstBroken?.detail).toContain('NOTE_MALFORMED');
    const resized = ledger({ at: 'first', change: (data, before) => (data.note = signCheckpointNote(2, rootOf(before, 2))) });
    expect((await verify(resized)).firstBroken?.detail).toBe('the checkpoint is of size 2, the anchor covers 3 events');
    const rerooted = ledger({ at: 'last', change: (data, before) => (data.note = signCheckpointNote(5, rootOf(before, 2))) });
    expect((await verify(rerooted)).firstBroken?.detail).toBe("the root of the tree of 5 events is not the checkpoint's");
  });

  it('a v1 anchor carrying a note is not checked against it (the note is a v2 field)', async () => {
    const b = new LedgerBuilder();
    b.add('permit-A', 'PermitIssued');
    b.add(ANCHOR_STREAM, ANCHOR_EVENT_TYPE, { ...signAnchor(statementOf(b.events), privateKey), note: 'not a note' });
    expect(await verify(b.events)).toMatchObject({ valid: true, anchorsChecked: 1 });
  });
});
