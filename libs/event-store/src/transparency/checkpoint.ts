import { decodeBase64, encodeBase64, hasControlCharacter, parseDecimal } from './encoding.js';
import { TransparencyError } from './errors.js';
import { HASH_SIZE, type Hash } from './merkle.js';
import { openNote, signNote, type NoteSigner, type NoteVerifier, type OpenedNote } from './note.js';

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text `<origin>\n<size>\n<base64 root>\n`,
 * then optional non-empty extension lines, signed as a C2SP signed note.
 */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Hash;
  readonly extensions?: readonly string[];
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  const extensions = checkpoint.extensions ?? [];
  const text = [checkpoint.origin, String(checkpoint.size), encodeBase64(checkpoint.root), ...extensions].map((l) => `${l}\n`).join('');
  parseCheckpoint(text); // the same rules both ways: never sign what a verifier would refuse
  return text;
}

/** Strict: a decimal size without sign or leading zeros, a canonical base64 root of 32 bytes, no empty line. */
export function parseCheckpoint(text: string): Checkpoint {
  const malformed = (why: string) => new TransparencyError('CHECKPOINT_MALFORMED', why);
  if (!text.endsWith('\n')) throw malformed('the text must end in a newline');
  const [origin, sizeLine, rootLine, ...extensions] = text.slice(0, -1).split('\n');
  if (rootLine === undefined) throw malformed('fewer than three lines');
  if (origin === '') throw malformed('empty origin line');
  const size = parseDecimal(sizeLine);
  if (size === undefined) throw malformed('the size line is not a decimal without leading zeros');
  const root = decodeBase64(rootLine);
  if (root === undefined || root.length !== HASH_SIZE) throw malformed(`the root line is not the base64 of ${HASH_SIZE} bytes`);
  if (extensions.some((line) => line === '')) throw malformed('an empty extension line');
  if (hasControlCharacter(text)) throw malformed('a control character');
  return extensions.length > 0 ? { origin, size, root, extensions } : { origin, size, root };
}

export function signCheckpoint(checkpoint: Checkpoint, ...signers: NoteSigner[]): string {
  return signNote({ text: formatCheckpoint(checkpoint) }, ...signers);
}

/**
 * Verifies the note (see openNote for its codes), then parses its text; with origin given, a checkpoint of
 * another log is ORIGIN_MISMATCH even when a trusted key signed it.
 */
export function openCheckpoint(
  message: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
  origin?: string,
): { checkpoint: Checkpoint; note: OpenedNote } {
  const note = openNote(message, verifiers);
  const checkpoint = parseCheckpoint(note.text);
  if (origin !== undefined && checkpoint.origin !== origin) {
    throw new TransparencyError(
      'ORIGIN_MISMATCH',
      `checkpoint of ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(origin)}`,
    );
  }
  return { checkpoint, note };
}
