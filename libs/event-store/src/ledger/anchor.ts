/**
 * The whole-ledger chain. Per-stream hash chains show that no event of a stream was edited; they
 * cannot show that a whole stream, or an event at the end of one, was removed, or that the log was
 * reordered. So the global log is chained as well:
 *
 *   running(0) = 64 zeros;  running(n) = SHA-256 hex of ( running(n-1) + ":" + hash of the n-th event )
 *
 * over every event in log order except the anchors themselves (stream `ledger-anchors`). Every N events,
 * and at shutdown, the service appends a `LedgerAnchored` event to that stream recording the running
 * hash at a position, optionally signed with Ed25519. Removing, inserting or reordering any event
 * before an anchor changes the running hash the verifier recomputes there.
 *
 * Schema version 2 (the transparency log) adds `note`: the C2SP signed checkpoint
 * `<origin>\n<size>\n<base64 root>\n` of the RFC 9162 tree over the same events (leaf input: the 32 bytes of
 * each event's hex `hash`), with size = `count`, signed by the same key under the note name <origin>.
 * Version 1 anchors (no note) keep verifying as before.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { RecordedEvent } from '../port/envelope.js';
import { canonicalJson } from '../integrity/integrity.js';
import { signCheckpoint } from '../transparency/checkpoint.js';
import type { Hash } from '../transparency/merkle.js';
import type { NoteSigner } from '../transparency/note.js';

export const ANCHOR_STREAM = 'ledger-anchors';
export const ANCHOR_EVENT_TYPE = 'LedgerAnchored';
export const GENESIS_HASH = '0'.repeat(64);
/** Anchors written now: v1's statement and signature, plus the signed checkpoint note. */
export const ANCHOR_SCHEMA_VERSION = 2;

export function nextRunningHash(previous: string, eventHash: string): string {
  return createHash('sha256').update(`${previous}:${eventHash}`).digest('hex');
}

/** Whether an event takes part in the running hash (anchors record it; they are not part of it). */
export const isChained = (event: Pick<RecordedEvent, 'stream'>): boolean => event.stream !== ANCHOR_STREAM;

/** What an anchor states, and what its signature covers (canonical JSON of exactly these fields). */
export interface AnchorStatement {
  /** Position of the last chained event the anchor covers. */
  position: number;
  /** Number of chained events up to and including that position. */
  count: number;
  runningHash: string;
}

export interface AnchorData extends AnchorStatement {
  /** Ed25519 signature (base64) over canonicalJson(statement), or null when no signing key is configured. */
  signature: string | null;
  /** SHA-256 of the signing public key (SPKI DER, hex): which key to check it with. */
  keyId: string | null;
}

export interface CheckpointAnchorData extends AnchorData {
  /** The C2SP signed checkpoint of the tree of `count` leaves. */
  note: string;
}

/** A v2 anchor: the v1 statement, signed, and the checkpoint of the tree of `count` leaves, signed as a note. */
export function signCheckpointAnchor(
  statement: AnchorStatement,
  root: Hash,
  privateKey: KeyObject,
  signer: NoteSigner,
): CheckpointAnchorData {
  return { ...signAnchor(statement, privateKey), note: signCheckpoint({ origin: signer.name, size: statement.count, root }, signer) };
}

/** The note of a v2 anchor event, or null for any other event (a v1 anchor included). */
export function anchorNote(event: Pick<RecordedEvent, 'stream' | 'type' | 'schemaVersion' | 'data'>): string | null {
  if (event.stream !== ANCHOR_STREAM || event.type !== ANCHOR_EVENT_TYPE || event.schemaVersion < 2) return null;
  return typeof event.data.note === 'string' ? event.data.note : null;
}

/** A leaf's input: the 32 bytes of the event's hex hash. */
export function leafInput(event: Pick<RecordedEvent, 'hash'>): Buffer {
  const bytes = Buffer.from(event.hash, 'hex');
  if (bytes.length !== 32 || bytes.toString('hex') !== event.hash.toLowerCase())
    throw new RangeError(`not a 32-byte hex hash: ${event.hash}`);
  return bytes;
}

export function statementBytes(statement: AnchorStatement): Buffer {
  const { position, count, runningHash } = statement;
  return Buffer.from(canonicalJson({ position, count, runningHash }));
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function signAnchor(statement: AnchorStatement, privateKey: KeyObject | null): AnchorData {
  if (!privateKey) return { ...statement, signature: null, keyId: null };
  const signature = sign(null, statementBytes(statement), privateKey).toString('base64');
  return { ...statement, signature, keyId: keyId(createPublicKey(privateKey)) };
}

export function verifyAnchorSignature(anchor: AnchorData, publicKey: KeyObject): boolean {
  // Stryker disable next-line ConditionalExpression: without it a missing signature still ends false (Buffer.from throws on null, an empty one does not verify); it keeps that outcome from depending on either.
  if (!anchor.signature) return false;
  try {
    return verify(null, statementBytes(anchor), publicKey, Buffer.from(anchor.signature, 'base64'));
  } catch {
    return false;
  }
}

/** LEDGER_SIGNING_KEY: an Ed25519 private key, PEM (PKCS#8). */
export function loadSigningKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`LEDGER_SIGNING_KEY must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}
