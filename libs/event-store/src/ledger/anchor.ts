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
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { RecordedEvent } from '../port/envelope.js';
import { canonicalJson } from '../integrity/integrity.js';

export const ANCHOR_STREAM = 'ledger-anchors';
export const ANCHOR_EVENT_TYPE = 'LedgerAnchored';
export const GENESIS_HASH = '0'.repeat(64);

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

export function statementBytes(statement: AnchorStatement): Buffer {
  const { position, count, runningHash } = statement;
  return Buffer.from(canonicalJson({ position, count, runningHash }), 'utf8');
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
