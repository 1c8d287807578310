/**
 * Tampering with a real SQLite ledger behind the service's back (triggers dropped, rows rewritten
 * with better-sqlite3), each case detected with the first broken point named.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../port/envelope.js';
import { canonicalJson, computeEventHash } from '../integrity/integrity.js';
import { SqliteEventStore } from '../sqlite/sqlite-event-store.js';
import { ANCHOR_STREAM, signAnchor } from './anchor.js';
import { verifyLedger, type LedgerVerifierOptions } from './ledger-verifier.js';
import { appendAnchor, newEvent, statementOf } from './testing/ledger-fixtures.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const attacker = generateKeyPairSync('ed25519');

let dir: string;
let file: string;

/**
 * The ledger, by position:
 *   1 permit-A r0  2 permit-B r0  3 permit-A r1  4 permit-C r0  5 permit-A r2  6 permit-B r1
 *   7 anchor r0 (covers 6)
 *   8 permit-C r1  9 permit-A r3  10 permit-D r0
 *   11 anchor r1 (covers 10)
 *   12 permit-B r2 (unanchored)
 */
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'permit-ledger-tamper-'));
  file = join(dir, 'events.sqlite');
  const store = SqliteEventStore.open({ file });
  const append = (stream: string, type: string, data: Record<string, unknown> = {}) =>
    store.append(stream, [newEvent(type, data, { reason: `${type} of ${stream}` })], { expectedRevision: 'any' });
  await append('permit-A', 'PermitIssued', { destination: 'TR', quantity: 6 });
  await append('permit-B', 'PermitIssued', { destination: 'TR', quantity: 2 });
  await append('permit-A', 'PermitSuspended');
  await append('permit-C', 'PermitIssued', { destination: 'SA', quantity: 1 });
  await append('permit-A', 'PermitReviewOpened');
  await append('permit-B', 'PermitSuspended');
  await appendAnchor(store, privateKey);
  await append('permit-C', 'PermitAmended', { quantity: 3 });
  await append('permit-A', 'PermitCancelled');
  await append('permit-D', 'PermitIssued', { destination: 'DE', quantity: 9 });
  await appendAnchor(store, privateKey);
  await append('permit-B', 'PermitCancelled');
  await store.close();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Opens the file as an attacker would: no store class, no triggers. */
function tamper(edit: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER events_append_only;');
    db.transaction(() => edit(db))();
  } finally {
    db.close();
  }
}

/** Reads the ledger back through the store and verifies it. */
async function verifyFile(options: LedgerVerifierOptions = { publicKey }) {
  const store = SqliteEventStore.open({ file });
  try {
    return await verifyLedger(await store.readAll(), options);
  } finally {
    await store.close();
  }
}

async function readFile(): Promise<RecordedEvent[]> {
  const store = SqliteEventStore.open({ file });
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
}

describe('tampering with the SQLite ledger behind the service', () => {
  it('the untouched ledger verifies, anchors and signatures included', async () => {
    expect(await verifyFile()).toEqual({ valid: true, checked: 12, anchorsChecked: 2, lastAnchorPosition: 10, unanchored: 1 });
  });

  it('a changed field: HASH_MISMATCH at that event', async () => {
    tamper((db) => db.prepare(`UPDATE events SET data = json_set(data, '$.quantity', 60) WHERE position = 1`).run());
    expect(await verifyFile()).toMatchObject({
      valid: false,
      checked: 1,
      firstBroken: { position: 1, stream: 'permit-A', revision: 0, reason: 'HASH_MISMATCH' },
    });
  });

  it('a deleted event: REVISION_GAP at the next event of its stream', async () => {
    tamper((db) => db.prepare('DELETE FROM events WHERE position = 3').run());
    expect((await verifyFile()).firstBroken).toMatchObject({ position: 5, stream: 'permit-A', revision: 2, reason: 'REVISION_GAP' });
  });

  it('the last event of a stream deleted: no chain notices it, the next anchor does', async () => {
    // permit-C r1: the last of its stream, so no later prevHash link breaks.
    tamper((db) => db.prepare('DELETE FROM events WHERE position = 8').run());
    expect((await verifyFile()).firstBroken).toMatchObject({
      position: 11,
      stream: ANCHOR_STREAM,
      revision: 1,
      reason: 'RUNNING_HASH_MISMATCH',
    });
  });

  it('a swapped pair (two streams exchange their places in the log): RUNNING_HASH_MISMATCH at the next anchor', async () => {
    tamper((db) => {
      const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
      move.run(-1, 2);
      move.run(2, 4);
      move.run(4, -1);
    });
    const events = await readFile();
    expect(events.slice(0, 4).map((e) => e.stream)).toEqual(['permit-A', 'permit-C', 'permit-A', 'permit-B']);
    expect((await verifyFile()).firstBroken).toMatchObject({
      position: 7,
      stream: ANCHOR_STREAM,
      revision: 0,
      reason: 'RUNNING_HASH_MISMATCH',
    });
  });

  it('a removed whole stream: RUNNING_HASH_MISMATCH at the next anchor', async () => {
    tamper((db) => db.prepare(`DELETE FROM events WHERE stream = 'permit-C'`).run());
    expect((await verifyFile()).firstBroken).toMatchObject({
      position: 7,
      stream: ANCHOR_STREAM,
      revision: 0,
      reason: 'RUNNING_HASH_MISMATCH',
    });
  });

  it('a forged anchor signature: ANCHOR_SIGNATURE_INVALID', async () => {
    const events = await readFile();
    const anchor = events.find((e) => e.position === 11)!;
    // The forger re-signs the same statement with their own key and recomputes the event's hash.
    const data = { ...signAnchor(statementOf(events, 10), attacker.privateKey) };
    const hash = computeEventHash({ ...anchor, data });
    tamper((db) => db.prepare('UPDATE events SET data = ?, hash = ? WHERE position = 11').run(canonicalJson(data), hash));
    expect((await verifyFile()).firstBroken).toMatchObject({
      position: 11,
      stream: ANCHOR_STREAM,
      revision: 1,
      reason: 'ANCHOR_SIGNATURE_INVALID',
    });
  });

  it('a stream removed and the covering anchor rewritten to match it: without the public key it would pass', async () => {
    const events = (await readFile()).filter((e) => e.stream !== 'permit-D');
    const anchor = events.find((e) => e.position === 11)!;
    const data = { ...signAnchor(statementOf(events, 9), attacker.privateKey) };
    const hash = computeEventHash({ ...anchor, data });
    tamper((db) => {
      db.prepare(`DELETE FROM events WHERE stream = 'permit-D'`).run();
      db.prepare('UPDATE events SET data = ?, hash = ? WHERE position = 11').run(canonicalJson(data), hash);
    });
    expect(await verifyFile({})).toMatchObject({ valid: true, anchorsChecked: 2 });
    expect((await verifyFile()).firstBroken).toMatchObject({ position: 11, reason: 'ANCHOR_SIGNATURE_INVALID' });
  });
});
