/**
 * One-pass verification of the ledger, fed events in log order.
 *
 * What is checked, in this order, for each event (the first failure is reported and the rest ignored):
 *  1. POSITION_ORDER     positions strictly increase (scope 'ledger' only: a 'streams' export
 *                        concatenates streams, and `position` is not covered by the hash anyway);
 *  2. HASH_MISMATCH      the hash recomputes (integrity.ts computeEventHash);
 *  3. REVISION_GAP       per stream, revisions are 0, 1, 2 … without gap or repeat;
 *  4. PREV_HASH_MISMATCH per stream, prevHash is null at revision 0, then the previous event's hash;
 *  5. at each LedgerAnchored event (scope 'ledger' only), in anchor.ts's terms:
 *     ANCHOR_UNSIGNED / ANCHOR_SIGNATURE_INVALID  with a public key, the anchor must carry a valid
 *                        Ed25519 signature (checked first: an unauthentic statement proves nothing);
 *     RUNNING_HASH_MISMATCH  the anchor's count and runningHash equal those recomputed at its `position`.
 *
 * Edits inside a stream break that stream (1-4) at the edited or the following event. Removing a
 * whole stream, or the last events of a stream, or reordering the log keeps every stream chain intact
 * and shows up only at the next anchor (5), which is then the event reported. Events after the last
 * anchor are reported as `unanchored`: their removal from the end of the log cannot be detected.
 *
 * Memory: one entry per stream (last revision and hash), plus the running hashes of the last
 * `anchorLookback` chained events, because an anchor may be appended a little after the position it
 * covers (appends of other streams can land in between).
 */
import type { KeyObject } from 'node:crypto';
import type { RecordedEvent } from '../port/envelope.js';
import { computeEventHash } from '../integrity/integrity.js';
import { ANCHOR_EVENT_TYPE, GENESIS_HASH, isChained, nextRunningHash, verifyAnchorSignature, type AnchorData } from './anchor.js';

export const LEDGER_BREAK_REASONS = [
  'HASH_MISMATCH',
  'REVISION_GAP',
  'PREV_HASH_MISMATCH',
  'POSITION_ORDER',
  'RUNNING_HASH_MISMATCH',
  'ANCHOR_SIGNATURE_INVALID',
  'ANCHOR_UNSIGNED',
  // Only from verifyNdjson (export.ts): problems of the file rather than of an event.
  'MALFORMED_LINE',
  'TRUNCATED',
  'COUNT_MISMATCH',
] as const;
export type LedgerBreakReason = (typeof LEDGER_BREAK_REASONS)[number];

export interface LedgerBreak {
  /** Log position of the broken event (for an anchor: the anchor event's own position); -1 when not an event. */
  position: number;
  stream: string;
  revision: number;
  reason: LedgerBreakReason;
  /** Human-readable explanation; not stable. */
  detail?: string;
  /** 1-based line of an NDJSON export (verifyNdjson only). */
  line?: number;
}

export interface LedgerVerification {
  valid: boolean;
  /** Events examined: all of them when valid, up to and including the first broken one otherwise. */
  checked: number;
  /** Anchors whose statement (and signature, with a key) held. */
  anchorsChecked: number;
  /** The position covered by the furthest verified anchor, or null when none was. */
  lastAnchorPosition: number | null;
  /** Chained events after the last verified anchor ('streams' scope: every chained event checked). */
  unanchored: number;
  firstBroken?: LedgerBreak;
}

export interface LedgerVerifierOptions {
  /** Ed25519 public key: every anchor must then be signed by it. Without one, signatures are not checked. */
  publicKey?: KeyObject;
  /**
   * 'ledger' (default): the whole log from position 1, running hash and anchors included.
   * 'streams': whole streams only (a permit's or a decision's export): per-stream chains and hashes.
   */
  scope?: 'ledger' | 'streams';
  /** How many chained events back an anchor's position may lie behind the anchor. Default 100 000. */
  anchorLookback?: number;
}

interface ChainPoint {
  count: number;
  runningHash: string;
}

export class LedgerVerifier {
  private readonly publicKey?: KeyObject;
  private readonly scope: 'ledger' | 'streams';
  private readonly lookback: number;
  private readonly heads = new Map<string, { revision: number; hash: string }>();
  /** Running hash after each recent chained event, by position; insertion-ordered, so the oldest goes first. */
  private readonly recent = new Map<number, ChainPoint>();
  private lastPosition = -Infinity;
  private runningHash = GENESIS_HASH;
  private chained = 0;
  private checked = 0;
  private anchorsChecked = 0;
  private anchored: { position: number; count: number } | null = null;
  private firstBroken?: LedgerBreak;

  constructor(options: LedgerVerifierOptions = {}) {
    this.publicKey = options.publicKey;
    this.scope = options.scope ?? 'ledger';
    this.lookback = options.anchorLookback ?? 100_000;
    if (this.scope !== 'ledger' && this.scope !== 'streams') throw new RangeError(`unknown scope ${String(this.scope)}`);
    if (!Number.isSafeInteger(this.lookback) || this.lookback < 1) throw new RangeError('anchorLookback must be a positive integer');
  }

  /** Whether a break was found: further events are ignored, so a caller may stop reading. */
  get broken(): boolean {
    return this.firstBroken !== undefined;
  }

  push(event: RecordedEvent): void {
    if (this.firstBroken) return;
    this.checked += 1;
    const reason = this.check(event);
    if (reason) this.firstBroken = { position: event.position, stream: event.stream, revision: event.revision, ...reason };
  }

  /** Records a break that the caller found (e.g. a malformed line of a file) and stops. */
  fail(broken: LedgerBreak): void {
    this.firstBroken ??= broken;
  }

  finish(): LedgerVerification {
    const ledger = this.scope === 'ledger';
    return {
      valid: !this.firstBroken,
      checked: this.checked,
      anchorsChecked: this.anchorsChecked,
      lastAnchorPosition: this.anchored?.position ?? null,
      unanchored: ledger ? this.chained - (this.anchored?.count ?? 0) : this.chained,
      ...(this.firstBroken ? { firstBroken: this.firstBroken } : {}),
    };
  }

  private check(event: RecordedEvent): Pick<LedgerBreak, 'reason' | 'detail'> | undefined {
    const ledger = this.scope === 'ledger';
    if (ledger) {
      if (!(event.position > this.lastPosition)) {
        return { reason: 'POSITION_ORDER', detail: `position ${event.position} does not follow ${this.lastPosition}` };
      }
      this.lastPosition = event.position;
    }

    let hash: string;
    try {
      hash = computeEventHash(event);
    } catch (error) {
      // Data that canonicalJson refuses (e.g. a number that JSON cannot carry) cannot have been stored.
      return { reason: 'HASH_MISMATCH', detail: `cannot hash: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (hash !== event.hash) return { reason: 'HASH_MISMATCH', detail: `stored ${event.hash}, recomputed ${hash}` };

    const head = this.heads.get(event.stream);
    const expectedRevision = head ? head.revision + 1 : 0;
    if (event.revision !== expectedRevision) {
      return { reason: 'REVISION_GAP', detail: `expected revision ${expectedRevision} of ${event.stream}, got ${event.revision}` };
    }
    const expectedPrev = head?.hash ?? null;
    if (event.prevHash !== expectedPrev) {
      return { reason: 'PREV_HASH_MISMATCH', detail: `prevHash ${event.prevHash}, previous event's hash ${expectedPrev}` };
    }
    this.heads.set(event.stream, { revision: event.revision, hash: event.hash });

    if (isChained(event)) {
      this.chained += 1;
      if (!ledger) return undefined;
      this.runningHash = nextRunningHash(this.runningHash, event.hash);
      this.recent.set(event.position, { count: this.chained, runningHash: this.runningHash });
      if (this.recent.size > this.lookback) this.recent.delete(this.recent.keys().next().value!);
      return undefined;
    }
    if (ledger && event.type === ANCHOR_EVENT_TYPE) return this.checkAnchor(event.data);
    return undefined;
  }

  private checkAnchor(data: Record<string, unknown>): Pick<LedgerBreak, 'reason' | 'detail'> | undefined {
    const anchor = data as unknown as AnchorData;
    if (this.publicKey) {
      if (typeof anchor.signature !== 'string' || anchor.signature === '') return { reason: 'ANCHOR_UNSIGNED' };
      if (!verifyAnchorSignature(anchor, this.publicKey)) return { reason: 'ANCHOR_SIGNATURE_INVALID' };
    }
    if (!Number.isSafeInteger(anchor.position) || !Number.isSafeInteger(anchor.count) || typeof anchor.runningHash !== 'string') {
      return { reason: 'RUNNING_HASH_MISMATCH', detail: 'anchor without position, count and runningHash' };
    }
    const point: ChainPoint | undefined =
      anchor.position === 0 ? { count: 0, runningHash: GENESIS_HASH } : this.recent.get(anchor.position);
    if (!point) {
      const behind = this.recent.size >= this.lookback && anchor.position < this.recent.keys().next().value!;
      return {
        reason: 'RUNNING_HASH_MISMATCH',
        detail: behind
          ? `anchor covers position ${anchor.position}, more than ${this.lookback} chained events back`
          : `no chained event at position ${anchor.position} before the anchor`,
      };
    }
    if (point.count !== anchor.count || point.runningHash !== anchor.runningHash) {
      return {
        reason: 'RUNNING_HASH_MISMATCH',
        detail: `at position ${anchor.position} the anchor states ${anchor.count} events / ${anchor.runningHash}, the log gives ${point.count} / ${point.runningHash}`,
      };
    }
    this.anchorsChecked += 1;
    if (!this.anchored || anchor.count > this.anchored.count) this.anchored = { position: anchor.position, count: anchor.count };
    return undefined;
  }
}

/** Verifies events read in log order; stops reading at the first break. */
export async function verifyLedger(
  events: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>,
  options: LedgerVerifierOptions & { onProgress?(checked: number): void } = {},
): Promise<LedgerVerification> {
  const verifier = new LedgerVerifier(options);
  let checked = 0;
  for await (const event of events) {
    verifier.push(event);
    options.onProgress?.(++checked);
    if (verifier.broken) break;
  }
  return verifier.finish();
}
