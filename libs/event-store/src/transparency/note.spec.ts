import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { TransparencyError } from './errors.js';
import { formatCosignerKey } from './cosignature.js';
import {
  ed25519PrivateKey,
  ed25519PublicKey,
  ed25519Signer,
  ed25519Verify,
  formatNote,
  formatSignatureLine,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  noteKeyId,
  openNote,
  parseNote,
  parseSignatureLine,
  parseSignatureLines,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  splitSignerKey,
  splitVerifierKey,
  type NoteVerifier,
} from './note.js';
import { codeOf, messageOf } from './testing/refusals.js';

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

// MUTATION_QUICK=1 (mutation testing, where these specs run once per mutant): the prefixes and suffixes of a key
// instead of all its substrings, which catch the same mutants of note.ts; `npm test` tries every substring.
const QUICK = process.env.MUTATION_QUICK === '1';

/** Every substring of an ASCII text but the text itself (only the prefixes and suffixes when QUICK). */
function properSubstrings(text: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i++) {
    for (let j = i + 1; j <= text.length; j++) {
      if ((i !== 0 || j !== text.length) && (!QUICK || i === 0 || j === text.length)) parts.push(text.slice(i, j));
    }
  }
  return parts;
}

const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);

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
    for (const part of properSubstrings(PETER_VKEY)) expect(() => parseVerifierKey(part)).toThrow(TransparencyError);
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
    for (const part of properSubstrings(PETER_SKEY)) expect(() => parseSignerKey(part)).toThrow(TransparencyError);
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

describe('key names (C2SP signed-note: no Unicode spaces, no plus sign)', () => {
  it("refuses every character of Go's unicode.IsSpace, a plus sign, an empty name and a lone surrogate", () => {
    const refused = ['\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028'];
    refused.push('\u2029', '\u202f', '\u205f', '\u3000', '+', '\ud800', '\udc00');
    for (const c of refused) expect([c, isValidKeyName(`a${c}b`)]).toEqual([c, false]);
    expect(isValidKeyName('')).toBe(false);
  });

  it('accepts the characters next to them, and names with slashes, dots and other scripts', () => {
    const accepted = ['\u0084', '\u0086', '\u009f', '\u00a1', '\u167f', '\u1fff', '\u200b', '\u2027', '\u202a', '\u202e'];
    accepted.push('\u2030', '\u205e', '\u2060', '\u2fff', '\u3001', '\ud83d\ude00', '*', '-');
    for (const c of accepted) expect([c, isValidKeyName(`a${c}b`)]).toEqual([c, true]);
    expect(['example.com/foo', 'x', 'sigsum.org/v1/tree/4d6d'].every(isValidKeyName)).toBe(true);
  });

  it('refuses a bad name wherever a key is made', () => {
    const seed = new Uint8Array(32).fill(3);
    expect(messageOf(() => ed25519Signer('bad name', seed))).toBe('KEY_MALFORMED: bad key name');
    expect(messageOf(() => formatVerifierKey('bad+name', new Uint8Array(32)))).toBe('KEY_MALFORMED: bad key name');
  });
});

describe('what a refusal says', () => {
  it('carries its code in the message and the name TransparencyError', () => {
    const error = new TransparencyError('NOTE_MALFORMED', 'why');
    expect([error.name, error.code, error.message]).toEqual(['TransparencyError', 'NOTE_MALFORMED', 'NOTE_MALFORMED: why']);
  });

  it('names what is wrong with a malformed note', () => {
    const cases: [string | Uint8Array, string][] = [
      [TEXT, 'no blank line before the signatures'],
      [`${TEXT}\n`, 'no signature lines, or the last one is not terminated'],
      [`${TEXT}\n${PETER_SIG.slice(0, -1)}`, 'no signature lines, or the last one is not terminated'],
      [`\x01${TEXT}\n${PETER_SIG}`, 'a control character other than newline'],
      [`\ud800${TEXT}\n${PETER_SIG}`, 'not valid UTF-8'],
      [Buffer.from([0xff]), 'not valid UTF-8'],
      [`${TEXT}\n${PETER_SIG.repeat(101)}`, 'more than 100 signatures'],
      [`${TEXT}\n-- PeterNeumann x08g\n`, 'signature line: does not start with an em dash and a space'],
      [`${TEXT}\n— Bad+Name x08go/ZJkuBS9UG/\n`, 'signature line: bad key name'],
      [`${TEXT}\n— PeterNeumann\n`, 'signature line: bad base64 signature'],
      [`${TEXT}\n— PeterNeumann x08g\n`, 'signature line: bad base64 signature'],
    ];
    for (const [message, why] of cases) expect(messageOf(() => parseNote(message))).toBe(`NOTE_MALFORMED: ${why}`);
    expect(messageOf(() => formatNote({ text: TEXT, signatures: [] }))).toBe('NOTE_MALFORMED: a note has at least one signature');
    expect(messageOf(() => signNote({ text: 'no newline' }))).toBe('NOTE_MALFORMED: the text must end in a newline');
    expect(messageOf(() => signNote({ text: 'a\rb\n' }))).toBe('NOTE_MALFORMED: bad characters in the text');
    expect(messageOf(() => signNote({ text: '\udc00\n' }))).toBe('NOTE_MALFORMED: bad characters in the text');
    expect(messageOf(() => parseSignatureLines(`${PETER_SIG}\u0007`))).toBe('NOTE_MALFORMED: signature lines must end in a newline');
    expect(messageOf(() => parseSignatureLines(`\u0007${PETER_SIG}`))).toBe('NOTE_MALFORMED: bad characters');
    expect(messageOf(() => parseSignatureLines(`\ud800${PETER_SIG}`))).toBe('NOTE_MALFORMED: bad characters');
  });

  it('names the key whose signature fails, and the keys that are ambiguous or missing', () => {
    const broken = `${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(messageOf(() => openNote(`${TEXT}\n${broken}`, [peter]))).toBe(
      'NOTE_SIGNATURE_INVALID: invalid signature for key PeterNeumann+c74f20a3',
    );
    expect(messageOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [enoch, enoch]))).toBe(
      'NOTE_KEY_AMBIGUOUS: several verifiers for EnochRoot+af0cfe78',
    );
    expect(messageOf(() => openNote(`${TEXT}\n${ENOCH_SIG}`, [peter]))).toBe('NOTE_UNVERIFIED: no signature of a known key');
  });

  it('names what is wrong with a key', () => {
    const seed = new Uint8Array(32).fill(5);
    expect(messageOf(() => ed25519PrivateKey(seed.subarray(1)))).toBe('KEY_MALFORMED: an Ed25519 seed has 32 bytes');
    expect(messageOf(() => ed25519PublicKey(seed.subarray(1)))).toBe('KEY_MALFORMED: an Ed25519 public key has 32 bytes');
    expect(messageOf(() => formatVerifierKey('x', seed.subarray(1)))).toBe('KEY_MALFORMED: an Ed25519 public key has 32 bytes');
    expect(messageOf(() => parseVerifierKey('PeterNeumann+c74f20a3'))).toBe(
      'KEY_MALFORMED: a verifier key is <name>+<8 lower-case hex digits>+<base64(type || key)>',
    );
    expect(messageOf(() => parseVerifierKey(PETER_VKEY.replace('+c74f20a3+', '+c74f20a4+')))).toBe(
      "KEY_HASH_MISMATCH: key ID c74f20a4 is not that of PeterNeumann's key",
    );
    expect(messageOf(() => parseSignerKey(PETER_SKEY.replace('+c74f20a3+', '+c74f20a4+')))).toBe(
      "KEY_HASH_MISMATCH: key ID c74f20a4 is not that of PeterNeumann's key",
    );
    expect(messageOf(() => parseSignerKey('PRIVATE+KEY+PeterNeumann+c74f20a3'))).toBe(
      'KEY_MALFORMED: a signer key is PRIVATE+KEY+<name>+<8 hex digits>+<base64(type || seed)>',
    );
    // A cosignature (type 0x04) signer key is no note signer key.
    expect(messageOf(() => parseSignerKey(formatCosignerKey('w.example', seed)))).toBe('KEY_TYPE_UNSUPPORTED: signature type 4');
  });

  it('a verifier key needs a type and a key: one byte is malformed, two bytes are a short Ed25519 key', () => {
    const typed = (bytes: number[]) => {
      const key = Uint8Array.from(bytes);
      return `n+${noteKeyId('n', key).toString(16).padStart(8, '0')}+${Buffer.from(key).toString('base64')}`;
    };
    expect(messageOf(() => splitVerifierKey(typed([0x01])))).toMatch(/^KEY_MALFORMED: a verifier key is/);
    expect(splitVerifierKey(typed([0x01, 0x07]))).toMatchObject({ name: 'n', type: 1, publicKey: Uint8Array.of(7) });
    expect(messageOf(() => parseVerifierKey(typed([0x01, 0x07])))).toBe('KEY_MALFORMED: an Ed25519 public key has 32 bytes');
  });
});

describe('signature lines and bytes', () => {
  it('takes a signature of at least a key ID and one byte, and formats it back', () => {
    const five = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x2a]).toString('base64');
    const line = parseSignatureLine(`— someone ${five}`);
    expect([line.name, line.keyId, Array.from(line.signature)]).toEqual(['someone', 0xdeadbeef, [0x2a]]);
    expect(formatSignatureLine(line)).toBe(`— someone ${five}\n`);
    const four = Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64');
    expect(messageOf(() => parseSignatureLine(`— someone ${four}`))).toBe('NOTE_MALFORMED: signature line: bad base64 signature');
    expect(openNote(`${TEXT}\n— someone ${five}\n${PETER_SIG}`, [peter]).unverified.map((s) => s.name)).toEqual(['someone']);
  });

  it('verifies the bytes as they came: a byte order mark before the text is part of it', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]);
    expect(codeOf(() => openNote(bom, [peter]))).toBe('NOTE_SIGNATURE_INVALID');
    expect(parseNote(bom).text).toBe(`\ufeff${TEXT}`);
  });

  it("re-signing replaces only the signer's own signature: the same name with another key ID stays", () => {
    const signer = parseSignerKey(PETER_SKEY);
    const other = formatSignatureLine({ name: 'PeterNeumann', keyId: 0x01020304, signature: new Uint8Array(64).fill(9) });
    expect(signNote(parseNote(`${TEXT}\n${other}${PETER_SIG}`), signer)).toBe(`${TEXT}\n${other}${PETER_SIG}`);
  });

  it('spells a key ID in eight hex digits, leading zeros included (the sum.golang.org key)', () => {
    // The Go checksum database's published verifier key (go cmd/go/internal/modfetch/key.go, knownGOSUMDB): its key ID starts with 0.
    const vkey = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
    const publicKey = Buffer.from(vkey.split('+').slice(2).join('+'), 'base64').subarray(1);
    expect(formatVerifierKey('sum.golang.org', publicKey)).toBe(vkey);
    expect(parseVerifierKey(vkey).keyId).toBe(0x033de0ae);
  });
});

describe('the edges of notes, signature lines and keys', () => {
  const signer = parseSignerKey(PETER_SKEY);
  const other = ed25519Signer('other.example', new Uint8Array(32).fill(4));
  const lineOf = (name: string, keyId: number, signature: Uint8Array = new Uint8Array(64).fill(9)) =>
    formatSignatureLine({ name, keyId, signature });

  it('takes a note whose text is a single empty line', () => {
    const note = signNote({ text: '\n' }, signer);
    expect(note.startsWith('\n\n— PeterNeumann ')).toBe(true);
    expect(parseNote(note).text).toBe('\n');
    expect(openNote(note, [peter]).verified.map((s) => s.name)).toEqual(['PeterNeumann']);
  });

  it('reads a line without a space as a name without a signature', () => {
    const why = (line: string) => messageOf(() => parseSignatureLine(line));
    expect(why('— x')).toBe('NOTE_MALFORMED: signature line: bad base64 signature');
    expect(why('— Bad+')).toBe('NOTE_MALFORMED: signature line: bad key name');
    expect(why('— ')).toBe('NOTE_MALFORMED: signature line: bad key name');
    expect(why(`—  ${PETER_SIG.slice(15, -1)}`)).toBe('NOTE_MALFORMED: signature line: bad key name');
  });

  it('names a bad signer name', () => {
    expect(messageOf(() => signNote({ text: TEXT }, { ...signer, name: 'bad name' }))).toBe('KEY_MALFORMED: bad signer name');
  });

  it('with several signers, replaces the previous signature of each of them', () => {
    const otherLine = lineOf(other.name, other.keyId, other.sign(Buffer.from(TEXT)));
    const previous = parseNote(`${TEXT}\n${ENOCH_SIG}— PeterNeumann x08go/ZJkuBS9UG/\n`);
    expect(signNote(previous, signer, other)).toBe(`${TEXT}\n${ENOCH_SIG}${PETER_SIG}${otherLine}`);
    expect(signNote(parseNote(`${TEXT}\n${otherLine}${PETER_SIG}`), other, signer)).toBe(`${TEXT}\n${otherLine}${PETER_SIG}`);
  });

  it("re-signing keeps another name's signature even under the signer's key ID", () => {
    const impostor = lineOf('Impostor', signer.keyId);
    expect(signNote(parseNote(`${TEXT}\n${impostor}`), signer)).toBe(`${TEXT}\n${impostor}${PETER_SIG}`);
  });

  it('trusts a verifier only for its own name and key ID, both', () => {
    const sameId = lineOf('Impostor', peter.keyId);
    const sameName = lineOf('PeterNeumann', 0xc74f20a2);
    const opened = openNote(`${TEXT}\n${sameId}${sameName}${PETER_SIG}`, [peter]);
    expect(opened.verified.map((s) => [s.name, s.keyId])).toEqual([['PeterNeumann', 0xc74f20a3]]);
    expect(opened.unverified.map((s) => [s.name, s.keyId])).toEqual([
      ['Impostor', 0xc74f20a3],
      ['PeterNeumann', 0xc74f20a2],
    ]);
  });

  it('names the signature type it does not support', () => {
    expect(messageOf(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))).toBe(
      'KEY_TYPE_UNSUPPORTED: signature type 101',
    );
  });

  it('refuses a key ID with a character before or after its 8 hex digits', () => {
    const vkeyMalformed = 'KEY_MALFORMED: a verifier key is <name>+<8 lower-case hex digits>+<base64(type || key)>';
    const skeyMalformed = 'KEY_MALFORMED: a signer key is PRIVATE+KEY+<name>+<8 hex digits>+<base64(type || seed)>';
    for (const hash of ['c74f20a30', '0c74f20a3', 'xc74f20a3', 'c74f20a3x', 'c74f20a3 ', ' c74f20a3', 'c74f20a3\n']) {
      expect([hash, messageOf(() => parseVerifierKey(PETER_VKEY.replace('c74f20a3', hash)))]).toEqual([hash, vkeyMalformed]);
      expect([hash, messageOf(() => parseSignerKey(PETER_SKEY.replace('c74f20a3', hash)))]).toEqual([hash, skeyMalformed]);
    }
  });

  it('refuses a signer key whose seed is not 32 bytes, before reading its type', () => {
    const skey = (typed: number[]) => `PRIVATE+KEY+PeterNeumann+c74f20a3+${Buffer.from(typed).toString('base64')}`;
    const malformed = 'KEY_MALFORMED: a signer key is PRIVATE+KEY+<name>+<8 hex digits>+<base64(type || seed)>';
    for (const length of [0, 31, 33]) {
      expect([length, messageOf(() => parseSignerKey(skey([0x01, ...new Uint8Array(length).fill(7)])))]).toEqual([length, malformed]);
    }
    expect(splitSignerKey(skey([0x01, ...new Uint8Array(32).fill(7)]))).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3, type: 1 });
  });

  it('checks the name of a signer before its seed', () => {
    expect(messageOf(() => ed25519Signer('bad name', new Uint8Array(31)))).toBe('KEY_MALFORMED: bad key name');
  });

  it('refuses a public key the crypto library cannot take, and verifies nothing with a key of another algorithm', () => {
    // 32 numbers that are not a byte array: the library's TypeError becomes a refusal of the key.
    expect(messageOf(() => ed25519PublicKey(Array<number>(32).fill(0) as unknown as Uint8Array))).toBe(
      'KEY_MALFORMED: not an Ed25519 public key',
    );
    const x25519 = generateKeyPairSync('x25519').publicKey;
    expect(ed25519Verify(x25519, Buffer.from(TEXT), new Uint8Array(64))).toBe(false);
  });
});
