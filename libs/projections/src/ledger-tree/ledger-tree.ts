import {
  addSignatures,
  anchorNote,
  CompactRange,
  consistencyRanges,
  GENESIS_HASH,
  inclusionRanges,
  isChained,
  leafHash,
  leafInput,
  nextRunningHash,
  openNote,
  parseCheckpoint,
  parseCosignatureVerifierKey,
  parseNote,
  parseSignatureLine,
  rangeHash,
  rangeNodes,
  treeRoot,
  type Hash,
  type NodeId,
  type RecordedEvent,
  type TreeHashes,
} from '@permit-ledger/event-store';
import type { ReadModelDb } from '../read-model/read-model-db.js';

/** How far the ledger's derived state has read the log. */
export interface LedgerTreeState {
  /** Last log position folded (anchors included, though they are no leaves): the consumer's checkpoint. */
  position: number;
  /** Leaves: the events that are no anchor, up to `position`. Also the running hash's count. */
  size: number;
  /** The running hash of anchor.ts over the same events. */
  runningHash: string;
  /** Log position of the last leaf (0 before the first): what an anchor's statement covers. */
  lastLeafPosition: number;
}

/** A signed checkpoint that the log holds (a v2 anchor), or that this process just appended. */
export interface StoredCheckpoint {
  size: number;
  root: Hash;
  /** The signed note, as in the anchor. */
  note: string;
  /** The anchor event's log position. */
  position: number;
}

const EMPTY_STATE: LedgerTreeState = { position: 0, size: 0, runningHash: GENESIS_HASH, lastLeafPosition: 0 };
/** Parameters per batched read: SQLite's default limit is 32 766, two per node. */
const NODES_PER_READ = 400;

/**
 * The ledger's derived state in the read-model database, kept from the log by one consumer: the running hash,
 * and the RFC 9162 tree over the same events (leaf input: the 32 bytes of the event's hash). Stored are the
 * complete subtrees (written once, never changed: CompactRange.append gives one new interior node per append,
 * amortised), the position -> leaf mapping, the signed checkpoints found in the log, and the witnesses'
 * cosignatures. A fold writes its nodes, leaves and the state (the consumer's checkpoint) in one transaction,
 * so they never disagree; a proof reads its O(log n) nodes in one batched query.
 *
 * Everything but the cosignatures is derived from the log (reset() and a refold rebuild it); the
 * cosignatures come from witnesses and survive a rebuild, kept per checkpoint (size and root) and witness key,
 * and served only for the checkpoint they verify over.
 */
export class LedgerTree implements TreeHashes {
  // Stryker disable next-line ObjectLiteral: the constructor's load() sets it before any read
  private current: LedgerTreeState = { ...EMPTY_STATE };
  private range = new CompactRange();
  private readonly statements;
  /** Cosignatures verified in this process (a checkpoint is served often, its lines checked once); a few only. */
  private readonly verified = new Set<string>();

  constructor(private readonly db: ReadModelDb) {
    LedgerTree.ensureTables(db);
    this.statements = {
      node: db.prepare('SELECT hash FROM ledger_tree_nodes WHERE level = ? AND idx = ?').pluck(),
      putNode: db.prepare('INSERT INTO ledger_tree_nodes (level, idx, hash) VALUES (?, ?, ?)'),
      putLeaf: db.prepare('INSERT INTO ledger_tree_leaves (position, leaf) VALUES (?, ?)'),
      putState: db.prepare(
        `INSERT INTO ledger_tree_state (id, position, size, running_hash, last_leaf_position) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET position = excluded.position, size = excluded.size,
           running_hash = excluded.running_hash, last_leaf_position = excluded.last_leaf_position`,
      ),
      putCheckpoint: db.prepare('INSERT OR IGNORE INTO ledger_checkpoints (size, root, note, position) VALUES (?, ?, ?, ?)'),
      latest: db.prepare('SELECT size, root, note, position FROM ledger_checkpoints ORDER BY size DESC LIMIT ?'),
      checkpoint: db.prepare('SELECT size, root, note, position FROM ledger_checkpoints WHERE size = ?'),
      putCosignature: db.prepare(
        `INSERT INTO ledger_cosignatures (size, root, witness_key, line) VALUES (?, ?, ?, ?)
         ON CONFLICT (size, root, witness_key) DO UPDATE SET line = excluded.line`,
      ),
      cosignatures: db.prepare(
        'SELECT witness_key AS witnessKey, line FROM ledger_cosignatures WHERE size = ? AND root = ? ORDER BY witness_key',
      ),
    };
    this.load();
  }

  static ensureTables(db: ReadModelDb): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ledger_tree_state (
        id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL, size INTEGER NOT NULL,
        running_hash TEXT NOT NULL, last_leaf_position INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ledger_tree_nodes (
        level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ledger_tree_leaves (position INTEGER PRIMARY KEY, leaf INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ledger_checkpoints (
        size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, position INTEGER NOT NULL);
    `);
    LedgerTree.ensureCosignatures(db);
    // The running hash was kept alone before the tree; its state is refolded into the tree's from the start.
    db.exec('DROP TABLE IF EXISTS ledger_chain');
  }

  /**
   * One cosignature per checkpoint (size and root) and witness key (its verifier key, so each line can be
   * verified again before it is served). The first table kept lines by size alone, without the key that
   * verifies them: those rows cannot be checked and are dropped (the pusher asks the witness again).
   */
  private static ensureCosignatures(db: ReadModelDb): void {
    const columns = db.prepare("SELECT name FROM pragma_table_info('ledger_cosignatures')").pluck().all() as string[];
    if (columns.length > 0 && !columns.includes('witness_key')) db.exec('DROP TABLE ledger_cosignatures');
    db.exec(`
      CREATE TABLE IF NOT EXISTS ledger_cosignatures (
        size INTEGER NOT NULL, root BLOB NOT NULL, witness_key TEXT NOT NULL, line TEXT NOT NULL,
        PRIMARY KEY (size, root, witness_key)) WITHOUT ROWID;
    `);
  }

  /** Forgets everything derived from the log (not the cosignatures), for a rebuild. */
  static reset(db: ReadModelDb): void {
    LedgerTree.ensureTables(db);
    db.exec(
      'DELETE FROM ledger_tree_state; DELETE FROM ledger_tree_nodes; DELETE FROM ledger_tree_leaves; DELETE FROM ledger_checkpoints;',
    );
  }

  get state(): LedgerTreeState {
    return { ...this.current };
  }

  get size(): number {
    return this.current.size;
  }

  /** Re-reads the state (after a failed fold, or a rebuild by another connection). */
  load(): void {
    const row = this.db
      .prepare(
        'SELECT position, size, running_hash AS runningHash, last_leaf_position AS lastLeafPosition FROM ledger_tree_state WHERE id = 1',
      )
      .get() as LedgerTreeState | undefined;
    this.current = row ?? { ...EMPTY_STATE };
    this.range = CompactRange.fromTree(this, this.current.size);
  }

  /**
   * Folds events in log order (those at or before the state's position are skipped: delivery is at least
   * once) into the tree, the mapping and the running hash, and records the checkpoints of v2 anchors whose
   * root is the tree's at their size; all in one transaction with the state. Returns the leaves added.
   */
  fold(events: readonly RecordedEvent[]): number {
    const before = this.current.size;
    const fold = this.db.transaction(() => {
      const state = { ...this.current };
      for (const event of events) {
        if (event.position <= state.position) continue;
        if (isChained(event)) {
          const leaf = this.range.size;
          for (const node of this.range.append(leafHash(leafOf(event)))) this.statements.putNode.run(node.level, node.index, node.hash);
          this.statements.putLeaf.run(event.position, leaf);
          state.runningHash = nextRunningHash(state.runningHash, event.hash);
          state.size = leaf + 1;
          state.lastLeafPosition = event.position;
        } else {
          const note = anchorNote(event);
          // Stryker disable next-line ConditionalExpression: recordFromLog drops a note that does not parse, and null parses as none; this only skips that for a v1 anchor
          if (note !== null) this.recordFromLog(note, event.position, state.size);
        }
        state.position = event.position;
      }
      this.statements.putState.run(state.position, state.size, state.runningHash, state.lastLeafPosition);
      this.current = state;
    });
    try {
      fold();
    } catch (error) {
      // The range took appends the transaction rolled back.
      this.load();
      throw error;
    }
    return this.current.size - before;
  }

  /** A checkpoint this process signed and appended (the fold records it again when it reads the anchor). */
  record(checkpoint: StoredCheckpoint): void {
    this.statements.putCheckpoint.run(checkpoint.size, Buffer.from(checkpoint.root), checkpoint.note, checkpoint.position);
  }

  /** Root of the tree of `size` leaves (the current size by default): O(log n) reads. */
  root(size = this.current.size): Hash {
    // Stryker disable next-line ConditionalExpression: the stored nodes give the same root; this only saves their reads
    if (size === this.current.size) return this.range.root();
    this.assertSize(size, 'size');
    return this.storedRoot(size);
  }

  node(level: number, index: number): Hash {
    const hash = this.statements.node.get(level, index) as Buffer | undefined;
    if (!hash) throw new RangeError(`node (${level}, ${index}) is not stored`);
    return new Uint8Array(hash.buffer, hash.byteOffset, hash.byteLength);
  }

  /** RFC 9162 inclusion path of `leaf` in the tree of `size` (at most the tree's size). */
  inclusionProof(leaf: number, size: number): Hash[] {
    this.assertSize(size, 'size');
    const ranges = inclusionRanges(leaf, size);
    const tree = this.nodesOf(ranges.flatMap((r) => rangeNodes(r.start, r.end)));
    return ranges.map((r) => rangeHash(tree, r));
  }

  /** RFC 9162 consistency path from the tree of `from` leaves to that of `size` (1 <= from <= size <= the tree's). */
  consistencyProof(from: number, size: number): Hash[] {
    this.assertSize(size, 'size');
    const ranges = consistencyRanges(from, size);
    const tree = this.nodesOf(ranges.flatMap((r) => rangeNodes(r.start, r.end)));
    return ranges.map((r) => rangeHash(tree, r));
  }

  /** Leaf index of the events at these positions: null for an anchor, or an event not folded yet. */
  leavesOf(positions: readonly number[]): Map<number, number | null> {
    const result = new Map<number, number | null>();
    const unique = [...new Set(positions)];
    // Stryker disable next-line EqualityOperator: one more pass reads an empty chunk, and SQLite's IN () matches no row
    for (let i = 0; i < unique.length; i += NODES_PER_READ) {
      const chunk = unique.slice(i, i + NODES_PER_READ);
      const rows = this.db
        .prepare(`SELECT position, leaf FROM ledger_tree_leaves WHERE position IN (${chunk.map(() => '?').join(',')})`)
        .all(...chunk) as Array<{ position: number; leaf: number }>;
      for (const position of chunk) result.set(position, null);
      for (const row of rows) result.set(row.position, row.leaf);
    }
    return result;
  }

  /** Log position of the last leaf before `position` (0 when none): where a read of the log up to it may start. */
  leafPositionBefore(position: number): number {
    return (this.db.prepare('SELECT MAX(position) FROM ledger_tree_leaves WHERE position < ?').pluck().get(position) as number | null) ?? 0;
  }

  /** The signed checkpoints recorded, newest (largest) first. */
  latestCheckpoints(limit = 1): StoredCheckpoint[] {
    return (this.statements.latest.all(limit) as Array<StoredCheckpoint & { root: Buffer }>).map(rowToCheckpoint);
  }

  checkpoint(size: number): StoredCheckpoint | null {
    const row = this.statements.checkpoint.get(size) as (StoredCheckpoint & { root: Buffer }) | undefined;
    return row ? rowToCheckpoint(row) : null;
  }

  /**
   * Keeps a witness's cosignature line (C2SP tlog-cosignature) of the recorded checkpoint of this size and
   * root, replacing that witness key's older one. Throws (a RangeError) unless the line verifies with
   * `witnessKey` over that checkpoint.
   */
  addCosignature(checkpoint: { size: number; root: Hash }, line: string, witnessKey: string): void {
    const stored = this.checkpoint(checkpoint.size);
    if (stored === null || !Buffer.from(stored.root).equals(Buffer.from(checkpoint.root))) {
      throw new RangeError(`no checkpoint of size ${checkpoint.size} with that root is recorded`);
    }
    const trimmed = line.replace(/\n$/, '');
    if (!cosignatureVerifies(stored.note, trimmed, witnessKey)) {
      throw new RangeError(`the line is no valid cosignature of ${witnessKey} on the checkpoint of size ${checkpoint.size}`);
    }
    this.statements.putCosignature.run(checkpoint.size, Buffer.from(checkpoint.root), witnessKey, `${trimmed}\n`);
  }

  /**
   * The cosignature lines of the checkpoint of this size and root, one per witness key, each verified again
   * over the recorded checkpoint: a line of another root, or one that no longer verifies, is never served.
   */
  cosignatures(checkpoint: { size: number; root: Hash }): string[] {
    const stored = this.checkpoint(checkpoint.size);
    if (stored === null) return [];
    // Stryker disable next-line ConditionalExpression: a line kept for another root verifies over no note of this one; saves the query
    if (!Buffer.from(stored.root).equals(Buffer.from(checkpoint.root))) return [];
    const rows = this.statements.cosignatures.all(checkpoint.size, Buffer.from(checkpoint.root)) as Array<{
      witnessKey: string;
      line: string;
    }>;
    return rows.filter((row) => this.verifiedCosignature(stored.note, row.line, row.witnessKey)).map((row) => row.line);
  }

  private verifiedCosignature(note: string, line: string, witnessKey: string): boolean {
    const id = `${witnessKey}\n${line}\n${note}`;
    // Stryker disable next-line ConditionalExpression: a cache of verifications (the id is all they depend on); a miss verifies again
    if (this.verified.has(id)) return true;
    if (!cosignatureVerifies(note, line.replace(/\n$/, ''), witnessKey)) return false;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: only bounds the cache's memory; a miss verifies again
    if (this.verified.size >= 64) this.verified.clear();
    this.verified.add(id);
    return true;
  }

  /** A v2 anchor's checkpoint, if its root is the tree's at its size (a forged one is the verifier's to report). */
  private recordFromLog(note: string, position: number, treeSize: number): void {
    let size: number;
    let root: Hash;
    try {
      ({ size, root } = parseCheckpoint(parseNote(note).text));
    } catch {
      return;
    }
    // The stored nodes give the root at the batch's size too: they are written in this transaction.
    if (size > treeSize || !Buffer.from(root).equals(this.storedRoot(size))) return;
    this.statements.putCheckpoint.run(size, Buffer.from(root), note, position);
  }

  private storedRoot(size: number): Hash {
    return treeRoot(this.nodesOf(rangeNodes(0, size)), size);
  }

  /** The stored nodes among `ids`, read in batches: the TreeHashes a proof is built from. */
  private nodesOf(ids: readonly NodeId[]): TreeHashes {
    const found = new Map<string, Hash>();
    const unique = [...new Map(ids.map((id) => [`${id.level}:${id.index}`, id])).values()];
    for (let i = 0; i < unique.length; i += NODES_PER_READ) {
      // Stryker disable next-line MethodExpression: a proof or a root reads at most 2 x 53 nodes (sizes are safe integers), less than one chunk
      const chunk = unique.slice(i, i + NODES_PER_READ);
      const rows = this.db
        .prepare(`SELECT level, idx, hash FROM ledger_tree_nodes WHERE (level, idx) IN (VALUES ${chunk.map(() => '(?, ?)').join(', ')})`)
        .all(...chunk.flatMap((id) => [id.level, id.index])) as Array<{ level: number; idx: number; hash: Buffer }>;
      for (const row of rows) found.set(`${row.level}:${row.idx}`, new Uint8Array(row.hash));
    }
    return {
      node(level, index) {
        const hash = found.get(`${level}:${index}`);
        if (!hash) throw new RangeError(`node (${level}, ${index}) is not stored`);
        return hash;
      },
    };
  }

  private assertSize(size: number, name: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.current.size) {
      throw new RangeError(`${name} ${size} is beyond the tree's ${this.current.size} leaves`);
    }
  }
}

function cosignatureVerifies(note: string, line: string, witnessKey: string): boolean {
  try {
    return openNote(addSignatures(note, [parseSignatureLine(line)]), [parseCosignatureVerifierKey(witnessKey)]).verified.length === 1;
  } catch {
    // A line or a key that does not parse verifies nothing.
  }
  return false;
}

function rowToCheckpoint(row: StoredCheckpoint & { root: Buffer }): StoredCheckpoint {
  return { size: row.size, root: new Uint8Array(row.root), note: row.note, position: row.position };
}

/** The event's leaf input; an event whose hash cannot be one is named, so the failing writer says which. */
function leafOf(event: RecordedEvent): Buffer {
  try {
    return leafInput(event);
  } catch (error) {
    throw new RangeError(
      `event at position ${event.position} (${event.stream}@${event.revision}) cannot be a leaf: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
