import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  computeEventHash,
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

  it('drops the first table, whose lines were kept by size alone without the key that verifies them', () => {
    const db = openReadModelDb(':memory:');
    db.exec(`CREATE TABLE ledger_cosignatures (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, line TEXT NOT NULL, UNIQUE (size, line));
      INSERT INTO ledger_cosignatures (size, line) VALUES (2, 'old line');`);
    const { tree, checkpoint } = treeOf(db, events(2));
    expect(tree.cosignatures(checkpoint)).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) FROM ledger_cosignatures').pluck().get()).toBe(0);
  });
});
