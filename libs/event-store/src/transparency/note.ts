import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, encodeBase64, hasControlCharacter } from './encoding.js';
import { TransparencyError } from './errors.js';

/**
 * C2SP signed notes (https://c2sp.org/signed-note, the format of golang.org/x/mod/sumdb/note): a text of
 * newline-terminated lines, a blank line, then one line per signature, `— <key name> <base64(key ID || sig)>`.
 * Keys are identified by (name, 32-bit key ID); the key ID is the first 4 bytes of
 * SHA-256(name || 0x0A || signature type || public key), so one key can serve several signature types.
 */
export const SIGNATURE_TYPE_ED25519 = 0x01;

/** A signature line: the key it claims and the signature bytes after the key ID. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

export interface Note {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Uint8Array;
}

/** verify gets the note text and the signature bytes after the key ID; it never throws. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface OpenedNote {
  readonly text: string;
  /** Signatures of known keys, each verified (one per key). */
  readonly verified: readonly NoteSignature[];
  /** Signatures of keys not given (witnesses one does not follow, a rotated key): kept, never trusted. */
  readonly unverified: readonly NoteSignature[];
}

/** Verifiers must accept at least 16 signatures; golang.org/x/mod/sumdb/note stops at 100, as here. */
export const MAX_SIGNATURES = 100;

/** Key names are non-empty, without Unicode spaces (Go's unicode.IsSpace) or plus signs. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000+]/.test(name) && isWellFormed(name);
}

/** The 32-bit key ID of (name, signature type || public key). */
export function noteKeyId(name: string, typedKey: Uint8Array): number {
  return createHash('sha256').update(name).update('\n').update(typedKey).digest().readUInt32BE(0);
}

/** Notes arrive as bytes: invalid UTF-8 is refused here rather than replaced by U+FFFD. */
export function decodeNote(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new TransparencyError('NOTE_MALFORMED', 'not valid UTF-8');
  }
}

export function parseNote(input: string | Uint8Array): Note {
  const message = typeof input === 'string' ? input : decodeNote(input);
  const malformed = (why: string) => new TransparencyError('NOTE_MALFORMED', why);
  if (!isWellFormed(message)) throw malformed('not valid UTF-8');
  if (hasControlCharacter(message)) throw malformed('a control character other than newline');
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  // An empty block does not end in a newline either.
  if (!block.endsWith('\n')) throw malformed('no signature lines, or the last one is not terminated');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

/** One `— <name> <base64>` line, without its newline. */
export function parseSignatureLine(line: string): NoteSignature {
  const malformed = (why: string) => new TransparencyError('NOTE_MALFORMED', `signature line: ${why}`);
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed('does not start with an em dash and a space');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const name = rest.split(' ', 1)[0];
  // Without a space the base64 is the empty text, whose zero bytes are too short for a signature.
  const bytes = decodeBase64(rest.slice(name.length + 1));
  if (!isValidKeyName(name)) throw malformed('bad key name');
  if (bytes === undefined || bytes.length < 5) throw malformed('bad base64 signature');
  return { name, keyId: Buffer.from(bytes).readUInt32BE(0), signature: bytes.subarray(4) };
}

/** Signature lines as a witness answers them (C2SP tlog-witness add-checkpoint): each ends in a newline. */
export function parseSignatureLines(block: string): NoteSignature[] {
  if (!block.endsWith('\n')) throw new TransparencyError('NOTE_MALFORMED', 'signature lines must end in a newline');
  if (!isWellFormed(block) || hasControlCharacter(block)) throw new TransparencyError('NOTE_MALFORMED', 'bad characters');
  return block.slice(0, -1).split('\n').map(parseSignatureLine);
}

export function formatSignatureLine(signature: NoteSignature): string {
  const bytes = Buffer.alloc(4 + signature.signature.length);
  bytes.writeUInt32BE(signature.keyId, 0);
  bytes.set(signature.signature, 4);
  return `${SIGNATURE_PREFIX}${signature.name} ${encodeBase64(bytes)}\n`;
}

export function formatNote(note: Note): string {
  assertText(note.text);
  if (note.signatures.length === 0) throw new TransparencyError('NOTE_MALFORMED', 'a note has at least one signature');
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

/**
 * Signs the text with every signer; signatures already on the note are kept after the text, except those
 * of the signers' own keys, which are replaced (as golang.org/x/mod/sumdb/note Sign does).
 */
export function signNote(note: { text: string; signatures?: readonly NoteSignature[] }, ...signers: NoteSigner[]): string {
  assertText(note.text);
  const message = Buffer.from(note.text);
  const fresh = signers.map((signer): NoteSignature => {
    if (!isValidKeyName(signer.name)) throw new TransparencyError('KEY_MALFORMED', 'bad signer name');
    return { name: signer.name, keyId: signer.keyId, signature: signer.sign(message) };
  });
  const kept = (note.signatures ?? []).filter((s) => !signers.some((signer) => signer.name === s.name && signer.keyId === s.keyId));
  return formatNote({ text: note.text, signatures: [...kept, ...fresh] });
}

/**
 * Parses and verifies: signatures of unknown keys are set aside, a known key's signature must verify
 * (NOTE_SIGNATURE_INVALID otherwise), and at least one must (NOTE_UNVERIFIED). Two verifiers for one
 * (name, key ID) are refused (NOTE_KEY_AMBIGUOUS) rather than tried in turn.
 */
export function openNote(message: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const note = parseNote(message);
  const bytes = Buffer.from(note.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  const seenUnknown = new Set<string>();
  for (const signature of note.signatures) {
    const known = verifiers.filter((v) => v.name === signature.name && v.keyId === signature.keyId);
    const id = `${signature.name}+${hex8(signature.keyId)}`;
    if (known.length === 0) {
      const line = formatSignatureLine(signature);
      if (!seenUnknown.has(line)) unverified.push(signature);
      seenUnknown.add(line);
      continue;
    }
    if (known.length > 1) throw new TransparencyError('NOTE_KEY_AMBIGUOUS', `several verifiers for ${id}`);
    if (seen.has(id)) continue;
    seen.add(id);
    if (!known[0].verify(bytes, signature.signature))
      throw new TransparencyError('NOTE_SIGNATURE_INVALID', `invalid signature for key ${id}`);
    verified.push(signature);
  }
  if (verified.length === 0) throw new TransparencyError('NOTE_UNVERIFIED', 'no signature of a known key');
  return { text: note.text, verified, unverified };
}

/** A verifier key: `<name>+<8 hex key ID>+<base64(type || public key)>`, split and checked but not typed. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
}

export function splitVerifierKey(vkey: string): VerifierKey {
  const malformed = () =>
    new TransparencyError('KEY_MALFORMED', 'a verifier key is <name>+<8 lower-case hex digits>+<base64(type || key)>');
  const parts = splitKey(vkey, 3);
  if (parts === undefined) throw malformed();
  const [name, hash, key64] = parts;
  const typed = decodeBase64(key64);
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(hash) || typed === undefined || typed.length < 2) throw malformed();
  const id = Number.parseInt(hash, 16);
  if (id !== noteKeyId(name, typed)) throw new TransparencyError('KEY_HASH_MISMATCH', `key ID ${hash} is not that of ${name}'s key`);
  return { name, keyId: id, type: typed[0], publicKey: typed.subarray(1) };
}

/** An Ed25519 (type 0x01) note verifier. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const key = splitVerifierKey(vkey);
  if (key.type !== SIGNATURE_TYPE_ED25519) throw new TransparencyError('KEY_TYPE_UNSUPPORTED', `signature type ${key.type}`);
  // Stryker disable next-line ConditionalExpression: ed25519PublicKey refuses the same lengths with the same error
  if (key.publicKey.length !== 32) throw new TransparencyError('KEY_MALFORMED', 'an Ed25519 public key has 32 bytes');
  const publicKey = ed25519PublicKey(key.publicKey);
  return { name: key.name, keyId: key.keyId, verify: (message, signature) => ed25519Verify(publicKey, message, signature) };
}

export function formatVerifierKey(name: string, publicKey: Uint8Array, type = SIGNATURE_TYPE_ED25519): string {
  if (!isValidKeyName(name)) throw new TransparencyError('KEY_MALFORMED', 'bad key name');
  if (publicKey.length !== 32) throw new TransparencyError('KEY_MALFORMED', 'an Ed25519 public key has 32 bytes');
  const typed = Uint8Array.of(type, ...publicKey);
  return `${name}+${hex8(noteKeyId(name, typed))}+${encodeBase64(typed)}`;
}

export interface Ed25519NoteSigner extends NoteSigner {
  readonly publicKey: Uint8Array;
  readonly verifierKey: string;
}

/** An Ed25519 note signer from its 32-byte seed (the RFC 8032 private key). */
export function ed25519Signer(name: string, seed: Uint8Array): Ed25519NoteSigner {
  if (!isValidKeyName(name)) throw new TransparencyError('KEY_MALFORMED', 'bad key name');
  const privateKey = ed25519PrivateKey(seed);
  const publicKey = ed25519PublicKeyBytes(privateKey);
  return {
    name,
    keyId: noteKeyId(name, Uint8Array.of(SIGNATURE_TYPE_ED25519, ...publicKey)),
    publicKey,
    verifierKey: formatVerifierKey(name, publicKey),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** `PRIVATE+KEY+<name>+<8 hex key ID>+<base64(0x01 || seed)>`, the golang.org/x/mod/sumdb/note signer key. */
export function parseSignerKey(skey: string): Ed25519NoteSigner {
  const { name, keyId: id, type, secret } = splitSignerKey(skey);
  if (type !== SIGNATURE_TYPE_ED25519) throw new TransparencyError('KEY_TYPE_UNSUPPORTED', `signature type ${type}`);
  const signer = ed25519Signer(name, secret);
  if (signer.keyId !== id) throw new TransparencyError('KEY_HASH_MISMATCH', `key ID ${hex8(id)} is not that of ${name}'s key`);
  return signer;
}

export function formatSignerKey(name: string, seed: Uint8Array, type = SIGNATURE_TYPE_ED25519): string {
  const publicKey = ed25519PublicKeyBytes(ed25519PrivateKey(seed));
  return `PRIVATE+KEY+${name}+${hex8(noteKeyId(name, Uint8Array.of(type, ...publicKey)))}+${encodeBase64(Uint8Array.of(type, ...seed))}`;
}

/** A fresh Ed25519 key pair in both text forms (the signer key is a secret: store it as one). */
export function generateSignerKey(name: string): { signerKey: string; verifierKey: string } {
  const seed = randomBytes(32);
  return { signerKey: formatSignerKey(name, seed), verifierKey: ed25519Signer(name, seed).verifierKey };
}

/** The parts of a signer key, for any signature type; the key ID is checked by the caller's type. */
export function splitSignerKey(skey: string): { name: string; keyId: number; type: number; secret: Uint8Array } {
  const malformed = () =>
    new TransparencyError('KEY_MALFORMED', 'a signer key is PRIVATE+KEY+<name>+<8 hex digits>+<base64(type || seed)>');
  const parts = splitKey(skey, 5);
  if (parts === undefined) throw malformed();
  const [private1, private2, name, hash, key64] = parts;
  const typed = decodeBase64(key64);
  if (
    private1 !== 'PRIVATE' ||
    private2 !== 'KEY' ||
    !isValidKeyName(name) ||
    !/^[0-9a-f]{8}$/.test(hash) ||
    typed === undefined ||
    typed.length !== 33
  ) {
    throw malformed();
  }
  return { name, keyId: Number.parseInt(hash, 16), type: typed[0], secret: typed.subarray(1) };
}

export function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TransparencyError('KEY_MALFORMED', 'an Ed25519 seed has 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function ed25519PublicKey(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new TransparencyError('KEY_MALFORMED', 'an Ed25519 public key has 32 bytes');
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  } catch {
    throw new TransparencyError('KEY_MALFORMED', 'not an Ed25519 public key');
  }
}

export function ed25519PublicKeyBytes(privateKey: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length));
}

export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  // Stryker disable next-line ConditionalExpression: OpenSSL answers false for an Ed25519 signature of another length as well
  if (signature.length !== 64) return false;
  try {
    return verify(null, message, publicKey, signature);
  } catch {
    return false;
  }
}

export function hex8(id: number): string {
  return id.toString(16).padStart(8, '0');
}

const SIGNATURE_PREFIX = '\u2014 ';
// DER of PKCS #8 PrivateKeyInfo and SPKI for Ed25519 (RFC 8410), up to the raw 32 bytes.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Splits at the first count - 1 plus signs: the last part is base64, which may hold '+'. */
function splitKey(key: string, count: number): string[] | undefined {
  const parts: string[] = [];
  let rest = key;
  for (let i = 0; i < count - 1; i++) {
    const plus = rest.indexOf('+');
    // Without this check every later part would be rest minus its last character and the last part rest: a key ID of 8 hex
    // digits would leave 9 characters of base64, which decodeBase64 refuses. A '+' at 0 gives an empty part, refused too.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the callers refuse every key this check refuses
    if (plus < 0) return undefined;
    parts.push(rest.slice(0, plus));
    rest = rest.slice(plus + 1);
  }
  parts.push(rest);
  return parts;
}

function assertText(text: string): void {
  if (!text.endsWith('\n')) throw new TransparencyError('NOTE_MALFORMED', 'the text must end in a newline');
  if (!isWellFormed(text) || hasControlCharacter(text)) throw new TransparencyError('NOTE_MALFORMED', 'bad characters in the text');
}

function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}
