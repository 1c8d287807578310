import { sign } from 'node:crypto';
import { decodeBase64, encodeBase64, parseDecimal } from './encoding.js';
import { TransparencyError } from './errors.js';
import { parseCheckpoint } from './checkpoint.js';
import { HASH_SIZE, type Hash } from './merkle.js';
import {
  ed25519PrivateKey,
  ed25519PublicKey,
  ed25519PublicKeyBytes,
  ed25519Verify,
  formatNote,
  formatSignatureLine,
  formatVerifierKey,
  hex8,
  isValidKeyName,
  noteKeyId,
  parseNote,
  splitSignerKey,
  splitVerifierKey,
  type NoteSignature,
  type NoteVerifier,
} from './note.js';

/**
 * C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature), Ed25519: a witness signs
 * "cosignature/v1\ntime <t>\n" + the checkpoint text; its note signature is key ID || u64 t || signature, with
 * the key ID of type 0x04. The message does not name the witness, so a key must serve one witness name only.
 */
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

export function cosignatureMessage(checkpointText: string, timestamp: number): Uint8Array {
  assertTimestamp(timestamp);
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

export interface Cosigner {
  readonly name: string;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  /** `<name>+<key ID>+<base64(0x04 || public key)>`. */
  readonly verifierKey: string;
  /** The signature of a checkpoint text at a POSIX time in seconds; refuses what is not a checkpoint. */
  cosign(checkpointText: string, timestamp: number): NoteSignature;
}

export function cosignerFromSeed(name: string, seed: Uint8Array): Cosigner {
  if (!isValidKeyName(name)) throw new TransparencyError('KEY_MALFORMED', 'bad key name');
  const privateKey = ed25519PrivateKey(seed);
  const publicKey = ed25519PublicKeyBytes(privateKey);
  const id = noteKeyId(name, Uint8Array.of(SIGNATURE_TYPE_COSIGNATURE_V1, ...publicKey));
  return {
    name,
    keyId: id,
    publicKey,
    verifierKey: formatVerifierKey(name, publicKey, SIGNATURE_TYPE_COSIGNATURE_V1),
    cosign(checkpointText, timestamp) {
      parseCheckpoint(checkpointText);
      if (timestamp === 0) throw new RangeError('a witness cosignature carries its time (tlog-witness)');
      const signature = Buffer.alloc(TIMESTAMP_SIZE + 64);
      signature.writeBigUInt64BE(BigInt(timestamp), 0);
      signature.set(sign(null, cosignatureMessage(checkpointText, timestamp), privateKey), TIMESTAMP_SIZE);
      return { name, keyId: id, signature: new Uint8Array(signature) };
    },
  };
}

/** `PRIVATE+KEY+<name>+<key ID>+<base64(0x04 || seed)>`, the key ID being that of the 0x04 public key. */
export function parseCosignerKey(skey: string): Cosigner {
  const { name, keyId: id, type, secret } = splitSignerKey(skey);
  if (type !== SIGNATURE_TYPE_COSIGNATURE_V1) throw new TransparencyError('KEY_TYPE_UNSUPPORTED', `signature type ${type}`);
  const cosigner = cosignerFromSeed(name, secret);
  if (cosigner.keyId !== id) throw new TransparencyError('KEY_HASH_MISMATCH', `key ID ${hex8(id)} is not that of ${name}'s key`);
  return cosigner;
}

export function formatCosignerKey(name: string, seed: Uint8Array): string {
  const cosigner = cosignerFromSeed(name, seed);
  return `PRIVATE+KEY+${name}+${hex8(cosigner.keyId)}+${encodeBase64(Uint8Array.of(SIGNATURE_TYPE_COSIGNATURE_V1, ...seed))}`;
}

/** The time a cosignature claims (POSIX seconds), or undefined when the bytes are not a v1 cosignature. */
export function cosignatureTime(signature: NoteSignature): number | undefined {
  if (signature.signature.length !== TIMESTAMP_SIZE + 64) return undefined;
  const time = Buffer.from(signature.signature.buffer, signature.signature.byteOffset, TIMESTAMP_SIZE).readBigUInt64BE(0);
  return time <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(time) : undefined;
}

/** A note verifier for a witness's cosignatures (vkey of type 0x04), to pass to openNote or openCheckpoint. */
export function parseCosignatureVerifierKey(vkey: string): NoteVerifier {
  const key = splitVerifierKey(vkey);
  if (key.type !== SIGNATURE_TYPE_COSIGNATURE_V1) throw new TransparencyError('KEY_TYPE_UNSUPPORTED', `signature type ${key.type}`);
  // Stryker disable next-line ConditionalExpression: ed25519PublicKey refuses the same lengths with the same error
  if (key.publicKey.length !== 32) throw new TransparencyError('KEY_MALFORMED', 'an Ed25519 public key has 32 bytes');
  const publicKey = ed25519PublicKey(key.publicKey);
  return {
    name: key.name,
    keyId: key.keyId,
    verify(message, signature) {
      const time = cosignatureTime({ name: key.name, keyId: key.keyId, signature });
      if (time === undefined) return false;
      const text = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('utf8');
      return ed25519Verify(publicKey, cosignatureMessage(text, time), signature.subarray(TIMESTAMP_SIZE));
    },
  };
}

/**
 * Adds signature lines (a witness's answer) to a note, skipping any already on it; the caller then opens the
 * result with the witnesses' verifiers before presenting it as cosigned.
 */
export function addSignatures(message: string, signatures: readonly NoteSignature[]): string {
  const note = parseNote(message);
  const lines = new Set(note.signatures.map(formatSignatureLine));
  const added = signatures.filter((s) => !lines.has(formatSignatureLine(s)));
  return formatNote({ text: note.text, signatures: [...note.signatures, ...added] });
}

/**
 * The body of a C2SP tlog-witness add-checkpoint request (https://c2sp.org/tlog-witness): `old <size>\n`, one
 * base64 consistency proof hash a line (at most 63), an empty line, then the signed checkpoint note.
 */
export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Hash[];
  readonly checkpoint: string;
}

export const MAX_PROOF_LINES = 63;

export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(request.oldSize) || request.oldSize < 0) throw new RangeError('old size');
  if (request.proof.length > MAX_PROOF_LINES || request.proof.some((h) => h.length !== HASH_SIZE)) throw new RangeError('proof');
  parseNote(request.checkpoint);
  return `old ${request.oldSize}\n${request.proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${request.checkpoint}`;
}

/** Strict parse of the framing; the checkpoint itself is left to openCheckpoint (a 403, not a 400). */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const malformed = (why: string) => new TransparencyError('WITNESS_REQUEST_MALFORMED', why);
  const blank = body.indexOf('\n\n');
  if (blank < 0) throw malformed('no empty line before the checkpoint');
  const [oldLine, ...proofLines] = body.slice(0, blank).split('\n');
  const checkpoint = body.slice(blank + 2);
  const oldSize = oldLine.startsWith('old ') ? parseDecimal(oldLine.slice(4)) : undefined;
  if (oldSize === undefined) throw malformed('the first line is not "old <size>" in decimal without leading zeros');
  if (proofLines.length > MAX_PROOF_LINES) throw malformed(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = proofLines.map((line) => {
    const hash = decodeBase64(line);
    if (hash === undefined || hash.length !== HASH_SIZE) throw malformed(`a proof line is not the base64 of ${HASH_SIZE} bytes`);
    return hash;
  });
  if (checkpoint === '') throw malformed('no checkpoint');
  return { oldSize, proof, checkpoint };
}

const TIMESTAMP_SIZE = 8;

function assertTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`timestamp ${timestamp} is not POSIX seconds`);
}
