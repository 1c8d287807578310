import { describe, expect, it } from '@jest/globals';
import { bytesEqual, decodeBase64, encodeBase64, hasControlCharacter, parseDecimal } from './encoding.js';

// RFC 4648 section 10, the base64 test vectors.
const RFC4648 = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
];

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : Buffer.from(bytes).toString('latin1'));

describe('base64, one spelling per byte string', () => {
  it('decodes and encodes the RFC 4648 vectors', () => {
    for (const [plain, encoded] of RFC4648) {
      expect([encoded, text(decodeBase64(encoded))]).toEqual([encoded, plain]);
      expect(encodeBase64(Buffer.from(plain, 'latin1'))).toBe(encoded);
    }
    // The whole alphabet (RFC 4648 table 1), '+' and '/' included.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    expect(encodeBase64(decodeBase64(alphabet)!)).toBe(alphabet);
  });

  it('refuses every other spelling: no padding, extra padding, non-zero trailing bits, other alphabets, whitespace', () => {
    const refused = [
      'Zg',
      'Zg=',
      'Zg===',
      'Zm8',
      'Zm8==',
      'Zm9v=',
      'Zh==',
      'Zm9=',
      '=',
      '====',
      'Z===',
      'Zm9v Yg==',
      'Zm9v\nYg==',
      ' Zm9v',
    ];
    refused.push('Zm9vYg==Zm9v', '-_-_', 'Zm9vY', 'Zm9vYmFy\n', 'Zm9v!mFy', 'Zm9vYmF=y');
    for (const spelling of refused) expect([spelling, decodeBase64(spelling)]).toEqual([spelling, undefined]);
  });

  it('refuses the spellings Buffer decodes leniently: url-safe alphabet, junk around the text, any whitespace', () => {
    // '???' and '>>>' encode to the two characters the url-safe alphabet replaces.
    expect([text(decodeBase64('Pz8/')), text(decodeBase64('Pj4+'))]).toEqual(['???', '>>>']);
    const refused = ['Pz8_', 'Pj4-', 'Zm8_', '!Zm9v', '.Zm9vYmFy', 'Zm9vYmFy!', 'Zm9vYg==.', 'Zm9vYmFy=', 'Zm9vYmFy=='];
    refused.push('Zm9v\tYmFy', 'Zm9vYmFy\r\n', '\nZm9vYmFy', 'Zm9vYmFy ', 'Zm 8=', 'Zm9vYmE=\u00a0', 'Zm9v\u2028YmFy');
    // Non-zero bits after the last byte: the padded spelling with those bits cleared is the only one.
    refused.push('Zh==', 'Zv==', 'Zm9vYmF=', 'Zm9vYmH=');
    for (const spelling of refused) expect([spelling, decodeBase64(spelling)]).toEqual([spelling, undefined]);
  });

  it('encodes only the bytes of a view, not its whole buffer', () => {
    const buffer = Buffer.from('xfoobarx', 'latin1');
    expect(encodeBase64(buffer.subarray(1, 7))).toBe('Zm9vYmFy');
    const decoded = decodeBase64('Zm9vYmFy')!;
    expect([decoded.length, text(decoded)]).toEqual([6, 'foobar']);
  });
});

describe('decimals, as checkpoints and witness requests spell sizes', () => {
  it('reads a decimal without sign or leading zeros, up to 2^53 - 1', () => {
    expect(['0', '7', '10', '20852163', '9007199254740991'].map(parseDecimal)).toEqual([0, 7, 10, 20852163, Number.MAX_SAFE_INTEGER]);
  });

  it('refuses anything else, and numbers a double would round', () => {
    const refused = [
      '',
      '00',
      '01',
      '-1',
      '+1',
      ' 1',
      '1 ',
      '1e3',
      '0x10',
      '1.0',
      '١',
      '9007199254740992',
      '10000000000000000',
      '9'.repeat(400),
    ];
    for (const spelling of refused) expect([spelling, parseDecimal(spelling)]).toEqual([spelling, undefined]);
  });
});

describe('bytes and characters', () => {
  it('compares bytes: equal only with the same length and content', () => {
    expect(bytesEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(bytesEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(bytesEqual(Uint8Array.of(0, 0), Uint8Array.of(0, 0, 0))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).toBe(false);
    // Views compare their own bytes, not the buffers behind them.
    const buffer = Uint8Array.of(9, 1, 2, 3, 9);
    expect(bytesEqual(buffer.subarray(1, 4), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(bytesEqual(buffer.subarray(0, 3), Uint8Array.of(1, 2, 3))).toBe(false);
  });

  it('finds the ASCII control characters, newline excepted', () => {
    for (let code = 0; code < 0x80; code++) {
      const control = code < 0x20 && code !== 0x0a;
      expect([code, hasControlCharacter(`a${String.fromCharCode(code)}b`)]).toEqual([code, control]);
    }
    expect(hasControlCharacter('line\nline\n')).toBe(false);
    expect(hasControlCharacter('')).toBe(false);
  });
});
