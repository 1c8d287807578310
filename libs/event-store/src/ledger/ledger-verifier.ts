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
 *     RUNNING_HASH_MISMATCH  the anchor's count and runningHash equal those recomputed at its `position`;
 *     and for a v2 anchor, its signed checkpoint note:
 *     CHECKPOINT_MALFORMED  a `note` that is no signed C2SP checkpoint;
 *     CHECKPOINT_SIGNATURE_INVALID  with a key, the note is not signed by it under the checkpoint's origin
 *                        (or, with a verifier key, the origin is not that key's name);
 *     CHECKPOINT_ROOT_MISMATCH  its size is not the anchor's count, or its root is not the RFC 9162 root of
 *                        the tree the verifier rebuilds from the events read (leaf input: each event's hash).
 *
 * Edits inside a stream break that stream (1-4) at the edited or the following event. Removing a
 * whole stream, or the last events of a stream, or reordering the log keeps every stream chain intact
 * and shows up only at the next anchor (5), which is then the event reported. Events after the last
 * anchor are reported as `unanchored`: their removal from the end of the log cannot be detected.
 *
 * Memory: one entry per stream (last revision and hash), plus the running hashes and leaf hashes of the last
 * `anchorLookback` chained events, because an anchor may be appended a little after the position it
 * covers (appends of other streams can land in between); the tree itself is a compact range, O(log n).
 */
import type { KeyObject } from 'node:crypto';
import type { RecordedEvent } from '../port/envelope.js';
import { computeEventHash } from '../integrity/integrity.js';
import { openCheckpoint, parseCheckpoint, type Checkpoint } from '../transparency/checkpoint.js';
import { TransparencyError } from '../transparency/errors.js';
import { CompactRange, EMPTY_ROOT, leafHash, type Hash } from '../transparency/merkle.js';
import { formatVerifierKey, parseNote, parseVerifierKey, type NoteVerifier } from '../transparency/note.js';
import {
  ANCHOR_EVENT_TYPE,
  GENESIS_HASH,
  isChained,
  leafInput,
  nextRunningHash,
  verifyAnchorSignature,
  type AnchorData,
} from './anchor.js';

export const LEDGER_BREAK_REASONS = [
  'HASH_MISMATCH',
  'REVISION_GAP',
  'PREV_HASH_MISMATCH',
  'POSITION_ORDER',
  'RUNNING_HASH_MISMATCH',
  'ANCHOR_SIGNATURE_INVALID',
  'ANCHOR_UNSIGNED',
  'CHECKPOINT_MALFORMED',
  'CHECKPOINT_SIGNATURE_INVALID',
  'CHECKPOINT_ROOT_MISMATCH',
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
  /** Anchors whose statement (and signature, with a key) held, and for a v2 anchor its checkpoint. */
  anchorsChecked: number;
  /** The position covered by the furthest verified anchor, or null when none was. */
  lastAnchorPosition: number | null;
  /** Chained events after the last verified anchor ('streams' scope: every chained event checked). */
  unanchored: number;
  firstBroken?: LedgerBreak;
}

export interface LedgerVerifierOptions {
  /**
   * Ed25519 public key: every anchor must then be signed by it, and every checkpoint note by it under the
   * checkpoint's origin as key name. Without a key (nor verifierKey), signatures are not checked.
   */
  publicKey?: KeyObject;
  /**
   * The checkpoints' C2SP note verifier key (`<origin>+<8 hex>+<base64>`): every v2 anchor's note must be
   * signed by it, for that origin. The anchors' own signatures are checked only with publicKey.
   */
  verifierKey?: string;
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
  private readonly noteVerifier?: NoteVerifier;
  private readonly tree: TreeHistory;
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
    this.noteVerifier = options.verifierKey === undefined ? undefined : parseVerifierKey(options.verifierKey);
    this.tree = new TreeHistory(this.lookback);
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
    return {
      valid: !this.firstBroken,
      checked: this.checked,
      anchorsChecked: this.anchorsChecked,
      lastAnchorPosition: this.anchored?.position ?? null,
      // In scope 'streams' no anchor is checked (anchored stays null): every chained event is unanchored.
      unanchored: this.chained - (this.anchored?.count ?? 0),
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
      // Stryker disable next-line ConditionalExpression: in scope 'streams' nothing reads the running hash, tree or recent positions (no anchor is checked); this only saves their cost.
      if (!ledger) return undefined;
      this.runningHash = nextRunningHash(this.runningHash, event.hash);
      this.tree.push(leafHash(leafInput(event)));
      this.recent.set(event.position, { count: this.chained, runningHash: this.runningHash });
      if (this.recent.size > this.lookback) this.recent.delete(this.recent.keys().next().value!);
      return undefined;
    }
    if (ledger && event.type === ANCHOR_EVENT_TYPE) return this.checkAnchor(event.data, event.schemaVersion);
    return undefined;
  }

  private checkAnchor(data: Record<string, unknown>, schemaVersion: number): Pick<LedgerBreak, 'reason' | 'detail'> | undefined {
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
      // Stryker disable next-line EqualityOperator: a position equal to the oldest kept one is in `recent`, so it never gets here.
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
    if (schemaVersion >= 2) {
      const broken = this.checkCheckpoint(data.note, anchor.count);
      if (broken) return broken;
    }
    this.anchorsChecked += 1;
    // Stryker disable next-line EqualityOperator: two verified anchors of the same count cover the same position (the count is its rank), so replacing one by the other changes nothing.
    if (!this.anchored || anchor.count > this.anchored.count) this.anchored = { position: anchor.position, count: anchor.count };
    return undefined;
  }

  /** A v2 anchor's note: signed (with a key), a checkpoint of `count` leaves, with the root the events give. */
  private checkCheckpoint(note: unknown, count: number): Pick<LedgerBreak, 'reason' | 'detail'> | undefined {
    if (typeof note !== 'string') return { reason: 'CHECKPOINT_MALFORMED', detail: 'a v2 anchor without its checkpoint note' };
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(parseNote(note).text);
      const verifier = this.noteVerifier ?? (this.publicKey ? noteVerifierOf(this.publicKey, checkpoint.origin) : undefined);
      if (verifier) openCheckpoint(note, [verifier], verifier.name);
    } catch (error) {
      const code = error instanceof TransparencyError ? error.code : undefined;
      const signature = code === 'NOTE_SIGNATURE_INVALID' || code === 'NOTE_UNVERIFIED' || code === 'ORIGIN_MISMATCH';
      return { reason: signature ? 'CHECKPOINT_SIGNATURE_INVALID' : 'CHECKPOINT_MALFORMED', detail: (error as Error).message };
    }
    if (checkpoint.size !== count) {
      return {
        reason: 'CHECKPOINT_ROOT_MISMATCH',
        detail: `the checkpoint is of size ${checkpoint.size}, the anchor covers ${count} events`,
      };
    }
    const root = this.tree.root(count);
    // Stryker disable next-line ConditionalExpression,BlockStatement: unreachable while the tree keeps at least the sizes `recent` does (a count has passed the running-hash check); kept as a guard.
    if (root === undefined) {
      // Stryker disable next-line ObjectLiteral,StringLiteral: unreachable, see above.
      return { reason: 'CHECKPOINT_ROOT_MISMATCH', detail: `checkpoint of size ${count}, more than ${this.lookback} leaves back` };
    }
    if (!Buffer.from(root).equals(checkpoint.root)) {
      return { reason: 'CHECKPOINT_ROOT_MISMATCH', detail: `the root of the tree of ${count} events is not the checkpoint's` };
    }
    return undefined;
  }
}

/** The note verifier of an Ed25519 public key under a key name. */
function noteVerifierOf(publicKey: KeyObject, name: string): NoteVerifier {
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  return parseVerifierKey(formatVerifierKey(name, raw));
}

/** Leaves per snapshot of the compact range: a past root costs at most this many hashes. */
const SNAPSHOT_EVERY = 256;

/**
 * The tree of the leaves read so far (a compact range), and enough of its recent past to give the root of
 * any of the last `keep` sizes: a snapshot of the range every SNAPSHOT_EVERY leaves, with the leaves since.
 */
class TreeHistory {
  private readonly range = new CompactRange();
  /** Snapshots by size (a multiple of SNAPSHOT_EVERY), oldest first, each with the leaves that followed it. */
  private readonly chunks = new Map<number, { nodes: Hash[]; leaves: Hash[] }>();
  private last: { nodes: Hash[]; leaves: Hash[] } | undefined;

  constructor(private readonly keep: number) {}

  push(leaf: Hash): void {
    if (this.range.size % SNAPSHOT_EVERY === 0) {
      this.last = { nodes: this.range.nodes(), leaves: [] };
      this.chunks.set(this.range.size, this.last);
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: memory only. Keeping more snapshots changes no result, and `>=` keeps one fewer only when keep is a multiple of 256, still enough for the last `keep` sizes.
      if (this.chunks.size * SNAPSHOT_EVERY > this.keep + 2 * SNAPSHOT_EVERY) this.chunks.delete(this.chunks.keys().next().value!);
    }
    this.range.append(leaf);
    this.last!.leaves.push(leaf);
  }

  /** The root of the tree of `size` leaves, or undefined when that size is too far back (or ahead). */
  root(size: number): Hash | undefined {
    if (size === this.range.size) return this.range.root();
    // The empty tree's root is known however far back it is: a checkpoint of size 0 after many events is honest.
    if (size === 0) return EMPTY_ROOT;
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: the only caller passes a count in 1..range.size (sizes 0 and range.size are handled above); kept as a guard.
    if (size > this.range.size || size < 0) return undefined;
    const start = size - (size % SNAPSHOT_EVERY);
    const chunk = this.chunks.get(start);
    // Stryker disable next-line ConditionalExpression: unreachable while the snapshots cover the last `keep` sizes (the lookback specs check the boundary); kept as a guard.
    if (!chunk) return undefined;
    const range = new CompactRange(start, chunk.nodes);
    for (const leaf of chunk.leaves.slice(0, size - start)) range.append(leaf);
    return range.root();
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
