import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import {
  addSignatures,
  cosignatureMessage,
  cosignatureTime,
  cosignerFromSeed,
  formatAddCheckpoint,
  formatCosignerKey,
  parseAddCheckpoint,
  parseCosignatureVerifierKey,
  parseCosignerKey,
} from './cosignature.js';
import { TransparencyError } from './errors.js';
import { CompactRange, MemoryTreeHashes, consistencyProof, leafHash, verifyConsistency } from './merkle.js';
import {
  formatSignatureLine,
  formatVerifierKey,
  noteKeyId,
  openNote,
  parseNote,
  parseSignatureLine,
  parseSignatureLines,
  parseSignerKey,
  parseVerifierKey,
} from './note.js';
import { codeOf, messageOf } from './testing/refusals.js';

// From https://c2sp.org/tlog-cosignature (github.com/C2SP/C2SP tlog-cosignature.md): the example
// checkpoint with its witness cosignature line, and the signed message the specification spells out.
const C2SP_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
const C2SP_COSIGNATURE_LINE =
  '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==';
const C2SP_MESSAGE = `cosignature/v1\ntime 1679315147\n${C2SP_BODY}`;

const WITNESS_SEED = new Uint8Array(32).fill(0x42);
const witness = cosignerFromSeed('witness.example/w1', WITNESS_SEED);
const LOG_SKEY = 'PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ'; // transparency-dev/formats log/note_test.go
const LOG_VKEY = 'Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs';

describe('cosignature/v1', () => {
  it('reads the time of the published cosignature, which is the time of the published message', () => {
    const signature = parseSignatureLine(C2SP_COSIGNATURE_LINE);
    expect(signature.keyId).toBe(0x8d66cf3f);
    expect(cosignatureTime(signature)).toBe(1679315147);
    expect(Buffer.from(cosignatureMessage(C2SP_BODY, 1679315147)).toString()).toBe(C2SP_MESSAGE);
  });

  it('uses the key ID of signature type 0x04, distinct from the same key as a note key', () => {
    const typed = Buffer.concat([Buffer.from([0x04]), witness.publicKey]);
    const expected = createHash('sha256').update('witness.example/w1\n').update(typed).digest().readUInt32BE(0);
    expect(witness.keyId).toBe(expected);
    expect(witness.verifierKey).toBe(`witness.example/w1+${expected.toString(16).padStart(8, '0')}+${typed.toString('base64')}`);
    expect(parseVerifierKey(formatVerifierKey('witness.example/w1', witness.publicKey)).keyId).not.toBe(witness.keyId);
  });

  it('cosigns a signed checkpoint; the log key and the witness key both verify the merged note', () => {
    const note = signCheckpoint({ origin: 'ledger.example/permits', size: 3, root: leafHash(Buffer.from('x')) }, parseSignerKey(LOG_SKEY));
    const text = parseNote(note).text;
    const line = formatSignatureLine(witness.cosign(text, 1_700_000_000));
    const cosigned = addSignatures(note, parseSignatureLines(line));
    expect(addSignatures(cosigned, parseSignatureLines(line))).toBe(cosigned);
    const witnessVerifier = parseCosignatureVerifierKey(witness.verifierKey);
    const opened = openCheckpoint(cosigned, [parseVerifierKey(LOG_VKEY), witnessVerifier]);
    expect(opened.note.verified.map((s) => s.name)).toEqual(['Log', 'witness.example/w1']);
    expect(cosignatureTime(opened.note.verified[1])).toBe(1_700_000_000);
    // The witness alone, without the log key, still proves only that the witness saw this text.
    expect(openNote(cosigned, [witnessVerifier]).verified).toHaveLength(1);
  });

  it('refuses a cosignature over another text, at another time, or by another key', () => {
    const text = `${C2SP_BODY}`;
    const signature = witness.cosign(text, 1679315147);
    const verifier = parseCosignatureVerifierKey(witness.verifierKey);
    const message = Buffer.from(text);
    expect(verifier.verify(message, signature.signature)).toBe(true);
    expect(verifier.verify(Buffer.from(text.replace('20852163', '20852164')), signature.signature)).toBe(false);
    const retimed = new Uint8Array(signature.signature);
    retimed[7] ^= 1;
    expect(verifier.verify(message, retimed)).toBe(false);
    for (let at = 8; at < 72; at += 9) {
      const flipped = new Uint8Array(signature.signature);
      flipped[at] ^= 0x10;
      expect(verifier.verify(message, flipped)).toBe(false);
    }
    expect(verifier.verify(message, signature.signature.subarray(0, 71))).toBe(false);
    const other = parseCosignatureVerifierKey(cosignerFromSeed('witness.example/w1', new Uint8Array(32).fill(1)).verifierKey);
    expect(other.verify(message, signature.signature)).toBe(false);
  });

  it('round-trips the cosigner key, and refuses a note key where a cosignature key is expected', () => {
    const skey = formatCosignerKey('witness.example/w1', WITNESS_SEED);
    expect(parseCosignerKey(skey).verifierKey).toBe(witness.verifierKey);
    expect(codeOf(() => parseCosignerKey(LOG_SKEY))).toBe('KEY_TYPE_UNSUPPORTED');
    expect(codeOf(() => parseCosignatureVerifierKey(LOG_VKEY))).toBe('KEY_TYPE_UNSUPPORTED');
    expect(codeOf(() => parseVerifierKey(witness.verifierKey))).toBe('KEY_TYPE_UNSUPPORTED');
    expect(() => witness.cosign('not a checkpoint\n', 1)).toThrow(TransparencyError);
    expect(() => witness.cosign(C2SP_BODY, 0)).toThrow(RangeError);
  });
});

// Request bodies of https://c2sp.org/tlog-witness (github.com/C2SP/C2SP tlog-witness.md, add-checkpoint)
// and of github.com/FiloSottile/torchwood cmd/litewitness/testdata/litewitness.txt (a Sigsum log's
// checkpoints of sizes 1, 3 and 5, with the consistency proofs a witness accepted).
const SIGSUM_ORIGIN = 'sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562';
const SIGSUM_VKEY = formatVerifierKey(
  SIGSUM_ORIGIN,
  Buffer.from('ffdc2d4d98e4124d3feaf788c0c2f9abfd796083d1f0495437f302ec79cf100f', 'hex'),
);
const C2SP_REQUEST = `old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
`;
const SIGSUM_1_TO_3 = `old 1
KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

${SIGSUM_ORIGIN}
3
RcCI1Nk56ZcSmIEfIn0SleqtV7uvrlXNccFx595Iwl0=

— ${SIGSUM_ORIGIN} UgIom2VbtIcdFbwFAy1n7s6IkAxIY6J/GQOTuZF2ORV39d75cbAj2aQYwyJre36kezNobZs4SUUdrcawfAB8WVrx6go=
`;
const SIGSUM_3_TO_5 = `old 3
KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
KgMAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
wgiIFdZfYNv6WU1OllBKsWnLYIS/DBMqt8Uh/S4OukE=
KgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

${SIGSUM_ORIGIN}
5
QrtXrQZCCvpIgsSmOsah7HdICzMLLyDfxToMql9WTjY=

— ${SIGSUM_ORIGIN} UgIomw/EOJmWi0i1FQsOj+etB7F8IccFam/jgd6wzRns4QPVmyEZtdvl1U2KEmLOZ/ASRcWJi0tW90dJWAShei7sDww=
`;
const SIGSUM_ROOT_1 = Buffer.from('KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'base64');

describe('tlog-witness add-checkpoint bodies', () => {
  it('parses the C2SP example and formats it back byte for byte', () => {
    const request = parseAddCheckpoint(C2SP_REQUEST);
    expect(request.oldSize).toBe(20852014);
    expect(request.proof).toHaveLength(4);
    expect(parseCheckpoint(parseNote(request.checkpoint).text).size).toBe(20852163);
    expect(formatAddCheckpoint(request)).toBe(C2SP_REQUEST);
  });

  it('accepts the published Sigsum requests: signatures and consistency proofs verify', () => {
    const one = parseAddCheckpoint(SIGSUM_1_TO_3);
    const three = openCheckpoint(one.checkpoint, [parseVerifierKey(SIGSUM_VKEY)], SIGSUM_ORIGIN).checkpoint;
    expect(verifyConsistency(one.oldSize, three.size, one.proof, SIGSUM_ROOT_1, three.root)).toBe(true);
    const next = parseAddCheckpoint(SIGSUM_3_TO_5);
    const five = openCheckpoint(next.checkpoint, [parseVerifierKey(SIGSUM_VKEY)], SIGSUM_ORIGIN).checkpoint;
    expect(verifyConsistency(next.oldSize, five.size, next.proof, three.root, five.root)).toBe(true);
    // The refused request of the same test data: one flipped bit in the last proof line.
    const refused = SIGSUM_1_TO_3.replace('KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABA=');
    const bad = parseAddCheckpoint(refused);
    expect(verifyConsistency(bad.oldSize, three.size, bad.proof, SIGSUM_ROOT_1, three.root)).toBe(false);
  });

  it('carries a proof generated by the tree to a checkpoint a witness can check', () => {
    const tree = new MemoryTreeHashes();
    const range = new CompactRange();
    const roots = [range.root()];
    for (let i = 0; i < 20; i++) {
      tree.put(range.append(leafHash(Buffer.from([i]))));
      roots.push(range.root());
    }
    const checkpoint = signCheckpoint({ origin: 'Log', size: 20, root: roots[20] }, parseSignerKey(LOG_SKEY));
    const body = formatAddCheckpoint({ oldSize: 13, proof: consistencyProof(tree, 13, 20), checkpoint });
    const request = parseAddCheckpoint(body);
    expect(request.checkpoint).toBe(checkpoint);
    expect(
      verifyConsistency(13, 20, request.proof, roots[13], openCheckpoint(request.checkpoint, [parseVerifierKey(LOG_VKEY)]).checkpoint.root),
    ).toBe(true);
    expect(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint }).startsWith('old 0\n\nLog\n20\n')).toBe(true);
  });

  it('refuses malformed framing with one stable code', () => {
    const checkpoint = C2SP_REQUEST.slice(C2SP_REQUEST.indexOf('\n\n') + 2);
    const line = 'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n';
    const bad = [
      checkpoint,
      `old 01\n\n${checkpoint}`,
      `old -1\n\n${checkpoint}`,
      `Old 1\n\n${checkpoint}`,
      `old 1 \n\n${checkpoint}`,
      `old 1\n${line.slice(1)}\n${checkpoint}`,
      `old 1\nYmFuYW5hcw==\n\n${checkpoint}`,
      `old 1\n${line.repeat(64)}\n${checkpoint}`,
      `old 1\n${line}\n`,
      `old 1\n${line}`,
    ];
    for (const body of bad)
      expect([body.slice(0, 30), codeOf(() => parseAddCheckpoint(body))]).toEqual([body.slice(0, 30), 'WITNESS_REQUEST_MALFORMED']);
    expect(parseAddCheckpoint(`old 1\n${line.repeat(63)}\n${checkpoint}`).proof).toHaveLength(63);
  });
});

describe('cosignature/v1 at the edges', () => {
  it('signs any POSIX time in the message, 0 and 2^53 - 1 included, and refuses others', () => {
    expect(Buffer.from(cosignatureMessage(C2SP_BODY, 0)).toString()).toBe(`cosignature/v1\ntime 0\n${C2SP_BODY}`);
    expect(Buffer.from(cosignatureMessage(C2SP_BODY, Number.MAX_SAFE_INTEGER)).toString()).toContain('time 9007199254740991\n');
    for (const time of [-1, 1.5, Number.NaN, 2 ** 53])
      expect(() => cosignatureMessage(C2SP_BODY, time)).toThrow(`timestamp ${time} is not POSIX seconds`);
    expect(() => witness.cosign(C2SP_BODY, 0)).toThrow('a witness cosignature carries its time (tlog-witness)');
  });

  it('reads the time only from a signature of 8 + 64 bytes, and only a time a number holds exactly', () => {
    const at = (time: bigint, length = 72) => {
      const bytes = Buffer.alloc(length);
      bytes.writeBigUInt64BE(time, 0);
      return { name: 'w', keyId: 1, signature: new Uint8Array(bytes) };
    };
    expect(cosignatureTime(at(1679315147n))).toBe(1679315147);
    expect(cosignatureTime(at(BigInt(Number.MAX_SAFE_INTEGER)))).toBe(Number.MAX_SAFE_INTEGER);
    expect(cosignatureTime(at(2n ** 53n))).toBeUndefined();
    expect(cosignatureTime(at(7n, 71))).toBeUndefined();
    expect(cosignatureTime(at(7n, 73))).toBeUndefined();
    // A view into a larger buffer: the time is read from the view's own first bytes.
    const inner = Buffer.alloc(80);
    inner.writeBigUInt64BE(42n, 8);
    expect(cosignatureTime({ name: 'w', keyId: 1, signature: new Uint8Array(inner.buffer, inner.byteOffset + 8, 72) })).toBe(42);
  });

  it('verifies a cosignature over a message that is a view into a larger buffer', () => {
    const signature = witness.cosign(C2SP_BODY, 1679315147);
    const verifier = parseCosignatureVerifierKey(witness.verifierKey);
    const padded = Buffer.from(`xx${C2SP_BODY}yy`);
    expect(verifier.verify(padded.subarray(2, 2 + Buffer.byteLength(C2SP_BODY)), signature.signature)).toBe(true);
  });

  it('names what is wrong with a cosigner key', () => {
    expect(messageOf(() => cosignerFromSeed('bad name', WITNESS_SEED))).toBe('KEY_MALFORMED: bad key name');
    // The name is checked first: a bad name with a short seed is still a bad name.
    expect(messageOf(() => cosignerFromSeed('bad name', WITNESS_SEED.subarray(1)))).toBe('KEY_MALFORMED: bad key name');
    const skey = formatCosignerKey('witness.example/w1', WITNESS_SEED);
    const wrongId = skey.replace(`+${witness.keyId.toString(16).padStart(8, '0')}+`, '+00000000+');
    expect(messageOf(() => parseCosignerKey(wrongId))).toBe("KEY_HASH_MISMATCH: key ID 00000000 is not that of witness.example/w1's key");
    expect(messageOf(() => parseCosignerKey(LOG_SKEY))).toBe('KEY_TYPE_UNSUPPORTED: signature type 1');
    expect(messageOf(() => parseCosignatureVerifierKey(LOG_VKEY))).toBe('KEY_TYPE_UNSUPPORTED: signature type 1');
    const typed = Uint8Array.of(0x04, 1, 2, 3);
    const shortKey = `w+${noteKeyId('w', typed).toString(16).padStart(8, '0')}+${Buffer.from(typed).toString('base64')}`;
    expect(messageOf(() => parseCosignatureVerifierKey(shortKey))).toBe('KEY_MALFORMED: an Ed25519 public key has 32 bytes');
  });
});

describe('add-checkpoint bodies at the edges', () => {
  const note = signCheckpoint({ origin: 'Log', size: 20, root: leafHash(Buffer.from('r')) }, parseSignerKey(LOG_SKEY));
  const hash = leafHash(Buffer.from('p'));

  it('formats up to 63 proof hashes of 32 bytes and a size that is a safe integer', () => {
    expect(parseAddCheckpoint(formatAddCheckpoint({ oldSize: 3, proof: Array(63).fill(hash), checkpoint: note })).proof).toHaveLength(63);
    expect(() => formatAddCheckpoint({ oldSize: 3, proof: Array(64).fill(hash), checkpoint: note })).toThrow('proof');
    expect(() => formatAddCheckpoint({ oldSize: 3, proof: [hash.subarray(1)], checkpoint: note })).toThrow('proof');
    for (const oldSize of [-1, 1.5, 2 ** 53])
      expect(() => formatAddCheckpoint({ oldSize, proof: [], checkpoint: note })).toThrow('old size');
    expect(codeOf(() => formatAddCheckpoint({ oldSize: 3, proof: [], checkpoint: 'Log\n20\n' }))).toBe('NOTE_MALFORMED');
  });

  it('says what is wrong with a request body', () => {
    const line = `${Buffer.from(hash).toString('base64')}\n`;
    const cases: [string, string][] = [
      ['old 1\nLog\n', 'no empty line before the checkpoint'],
      // An empty line first: the "old" line is empty, not missing its empty line.
      [`\n\n${note}`, 'the first line is not "old <size>" in decimal without leading zeros'],
      [`old 01\n\n${note}`, 'the first line is not "old <size>" in decimal without leading zeros'],
      [`new 1\n\n${note}`, 'the first line is not "old <size>" in decimal without leading zeros'],
      [`old 1\n${line.repeat(64)}\n${note}`, 'more than 63 proof lines'],
      [`old 1\nYmFuYW5hcw==\n\n${note}`, 'a proof line is not the base64 of 32 bytes'],
      [`old 1\n${line}\n`, 'no checkpoint'],
    ];
    for (const [body, why] of cases) expect(messageOf(() => parseAddCheckpoint(body))).toBe(`WITNESS_REQUEST_MALFORMED: ${why}`);
    expect(parseAddCheckpoint(`old 0\n\n${note}`)).toEqual({ oldSize: 0, proof: [], checkpoint: note });
  });
});
