import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  ANCHOR_EVENT_TYPE,
  ANCHOR_SCHEMA_VERSION,
  ANCHOR_STREAM,
  CompactRange,
  computeEventHash,
  consistencyProof,
  EMPTY_ROOT,
  GENESIS_HASH,
  inclusionProof,
  isChained,
  leafHash,
  leafInput,
  MemoryTreeHashes,
  merkleTreeHash,
  nextRunningHash,
  verifyConsistency,
  verifyInclusion,
  cosignerFromSeed,
  ed25519Signer,
  formatSignatureLine,
  parseNote,
  signCheckpoint,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { openReadModelDb, type ReadModelDb } from '../read-model/read-model-db.js';
import { LedgerTree } from './ledger-tree.js';

const seed = (label: string) => new Uint8Array(createHash('sha256').update(label).digest());
const ORIGIN = 'ledger.test/tree';
const logKey = ed25519Signer(ORIGIN, seed('log key'));
const witnessA = cosignerFromSeed('witness.test/a', seed('witness a'));
const witnessB = cosignerFromSeed('witness.test/b', seed('witness b'));

/** `count` chained events of one stream; `label` makes another history. */
function events(count: number, label = 'honest'): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const content = {
      stream: 'permit-T1',
      revision: i,
      position: i + 1,
      eventId: randomUUID(),
      type: 'PermitIssued',
      schemaVersion: 1,
      data: { label, i },
      metadata: {
        effectiveAt: '2021-03-01T10:00:00.000Z',
        actor: { id: 'officer-1', role: 'officer' },
        commandId: 'c',
        correlationId: 'c',
        causationId: null,
      },
      recordedAt: '2021-03-01T10:00:00.000Z',
      prevHash: out.at(-1)?.hash ?? null,
    } as Omit<RecordedEvent, 'hash'>;
    out.push({ ...content, hash: computeEventHash(content) } as RecordedEvent);
  }
  return out;
}

/** A tree of the events with its checkpoint signed and recorded, as the ledger writer does. */
function treeOf(db: ReadModelDb, log: RecordedEvent[]) {
  const tree = new LedgerTree(db);
  tree.fold(log);
  const checkpoint = { size: tree.size, root: tree.root() };
  const note = signCheckpoint({ origin: ORIGIN, ...checkpoint }, logKey);
  tree.record({ ...checkpoint, note, position: log.length + 1 });
  return { tree, checkpoint, note };
}

const cosign = (witness: typeof witnessA, note: string, time: number) => formatSignatureLine(witness.cosign(parseNote(note).text, time));

describe('LedgerTree cosignatures', () => {
  it('keeps one line per checkpoint and witness key: a newer cosignature of a witness replaces its older one', () => {
    const db = openReadModelDb(':memory:');
    const { tree, checkpoint, note } = treeOf(db, events(5));
    tree.addCosignature(checkpoint, cosign(witnessA, note, 1_700_000_000), witnessA.verifierKey);
    tree.addCosignature(checkpoint, cosign(witnessB, note, 1_700_000_000), witnessB.verifierKey);
    const newer = cosign(witnessA, note, 1_700_000_600);
    tree.addCosignature(checkpoint, newer, witnessA.verifierKey);
    tree.addCosignature(checkpoint, newer, witnessA.verifierKey);
    const served = tree.cosignatures(checkpoint);
    expect(served).toHaveLength(2);
    expect(served).toContain(newer);
    expect(served).toContain(cosign(witnessB, note, 1_700_000_000));
  });

  it('refuses a line that is no cosignature of that witness key over that checkpoint', () => {
    const db = openReadModelDb(':memory:');
    const { tree, checkpoint, note } = treeOf(db, events(3));
    expect(() => tree.addCosignature(checkpoint, cosign(witnessA, note, 1_700_000_000), witnessB.verifierKey)).toThrow(RangeError);
    const other = signCheckpoint({ origin: ORIGIN, size: 3, root: new Uint8Array(32) }, logKey);
    expect(() => tree.addCosignature(checkpoint, cosign(witnessA, other, 1_700_000_000), witnessA.verifierKey)).toThrow(RangeError);
    expect(() =>
      tree.addCosignature({ size: 3, root: new Uint8Array(32) }, cosign(witnessA, note, 1_700_000_000), witnessA.verifierKey),
    ).toThrow(RangeError);
    expect(tree.cosignatures(checkpoint)).toEqual([]);
  });

  it('given a rebuild from a changed log, when its checkpoint has the size of a cosigned one but another root, then the old line is not served with it', () => {
    const db = openReadModelDb(':memory:');
    const honest = treeOf(db, events(4));
    const line = cosign(witnessA, honest.note, 1_700_000_000);
    honest.tree.addCosignature(honest.checkpoint, line, witnessA.verifierKey);
    expect(honest.tree.cosignatures(honest.checkpoint)).toEqual([line]);

    LedgerTree.reset(db);
    const rebuilt = treeOf(db, events(4, 'rewritten'));
    expect(rebuilt.checkpoint.size).toBe(honest.checkpoint.size);
    expect(Buffer.from(rebuilt.checkpoint.root)).not.toEqual(Buffer.from(honest.checkpoint.root));
    expect(rebuilt.tree.cosignatures(rebuilt.checkpoint)).toEqual([]);
    // Asked for the old root, the tree holds no checkpoint of it any more: nothing either.
    expect(rebuilt.tree.cosignatures(honest.checkpoint)).toEqual([]);
  });

  it('given a rebuild from the same log, then the cosignatures are kept and served again', () => {
    const db = openReadModelDb(':memory:');
    const log = events(6);
    const first = treeOf(db, log);
    const line = cosign(witnessA, first.note, 1_700_000_000);
    first.tree.addCosignature(first.checkpoint, line, witnessA.verifierKey);
    LedgerTree.reset(db);
    const again = treeOf(db, log);
    expect(again.tree.cosignatures(again.checkpoint)).toEqual([line]);
  });

  it('never serves a stored line that does not verify over the checkpoint', () => {
    const db = openReadModelDb(':memory:');
    const { tree, checkpoint, note } = treeOf(db, events(2));
    const line = cosign(witnessA, note, 1_700_000_000);
    tree.addCosignature(checkpoint, line, witnessA.verifierKey);
    const forged = cosign(witnessA, signCheckpoint({ origin: ORIGIN, size: 2, root: new Uint8Array(32) }, logKey), 1_700_000_000);
    db.prepare('UPDATE ledger_cosignatures SET line = ?').run(forged);
    expect(new LedgerTree(db).cosignatures(checkpoint)).toEqual([]);
  });

  it('verifies a line changed in the database again, though the same line was served before', () => {
    const db = openReadModelDb(':memory:');
    const { tree, checkpoint, note } = treeOf(db, events(2));
    const line = cosign(witnessA, note, 1_700_000_000);
    tree.addCosignature(checkpoint, line, witnessA.verifierKey);
    expect(tree.cosignatures(checkpoint)).toEqual([line]);
    const forged = cosign(witnessA, signCheckpoint({ origin: ORIGIN, size: 2, root: new Uint8Array(32) }, logKey), 1_700_000_000);
    db.prepare('UPDATE ledger_cosignatures SET line = ?').run(forged);
    expect(tree.cosignatures(checkpoint)).toEqual([]);
    db.prepare('UPDATE ledger_cosignatures SET line = ?').run(line);
    expect(tree.cosignatures(checkpoint)).toEqual([line]);
    // Only the line's own final newline is dropped before it is verified: one inside it is no signature line.
    db.prepare('UPDATE ledger_cosignatures SET line = ?').run(`${line.slice(0, 5)}\n${line.slice(5)}`);
    expect(new LedgerTree(db).cosignatures(checkpoint)).toEqual([]);
    db.prepare('UPDATE ledger_cosignatures SET line = ?').run(`${line.slice(0, 5)}\n${line.slice(5, -1)}`);
    expect(new LedgerTree(db).cosignatures(checkpoint)).toEqual([]);
  });

  it('drops the first table, whose lines were kept by size alone without the key that verifies them', () => {
    const db = openReadModelDb(':memory:');
    db.exec(`CREATE TABLE ledger_cosignatures (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, line TEXT NOT NULL, UNIQUE (size, line));
      INSERT INTO ledger_cosignatures (size, line) VALUES (2, 'old line');`);
    const { tree, checkpoint } = treeOf(db, events(2));
    expect(tree.cosignatures(checkpoint)).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) FROM ledger_cosignatures').pluck().get()).toBe(0);
  });
});

/** The reference tree of the same events, from event-store's merkle functions (RFC 9162 by the definition). */
function referenceOf(log: readonly RecordedEvent[]) {
  const leaves = log.filter(isChained).map((e) => leafHash(leafInput(e)));
  const hashes = new MemoryTreeHashes();
  const range = new CompactRange();
  for (const leaf of leaves) hashes.put(range.append(leaf));
  return { leaves, hashes, root: (size: number) => merkleTreeHash(leaves.slice(0, size)) };
}

/** A v2 anchor at `position` carrying `note` (anchors are no leaves: their hash is never read). */
const anchor = (position: number, note: string): RecordedEvent =>
  ({
    ...events(1)[0]!,
    stream: ANCHOR_STREAM,
    type: ANCHOR_EVENT_TYPE,
    schemaVersion: ANCHOR_SCHEMA_VERSION,
    revision: position,
    position,
    data: { note },
  }) as RecordedEvent;

/** Chained events renumbered to these log positions (the hash, the leaf input, does not cover the position here). */
const at = (log: RecordedEvent[], positions: number[]): RecordedEvent[] => log.map((e, i) => ({ ...e, position: positions[i]! }));

const hex = (hash: Uint8Array) => Buffer.from(hash).toString('hex');
const hexes = (hashes: Uint8Array[]) => hashes.map(hex);

describe('LedgerTree over the log', () => {
  const N = 11;
  const log = events(N);
  const ref = referenceOf(log);

  it('has the RFC 9162 root at every size, folded a batch at a time, and of every earlier size from the stored nodes', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    expect(hex(tree.root())).toBe(hex(EMPTY_ROOT));
    for (let n = 0; n < N; n += 3) {
      expect(tree.fold(log.slice(n, n + 3))).toBe(Math.min(3, N - n));
      expect(tree.size).toBe(Math.min(n + 3, N));
      expect(hex(tree.root())).toBe(hex(ref.root(tree.size)));
    }
    for (let size = 0; size <= N; size++) expect(hex(tree.root(size))).toBe(hex(ref.root(size)));
  });

  it('gives the inclusion path of every leaf in every tree size, as the reference does, and it verifies', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    tree.fold(log);
    for (let size = 1; size <= N; size++) {
      for (let leaf = 0; leaf < size; leaf++) {
        const proof = tree.inclusionProof(leaf, size);
        expect(hexes(proof)).toEqual(hexes(inclusionProof(ref.hashes, leaf, size)));
        expect(verifyInclusion(leaf, size, ref.leaves[leaf]!, proof, ref.root(size))).toBe(true);
      }
    }
  });

  it('gives the consistency path between every two tree sizes, as the reference does, and it verifies', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    tree.fold(log);
    for (let size = 1; size <= N; size++) {
      for (let from = 1; from <= size; from++) {
        const proof = tree.consistencyProof(from, size);
        expect(hexes(proof)).toEqual(hexes(consistencyProof(ref.hashes, from, size)));
        expect(verifyConsistency(from, size, proof, ref.root(from), ref.root(size))).toBe(true);
      }
    }
  });

  it('refuses a size beyond the tree, negative or not an integer, naming it', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    tree.fold(log.slice(0, 4));
    expect(hex(tree.root(4))).toBe(hex(ref.root(4)));
    expect(tree.inclusionProof(3, 4)).toHaveLength(2);
    expect(tree.consistencyProof(2, 4)).toHaveLength(1);
    for (const size of [5, -1, 1.5, Number.NaN]) {
      const message = `size ${size} is beyond the tree's 4 leaves`;
      expect(() => tree.root(size)).toThrow(new RangeError(message));
      expect(() => tree.inclusionProof(0, size)).toThrow(new RangeError(message));
      expect(() => tree.consistencyProof(1, size)).toThrow(new RangeError(message));
    }
  });

  it('reads a stored node, and names one that is not stored', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    tree.fold(log.slice(0, 4));
    expect(hex(tree.node(0, 3))).toBe(hex(ref.leaves[3]!));
    expect(hex(tree.node(2, 0))).toBe(hex(ref.root(4)));
    expect(() => tree.node(0, 4)).toThrow(new RangeError('node (0, 4) is not stored'));
  });

  it('serves no proof from a tree missing a stored node, naming the node, rather than a wrong path', () => {
    const db = openReadModelDb(':memory:');
    new LedgerTree(db).fold(log.slice(0, 4));
    db.prepare('DELETE FROM ledger_tree_nodes WHERE level = 0 AND idx = 1').run();
    const tree = new LedgerTree(db);
    expect(hex(tree.root())).toBe(hex(ref.root(4)));
    expect(hexes(tree.inclusionProof(2, 4))).toEqual(hexes(inclusionProof(ref.hashes, 2, 4)));
    expect(() => tree.inclusionProof(0, 4)).toThrow(new RangeError('node (0, 1) is not stored'));
    expect(() => tree.consistencyProof(1, 4)).toThrow(new RangeError('node (0, 1) is not stored'));
  });

  it('maps more positions than SQLite binds in one statement (32 766)', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    tree.fold(log.slice(0, 3));
    const leaves = tree.leavesOf(Array.from({ length: 33_000 }, (_, i) => 33_000 - i));
    expect(leaves.size).toBe(33_000);
    expect([1, 2, 3, 4, 33_000].map((p) => leaves.get(p))).toEqual([0, 1, 2, null, null]);
  });

  it('skips what it folded already (delivery is at least once), keeps the running hash, and resumes from the database', () => {
    const db = openReadModelDb(':memory:');
    const tree = new LedgerTree(db);
    tree.fold(log.slice(0, 5));
    expect(tree.fold(log.slice(2, 7))).toBe(2);
    expect(tree.fold(log.slice(0, 7))).toBe(0);
    let running = GENESIS_HASH;
    for (const e of log.slice(0, 7)) running = nextRunningHash(running, e.hash);
    const expected = { position: 7, size: 7, runningHash: running, lastLeafPosition: 7 };
    expect(tree.state).toEqual(expected);

    const reopened = new LedgerTree(db);
    expect(reopened.state).toEqual(expected);
    expect(hex(reopened.root())).toBe(hex(ref.root(7)));
    reopened.fold(log);
    expect(hex(reopened.root())).toBe(hex(ref.root(N)));
    expect(hexes(reopened.inclusionProof(6, N))).toEqual(hexes(inclusionProof(ref.hashes, 6, N)));
  });

  it('counts no anchor as a leaf, maps positions to leaves, and finds the last leaf before a position', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    const chained = at(log.slice(0, 3), [1, 3, 4]);
    const folded = [chained[0]!, anchor(2, 'not a note'), chained[1]!, chained[2]!, anchor(5, 'not a note')];
    expect(tree.fold(folded)).toBe(3);
    expect(tree.state).toMatchObject({ position: 5, size: 3, lastLeafPosition: 4 });
    expect(hex(tree.root())).toBe(hex(ref.root(3)));
    expect(tree.leavesOf([4, 1, 2, 3, 9, 1])).toEqual(
      new Map([
        [4, 2],
        [1, 0],
        [2, null],
        [3, 1],
        [9, null],
      ]),
    );
    // More positions than one read takes: the leaves past the first batch are found too.
    const many = [...Array.from({ length: 450 }, (_, i) => 1000 + i), 3];
    const leaves = tree.leavesOf(many);
    expect(leaves.size).toBe(451);
    expect(leaves.get(3)).toBe(1);
    expect(leaves.get(1449)).toBeNull();
    expect(tree.leafPositionBefore(1)).toBe(0);
    expect(tree.leafPositionBefore(3)).toBe(1);
    expect(tree.leafPositionBefore(4)).toBe(3);
    expect(tree.leafPositionBefore(100)).toBe(4);
  });

  it('records the checkpoints of v2 anchors whose root is the tree at their size, now or earlier, and no other', () => {
    const tree = new LedgerTree(openReadModelDb(':memory:'));
    const signed = (size: number, root: Uint8Array) => signCheckpoint({ origin: ORIGIN, size, root }, logKey);
    const chained = at(log.slice(0, 4), [1, 2, 4, 5]);
    const early = signed(2, ref.root(2));
    const late = signed(3, ref.root(3)); // anchored after the 4th leaf: an earlier size of the tree
    const now = signed(4, ref.root(4));
    tree.fold([
      ...chained.slice(0, 2),
      anchor(3, early),
      ...chained.slice(2),
      anchor(6, signed(5, ref.root(4))), // beyond the tree
      anchor(7, signed(4, ref.root(3))), // another root
      anchor(8, 'garbage'),
      anchor(9, late),
      anchor(10, now),
      { ...anchor(11, signed(1, ref.root(1))), schemaVersion: 1 }, // a v1 anchor carries no checkpoint
    ]);
    expect(tree.state).toMatchObject({ position: 11, size: 4, lastLeafPosition: 5 });
    expect(tree.latestCheckpoints(10)).toEqual([
      { size: 4, root: ref.root(4), note: now, position: 10 },
      { size: 3, root: ref.root(3), note: late, position: 9 },
      { size: 2, root: ref.root(2), note: early, position: 3 },
    ]);
    expect(tree.latestCheckpoints()).toEqual([{ size: 4, root: ref.root(4), note: now, position: 10 }]);
    expect(tree.checkpoint(2)).toEqual({ size: 2, root: ref.root(2), note: early, position: 3 });
    expect(tree.checkpoint(1)).toBeNull();
    expect(tree.checkpoint(5)).toBeNull();
  });

  it('keeps nothing of a batch with an event that cannot be a leaf, names it, and folds on from where it was', () => {
    const db = openReadModelDb(':memory:');
    const tree = new LedgerTree(db);
    tree.fold(log.slice(0, 2));
    const bad = { ...log[3]!, hash: 'not hex' };
    let error: unknown;
    try {
      tree.fold([log[2]!, bad]);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('event at position 4 (permit-T1@3) cannot be a leaf: not a 32-byte hex hash: not hex');
    expect((error as Error).cause).toEqual(new RangeError('not a 32-byte hex hash: not hex'));
    expect(tree.state).toMatchObject({ position: 2, size: 2 });
    expect(new LedgerTree(db).state).toMatchObject({ position: 2, size: 2 });
    expect(tree.fold(log.slice(2, 5))).toBe(3);
    expect(hex(tree.root())).toBe(hex(ref.root(5)));
    expect(hexes(tree.consistencyProof(2, 5))).toEqual(hexes(consistencyProof(ref.hashes, 2, 5)));
  });

  it('reset forgets what the log gave and keeps the cosignatures; the running hash of before the tree is dropped', () => {
    const db = openReadModelDb(':memory:');
    db.exec('CREATE TABLE ledger_chain (id INTEGER PRIMARY KEY)');
    const { tree, checkpoint, note } = treeOf(db, log.slice(0, 3));
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ledger_chain'").pluck().get()).toBe(0);
    tree.addCosignature(checkpoint, cosign(witnessA, note, 1_700_000_000), witnessA.verifierKey);
    LedgerTree.reset(db);
    const rebuilt = new LedgerTree(db);
    expect(rebuilt.state).toEqual({ position: 0, size: 0, runningHash: GENESIS_HASH, lastLeafPosition: 0 });
    expect(rebuilt.latestCheckpoints()).toEqual([]);
    expect(rebuilt.leavesOf([1])).toEqual(new Map([[1, null]]));
    expect(() => rebuilt.node(0, 0)).toThrow(RangeError);
    expect(db.prepare('SELECT COUNT(*) FROM ledger_cosignatures').pluck().get()).toBe(1);
  });

  it('stores a cosignature line with one newline, given with or without it, and keeps it across a reopening', () => {
    const db = openReadModelDb(':memory:');
    const { tree, checkpoint, note } = treeOf(db, log.slice(0, 3));
    const line = cosign(witnessA, note, 1_700_000_000);
    expect(line.endsWith('\n')).toBe(true);
    tree.addCosignature(checkpoint, line.slice(0, -1), witnessA.verifierKey);
    expect(tree.cosignatures(checkpoint)).toEqual([line]);
    expect(tree.cosignatures(checkpoint)).toEqual([line]); // served again, from the verified ones
    const other = cosign(witnessB, note, 1_700_000_000);
    tree.addCosignature(checkpoint, other, witnessB.verifierKey);
    expect(new LedgerTree(db).cosignatures(checkpoint)).toEqual([line, other].sort());
    expect(() => tree.addCosignature({ size: 2, root: checkpoint.root }, line, witnessA.verifierKey)).toThrow(
      new RangeError('no checkpoint of size 2 with that root is recorded'),
    );
    expect(() => tree.addCosignature(checkpoint, `${line.slice(0, 5)}\n${line.slice(5)}`, witnessA.verifierKey)).toThrow(
      new RangeError(`the line is no valid cosignature of ${witnessA.verifierKey} on the checkpoint of size 3`),
    );
    expect(() => tree.addCosignature(checkpoint, `${line.slice(0, 5)}\n${line.slice(5, -1)}`, witnessA.verifierKey)).toThrow(
      new RangeError(`the line is no valid cosignature of ${witnessA.verifierKey} on the checkpoint of size 3`),
    );
    expect(tree.cosignatures({ size: 2, root: checkpoint.root })).toEqual([]);
    expect(() => tree.addCosignature(checkpoint, other, witnessA.verifierKey)).toThrow(
      new RangeError(`the line is no valid cosignature of ${witnessA.verifierKey} on the checkpoint of size 3`),
    );
  });
});
