import { createHash } from 'node:crypto';
import { bytesEqual } from './encoding.js';

/**
 * The Merkle tree of RFC 9162 section 2.1 (the same as RFC 6962's): SHA-256 with 0x00 and 0x01 domain
 * separation for leaves and interior nodes. Sizes and indexes are JavaScript numbers, exact up to 2^53.
 *
 * Node (level, index) is the root of the complete subtree over leaves [index * 2^level, (index + 1) * 2^level).
 * Only complete subtrees are ever stored: the hash of a right edge that is not complete yet (an "ephemeral"
 * node) is recomputed from the complete subtrees that cover it, so stored nodes never change after they are
 * written and a proof reads O(log n) of them.
 */
export type Hash = Uint8Array;

export const HASH_SIZE = 32;

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = sha256();

export function leafHash(input: Uint8Array): Hash {
  return sha256(LEAF_PREFIX, input);
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE_PREFIX, left, right);
}

export interface NodeId {
  readonly level: number;
  readonly index: number;
}

export interface NodeWrite extends NodeId {
  readonly hash: Hash;
}

/** Where proofs read stored subtree hashes from: a complete subtree's node, or a throw if it is not stored. */
export interface TreeHashes {
  node(level: number, index: number): Hash;
}

/** A half-open range of leaves [start, end) whose MTH is one element of a proof. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** MTH(D[n]) by the definition (RFC 9162 2.1.1), from the leaf hashes: O(n), for references and small trees. */
export function merkleTreeHash(leafHashes: readonly Hash[]): Hash {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  if (leafHashes.length === 1) return leafHashes[0];
  const k = largestPowerOfTwoBelow(leafHashes.length);
  return nodeHash(merkleTreeHash(leafHashes.slice(0, k)), merkleTreeHash(leafHashes.slice(k)));
}

/**
 * The complete subtrees that exactly cover [start, end), left to right (a compact range). For the ranges a
 * proof uses, start is aligned so the levels strictly decrease and the range's MTH is their right fold.
 */
export function rangeNodes(start: number, end: number): NodeId[] {
  assertIndex(start, 'start');
  assertIndex(end, 'end');
  if (start > end) throw new RangeError(`start ${start} > end ${end}`);
  const nodes: NodeId[] = [];
  while (start < end) {
    let level = bitLength(end - start) - 1;
    while (start % POW2[level] !== 0) level--;
    nodes.push({ level, index: start / POW2[level] });
    start += POW2[level];
  }
  return nodes;
}

/** MTH(D[start:end]) from stored nodes, for ranges whose start is aligned as in proofs and roots. */
export function rangeHash(tree: TreeHashes, range: LeafRange): Hash {
  const nodes = rangeNodes(range.start, range.end);
  if (nodes.length === 0) return EMPTY_ROOT;
  let hash = tree.node(nodes[nodes.length - 1].level, nodes[nodes.length - 1].index);
  for (let i = nodes.length - 2; i >= 0; i--) hash = nodeHash(tree.node(nodes[i].level, nodes[i].index), hash);
  return hash;
}

/** The tree head of any size up to what is stored: O(log n) reads and hashes. */
export function treeRoot(tree: TreeHashes, size: number): Hash {
  return rangeHash(tree, { start: 0, end: size });
}

/**
 * The leaf ranges whose hashes form PATH(index, D[size]) (RFC 9162 2.1.3.1), in proof order. An adapter
 * over an asynchronous store can read every node of every range in one batch, then build the proof.
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  assertIndex(index, 'index');
  assertIndex(size, 'size');
  if (index >= size) throw new RangeError(`index ${index} is not below size ${size}`);
  const ranges: LeafRange[] = [];
  let offset = 0;
  let n = size;
  let m = index;
  while (n > 1) {
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      ranges.push({ start: offset + k, end: offset + n });
      n = k;
    } else {
      ranges.push({ start: offset, end: offset + k });
      m -= k;
      offset += k;
      n -= k;
    }
  }
  return ranges.reverse();
}

/**
 * The leaf ranges whose hashes form PROOF(from, D[size]) (RFC 9162 2.1.4.1), in proof order. The empty tree
 * has no proof (it is consistent with every tree, C2SP tlog-witness sends none), so from must be at least 1.
 */
export function consistencyRanges(from: number, size: number): LeafRange[] {
  assertIndex(from, 'from');
  assertIndex(size, 'size');
  if (from === 0) throw new RangeError('no consistency proof from the empty tree: none is needed');
  if (from > size) throw new RangeError(`from ${from} is beyond size ${size}`);
  const ranges: LeafRange[] = [];
  let offset = 0;
  let n = size;
  let m = from;
  let whole = true; // the SUBPROOF flag b: is D[offset:offset+m] a tree head the verifier already holds?
  while (m !== n) {
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      ranges.push({ start: offset + k, end: offset + n });
      n = k;
    } else {
      ranges.push({ start: offset, end: offset + k });
      m -= k;
      offset += k;
      n -= k;
      whole = false;
    }
  }
  if (!whole) ranges.push({ start: offset, end: offset + n });
  return ranges.reverse();
}

export function inclusionProof(tree: TreeHashes, index: number, size: number): Hash[] {
  return inclusionRanges(index, size).map((range) => rangeHash(tree, range));
}

export function consistencyProof(tree: TreeHashes, from: number, size: number): Hash[] {
  return consistencyRanges(from, size).map((range) => rangeHash(tree, range));
}

/** RFC 9162 2.1.3.2. False for any malformed argument, never a throw: proofs come from the network. */
export function verifyInclusion(index: number, size: number, leaf: Hash, proof: readonly Hash[], root: Hash): boolean {
  if (!isIndex(index) || !isIndex(size) || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (
        fn % 2 === 0 &&
        // Stryker disable next-line ConditionalExpression: RFC 9162's guard against an endless loop; an even fn here is fn = sn, and sn > 0 (checked above), so halving turns it odd before 0
        fn !== 0
      ) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * RFC 9162 2.1.4.2, plus the equal-sizes case (an empty proof and equal roots). A proof from the empty tree
 * is refused like a malformed one: there is none to check (see consistencyRanges).
 */
export function verifyConsistency(from: number, size: number, proof: readonly Hash[], fromRoot: Hash, root: Hash): boolean {
  if (!isIndex(from) || !isIndex(size) || from === 0 || from > size) return false;
  if (!isHash(fromRoot) || !isHash(root) || !proof.every(isHash)) return false;
  if (from === size) return proof.length === 0 && bytesEqual(fromRoot, root);
  // Stryker disable next-line ConditionalExpression: kept as the first refusal of an empty proof; without it, such a proof leaves sn > 0 below (from < size) and fails there
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = size - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (
        fn % 2 === 0 &&
        // Stryker disable next-line ConditionalExpression: as in verifyInclusion, an even fn here is fn = sn > 0 (checked above): it turns odd before 0
        fn !== 0
      ) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, fromRoot) && bytesEqual(sr, root);
}

/**
 * The right edge of the tree (its compact range [0, size)): one hash per set bit of the size. An append costs
 * one node hash amortised (one per trailing one bit of the size) and returns every subtree it completed, the
 * leaf included, for the caller to persist; the root of the current size costs popcount(size) - 1 hashes.
 * Memory is O(log n), so it also rebuilds the tree while streaming a log.
 */
export class CompactRange {
  #size: number;
  readonly #nodes: Hash[];

  /** nodes: the hashes of rangeNodes(0, size), left to right, as nodes() returned them. */
  constructor(size = 0, nodes: readonly Hash[] = []) {
    assertIndex(size, 'size');
    if (nodes.length !== popCount(size) || !nodes.every(isHash)) {
      throw new RangeError(`a compact range of size ${size} has ${popCount(size)} hashes of ${HASH_SIZE} bytes`);
    }
    this.#size = size;
    this.#nodes = [...nodes];
  }

  /** Resumes appending where stored nodes end. */
  static fromTree(tree: TreeHashes, size: number): CompactRange {
    return new CompactRange(
      size,
      rangeNodes(0, size).map((id) => tree.node(id.level, id.index)),
    );
  }

  get size(): number {
    return this.#size;
  }

  nodes(): Hash[] {
    return [...this.#nodes];
  }

  append(leaf: Hash): NodeWrite[] {
    if (!isHash(leaf)) throw new RangeError(`a leaf hash has ${HASH_SIZE} bytes`);
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('the tree is full');
    const written: NodeWrite[] = [{ level: 0, index: this.#size, hash: leaf }];
    let hash = leaf;
    let level = 0;
    let index = this.#size;
    while (index % 2 === 1) {
      hash = nodeHash(this.#nodes.pop()!, hash);
      index = (index - 1) / 2;
      level++;
      written.push({ level, index, hash });
    }
    this.#nodes.push(hash);
    this.#size++;
    return written;
  }

  root(): Hash {
    if (this.#nodes.length === 0) return EMPTY_ROOT;
    let hash = this.#nodes[this.#nodes.length - 1];
    for (let i = this.#nodes.length - 2; i >= 0; i--) hash = nodeHash(this.#nodes[i], hash);
    return hash;
  }
}

/**
 * Every complete subtree, in memory: one contiguous buffer per level (32 bytes a node, about 64 MB for a
 * million leaves). Nodes are written in order, as CompactRange.append returns them.
 */
export class MemoryTreeHashes implements TreeHashes {
  readonly #levels: Buffer[] = [];
  readonly #counts: number[] = [];

  put(nodes: readonly NodeWrite[]): void {
    for (const { level, index, hash } of nodes) {
      const count = this.#counts[level] ?? 0;
      if (index !== count) throw new RangeError(`node (${level}, ${index}) written out of order: ${count} stored`);
      if (!isHash(hash)) throw new RangeError(`a node hash has ${HASH_SIZE} bytes`);
      let buffer = this.#levels[level];
      const needed = (count + 1) * HASH_SIZE;
      // A full level doubles: amortised O(1) copies a node.
      // Stryker disable next-line ConditionalExpression,EqualityOperator: growing at every write, or one write early, only copies more: the level holds the same nodes
      if (buffer === undefined || buffer.length < needed) {
        const grown = Buffer.alloc(Math.max(1024, needed * 2));
        buffer?.copy(grown);
        buffer = grown;
        this.#levels[level] = buffer;
      }
      buffer.set(hash, count * HASH_SIZE);
      this.#counts[level] = count + 1;
    }
  }

  /** The number of leaves stored. */
  get size(): number {
    return this.#counts[0] ?? 0;
  }

  node(level: number, index: number): Hash {
    if (!(index < (this.#counts[level] ?? 0))) throw new RangeError(`node (${level}, ${index}) is not stored`);
    return this.#levels[level].subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const POW2: readonly number[] = Array.from({ length: 54 }, (_, i) => 2 ** i);

function sha256(...parts: Uint8Array[]): Hash {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function isHash(value: unknown): value is Hash {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function isIndex(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function assertIndex(value: number, name: string): void {
  if (!isIndex(value)) throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
}

function bitLength(n: number): number {
  let bits = 0;
  while (n >= 2 ** 32) {
    n = Math.floor(n / 2 ** 32);
    bits += 32;
  }
  return bits + 32 - Math.clz32(n);
}

/** k of RFC 9162: the largest power of two smaller than n (n >= 2). */
function largestPowerOfTwoBelow(n: number): number {
  return POW2[bitLength(n - 1) - 1];
}

function isPowerOfTwo(n: number): boolean {
  return (
    POW2[bitLength(n) - 1] === n &&
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the only caller passes from >= 1, and for 0 POW2[-1] is undefined anyway
    n > 0
  );
}

function popCount(n: number): number {
  let count = 0;
  while (n > 0) {
    count += n % 2;
    n = Math.floor(n / 2);
  }
  return count;
}
