import { existsSync, readFileSync } from 'node:fs';
import {
  TransparencyError,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  writeFileAtomic,
  type Checkpoint,
  type Hash,
  type NoteVerifier,
} from '@permit-ledger/event-store';

/**
 * Why an audit or an evidence bundle was refused. Stable: auditors' scripts match on them.
 * TREE_SHRANK, FORK_DETECTED and CONSISTENCY_PROOF_INVALID are what a restored backup or a rewritten history shows.
 */
export type AuditReason =
  | 'CHECKPOINT_SIGNATURE_INVALID'
  | 'CHECKPOINT_MALFORMED'
  | 'ORIGIN_MISMATCH'
  | 'TREE_SHRANK'
  | 'FORK_DETECTED'
  | 'CONSISTENCY_PROOF_INVALID'
  | 'PROOF_MALFORMED'
  | 'STATE_MALFORMED'
  | 'KEY_MALFORMED'
  | 'SERVICE_UNAVAILABLE'
  | 'BUNDLE_MALFORMED'
  | 'HASH_MISMATCH'
  | 'CHAIN_BROKEN'
  | 'INCLUSION_PROOF_INVALID'
  | 'COSIGNATURE_MISSING';

export class AuditFailure extends Error {
  constructor(
    readonly reason: AuditReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'AuditFailure';
  }
}

export function loadVerifier(file: string): NoteVerifier {
  try {
    return parseVerifierKey(readFileSync(file, 'utf8').trim());
  } catch (error) {
    if (error instanceof TransparencyError) throw new AuditFailure('KEY_MALFORMED', `${file}: ${error.message}`);
    throw error;
  }
}

/** Opens a signed checkpoint with the log's key, its failures as audit reasons. */
export function openLogCheckpoint(note: string, verifiers: readonly NoteVerifier[], origin: string): Checkpoint {
  try {
    return openCheckpoint(note, verifiers, origin).checkpoint;
  } catch (error) {
    if (!(error instanceof TransparencyError)) throw error;
    switch (error.code) {
      case 'NOTE_SIGNATURE_INVALID':
      case 'NOTE_UNVERIFIED':
        throw new AuditFailure('CHECKPOINT_SIGNATURE_INVALID', error.message);
      case 'ORIGIN_MISMATCH':
        throw new AuditFailure('ORIGIN_MISMATCH', error.message);
      default:
        throw new AuditFailure('CHECKPOINT_MALFORMED', error.message);
    }
  }
}

export interface AuditOptions {
  /** The service's base URL, e.g. http://localhost:3000 (the routes are under /api/v1). */
  url: string;
  verifierKeyFile: string;
  /** The checkpoint held from the last audit; written on success (created on the first run). */
  stateFile: string;
  /** The log's origin; by default the verifier key's name. */
  origin?: string;
}

export interface AuditReport {
  valid: true;
  url: string;
  origin: string;
  /** The held checkpoint before this audit, null on the first run. */
  held: { size: number; root: string } | null;
  latest: { size: number; root: string };
  /** Consistency proof hashes checked (0 on the first run and when the size did not change). */
  proofLength: number;
}

/**
 * Fetches the latest checkpoint, checks its signature and origin, proves it consistent with the held one, and
 * only then replaces the held file (atomically). Throws AuditFailure, the held file untouched, otherwise.
 */
export async function audit(options: AuditOptions): Promise<AuditReport> {
  const verifier = loadVerifier(options.verifierKeyFile);
  const origin = options.origin ?? verifier.name;
  const held = readHeld(options.stateFile, verifier, origin);
  const base = `${options.url.replace(/\/+$/, '')}/api/v1/ledger`;
  const note = await fetchText(`${base}/checkpoint`);
  const latest = openLogCheckpoint(note, [verifier], origin);
  let proofLength = 0;
  if (held !== null) {
    if (latest.size < held.size) {
      throw new AuditFailure('TREE_SHRANK', `the log serves size ${latest.size}; size ${held.size} was signed before`);
    }
    if (latest.size === held.size) {
      if (encodeBase64(latest.root) !== encodeBase64(held.root)) {
        throw new AuditFailure('FORK_DETECTED', `two signed checkpoints of size ${held.size} with different roots`);
      }
    } else if (held.size > 0) {
      const proof = await fetchConsistency(base, held.size, latest.size);
      proofLength = proof.length;
      if (!verifyConsistency(held.size, latest.size, proof, held.root, latest.root)) {
        throw new AuditFailure(
          'CONSISTENCY_PROOF_INVALID',
          `the tree of size ${latest.size} does not extend the held tree of size ${held.size}`,
        );
      }
    }
  }
  await writeFileAtomic(options.stateFile, note);
  return {
    valid: true,
    url: options.url,
    origin,
    held: held && { size: held.size, root: encodeBase64(held.root) },
    latest: { size: latest.size, root: encodeBase64(latest.root) },
    proofLength,
  };
}

function readHeld(file: string, verifier: NoteVerifier, origin: string): Checkpoint | null {
  if (!existsSync(file)) return null;
  try {
    return openLogCheckpoint(readFileSync(file, 'utf8'), [verifier], origin);
  } catch (error) {
    if (error instanceof AuditFailure && error.reason !== 'ORIGIN_MISMATCH') {
      throw new AuditFailure('STATE_MALFORMED', `${file}: ${error.message}`);
    }
    throw error;
  }
}

async function fetchText(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { Accept: 'text/plain' } });
  } catch (error) {
    throw new AuditFailure('SERVICE_UNAVAILABLE', `${url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = await res.text();
  if (res.status !== 200) throw new AuditFailure('SERVICE_UNAVAILABLE', `${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return body;
}

async function fetchConsistency(base: string, from: number, size: number): Promise<Hash[]> {
  const url = `${base}/proof/consistency?from=${from}&size=${size}`;
  const answer = parseJson(await fetchText(url)) as { from?: unknown; size?: unknown; path?: unknown } | undefined;
  if (answer?.from !== from || answer.size !== size || !Array.isArray(answer.path)) {
    throw new AuditFailure('PROOF_MALFORMED', `${url}: not {from, size, path}`);
  }
  return answer.path.map((h) => {
    const hash = typeof h === 'string' ? decodeBase64(h) : undefined;
    if (hash === undefined || hash.length !== 32)
      throw new AuditFailure('PROOF_MALFORMED', `${url}: a path element is not base64 of 32 bytes`);
    return hash;
  });
}

/** Canonical padded base64 (a signed format has one spelling), or undefined. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
