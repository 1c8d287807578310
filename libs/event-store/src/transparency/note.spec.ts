import { describe, expect, it } from '@jest/globals';
import { TransparencyError, type TransparencyErrorCode } from './errors.js';
import {
  ed25519Signer,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  noteKeyId,
  openNote,
  parseNote,
  parseSignatureLines,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  type NoteVerifier,
} from './note.js';

// Published keys, text and signatures of golang.org/x/mod sumdb/note/note_test.go (TestSign, TestOpen,
// TestNewVerifier, TestNewSigner) and example_test.go.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// The example of https://c2sp.org/signed-note (github.com/C2SP/C2SP signed-note.md, "Verifier keys").
const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_NOTE =
  'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

// Published signer/verifier key pairs of github.com/transparency-dev/formats log/note_test.go.
const FORMATS_KEYS: [string, string][] = [
  ['PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ', 'Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs'],
  [
    'PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci',
    'Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH',
  ],
  [
    'PRIVATE+KEY+Unknown+fdbb2e08+Aav2knTC6orbhXX8pMWuNiWgO+Wwk2DB+h1eU2Q1W1nU',
    'Unknown+fdbb2e08+AWgRIYZ+8x1Vl+1Q+sR8zciNHiYI1SdlBjNw+RV0rots',
  ],
];

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

function codeOf(run: () => unknown): TransparencyErrorCode | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof TransparencyError) return error.code;
    throw error;
  }
}

describe('published signed-note vectors', () => {
  it('signs the golang.org/x/mod text to the published note, byte for byte', () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(signer.verifierKey).toBe(PETER_VKEY);
    expect(signNote({ text: TEXT }, signer)).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('replaces an existing signature of the signing key, keeps the others', () => {
    const signer = parseSignerKey(PETER_SKEY);
    const previous = parseNote(`${TEXT}\n${ENOCH_SIG}— PeterNeumann x08go/ZJkuBS9UG/\n`);
    expect(signNote(previous, signer)).toBe(`${TEXT}\n${ENOCH_SIG}${PETER_SIG}`);
  });

  it('verifies the published note with the published verifier key', () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}`, [peter]);
    expect(opened.text).toBe(TEXT);
    expect(opened.verified.map((s) => [s.name, s.keyId])).toEqual([['PeterNeumann', 0xc74f20a3]]);
  });

  it('verifies the C2SP specification example', () => {
    expect(openNote(C2SP_NOTE, [parseVerifierKey(C2SP_VKEY)]).text).toBe('This is an example message.\n');
  });

  it('derives the published verifier key from each published signer key', () => {
    for (const [skey, vkey] of FORMATS_KEYS) {
      expect(parseSignerKey(skey).verifierKey).toBe(vkey);
      expect(parseVerifierKey(vkey).keyId).toBe(Number.parseInt(vkey.split('+')[1], 16));
    }
  });

  it('sets aside unknown keys and requires one known signature (TestOpen)', () => {
    const both = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const one = openNote(both, [peter]);
    expect(one.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(one.unverified.map((s) => [s.name, s.keyId])).toEqual([['EnochRoot', 0xaf0cfe78]]);
    expect(openNote(both, [peter, enoch]).verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(codeOf(() => openNote(both, []))).toBe('NOTE_UNVERIFIED');
  });

  it('refuses two verifiers for one key only when that key signed', () => {
    expect(codeOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, peter, enoch]))).toBe('NOTE_KEY_AMBIGUOUS');
    expect(openNote(`${TEXT}\n${PETER_SIG}`, [enoch, peter, enoch]).verified).toHaveLength(1);
  });

  it('refuses a known key whose signature fails, and more than 100 signatures', () => {
    const broken = `${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(codeOf(() => openNote(`${TEXT}\n${broken}`, [peter]))).toBe('NOTE_SIGNATURE_INVALID');
    expect(codeOf(() => openNote(`${TEXT}\n${PETER_SIG.repeat(101)}`, [peter]))).toBe('NOTE_MALFORMED');
    expect(openNote(`${TEXT}\n${PETER_SIG.repeat(100)}`, [peter]).verified).toHaveLength(1);
  });

  it('keeps one copy of duplicated signatures (TestOpen)', () => {
    const enochBroken = `${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`;
    const opened = openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG}${enochBroken}`, [peter]);
    expect(opened.verified).toHaveLength(1);
    expect(opened.unverified).toHaveLength(2);
  });

  it('refuses the malformed messages of TestOpen, with one stable code', () => {
    const bad = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n— PeterNeumann\n`,
      `${TEXT}\n— PeterNeumann x08g\n`,
      `${TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n`,
      `${TEXT}\n-- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${TEXT}\r\n${PETER_SIG}`,
      `\ud800${TEXT}\n${PETER_SIG}`,
    ];
    for (const message of bad) expect([message, codeOf(() => openNote(message, [peter]))]).toEqual([message, 'NOTE_MALFORMED']);
    // The same in bytes: "\xff" is not UTF-8 (TestOpen's last case).
    expect(codeOf(() => openNote(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]), [peter]))).toBe(
      'NOTE_MALFORMED',
    );
    expect(openNote(Buffer.from(`${TEXT}\n${PETER_SIG}`), [peter]).text).toBe(TEXT);
  });

  it('refuses a note text that does not end in a newline, and a bad signer name', () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(codeOf(() => signNote({ text: 'abc' }, signer))).toBe('NOTE_MALFORMED');
    expect(codeOf(() => signNote({ text: TEXT }, { ...signer, name: 'bad name' }))).toBe('KEY_MALFORMED');
  });
});

describe('keys', () => {
  it('refuses every substring and every one-byte change of the published verifier key (TestNewVerifier)', () => {
    const bytes = Buffer.from(PETER_VKEY);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i !== 0 || j !== bytes.length) expect(() => parseVerifierKey(bytes.subarray(i, j).toString())).toThrow(TransparencyError);
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i]++;
      expect(() => parseVerifierKey(changed.toString('latin1'))).toThrow(TransparencyError);
    }
    // C2SP signed-note spells the key ID in lower-case hex: the same key ID in upper case is another spelling.
    expect(codeOf(() => parseVerifierKey(PETER_VKEY.replace('c74f20a3', 'C74F20A3')))).toBe('KEY_MALFORMED');
    expect(codeOf(() => parseSignerKey(PETER_SKEY.replace('c74f20a3', 'C74F20A3')))).toBe('KEY_MALFORMED');
    // Wrong key length and unknown algorithm, each with a key ID that matches (TestNewVerifier).
    expect(codeOf(() => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='))).toBe(
      'KEY_MALFORMED',
    );
    expect(codeOf(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe(
      'KEY_TYPE_UNSUPPORTED',
    );
  });

  it('refuses every substring and every one-byte change of the published signer key (TestNewSigner)', () => {
    const bytes = Buffer.from(PETER_SKEY);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i + 1; j <= bytes.length; j++) {
        if (i !== 0 || j !== bytes.length) expect(() => parseSignerKey(bytes.subarray(i, j).toString())).toThrow(TransparencyError);
      }
    }
    for (let i = 0; i < bytes.length; i++) {
      const changed = Buffer.from(bytes);
      changed[i]++;
      expect(() => parseSignerKey(changed.toString('latin1'))).toThrow(TransparencyError);
    }
  });

  it('computes the key ID as SHA-256(name || 0x0A || 0x01 || public key)[:4]', () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(noteKeyId('PeterNeumann', Uint8Array.of(0x01, ...signer.publicKey))).toBe(0xc74f20a3);
    expect(formatVerifierKey('PeterNeumann', signer.publicKey)).toBe(PETER_VKEY);
  });

  it('generates key pairs that sign and verify, and writes seeds in the signer key format', () => {
    const { signerKey, verifierKey } = generateSignerKey('ledger.example/log');
    const signer = parseSignerKey(signerKey);
    expect(signer.verifierKey).toBe(verifierKey);
    const note = signNote({ text: 'hello\n' }, signer);
    expect(openNote(note, [parseVerifierKey(verifierKey)]).verified).toHaveLength(1);
    const seed = new Uint8Array(32).fill(7);
    expect(parseSignerKey(formatSignerKey('x.example', seed)).verifierKey).toBe(ed25519Signer('x.example', seed).verifierKey);
  });

  it('never throws from a verifier, whatever the signature bytes', () => {
    const verifier: NoteVerifier = peter;
    expect(verifier.verify(Buffer.from(TEXT), new Uint8Array(63))).toBe(false);
    expect(verifier.verify(Buffer.from(TEXT), new Uint8Array(64))).toBe(false);
  });
});

describe('signature lines', () => {
  it('parses a block of lines as a witness answers them', () => {
    const lines = parseSignatureLines(`${PETER_SIG}${ENOCH_SIG}`);
    expect(lines.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(codeOf(() => parseSignatureLines(PETER_SIG.slice(0, -1)))).toBe('NOTE_MALFORMED');
    expect(codeOf(() => parseSignatureLines(''))).toBe('NOTE_MALFORMED');
  });
});
