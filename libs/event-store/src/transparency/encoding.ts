import { timingSafeEqual } from 'node:crypto';

/**
 * Standard base64 (RFC 4648 section 4), padded and canonical, or undefined. Buffer.from(..., 'base64') skips
 * characters it does not know, accepts missing padding and the url-safe alphabet, and ignores non-zero trailing
 * bits, so two different texts would decode to the same bytes; a signed format must not have two spellings.
 * The rule is therefore the round trip: a text is accepted only if it is exactly what encoding its bytes gives,
 * which is the one padded standard spelling.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/** A decimal without sign or leading zeros that a number holds exactly, or undefined. */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  // Stryker disable next-line ConditionalExpression: 17 digits or more exceed 2^53, which isSafeInteger refuses; the bound keeps Number() off long texts
  if (text.length > 16) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** ASCII control characters other than newline: signed notes must not contain them. */
export function hasControlCharacter(text: string): boolean {
  // Stryker disable next-line EqualityOperator: charCodeAt past the end is NaN, which no comparison below holds for
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return false;
}
