import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  ANCHOR_EVENT_TYPE,
  ANCHOR_STREAM,
  GENESIS_HASH,
  anchorNote,
  isChained,
  keyId,
  leafInput,
  loadSigningKey,
  nextRunningHash,
  signAnchor,
  statementBytes,
  verifyAnchorSignature,
} from './anchor.js';

// RFC 8032 section 7.1, TEST 1: the Ed25519 secret key and its public key.
const RFC8032_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
// DER of PKCS #8 PrivateKeyInfo and SPKI for Ed25519 (RFC 8410), up to the raw 32 bytes.
const PKCS8_PREFIX = '302e020100300506032b657004220420';
const SPKI_PREFIX = '302a300506032b6570032100';
const rfcKey = createPrivateKey({ key: Buffer.from(PKCS8_PREFIX + RFC8032_SECRET, 'hex'), format: 'der', type: 'pkcs8' });
const rfcPem = rfcKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rfcPublic = createPublicKey({ key: Buffer.from(SPKI_PREFIX + RFC8032_PUBLIC, 'hex'), format: 'der', type: 'spki' });

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const hashA = 'ab'.repeat(32);
const hashB = '0123456789abcdef'.repeat(4);

describe('the ledger chain, as anchor.ts documents it', () => {
  it('is named and started as stored ledgers have it', () => {
    expect([ANCHOR_STREAM, ANCHOR_EVENT_TYPE, GENESIS_HASH]).toEqual(['ledger-anchors', 'LedgerAnchored', '0'.repeat(64)]);
    expect([isChained({ stream: 'permit-A' }), isChained({ stream: 'ledger-anchors' })]).toEqual([true, false]);
  });

  it('running(n) = SHA-256 hex of running(n-1) ":" hash of the n-th event', () => {
    const one = sha256(`${'0'.repeat(64)}:${hashA}`);
    expect(nextRunningHash(GENESIS_HASH, hashA)).toBe(one);
    expect(nextRunningHash(one, hashB)).toBe(sha256(`${one}:${hashB}`));
  });

  it('signs exactly the canonical JSON of position, count and runningHash', () => {
    const statement = { position: 7, count: 5, runningHash: hashA };
    const text = `{"count":5,"position":7,"runningHash":"${hashA}"}`;
    expect(statementBytes({ ...statement, signature: 'x', keyId: 'y' } as typeof statement).toString('utf8')).toBe(text);
    const signed = signAnchor(statement, rfcKey);
    expect(verify(null, Buffer.from(text), rfcPublic, Buffer.from(signed.signature!, 'base64'))).toBe(true);
    expect(signed).toMatchObject({ ...statement, keyId: sha256(Buffer.from(SPKI_PREFIX + RFC8032_PUBLIC, 'hex')) });
    expect(signAnchor(statement, null)).toEqual({ ...statement, signature: null, keyId: null });
  });

  it('names the key by the SHA-256 of its SPKI DER', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(keyId(publicKey)).toBe(sha256(publicKey.export({ type: 'spki', format: 'der' })));
  });

  it('verifies a signature with the public key only, and is false, never a throw, for anything else', () => {
    const statement = { position: 3, count: 3, runningHash: hashB };
    const signed = signAnchor(statement, rfcKey);
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(verifyAnchorSignature(signed, rfcPublic)).toBe(true);
    expect(verifyAnchorSignature(signed, publicKey)).toBe(false);
    expect(verifyAnchorSignature({ ...signed, count: 4 }, rfcPublic)).toBe(false);
    for (const signature of [null, '', 'not base64 at all', undefined as unknown as string]) {
      expect(verifyAnchorSignature({ ...signed, signature }, rfcPublic)).toBe(false);
    }
  });

  it('is false when the check itself throws: a signature that is no string, a key that cannot verify', () => {
    const signed = signAnchor({ position: 3, count: 3, runningHash: hashB }, rfcKey);
    expect(() => Buffer.from(42 as unknown as string, 'base64')).toThrow('must be of type string');
    expect(verifyAnchorSignature({ ...signed, signature: 42 as unknown as string }, rfcPublic)).toBe(false);
    const x25519 = generateKeyPairSync('x25519').publicKey;
    expect(() => verify(null, statementBytes(signed), x25519, Buffer.from(signed.signature!, 'base64'))).toThrow('operation not supported');
    expect(verifyAnchorSignature(signed, x25519)).toBe(false);
  });

  it('loads an Ed25519 signing key from PEM and refuses any other kind', () => {
    expect(loadSigningKey(rfcPem).asymmetricKeyType).toBe('ed25519');
    const x25519 = generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadSigningKey(x25519)).toThrow('LEDGER_SIGNING_KEY must be an Ed25519 key, got x25519');
  });
});

describe('leaves and notes', () => {
  it('a leaf is the 32 bytes of the hex hash, in either case; anything else is refused', () => {
    expect(Buffer.from(leafInput({ hash: hashB })).toString('hex')).toBe(hashB);
    expect(Buffer.from(leafInput({ hash: hashB.toUpperCase() })).toString('hex')).toBe(hashB);
    for (const hash of [hashA.slice(2), `${hashA}ab`, `${hashA}gg`, `zz${hashA.slice(2)}`, '']) {
      expect(() => leafInput({ hash })).toThrow(`not a 32-byte hex hash: ${hash}`);
    }
  });

  it('the note of a v2 anchor, and null for any other event', () => {
    const anchor = { stream: ANCHOR_STREAM, type: ANCHOR_EVENT_TYPE, schemaVersion: 2, data: { note: 'n\n\n— k x\n' } };
    expect(anchorNote(anchor)).toBe('n\n\n— k x\n');
    expect(anchorNote({ ...anchor, schemaVersion: 3 })).toBe('n\n\n— k x\n');
    expect(anchorNote({ ...anchor, schemaVersion: 1 })).toBeNull();
    expect(anchorNote({ ...anchor, stream: 'permit-A' })).toBeNull();
    expect(anchorNote({ ...anchor, type: 'PermitIssued' })).toBeNull();
    expect(anchorNote({ ...anchor, data: { note: 42 } })).toBeNull();
    expect(anchorNote({ ...anchor, data: {} })).toBeNull();
  });
});
