/**
 * Why a transparency artefact (note, key, checkpoint, cosignature, witness request) was refused.
 * The codes are stable: the CLI prints them and auditors' scripts may match on them.
 */
export type TransparencyErrorCode =
  | 'NOTE_MALFORMED'
  | 'NOTE_UNVERIFIED'
  | 'NOTE_SIGNATURE_INVALID'
  | 'NOTE_KEY_AMBIGUOUS'
  | 'KEY_MALFORMED'
  | 'KEY_HASH_MISMATCH'
  | 'KEY_TYPE_UNSUPPORTED'
  | 'CHECKPOINT_MALFORMED'
  | 'ORIGIN_MISMATCH'
  | 'COSIGNATURE_MALFORMED'
  | 'WITNESS_REQUEST_MALFORMED';

export class TransparencyError extends Error {
  constructor(
    readonly code: TransparencyErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'TransparencyError';
  }
}
