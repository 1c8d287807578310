/**
 * The ledger as a transparency log (RFC 9162 tree, C2SP signed checkpoints): what the routes, the views and the
 * witness pusher need of it. Leaves are the ledger's events in log order, except its own anchor/checkpoint events;
 * leaf i's input is the 32 bytes of that event's `hash`.
 */
export interface SignedCheckpoint {
  /** Tree size: leaves covered. */
  size: number;
  /** Root hash (32 bytes) of the tree of that size. */
  root: Uint8Array;
  /** The C2SP signed note: `<origin>\n<size>\n<base64 root>\n`, a blank line, the log's signature line. */
  note: string;
  /** Cosignature lines (C2SP tlog-cosignature) that witnesses returned for this checkpoint, verified, one per witness key. */
  cosignatures: string[];
}

export interface TransparencyLog {
  /** The checkpoint origin (LEDGER_ORIGIN); also the signing key's name. */
  origin(): string;
  /** The note verifier key of the log's signing key: `<name>+<8 hex>+<base64(0x01 || key)>`. */
  verifierKey(): string;
  /** The latest signed checkpoint, null before the first. */
  latest(): Promise<SignedCheckpoint | null>;
  /** Calls `listener` after each new checkpoint is signed and recorded; returns the unsubscribe function. */
  onCheckpoint(listener: (checkpoint: SignedCheckpoint) => void): () => void;
  /** RFC 9162 inclusion path of `leaf` in the tree of `size` (size at most the latest checkpoint's). */
  inclusionProof(leaf: number, size: number): Promise<Uint8Array[]>;
  /** RFC 9162 consistency path from the tree of `from` leaves to the tree of `size` leaves. */
  consistencyProof(from: number, size: number): Promise<Uint8Array[]>;
  /** Leaf index of the events at these log positions: null for an event that is no leaf or not in the tree yet. */
  leavesOf(positions: number[]): Promise<Map<number, number | null>>;
  /**
   * Keeps a witness's cosignature line for this checkpoint (its size and root; across restarts), replacing
   * that witness key's older line, and serves it with that checkpoint only. `witnessKey` is the witness's
   * cosignature verifier key: the line is verified with it when stored and again before it is served.
   */
  addCosignature(checkpoint: Pick<SignedCheckpoint, 'size' | 'root'>, line: string, witnessKey: string): Promise<void>;
}

export const TRANSPARENCY_LOG = Symbol('TRANSPARENCY_LOG');
