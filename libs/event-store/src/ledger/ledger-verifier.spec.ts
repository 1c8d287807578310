import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../port/envelope.js';
import { computeEventHash } from '../integrity/integrity.js';
import { ANCHOR_STREAM, signAnchor } from './anchor.js';
import { LedgerVerifier, verifyLedger } from './ledger-verifier.js';
import { LedgerBuilder, rehash, statementOf } from './testing/ledger-fixtures.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const attacker = generateKeyPairSync('ed25519');

/**
 *  1 permit-A r0   2 permit-B r0   3 permit-A r1   4 permit-C r0   5 permit-B r1
 *  6 anchor r0 (covers 5)   7 permit-C r1   8 permit-A r2   9 anchor r1 (covers 8)   10 permit-B r2
 */
function ledger(key = privateKey as typeof privateKey | null): RecordedEvent[] {
  const b = new LedgerBuilder();
  b.add('permit-A', 'PermitIssued', { destination: 'TR', quantity: 6 });
  b.add('permit-B', 'PermitIssued', { destination: 'TR', quantity: 2 });
  b.add('permit-A', 'PermitSuspended', {}, { reason: 'review' });
  b.add('permit-C', 'PermitIssued', { destination: 'DE' });
  b.add('permit-B', 'PermitSuspended');
  b.anchor(key);
  b.add('permit-C', 'PermitAmended', { quantity: 3 });
  b.add('permit-A', 'PermitCancelled');
  b.anchor(key);
  b.add('permit-B', 'PermitCancelled');
  return b.events;
}

const verify = (events: RecordedEvent[], options: ConstructorParameters<typeof LedgerVerifier>[0] = { publicKey }) =>
  verifyLedger(events, options);

describe('LedgerVerifier', () => {
  it('accepts an untouched ledger: every hash, chain, anchor and signature', async () => {
    expect(await verify(ledger())).toEqual({ valid: true, checked: 10, anchorsChecked: 2, lastAnchorPosition: 8, unanchored: 1 });
  });

  it('accepts an empty ledger', async () => {
    expect(await verify([])).toEqual({ valid: true, checked: 0, anchorsChecked: 0, lastAnchorPosition: null, unanchored: 0 });
  });

  it('names an edited event: HASH_MISMATCH, and stops counting there', async () => {
    const events = ledger();
    events[2] = { ...events[2], data: { tampered: true } };
    const result = await verify(events);
    expect(result).toMatchObject({
      valid: false,
      checked: 3,
      firstBroken: { position: 3, stream: 'permit-A', revision: 1, reason: 'HASH_MISMATCH' },
    });
  });

  it('an edit whose hash was recomputed breaks the link of the next event of the stream: PREV_HASH_MISMATCH', async () => {
    const events = ledger();
    const edited = { ...events[0], data: { destination: 'DE', quantity: 6 } };
    events[0] = { ...edited, hash: computeEventHash(edited) };
    expect((await verify(events)).firstBroken).toMatchObject({
      position: 3,
      stream: 'permit-A',
      revision: 1,
      reason: 'PREV_HASH_MISMATCH',
    });
  });

  it('an event deleted inside a stream: REVISION_GAP at the next event of that stream', async () => {
    const events = ledger().filter((e) => e.position !== 2);
    expect((await verify(events)).firstBroken).toMatchObject({ position: 5, stream: 'permit-B', revision: 1, reason: 'REVISION_GAP' });
  });

  it('positions that do not increase: POSITION_ORDER', async () => {
    const events = ledger();
    [events[3], events[4]] = [events[4], events[3]];
    expect((await verify(events)).firstBroken).toMatchObject({ position: 4, stream: 'permit-C', reason: 'POSITION_ORDER' });
  });

  it('a whole stream removed: every chain holds, the next anchor does not (RUNNING_HASH_MISMATCH at the anchor)', async () => {
    const events = ledger().filter((e) => e.stream !== 'permit-C');
    expect((await verify(events)).firstBroken).toMatchObject({
      position: 6,
      stream: ANCHOR_STREAM,
      revision: 0,
      reason: 'RUNNING_HASH_MISMATCH',
    });
  });

  it('two events of different streams swapped in the log: RUNNING_HASH_MISMATCH at the next anchor', async () => {
    const events = ledger();
    const [two, four] = [events[1], events[3]];
    events[1] = { ...four, position: 2 };
    events[3] = { ...two, position: 4 };
    expect((await verify(events)).firstBroken).toMatchObject({ position: 6, reason: 'RUNNING_HASH_MISMATCH' });
  });

  it('the last event before an anchor removed (nothing else in its stream after it): RUNNING_HASH_MISMATCH', async () => {
    const events = ledger().filter((e) => e.position !== 8);
    expect((await verify(events)).firstBroken).toMatchObject({ position: 9, reason: 'RUNNING_HASH_MISMATCH' });
  });

  it('an edit rehashed through every chain is still caught by the anchor', async () => {
    const events = ledger();
    events[1] = { ...events[1], data: { destination: 'TR', quantity: 200 } };
    expect((await verify(rehash(events))).firstBroken).toMatchObject({ position: 6, reason: 'RUNNING_HASH_MISMATCH' });
  });

  it('anchors without a signature: ANCHOR_UNSIGNED when a key is given, accepted without one', async () => {
    const events = ledger(null);
    expect((await verify(events)).firstBroken).toMatchObject({ position: 6, reason: 'ANCHOR_UNSIGNED' });
    expect(await verify(events, {})).toMatchObject({ valid: true, anchorsChecked: 2 });
  });

  it('an anchor signed by another key: ANCHOR_SIGNATURE_INVALID', async () => {
    const events = ledger();
    const forged = signAnchor(statementOf(events, 8), attacker.privateKey);
    events[8] = { ...events[8], data: { ...forged } };
    expect((await verify(rehash(events))).firstBroken).toMatchObject({
      position: 9,
      stream: ANCHOR_STREAM,
      revision: 1,
      reason: 'ANCHOR_SIGNATURE_INVALID',
    });
  });

  it('a stream removed and every anchor recomputed and re-signed by the attacker: only the public key tells', async () => {
    const kept = ledger().filter((e) => e.stream !== 'permit-C');
    const forged = kept.map((e) =>
      e.stream === ANCHOR_STREAM
        ? { ...e, data: { ...signAnchor(statementOf(kept, lastChainedBefore(kept, e.position)), attacker.privateKey) } }
        : e,
    );
    const rewritten = rehash(forged);
    expect(await verify(rewritten, {})).toMatchObject({ valid: true, anchorsChecked: 2 });
    expect((await verify(rewritten)).firstBroken).toMatchObject({ position: 6, reason: 'ANCHOR_SIGNATURE_INVALID' });
  });

  it('an anchor with a signature but a changed statement: ANCHOR_SIGNATURE_INVALID', async () => {
    const events = ledger();
    events[5] = { ...events[5], data: { ...events[5].data, count: 4 } };
    expect((await verify(rehash(events))).firstBroken).toMatchObject({ position: 6, reason: 'ANCHOR_SIGNATURE_INVALID' });
    expect((await verify(rehash(events), {})).firstBroken).toMatchObject({ position: 6, reason: 'RUNNING_HASH_MISMATCH' });
  });

  it('an anchor appended after other events (it covers an earlier position) verifies', async () => {
    const b = new LedgerBuilder();
    b.add('permit-A', 'PermitIssued');
    b.add('permit-B', 'PermitIssued');
    b.add('permit-A', 'PermitSuspended');
    b.anchor(privateKey, 2);
    expect(await verify(b.events)).toEqual({ valid: true, checked: 4, anchorsChecked: 1, lastAnchorPosition: 2, unanchored: 1 });
  });

  it('an anchor further back than the lookback cannot be checked and says so', async () => {
    const b = new LedgerBuilder();
    for (let i = 0; i < 5; i++) b.add(`permit-${i}`, 'PermitIssued');
    b.anchor(privateKey, 1);
    const result = await verify(b.events, { publicKey, anchorLookback: 3 });
    expect(result.firstBroken).toMatchObject({ position: 6, reason: 'RUNNING_HASH_MISMATCH' });
    expect(result.firstBroken!.detail).toContain('more than 3 chained events back');
  });

  it("scope 'streams' checks whole streams only: no anchors, no running hash, each stream from revision 0", async () => {
    const permitStreams = ledger().filter((e) => e.stream === 'permit-A' || e.stream === 'permit-B');
    expect(await verify(permitStreams, { publicKey, scope: 'streams' })).toEqual({
      valid: true,
      checked: 6,
      anchorsChecked: 0,
      lastAnchorPosition: null,
      unanchored: 6,
    });
    // A concatenation of streams (a decision's export) need not be in position order.
    const concatenated = [...permitStreams.filter((e) => e.stream === 'permit-B'), ...permitStreams.filter((e) => e.stream === 'permit-A')];
    expect((await verify(concatenated, { scope: 'streams' })).valid).toBe(true);
    const truncatedStart = permitStreams.filter((e) => !(e.stream === 'permit-A' && e.revision === 0));
    expect((await verify(truncatedStart, { scope: 'streams' })).firstBroken).toMatchObject({
      position: 3,
      revision: 1,
      reason: 'REVISION_GAP',
    });
  });

  it('push() after the first break is ignored; finish() can be called any time', () => {
    const events = ledger();
    events[1] = { ...events[1], hash: '0'.repeat(64) };
    const verifier = new LedgerVerifier({ publicKey });
    for (const e of events) verifier.push(e);
    expect(verifier.broken).toBe(true);
    expect(verifier.finish()).toMatchObject({ valid: false, checked: 2, firstBroken: { position: 2, reason: 'HASH_MISMATCH' } });
  });

  it('verifyLedger reads an async source, reports progress and stops reading at the first break', async () => {
    const events = ledger();
    events[2] = { ...events[2], recordedAt: '2030-01-01T00:00:00.000Z' };
    let pulled = 0;
    async function* source() {
      for (const e of events) {
        pulled += 1;
        yield e;
      }
    }
    const progress: number[] = [];
    const result = await verifyLedger(source(), { publicKey, onProgress: (n) => progress.push(n) });
    expect(result.firstBroken).toMatchObject({ position: 3, reason: 'HASH_MISMATCH' });
    expect(progress).toEqual([1, 2, 3]);
    expect(pulled).toBe(3);
  });
});

/** Position of the last chained event before `position`. */
function lastChainedBefore(events: RecordedEvent[], position: number): number {
  return events.filter((e) => e.stream !== ANCHOR_STREAM && e.position < position).at(-1)?.position ?? 0;
}
