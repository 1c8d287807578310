import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
import type { TransparencyError } from './errors.js';
import { hasControlCharacter } from './encoding.js';
import { EMPTY_ROOT } from './merkle.js';
import { ed25519Signer, formatVerifierKey, openNote, parseSignerKey, parseVerifierKey, signNote } from './note.js';
import { codeOf } from './testing/refusals.js';

// The example checkpoint of https://c2sp.org/tlog-checkpoint (github.com/C2SP/C2SP tlog-checkpoint.md).
const C2SP_BODY = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

// A real sum.golang.org checkpoint and the Go checksum database's published verifier key, from
// github.com/FiloSottile/torchwood cmd/litewitness/testdata/sumdb.txt.
const SUMDB_VKEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const SUMDB_CHECKPOINT =
  'go.sum database tree\n35225469\nvt5T6GaLCXvyHFl9VUvvItR43XZxfLgftEcTyO3eJCQ=\n\n— sum.golang.org Az3grpukl5AXaVfYkLiDGORx/DN2nlcS5kZHR5uYOBV2KA2HgXpD+gu9HHONebHLAyaKbbTM75QTtPydhKCExixSfwQ=\n';

// A Sigsum log's checkpoint and public key, from torchwood cmd/litewitness/testdata/litewitness.txt (its
// key name is sigsum.org/v1/tree/<hex SHA-256 of the public key>, an ordinary Ed25519 note key).
const SIGSUM_PUBLIC_KEY = Buffer.from('ffdc2d4d98e4124d3feaf788c0c2f9abfd796083d1f0495437f302ec79cf100f', 'hex');
const SIGSUM_ORIGIN = `sigsum.org/v1/tree/${createHash('sha256').update(SIGSUM_PUBLIC_KEY).digest('hex')}`;
const SIGSUM_VKEY = formatVerifierKey(SIGSUM_ORIGIN, SIGSUM_PUBLIC_KEY);
const SIGSUM_CHECKPOINT_1 = `${SIGSUM_ORIGIN}\n1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— ${SIGSUM_ORIGIN} UgIom7fPZTqpxWWhyjWduBvTvGVqsokMbqTArsQilegKoFBJQjUFAmQ0+YeSPM3wfUQMFSzVnnNuWRTYrajXpNUbIQY=\n`;

const LOG_SKEY = 'PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ'; // transparency-dev/formats log/note_test.go
const LOG_VKEY = 'Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs';

describe('checkpoint text', () => {
  it('parses and formats the C2SP example', () => {
    const checkpoint = parseCheckpoint(C2SP_BODY);
    expect(checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(checkpoint.size).toBe(20852163);
    expect(Buffer.from(checkpoint.root).toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(formatCheckpoint(checkpoint)).toBe(C2SP_BODY);
  });

  it('round-trips any checkpoint it formats, extension lines included', () => {
    const line = fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((s) => !hasControlCharacter(s) && !s.includes('\n') && !/[\ud800-\udfff]/.test(s));
    fc.assert(
      fc.property(
        line,
        fc.maxSafeNat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, root, extensions) => {
          const text = formatCheckpoint({ origin, size, root, extensions });
          const parsed = parseCheckpoint(text);
          expect([parsed.origin, parsed.size, Buffer.from(parsed.root).toString('hex'), parsed.extensions ?? []]).toEqual([
            origin,
            size,
            Buffer.from(root).toString('hex'),
            extensions,
          ]);
          expect(formatCheckpoint(parsed)).toBe(text);
        },
      ),
    );
  });

  it('refuses what the strict rules exclude', () => {
    const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
    const bad = [
      'Head\n9944\n', // too few lines (transparency-dev/formats log/checkpoint_test.go)
      `\n9944\n${root}\n`, // empty origin (idem)
      'Log\n123\nYmFuYW5hcw==', // no final newline (idem)
      `Log\nbananas\n${root}\n`, // size not a number (idem)
      `Log\n-34\n${root}\n`, // negative (idem)
      `Log\n3438945738945739845734895735\n${root}\n`, // too large (idem)
      "Log\n123\nThisIsn'tBase64\n", // (idem)
      'Log\n123\nYmFuYW5hcw==\n', // a root that is not 32 bytes
      `Log\n0123\n${root}\n`, // leading zero
      `Log\n+123\n${root}\n`,
      `Log\n 123\n${root}\n`,
      `Log\n1e3\n${root}\n`,
      `Log\n9007199254740992\n${root}\n`, // beyond 2^53 - 1: refused rather than rounded
      `Log\n123\n${root.slice(0, -1)}\n`, // unpadded
      `Log\n123\n${root}\n\n`, // empty extension line
      `Log\n123\n${root}\next\n\n`,
      `Log\n123\n${root}\r\n`,
    ];
    for (const text of bad) expect([text, codeOf(() => parseCheckpoint(text))]).toEqual([text, 'CHECKPOINT_MALFORMED']);
    expect(parseCheckpoint(`Log\n0\n${Buffer.from(EMPTY_ROOT).toString('base64')}\n`).size).toBe(0);
    expect(codeOf(() => formatCheckpoint({ origin: 'Log', size: 1, root: new Uint8Array(31) }))).toBe('CHECKPOINT_MALFORMED');
  });
});

describe('signed checkpoints', () => {
  it('verifies a real sum.golang.org checkpoint with its published key', () => {
    const { checkpoint, note } = openCheckpoint(SUMDB_CHECKPOINT, [parseVerifierKey(SUMDB_VKEY)], 'go.sum database tree');
    expect(checkpoint.size).toBe(35225469);
    expect(note.verified.map((s) => s.name)).toEqual(['sum.golang.org']);
    const tampered = SUMDB_CHECKPOINT.replace('35225469', '35225470');
    expect(codeOf(() => openCheckpoint(tampered, [parseVerifierKey(SUMDB_VKEY)]))).toBe('NOTE_SIGNATURE_INVALID');
  });

  it('verifies a published Sigsum checkpoint with the key its name is derived from', () => {
    expect(SIGSUM_VKEY.split('+')[1]).toBe('5202289b');
    expect(openCheckpoint(SIGSUM_CHECKPOINT_1, [parseVerifierKey(SIGSUM_VKEY)]).checkpoint.size).toBe(1);
  });

  it('signs and verifies, and refuses another origin, another key and a changed body', () => {
    const signer = parseSignerKey(LOG_SKEY);
    const note = signCheckpoint({ origin: 'ledger.example/permits', size: 8, root: EMPTY_ROOT }, signer);
    expect(note.startsWith(`ledger.example/permits\n8\n${Buffer.from(EMPTY_ROOT).toString('base64')}\n\n— Log `)).toBe(true);
    const verifier = parseVerifierKey(LOG_VKEY);
    expect(openCheckpoint(note, [verifier], 'ledger.example/permits').checkpoint.size).toBe(8);
    expect(codeOf(() => openCheckpoint(note, [verifier], 'ledger.example/other'))).toBe('ORIGIN_MISMATCH');
    const other = ed25519Signer('Log', new Uint8Array(32).fill(1));
    expect(codeOf(() => openCheckpoint(note, [parseVerifierKey(other.verifierKey)]))).toBe('NOTE_UNVERIFIED');
    expect(codeOf(() => openCheckpoint(note.replace('\n8\n', '\n9\n'), [verifier]))).toBe('NOTE_SIGNATURE_INVALID');
  });

  it('refuses a validly signed note whose text is not a checkpoint', () => {
    const text = "if this is a valid checkpoint then I'll eat my hat\n"; // transparency-dev/formats log/note_test.go
    const note = signNote({ text }, parseSignerKey(LOG_SKEY));
    expect(openNote(note, [parseVerifierKey(LOG_VKEY)]).text).toBe(text);
    expect(codeOf(() => openCheckpoint(note, [parseVerifierKey(LOG_VKEY)]))).toBe('CHECKPOINT_MALFORMED');
  });
});

describe('what a refused checkpoint says', () => {
  const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';

  it('names the rule each malformed text breaks', () => {
    const cases: [string, string][] = [
      ['Log\n123\nYmFuYW5hcw==', 'the text must end in a newline'],
      ['Head\n9944\n', 'fewer than three lines'],
      [`\n9944\n${root}\n`, 'empty origin line'],
      [`Log\n0123\n${root}\n`, 'the size line is not a decimal without leading zeros'],
      ['Log\n123\nYmFuYW5hcw==\n', 'the root line is not the base64 of 32 bytes'],
      [`Log\n123\n${root}\n\n`, 'an empty extension line'],
      [`Lo\tg\n123\n${root}\n`, 'a control character'],
    ];
    for (const [text, why] of cases) {
      const error = (() => {
        try {
          parseCheckpoint(text);
        } catch (e) {
          return e as TransparencyError;
        }
      })();
      expect([text, error?.message]).toEqual([text, `CHECKPOINT_MALFORMED: ${why}`]);
    }
  });

  it('has extension lines only when the text has some', () => {
    expect(parseCheckpoint(C2SP_BODY)).toEqual({
      origin: 'example.com/behind-the-sofa',
      size: 20852163,
      root: new Uint8Array(Buffer.from(root, 'base64')),
    });
    expect(Object.keys(parseCheckpoint(C2SP_BODY))).toEqual(['origin', 'size', 'root']);
    expect(parseCheckpoint(`${C2SP_BODY}ext one\n`).extensions).toEqual(['ext one']);
    expect(formatCheckpoint({ ...parseCheckpoint(C2SP_BODY), extensions: [] })).toBe(C2SP_BODY);
  });

  it('names the origin it got and the one it expected', () => {
    const signer = parseSignerKey(LOG_SKEY);
    const note = signCheckpoint({ origin: 'ledger.example/permits', size: 8, root: EMPTY_ROOT }, signer);
    expect(() => openCheckpoint(note, [parseVerifierKey(LOG_VKEY)], 'ledger.example/other')).toThrow(
      'ORIGIN_MISMATCH: checkpoint of "ledger.example/permits", expected "ledger.example/other"',
    );
  });
});
