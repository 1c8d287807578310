import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../port/envelope.js';
import { computeEventHash } from '../integrity/integrity.js';
import { ANCHOR_STREAM, GENESIS_HASH, signAnchor } from './anchor.js';
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

describe('LedgerVerifier: the edges of each check', () => {
  it('refuses an unknown scope and a lookback that is not a positive integer', () => {
    expect(() => new LedgerVerifier({ scope: 'stream' as 'streams' })).toThrow('unknown scope stream');
    for (const anchorLookback of [0, -1, 1.5, Number.NaN]) {
      expect(() => new LedgerVerifier({ anchorLookback })).toThrow('anchorLookback must be a positive integer');
    }
    expect(new LedgerVerifier({ anchorLookback: 1, scope: 'streams' }).finish()).toMatchObject({ valid: true, checked: 0 });
  });

  it('says which positions are out of order, which hashes differ, and which revision and link were expected', async () => {
    const swapped = ledger();
    [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
    expect((await verify(swapped)).firstBroken?.detail).toBe('position 4 does not follow 5');

    const edited = ledger();
    edited[2] = { ...edited[2], data: { tampered: true } };
    expect((await verify(edited)).firstBroken?.detail).toBe(`stored ${edited[2].hash}, recomputed ${computeEventHash(edited[2])}`);

    const gap = ledger().filter((e) => e.position !== 2);
    expect((await verify(gap)).firstBroken?.detail).toBe('expected revision 0 of permit-B, got 1');

    const relinked = ledger();
    const original = relinked[0].hash;
    const changed = { ...relinked[0], data: { destination: 'DE' } };
    relinked[0] = { ...changed, hash: computeEventHash(changed) };
    expect((await verify(relinked)).firstBroken?.detail).toBe(`prevHash ${original}, previous event's hash ${relinked[0].hash}`);
  });

  it('a position repeated (an event copied over the next one): POSITION_ORDER', async () => {
    const events = ledger();
    events[4] = { ...events[4], position: 4 };
    expect((await verify(events)).firstBroken).toMatchObject({
      position: 4,
      stream: 'permit-B',
      reason: 'POSITION_ORDER',
      detail: 'position 4 does not follow 4',
    });
  });

  it('an event of another type in the anchors stream is not an anchor: it is neither checked nor chained', async () => {
    const b = new LedgerBuilder();
    b.add('permit-A', 'PermitIssued');
    b.add(ANCHOR_STREAM, 'LedgerNoted', { position: 1, count: 7, runningHash: GENESIS_HASH });
    b.anchor(privateKey);
    expect(await verify(b.events)).toEqual({ valid: true, checked: 3, anchorsChecked: 1, lastAnchorPosition: 1, unanchored: 0 });
  });

  it('an event that cannot be hashed (a number JSON cannot carry) is a HASH_MISMATCH that says why', async () => {
    const events = ledger();
    events[1] = { ...events[1], data: { quantity: Number.NaN } };
    expect((await verify(events)).firstBroken).toMatchObject({
      position: 2,
      reason: 'HASH_MISMATCH',
      detail: 'cannot hash: canonicalJson: NaN at $.quantity is not a finite number',
    });
  });

  it('an empty or non-string signature with a key: ANCHOR_UNSIGNED, before anything else of the anchor', async () => {
    for (const signature of ['', 42, undefined]) {
      const events = ledger();
      events[5] = { ...events[5], data: { ...events[5].data, signature } };
      expect((await verify(rehash(events))).firstBroken).toMatchObject({ position: 6, reason: 'ANCHOR_UNSIGNED' });
    }
  });

  it('an anchor without a safe-integer position or count or a string runningHash: RUNNING_HASH_MISMATCH, saying so', async () => {
    const changes: Record<string, unknown>[] = [
      { position: '5' },
      { position: 5.5 },
      { count: '5' },
      { count: undefined },
      { runningHash: 7 },
    ];
    for (const change of changes) {
      const events = ledger(null);
      events[5] = { ...events[5], data: { ...events[5].data, ...change } };
      expect([change, (await verify(rehash(events), {})).firstBroken]).toMatchObject([
        change,
        { position: 6, reason: 'RUNNING_HASH_MISMATCH', detail: 'anchor without position, count and runningHash' },
      ]);
    }
  });

  it('an anchor stating a position no chained event has: RUNNING_HASH_MISMATCH, not "too far back"', async () => {
    for (const position of [6, 99]) {
      const b = new LedgerBuilder();
      for (let i = 0; i < 5; i++) b.add(`permit-${i}`, 'PermitIssued');
      b.anchor(null);
      b.add('permit-9', 'PermitIssued');
      b.add(ANCHOR_STREAM, 'LedgerAnchored', { ...statementOf(b.events), position, signature: null, keyId: null });
      const result = await verify(b.events, { anchorLookback: 3 });
      expect(result.firstBroken).toMatchObject({
        position: 8,
        reason: 'RUNNING_HASH_MISMATCH',
        detail: `no chained event at position ${position} before the anchor`,
      });
    }
  });

  it('an anchor stating the position of an event before the first chained one, within the lookback: no chained event there', async () => {
    const b = new LedgerBuilder();
    b.anchor(null);
    b.add('permit-A', 'PermitIssued');
    b.add(ANCHOR_STREAM, 'LedgerAnchored', { position: 1, count: 0, runningHash: GENESIS_HASH, signature: null, keyId: null });
    expect((await verify(b.events, {})).firstBroken).toMatchObject({
      position: 3,
      reason: 'RUNNING_HASH_MISMATCH',
      detail: 'no chained event at position 1 before the anchor',
    });
  });

  it('an anchor may cover exactly the lookback, not one event more', async () => {
    const b = new LedgerBuilder();
    for (let i = 0; i < 5; i++) b.add(`permit-${i}`, 'PermitIssued');
    const within = new LedgerBuilder();
    within.events.push(...b.events);
    within.anchor(privateKey, 3);
    expect(await verify(within.events, { publicKey, anchorLookback: 3 })).toMatchObject({ valid: true, lastAnchorPosition: 3 });
    const beyond = new LedgerBuilder();
    beyond.events.push(...b.events);
    beyond.anchor(privateKey, 2);
    expect((await verify(beyond.events, { publicKey, anchorLookback: 3 })).firstBroken).toMatchObject({
      reason: 'RUNNING_HASH_MISMATCH',
      detail: 'anchor covers position 2, more than 3 chained events back',
    });
  });

  it('an anchor states what the log gives at its position: count and running hash, in the detail too', async () => {
    const events = ledger(null);
    const { count, runningHash } = events[5].data as { count: number; runningHash: string };
    events[5] = { ...events[5], data: { ...events[5].data, runningHash: GENESIS_HASH } };
    expect((await verify(rehash(events), {})).firstBroken).toMatchObject({
      position: 6,
      reason: 'RUNNING_HASH_MISMATCH',
      detail: `at position 5 the anchor states ${count} events / ${GENESIS_HASH}, the log gives ${count} / ${runningHash}`,
    });
  });

  it('an anchor over no event (position 0) states the genesis hash and a count of 0, before or after events', async () => {
    const b = new LedgerBuilder();
    b.anchor(privateKey);
    b.add('permit-A', 'PermitIssued');
    b.anchor(privateKey, 0);
    expect(await verify(b.events)).toEqual({ valid: true, checked: 3, anchorsChecked: 2, lastAnchorPosition: 0, unanchored: 1 });
    const wrong = new LedgerBuilder();
    wrong.add(ANCHOR_STREAM, 'LedgerAnchored', { position: 0, count: 0, runningHash: 'f'.repeat(64), signature: null, keyId: null });
    expect((await verify(wrong.events, {})).firstBroken).toMatchObject({ reason: 'RUNNING_HASH_MISMATCH' });
  });

  it('an anchor covering less than an earlier one does not move the last anchored position back', async () => {
    const b = new LedgerBuilder();
    for (let i = 0; i < 4; i++) b.add(`permit-${i}`, 'PermitIssued');
    b.anchor(privateKey);
    b.add('permit-9', 'PermitIssued');
    b.anchor(privateKey, 2);
    expect(await verify(b.events)).toEqual({ valid: true, checked: 7, anchorsChecked: 2, lastAnchorPosition: 4, unanchored: 1 });
  });

  it("scope 'streams' does not check anchors, even the anchors' own stream with a false statement", async () => {
    const events = ledger(null).filter((e) => e.stream === ANCHOR_STREAM);
    events[0] = { ...events[0], data: { ...events[0].data, count: 99 } };
    expect(await verify(rehash(events), { publicKey, scope: 'streams' })).toEqual({
      valid: true,
      checked: 2,
      anchorsChecked: 0,
      lastAnchorPosition: null,
      unanchored: 0,
    });
  });

  it('fail() records a break only when none was found: the first break stands', () => {
    const events = ledger();
    events[0] = { ...events[0], hash: 'f'.repeat(64) };
    const verifier = new LedgerVerifier({ publicKey });
    verifier.push(events[0]);
    verifier.fail({ position: -1, stream: '', revision: -1, reason: 'TRUNCATED' });
    expect(verifier.finish().firstBroken).toMatchObject({ position: 1, reason: 'HASH_MISMATCH' });
    const fresh = new LedgerVerifier();
    fresh.fail({ position: -1, stream: '', revision: -1, reason: 'TRUNCATED' });
    expect(fresh.broken).toBe(true);
    expect(fresh.finish()).toMatchObject({ valid: false, checked: 0, firstBroken: { reason: 'TRUNCATED' } });
  });
});
