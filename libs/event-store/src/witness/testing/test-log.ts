import { createHash } from 'node:crypto';
import {
  CompactRange,
  MemoryTreeHashes,
  consistencyProof,
  ed25519Signer,
  inclusionProof,
  leafHash,
  signCheckpoint,
  treeRoot,
  type Ed25519NoteSigner,
  type Hash,
} from '../../transparency/index.js';

/**
 * A transparency log in memory for specs: leaves are SHA-256 of a label (as the ledger's are event hashes),
 * checkpoints of any past size signed by a key of the origin's name. Two logs with one seed and origin but
 * other labels are a fork: the same key signing two histories.
 */
export class TestLog {
  readonly signer: Ed25519NoteSigner;
  readonly hashes = new MemoryTreeHashes();
  private readonly range = new CompactRange();
  /** The 32-byte inputs of the leaves, in order. */
  readonly inputs: Hash[] = [];

  constructor(
    readonly origin = 'ledger.test/log',
    seed: Uint8Array = createHash('sha256').update('test log key').digest(),
    private readonly label = 'event',
  ) {
    this.signer = ed25519Signer(origin, seed);
  }

  get size(): number {
    return this.range.size;
  }

  get verifierKey(): string {
    return this.signer.verifierKey;
  }

  /** Appends `count` leaves whose inputs are SHA-256 of a label and the index. */
  append(count: number): this {
    for (let i = 0; i < count; i++) this.appendInput(createHash('sha256').update(`${this.label} ${this.range.size}`).digest());
    return this;
  }

  /** Appends one leaf of this 32-byte input (an event's hash bytes, as the ledger's leaves are). */
  appendInput(input: Uint8Array): number {
    this.inputs.push(new Uint8Array(input));
    this.hashes.put(this.range.append(leafHash(input)));
    return this.range.size - 1;
  }

  root(size = this.size): Hash {
    return treeRoot(this.hashes, size);
  }

  /** The signed note of the tree of `size`. */
  checkpoint(size = this.size): string {
    return signCheckpoint({ origin: this.origin, size, root: this.root(size) }, this.signer);
  }

  consistency(from: number, size = this.size): Hash[] {
    return from === 0 || from === size ? [] : consistencyProof(this.hashes, from, size);
  }

  inclusion(leaf: number, size = this.size): Hash[] {
    return inclusionProof(this.hashes, leaf, size);
  }
}
