import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  CompactRange,
  EMPTY_ROOT,
  MemoryTreeHashes,
  consistencyProof,
  consistencyRanges,
  inclusionProof,
  inclusionRanges,
  leafHash,
  merkleTreeHash,
  nodeHash,
  rangeNodes,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Hash => new Uint8Array(Buffer.from(text, 'hex'));
const unb64 = (text: string | null): Hash => new Uint8Array(Buffer.from(text ?? '', 'base64'));

// The RFC 6962 reference tree: the 8 leaf inputs, the tree heads of sizes 0..8 and the stored node hashes of
// the 8-leaf tree, from github.com/transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes,
// NodeHashes; the same values as certificate-transparency's merkle_tree_test.cc).
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

// Published proofs over the reference tree: github.com/transparency-dev/merkle cmd/proofgen/main.go
// (inclusionProofs, consistencyProofs; the CT test data). proofgen numbers leaves from 1: here from 0.
const INCLUSION_VECTORS: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CONSISTENCY_VECTORS: { from: number; size: number; proof: string[] }[] = [
  { from: 1, size: 1, proof: [] },
  {
    from: 1,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    size: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    size: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 6,
    size: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

// Every inclusion and consistency probe of github.com/transparency-dev/merkle testdata/ (happy paths and
// their mutations, each with wantErr), copied verbatim into testdata/merkle-probes.json.
interface Probes {
  inclusion: {
    leafIdx: number;
    treeSize: number;
    root: string | null;
    leafHash: string | null;
    proof: string[] | null;
    desc: string;
    wantErr: boolean;
    file: string;
  }[];
  consistency: {
    size1: number;
    size2: number;
    root1: string | null;
    root2: string | null;
    proof: string[] | null;
    desc: string;
    wantErr: boolean;
    file: string;
  }[];
}
// MUTATION_QUICK=1 (mutation testing, where these specs run once per mutant): smaller random trees and fewer
// runs, still large enough to catch every mutant of merkle.ts that the full sizes catch; `npm test` runs the full sizes.
const QUICK = process.env.MUTATION_QUICK === '1';
const MAX_LEAVES = QUICK ? 100 : 1000;
const ALL_PAIRS_UP_TO = QUICK ? 40 : 128;
const TREE_RUNS = QUICK ? 4 : 12;
const FLIP_RUNS = QUICK ? 15 : 40;
// A failing property is a killed mutant there: no time spent shrinking it.
const quickly = QUICK ? { endOnFailure: true } : {};

const PROBES = JSON.parse(readFileSync(new URL('./testdata/merkle-probes.json', import.meta.url), 'utf8')) as Probes;

function buildTree(leaves: readonly Hash[]): { tree: MemoryTreeHashes; roots: Hash[] } {
  const tree = new MemoryTreeHashes();
  const range = new CompactRange();
  const roots = [range.root()];
  for (const leaf of leaves) {
    tree.put(range.append(leaf));
    roots.push(range.root());
  }
  return { tree, roots };
}

const referenceLeaves = LEAF_INPUTS.map((input) => leafHash(unhex(input)));
const reference = buildTree(referenceLeaves);

function flipped(bytes: Hash, at: number): Hash {
  const copy = new Uint8Array(bytes);
  copy[at % copy.length] ^= 1 << (at % 8);
  return copy;
}

describe('the RFC 6962 reference tree', () => {
  it('has the published tree head at every size 0..8, by the definition, the compact range and stored nodes', () => {
    for (let size = 0; size <= 8; size++) {
      expect(hex(merkleTreeHash(referenceLeaves.slice(0, size)))).toBe(ROOTS[size]);
      expect(hex(reference.roots[size])).toBe(ROOTS[size]);
      expect(hex(treeRoot(reference.tree, size))).toBe(ROOTS[size]);
    }
    expect(hex(EMPTY_ROOT)).toBe(ROOTS[0]);
  });

  it('stores exactly the published node hashes of the complete subtrees', () => {
    NODE_HASHES.forEach((level, l) => level.forEach((hash, i) => expect(hex(reference.tree.node(l, i))).toBe(hash)));
    expect(() => reference.tree.node(0, 8)).toThrow('not stored');
    expect(() => reference.tree.node(4, 0)).toThrow('not stored');
  });

  it('hashes leaves and nodes with the 0x00 and 0x01 prefixes', () => {
    expect(hex(leafHash(new Uint8Array()))).toBe(NODE_HASHES[0][0]);
    expect(hex(nodeHash(unhex(NODE_HASHES[0][0]), unhex(NODE_HASHES[0][1])))).toBe(NODE_HASHES[1][0]);
  });

  it('generates the published inclusion proofs, which verify', () => {
    for (const { index, size, proof } of INCLUSION_VECTORS) {
      const generated = inclusionProof(reference.tree, index, size);
      expect(generated.map(hex)).toEqual(proof);
      expect(verifyInclusion(index, size, referenceLeaves[index], generated, unhex(ROOTS[size]))).toBe(true);
    }
  });

  it('generates the published consistency proofs, which verify', () => {
    for (const { from, size, proof } of CONSISTENCY_VECTORS) {
      const generated = consistencyProof(reference.tree, from, size);
      expect(generated.map(hex)).toEqual(proof);
      expect(verifyConsistency(from, size, generated, unhex(ROOTS[from]), unhex(ROOTS[size]))).toBe(true);
    }
  });
});

describe('the published proof probes (transparency-dev/merkle testdata)', () => {
  it.each(PROBES.inclusion.map((p) => [p.file, p] as const))('inclusion %s', (_file, p) => {
    const ok = verifyInclusion(p.leafIdx, p.treeSize, unb64(p.leafHash), (p.proof ?? []).map(unb64), unb64(p.root));
    expect(ok).toBe(!p.wantErr);
  });

  it.each(PROBES.consistency.map((p) => [p.file, p] as const))('consistency %s', (_file, p) => {
    const ok = verifyConsistency(p.size1, p.size2, (p.proof ?? []).map(unb64), unb64(p.root1), unb64(p.root2));
    // Stricter than the Go verifier on purpose: a "root" that is not 32 bytes is refused even when the sizes
    // are equal and nothing is hashed (one probe, whose roots are the 12-byte text "don't care 2").
    const notHashes = unb64(p.root1).length !== 32 || unb64(p.root2).length !== 32;
    expect(ok).toBe(!p.wantErr && !notHashes);
  });

  it('is stricter than the Go verifier in one probe only', () => {
    const differing = PROBES.consistency.filter((p) => !p.wantErr && unb64(p.root1).length !== 32);
    expect(differing.map((p) => p.file)).toEqual(['testdata/consistency/additional/sizes-are-equal-one-and-proof-is-empty.json']);
  });

  it('covers both outcomes', () => {
    expect(PROBES.inclusion.filter((p) => !p.wantErr).length).toBeGreaterThan(4);
    expect(PROBES.consistency.filter((p) => !p.wantErr).length).toBeGreaterThan(4);
    expect(PROBES.inclusion.length + PROBES.consistency.length).toBeGreaterThan(150);
  });
});

function leavesFor(seed: number, n: number): Hash[] {
  return Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`${seed}:${i}`)));
}

describe('random trees (property)', () => {
  it('every leaf has a verifying inclusion proof and every smaller size a verifying consistency proof', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_LEAVES }), fc.integer(), (n, seed) => {
        const leaves = leavesFor(seed, n);
        const { tree, roots } = buildTree(leaves);
        expect(hex(roots[n])).toBe(hex(merkleTreeHash(leaves)));
        for (let i = 0; i < n; i++) {
          if (!verifyInclusion(i, n, leaves[i], inclusionProof(tree, i, n), roots[n])) return false;
        }
        for (let m = 1; m <= n; m++) {
          if (!verifyConsistency(m, n, consistencyProof(tree, m, n), roots[m], roots[n])) return false;
        }
        return true;
      }),
      { numRuns: TREE_RUNS, ...quickly },
    );
  });

  it(`every pair of sizes up to ${ALL_PAIRS_UP_TO} has a verifying consistency proof, and inclusion at every size`, () => {
    const leaves = leavesFor(7, ALL_PAIRS_UP_TO);
    const { tree, roots } = buildTree(leaves);
    for (let n = 1; n <= ALL_PAIRS_UP_TO; n++) {
      for (let m = 1; m <= n; m++) {
        expect(verifyConsistency(m, n, consistencyProof(tree, m, n), roots[m], roots[n])).toBe(true);
        expect(verifyInclusion(m - 1, n, leaves[m - 1], inclusionProof(tree, m - 1, n), roots[n])).toBe(true);
      }
    }
  });

  const sized = fc
    .integer({ min: 2, max: MAX_LEAVES })
    .chain((n) => fc.record({ n: fc.constant(n), a: fc.integer({ min: 0, max: n - 1 }), seed: fc.integer(), at: fc.nat() }));

  it('any flipped byte of an inclusion proof, its root or its leaf, or another leaf index, fails', () => {
    fc.assert(
      fc.property(sized, ({ n, a: index, seed, at }) => {
        const leaves = leavesFor(seed, n);
        const { tree, roots } = buildTree(leaves);
        const proof = inclusionProof(tree, index, n);
        const root = roots[n];
        expect(verifyInclusion(index, n, leaves[index], proof, root)).toBe(true);
        proof.forEach((_, k) => {
          const bad = proof.map((h, j) => (j === k ? flipped(h, at) : h));
          expect(verifyInclusion(index, n, leaves[index], bad, root)).toBe(false);
        });
        expect(verifyInclusion(index, n, flipped(leaves[index], at), proof, root)).toBe(false);
        expect(verifyInclusion(index, n, leaves[index], proof, flipped(root, at))).toBe(false);
        for (let other = 0; other < n; other++) {
          if (other !== index) expect(verifyInclusion(other, n, leaves[index], proof, root)).toBe(false);
        }
        expect(verifyInclusion(index, n, leaves[index], proof.slice(1), root)).toBe(false);
        expect(verifyInclusion(index, n, leaves[index], [...proof, root], root)).toBe(false);
        expect(verifyInclusion(index, n * 2, leaves[index], proof, root)).toBe(false);
      }),
      { numRuns: FLIP_RUNS, ...quickly },
    );
  });

  it('any flipped byte of a consistency proof or either root, or another size, fails', () => {
    fc.assert(
      fc.property(sized, ({ n, a, seed, at }) => {
        const from = a + 1;
        fc.pre(from < n);
        const leaves = leavesFor(seed, n);
        const { tree, roots } = buildTree(leaves);
        const proof = consistencyProof(tree, from, n);
        expect(verifyConsistency(from, n, proof, roots[from], roots[n])).toBe(true);
        proof.forEach((_, k) => {
          const bad = proof.map((h, j) => (j === k ? flipped(h, at) : h));
          expect(verifyConsistency(from, n, bad, roots[from], roots[n])).toBe(false);
        });
        expect(verifyConsistency(from, n, proof, flipped(roots[from], at), roots[n])).toBe(false);
        expect(verifyConsistency(from, n, proof, roots[from], flipped(roots[n], at))).toBe(false);
        // Another first size, with the root of that size, is a different claim: the proof must not fit it.
        for (let other = 1; other < n; other++) {
          if (other !== from) expect(verifyConsistency(other, n, proof, roots[other], roots[n])).toBe(false);
        }
        expect(verifyConsistency(from, n, proof.slice(1), roots[from], roots[n])).toBe(false);
        expect(verifyConsistency(from, n, [...proof, roots[n]], roots[from], roots[n])).toBe(false);
      }),
      { numRuns: FLIP_RUNS, ...quickly },
    );
  });

  it('binds the tree size only through the proof shape: the signed checkpoint must supply the size', () => {
    // RFC 9162 verification walks the bits of size - 1; leaf 0's path to the 8-leaf root has the same shape
    // for sizes 5..8, so the same proof and root verify for each. Verifiers take the size from the checkpoint.
    const proof = inclusionProof(reference.tree, 0, 8);
    const root = unhex(ROOTS[8]);
    expect([4, 5, 6, 7, 8, 9, 16].map((size) => verifyInclusion(0, size, referenceLeaves[0], proof, root))).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('proof planning', () => {
  it('needs O(log n) stored nodes for a proof in a tree of a million leaves', () => {
    const nodes = (ranges: { start: number; end: number }[]) => ranges.flatMap((r) => rangeNodes(r.start, r.end)).length;
    expect(inclusionRanges(123_456, 1_000_000)).toHaveLength(20);
    expect(nodes(inclusionRanges(123_456, 1_000_000))).toBeLessThanOrEqual(40);
    expect(nodes(consistencyRanges(999_999, 1_000_000))).toBeLessThanOrEqual(40);
    expect(inclusionRanges(2 ** 52, Number.MAX_SAFE_INTEGER)).toHaveLength(53);
    expect(() => inclusionRanges(0, 2 ** 53)).toThrow(RangeError);
  });

  it('refuses ranges that have no proof', () => {
    expect(() => inclusionRanges(3, 3)).toThrow(RangeError);
    expect(() => inclusionRanges(-1, 3)).toThrow(RangeError);
    expect(() => inclusionRanges(0.5, 3)).toThrow(RangeError);
    expect(() => consistencyRanges(0, 3)).toThrow('empty tree');
    expect(() => consistencyRanges(4, 3)).toThrow(RangeError);
    expect(consistencyRanges(3, 3)).toEqual([]);
    expect(() => inclusionProof(reference.tree, 0, 9)).toThrow('not stored');
  });

  it('covers a range with its complete subtrees, up to 2^53 - 1 leaves', () => {
    // [5, 13) is [5, 6) [6, 8) [8, 12) [12, 13): leaf 5, node (1, 3), node (2, 2), leaf 12.
    expect(rangeNodes(5, 13)).toEqual([
      { level: 0, index: 5 },
      { level: 1, index: 3 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(rangeNodes(3, 3)).toEqual([]);
    expect(rangeNodes(0, 2 ** 32)).toEqual([{ level: 32, index: 0 }]);
    expect(rangeNodes(2 ** 32 - 1, 2 ** 32 + 1)).toEqual([
      { level: 0, index: 2 ** 32 - 1 },
      { level: 0, index: 2 ** 32 },
    ]);
    expect(rangeNodes(0, Number.MAX_SAFE_INTEGER).map((node) => node.level)).toEqual(Array.from({ length: 53 }, (_, i) => 52 - i));
    expect(inclusionRanges(0, 2 ** 32 + 1)).toEqual([
      { start: 1, end: 2 },
      ...Array.from({ length: 31 }, (_, i) => ({ start: 2 ** (i + 1), end: 2 ** (i + 2) })),
      { start: 2 ** 32, end: 2 ** 32 + 1 },
    ]);
  });

  it('names the argument that is no index, and why a range has no proof', () => {
    expect(() => rangeNodes(-1, 3)).toThrow('start must be a non-negative safe integer, got -1');
    expect(() => rangeNodes(0, 2 ** 53)).toThrow('end must be a non-negative safe integer, got 9007199254740992');
    expect(() => rangeNodes(5, 3)).toThrow('start 5 > end 3');
    expect(() => inclusionRanges(0.5, 3)).toThrow('index must be a non-negative safe integer, got 0.5');
    expect(() => inclusionRanges(0, Number.NaN)).toThrow('size must be a non-negative safe integer, got NaN');
    expect(() => inclusionRanges(3, 3)).toThrow('index 3 is not below size 3');
    expect(() => consistencyRanges(-2, 3)).toThrow('from must be a non-negative safe integer, got -2');
    expect(() => consistencyRanges(1, Infinity)).toThrow('size must be a non-negative safe integer, got Infinity');
    expect(() => consistencyRanges(0, 3)).toThrow('no consistency proof from the empty tree: none is needed');
    expect(() => consistencyRanges(4, 3)).toThrow('from 4 is beyond size 3');
  });

  it('refuses sizes and indexes that are no safe integers, and arrays posing as hashes, instead of throwing', () => {
    // Decoded from JSON, a "hash" may be an array of 32 numbers: not a hash, even with the right bytes.
    const asArray = Array.from(referenceLeaves[0]) as unknown as Hash;
    expect(verifyInclusion(0, 1, referenceLeaves[0], [], referenceLeaves[0])).toBe(true);
    expect(verifyInclusion(0, 1, asArray, [], referenceLeaves[0])).toBe(false);
    expect(verifyInclusion(0, 1, referenceLeaves[0], [], asArray)).toBe(false);
    const pair = inclusionProof(reference.tree, 0, 2);
    expect(verifyInclusion(0, 2, referenceLeaves[0], pair, unhex(ROOTS[2]))).toBe(true);
    for (const [index, size] of [
      [0, 2.5],
      [0, -2],
      [0.5, 2],
      [-1, 2],
      [2, 2],
      [0, 2 ** 53 + 2],
    ]) {
      expect([index, size, verifyInclusion(index, size, referenceLeaves[0], pair, unhex(ROOTS[2]))]).toEqual([index, size, false]);
    }
    const toThree = consistencyProof(reference.tree, 2, 3);
    expect(verifyConsistency(2, 3, toThree, unhex(ROOTS[2]), unhex(ROOTS[3]))).toBe(true);
    for (const [from, size] of [
      [2, 3.5],
      [2.5, 3],
      [-2, 3],
      [2, -3],
      [4, 3],
      [2, 2 ** 53 + 3],
    ]) {
      expect([from, size, verifyConsistency(from, size, toThree, unhex(ROOTS[2]), unhex(ROOTS[3]))]).toEqual([from, size, false]);
    }
    // Either root alone an array, with the bytes of the right root: refused all the same.
    const rootAsArray = Array.from(unhex(ROOTS[2])) as unknown as Hash;
    expect(verifyConsistency(2, 2, [], rootAsArray, unhex(ROOTS[2]))).toBe(false);
    expect(verifyConsistency(2, 2, [], unhex(ROOTS[2]), rootAsArray)).toBe(false);
    expect(verifyConsistency(2, 3, [asArray], unhex(ROOTS[2]), unhex(ROOTS[3]))).toBe(false);
  });

  it('refuses a proof longer than the path', () => {
    // Leaf 1 at index 0 of a "tree of size 1" whose root is the 2-leaf root: the extra hash would fold it up to it.
    expect(verifyInclusion(0, 1, referenceLeaves[1], [referenceLeaves[0]], unhex(ROOTS[2]))).toBe(false);
    expect(verifyConsistency(1, 2, [referenceLeaves[1], referenceLeaves[2]], referenceLeaves[0], unhex(ROOTS[2]))).toBe(false);
  });

  it('refuses a consistency proof longer than the path, even one whose claimed roots fold the extra hash in', () => {
    // 3 to 4 (3 is no power of two: the proof alone starts the fold). Folded on past the path, an extra hash c would
    // make the roots H(c, old root) and H(c, new root): claimed as such, the proof is still refused.
    const proof = consistencyProof(reference.tree, 3, 4);
    expect(verifyConsistency(3, 4, proof, unhex(ROOTS[3]), unhex(ROOTS[4]))).toBe(true);
    const extra = referenceLeaves[7];
    expect(verifyConsistency(3, 4, [...proof, extra], nodeHash(extra, unhex(ROOTS[3])), nodeHash(extra, unhex(ROOTS[4])))).toBe(false);
  });

  it('refuses a claim from a larger size to a smaller one, even one whose hashes would fold', () => {
    // From 3 to 2 with the proof [leaf 0, leaf 1] and "old root" leaf 0: the fold gives both roots.
    expect(verifyConsistency(3, 2, [referenceLeaves[0], referenceLeaves[1]], referenceLeaves[0], unhex(ROOTS[2]))).toBe(false);
  });

  it('an empty proof proves nothing between different sizes', () => {
    const { roots } = buildTree(leavesFor(3, 33));
    for (let size = 2; size <= 33; size++) {
      for (let from = 1; from < size; from++) {
        expect([from, size, verifyConsistency(from, size, [], roots[from], roots[size])]).toEqual([from, size, false]);
      }
    }
    expect(verifyConsistency(1, 1, [], roots[1], roots[1])).toBe(true);
  });

  it('refuses malformed verification arguments instead of throwing', () => {
    const leaf = referenceLeaves[0];
    const proof = inclusionProof(reference.tree, 0, 8);
    expect(verifyInclusion(0, 8, leaf.subarray(1), proof, unhex(ROOTS[8]))).toBe(false);
    expect(verifyInclusion(0, 8, leaf, [...proof.slice(0, 2), new Uint8Array(33)], unhex(ROOTS[8]))).toBe(false);
    expect(verifyInclusion(NaN, 8, leaf, proof, unhex(ROOTS[8]))).toBe(false);
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(false);
    expect(verifyConsistency(2, 2, [], unhex(ROOTS[2]), unhex(ROOTS[2]))).toBe(true);
    expect(verifyConsistency(2, 2, [], unhex(ROOTS[2]), unhex(ROOTS[3]))).toBe(false);
  });
});

describe('CompactRange', () => {
  it('returns the subtrees each append completes and one hash per set bit of the size', () => {
    const range = new CompactRange();
    expect(range.append(referenceLeaves[0]).map(({ level, index }) => [level, index])).toEqual([[0, 0]]);
    expect(range.append(referenceLeaves[1]).map(({ level, index }) => [level, index])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    range.append(referenceLeaves[2]);
    const written = range.append(referenceLeaves[3]);
    expect(written.map(({ level, index }) => [level, index])).toEqual([
      [0, 3],
      [1, 1],
      [2, 0],
    ]);
    expect(hex(written[2].hash)).toBe(NODE_HASHES[2][0]);
    range.append(referenceLeaves[4]);
    expect(range.nodes().map(hex)).toEqual([NODE_HASHES[2][0], NODE_HASHES[0][4]]);
  });

  it('resumes from stored nodes at any size with the same roots as appending from the start', () => {
    for (let size = 0; size <= 8; size++) {
      const resumed = CompactRange.fromTree(reference.tree, size);
      expect(hex(resumed.root())).toBe(ROOTS[size]);
      const copy = new CompactRange(size, resumed.nodes());
      for (let i = size; i < 8; i++) copy.append(referenceLeaves[i]);
      expect(hex(copy.root())).toBe(ROOTS[8]);
    }
  });

  it('refuses a frontier that does not fit its size, and leaves that are not hashes', () => {
    expect(() => new CompactRange(3, [EMPTY_ROOT])).toThrow('a compact range of size 3 has 2 hashes of 32 bytes');
    expect(() => new CompactRange(2, [new Uint8Array(31)])).toThrow('a compact range of size 2 has 1 hashes of 32 bytes');
    expect(() => new CompactRange(2, [Array.from(EMPTY_ROOT) as unknown as Hash])).toThrow('a compact range of size 2 has 1 hashes');
    expect(() => new CompactRange(-1)).toThrow('size must be a non-negative safe integer, got -1');
    expect(() => new CompactRange().append(new Uint8Array(31))).toThrow('a leaf hash has 32 bytes');
    const tree = new MemoryTreeHashes();
    expect(() => tree.put([{ level: 0, index: 1, hash: EMPTY_ROOT }])).toThrow('node (0, 1) written out of order: 0 stored');
    expect(() => tree.put([{ level: 0, index: 0, hash: new Uint8Array(33) }])).toThrow('a node hash has 32 bytes');
    expect(() => tree.node(0, 0)).toThrow('node (0, 0) is not stored');
  });

  it('appends up to 2^53 - 1 leaves, not one more', () => {
    const almost = new CompactRange(
      Number.MAX_SAFE_INTEGER - 1,
      Array.from({ length: 52 }, () => EMPTY_ROOT),
    );
    expect(almost.append(referenceLeaves[0]).map(({ level, index }) => [level, index])).toEqual([[0, Number.MAX_SAFE_INTEGER - 1]]);
    expect(almost.size).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => almost.append(referenceLeaves[1])).toThrow('the tree is full');
  });

  it('counts the leaves stored', () => {
    expect(new MemoryTreeHashes().size).toBe(0);
    expect(reference.tree.size).toBe(8);
  });
});
