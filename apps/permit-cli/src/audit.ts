import { existsSync, readFileSync } from 'node:fs';
import {
  TransparencyError,
  openCheckpoint,
  openNote,
  parseCosignatureVerifierKey,
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
  | 'LEAF_ORDER'
  | 'COSIGNATURE_MISSING'
  | 'FILE_UNREADABLE'
  | 'UNEXPECTED_ERROR';

export class AuditFailure extends Error {
  constructor(
    readonly reason: AuditReason,
    readonly detail: string,
    /** Where the conflicting checkpoint and proof were kept (FORK_DETECTED, CONSISTENCY_PROOF_INVALID, TREE_SHRANK). */
    readonly evidence?: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'AuditFailure';
  }
}

/** Anything but an AuditFailure, as one: a check ends with a stable reason, never a bare stack. */
export function unexpectedFailure(error: unknown): AuditFailure {
  if (error instanceof AuditFailure) return error;
  return new AuditFailure('UNEXPECTED_ERROR', error instanceof Error ? error.message : String(error));
}

/** A file the auditor gave, FILE_UNREADABLE when it cannot be read. */
export function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new AuditFailure('FILE_UNREADABLE', `${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function loadVerifier(file: string): NoteVerifier {
  try {
    return parseVerifierKey(readInput(file).trim());
  } catch (error) {
    if (error instanceof TransparencyError) throw new AuditFailure('KEY_MALFORMED', `${file}: ${error.message}`);
    throw error;
  }
}

/** A witness's cosignature verifier key (`<name>+<key ID>+<base64(0x04 || key)>`), KEY_MALFORMED otherwise. */
export function cosignatureVerifier(vkey: string): NoteVerifier {
  try {
    return parseCosignatureVerifierKey(vkey.trim());
  } catch (error) {
    if (error instanceof TransparencyError) throw new AuditFailure('KEY_MALFORMED', `witness key: ${error.message}`);
    throw error;
  }
}

/** The names of the witnesses whose cosignature the note carries, COSIGNATURE_MISSING at the first one absent. */
export function requireCosignatures(note: string, witnesses: readonly NoteVerifier[]): string[] {
  return witnesses.map((witness) => {
    let verified = false;
    try {
      verified = openNote(note, [witness]).verified.length > 0;
    } catch (error) {
      if (!(error instanceof TransparencyError)) throw error;
    }
    if (!verified) throw new AuditFailure('COSIGNATURE_MISSING', `no valid cosignature of ${witness.name}`);
    return witness.name;
  });
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
  /** Witness cosignature verifier keys whose cosignature the latest checkpoint must carry. */
  witnessKeys?: string[];
  /** Per HTTP request (SERVICE_UNAVAILABLE past it). */
  timeoutMs?: number;
}

export const DEFAULT_AUDIT_TIMEOUT_MS = 30_000;

export interface AuditReport {
  valid: true;
  url: string;
  origin: string;
  /** The held checkpoint before this audit, null on the first run. */
  held: { size: number; root: string } | null;
  latest: { size: number; root: string };
  /** Consistency proof hashes checked (0 on the first run and when the size did not change). */
  proofLength: number;
  /** The witnesses (of --witness-key) whose cosignature of the latest checkpoint verified. */
  cosignedBy: string[];
}

/**
 * Fetches the latest checkpoint, checks its signature and origin, proves it consistent with the held one,
 * checks the witnesses' cosignatures asked for, and only then replaces the held file (atomically). Throws
 * AuditFailure, the held file untouched, otherwise; on a conflict (TREE_SHRANK, FORK_DETECTED,
 * CONSISTENCY_PROOF_INVALID) the signed checkpoint and the proof that conflict with it are kept beside it, in
 * `<state>.conflict` (or `.conflict.1`, ...: earlier evidence is never overwritten).
 */
export async function audit(options: AuditOptions): Promise<AuditReport> {
  const verifier = loadVerifier(options.verifierKeyFile);
  const witnesses = (options.witnessKeys ?? []).map(cosignatureVerifier);
  const origin = options.origin ?? verifier.name;
  const held = readHeld(options.stateFile, verifier, origin);
  const timeoutMs = options.timeoutMs ?? DEFAULT_AUDIT_TIMEOUT_MS;
  const base = `${options.url.replace(/\/+$/, '')}/api/v1/ledger`;
  const note = await fetchText(`${base}/checkpoint`, timeoutMs);
  const latest = openLogCheckpoint(note, [verifier], origin);
  let proofLength = 0;
  if (held !== null) {
    const conflict = async (reason: AuditReason, detail: string, proof: Hash[] | null): Promise<never> => {
      const evidence = await keepConflict(options.stateFile, {
        reason,
        detail,
        url: options.url,
        held: held.note,
        checkpoint: note,
        proof: proof && { from: held.size, size: latest.size, path: proof.map(encodeBase64) },
      });
      throw new AuditFailure(reason, detail, evidence);
    };
    if (latest.size < held.size) {
      await conflict('TREE_SHRANK', `the log serves size ${latest.size}; size ${held.size} was signed before`, null);
    }
    if (latest.size === held.size) {
      if (encodeBase64(latest.root) !== encodeBase64(held.root)) {
        await conflict('FORK_DETECTED', `two signed checkpoints of size ${held.size} with different roots`, null);
      }
    } else if (held.size > 0) {
      const proof = await fetchConsistency(base, held.size, latest.size, timeoutMs);
      proofLength = proof.length;
      if (!verifyConsistency(held.size, latest.size, proof, held.root, latest.root)) {
        await conflict(
          'CONSISTENCY_PROOF_INVALID',
          `the tree of size ${latest.size} does not extend the held tree of size ${held.size}`,
          proof,
        );
      }
    }
  }
  const cosignedBy = requireCosignatures(note, witnesses);
  await writeFileAtomic(options.stateFile, note);
  return {
    valid: true,
    url: options.url,
    origin,
    held: held && { size: held.size, root: encodeBase64(held.root) },
    latest: { size: latest.size, root: encodeBase64(latest.root) },
    proofLength,
    cosignedBy,
  };
}

/** What `<state>.conflict` holds: both signed checkpoints, and the proof the log gave (if any). */
export interface ConflictEvidence {
  reason: AuditReason;
  detail: string;
  url: string;
  /** The held signed checkpoint (as in the state file). */
  held: string;
  /** The signed checkpoint the log served, with its cosignatures, as served. */
  checkpoint: string;
  /** The consistency proof the log served from the held size (base64 hashes), null when none was asked. */
  proof: { from: number; size: number; path: string[] } | null;
}

async function keepConflict(stateFile: string, evidence: ConflictEvidence): Promise<string> {
  let file = `${stateFile}.conflict`;
  for (let n = 1; existsSync(file); n++) file = `${stateFile}.conflict.${n}`;
  await writeFileAtomic(file, `${JSON.stringify({ ...evidence, detectedAt: new Date().toISOString() }, null, 2)}\n`);
  return file;
}

function readHeld(file: string, verifier: NoteVerifier, origin: string): (Checkpoint & { note: string }) | null {
  if (!existsSync(file)) return null;
  const note = readInput(file);
  try {
    return { ...openLogCheckpoint(note, [verifier], origin), note };
  } catch (error) {
    if (error instanceof AuditFailure && error.reason !== 'ORIGIN_MISMATCH') {
      throw new AuditFailure('STATE_MALFORMED', `${file}: ${error.message}`);
    }
    throw error;
  }
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  let res: Response;
  let body: string;
  try {
    res = await fetch(url, { headers: { Accept: 'text/plain' }, signal: AbortSignal.timeout(timeoutMs) });
    body = await res.text();
  } catch (error) {
    const why =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
    throw new AuditFailure('SERVICE_UNAVAILABLE', `${url}: ${why}`);
  }
  if (res.status !== 200) throw new AuditFailure('SERVICE_UNAVAILABLE', `${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return body;
}

async function fetchConsistency(base: string, from: number, size: number, timeoutMs: number): Promise<Hash[]> {
  const url = `${base}/proof/consistency?from=${from}&size=${size}`;
  const answer = parseJson(await fetchText(url, timeoutMs)) as { from?: unknown; size?: unknown; path?: unknown } | undefined;
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
