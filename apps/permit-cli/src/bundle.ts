import {
  computeEventHash,
  leafHash,
  leafInput,
  verifyInclusion,
  type EventMetadata,
  type HashedEventContent,
} from '@permit-ledger/event-store';
import {
  AuditFailure,
  cosignatureVerifier,
  decodeBase64,
  encodeBase64,
  loadVerifier,
  openLogCheckpoint,
  parseJson,
  readInput,
  requireCosignatures,
  unexpectedFailure,
  type AuditReason,
} from './audit.js';

/**
 * An evidence bundle (GET /permits/{n}/evidence, /decisions/{ref}/evidence), checked offline:
 * `{ "checkpoint": "<signed note>", "events": [ <event view with "leaf"> ], "proofs": [ { "leaf", "path": [base64] } ] }`.
 * In this order, the first failure reported: the bundle's shape, at least one event (BUNDLE_MALFORMED); the
 * checkpoint's format, origin and log signature (CHECKPOINT_MALFORMED, ORIGIN_MISMATCH,
 * CHECKPOINT_SIGNATURE_INVALID); each event's hash (HASH_MISMATCH); each stream's chain, whole from revision 0
 * (CHAIN_BROKEN); leaves increasing with revision within a stream (LEAF_ORDER); each event's inclusion in the
 * checkpoint's tree, leaf input = the 32 bytes of its hash (INCLUSION_PROOF_INVALID: also an event without a
 * proof, whose leaf is null or beyond the checkpoint's size); the cosignature of every witness key given
 * (COSIGNATURE_MISSING). Every event is proven or the bundle is refused. A file that cannot be read is
 * FILE_UNREADABLE, anything else that goes wrong UNEXPECTED_ERROR: the report is always written.
 *
 * What a valid bundle proves: each event is in the checkpoint's tree, and each stream is whole from revision 0
 * up to the last revision in `proven`. Not that the stream has no later event: nothing in a checkpoint
 * commits to a stream's head.
 */
export interface BundleOptions {
  bundleFile: string;
  verifierKeyFile: string;
  /** Witness cosignature verifier keys whose cosignature the checkpoint must carry. */
  witnessKeys?: string[];
  origin?: string;
}

export interface BundleReport {
  valid: boolean;
  source: string;
  origin?: string;
  size?: number;
  root?: string;
  events: number;
  streams: number;
  /** Each stream proven whole from revision 0 to `lastRevision` (later events may exist: a bundle cannot say). */
  proven: Array<{ stream: string; lastRevision: number }>;
  proofsChecked: number;
  cosignedBy: string[];
  firstBroken?: { reason: AuditReason; detail: string; stream?: string; revision?: number; leaf?: number };
}

interface EventView extends HashedEventContent {
  hash: string;
  leaf: number | null;
}

export function verifyBundle(options: BundleOptions): BundleReport {
  const report: BundleReport = {
    valid: false,
    source: options.bundleFile,
    events: 0,
    streams: 0,
    proven: [],
    proofsChecked: 0,
    cosignedBy: [],
  };
  try {
    check(options, report);
    report.valid = true;
  } catch (error) {
    const failure = error instanceof AuditFailure ? error : unexpectedFailure(error);
    report.firstBroken = { reason: failure.reason, detail: failure.detail, ...(failure instanceof Broken ? failure.at : {}) };
    report.proven = [];
  }
  return report;
}

class Broken extends AuditFailure {
  constructor(
    reason: AuditReason,
    detail: string,
    readonly at: { stream?: string; revision?: number; leaf?: number },
  ) {
    super(reason, detail);
  }
}

function check(options: BundleOptions, report: BundleReport): void {
  const verifier = loadVerifier(options.verifierKeyFile);
  const witnesses = (options.witnessKeys ?? []).map(cosignatureVerifier);
  const bundle = parseJson(readInput(options.bundleFile));
  const malformed = (why: string) => new AuditFailure('BUNDLE_MALFORMED', why);
  if (!isRecord(bundle) || typeof bundle.checkpoint !== 'string' || !Array.isArray(bundle.events) || !Array.isArray(bundle.proofs)) {
    throw malformed('not { checkpoint: string, events: [...], proofs: [...] }');
  }
  if (bundle.events.length === 0) throw malformed('no events: an empty bundle proves nothing');
  const events = bundle.events.map((e, i) => toEvent(e, i));
  const proofs = new Map<number, Uint8Array[]>();
  for (const [i, p] of bundle.proofs.entries()) {
    if (!isRecord(p) || !isIndex(p.leaf) || !Array.isArray(p.path)) throw malformed(`proofs[${i}] is not { leaf, path: [base64] }`);
    const path = p.path.map((h) => (typeof h === 'string' ? decodeBase64(h) : undefined));
    if (path.some((h) => h === undefined || h.length !== 32)) throw malformed(`proofs[${i}].path holds a non-hash`);
    if (proofs.has(p.leaf)) throw malformed(`two proofs for leaf ${p.leaf}`);
    proofs.set(p.leaf, path as Uint8Array[]);
  }
  report.events = events.length;

  const origin = options.origin ?? verifier.name;
  const checkpoint = openLogCheckpoint(bundle.checkpoint, [verifier], origin);
  Object.assign(report, { origin, size: checkpoint.size, root: encodeBase64(checkpoint.root) });

  for (const event of events) {
    if (hashOf(event) !== event.hash) {
      throw new Broken('HASH_MISMATCH', `event ${event.eventId} does not hash to its hash`, {
        stream: event.stream,
        revision: event.revision,
      });
    }
  }

  const streams = new Map<string, EventView[]>();
  for (const event of events) streams.set(event.stream, [...(streams.get(event.stream) ?? []), event]);
  report.streams = streams.size;
  for (const [stream, chain] of streams) {
    chain.sort((a, b) => a.revision - b.revision);
    chain.forEach((event, revision) => {
      const prevHash = revision === 0 ? null : chain[revision - 1].hash;
      if (event.revision !== revision || event.prevHash !== prevHash) {
        throw new Broken('CHAIN_BROKEN', `${stream} is not whole and chained at revision ${revision}`, { stream, revision });
      }
    });
    // The log appends a stream's events in revision order: their leaves must follow it.
    chain.forEach((event, revision) => {
      const before = chain[revision - 1]?.leaf;
      if (revision > 0 && event.leaf !== null && before !== null && before !== undefined && event.leaf <= before) {
        throw new Broken(
          'LEAF_ORDER',
          `${stream} revision ${revision} is at leaf ${event.leaf}, not after revision ${revision - 1}'s ${before}`,
          {
            stream,
            revision,
            leaf: event.leaf,
          },
        );
      }
    });
  }

  const leaves = new Set<number>();
  for (const event of events) {
    const at = { stream: event.stream, revision: event.revision, leaf: event.leaf ?? undefined };
    if (event.leaf === null) throw new Broken('INCLUSION_PROOF_INVALID', `event ${event.eventId} has no leaf: nothing proves it`, at);
    if (event.leaf >= checkpoint.size) {
      throw new Broken('INCLUSION_PROOF_INVALID', `leaf ${event.leaf} is beyond the checkpoint's size ${checkpoint.size}`, at);
    }
    if (leaves.has(event.leaf)) throw new Broken('BUNDLE_MALFORMED', `two events at leaf ${event.leaf}`, at);
    leaves.add(event.leaf);
    const path = proofs.get(event.leaf);
    if (path === undefined) throw new Broken('INCLUSION_PROOF_INVALID', `no proof for leaf ${event.leaf}`, at);
    const leaf = leafHash(leafInput(event));
    if (!verifyInclusion(event.leaf, checkpoint.size, leaf, path, checkpoint.root)) {
      throw new Broken('INCLUSION_PROOF_INVALID', `leaf ${event.leaf} is not in the tree of size ${checkpoint.size}`, at);
    }
    report.proofsChecked++;
  }

  report.cosignedBy = requireCosignatures(bundle.checkpoint, witnesses);
  report.proven = [...streams].map(([stream, chain]) => ({ stream, lastRevision: chain.at(-1)!.revision }));
}

/** The event's hash, or BUNDLE_MALFORMED at that event when its content cannot be hashed. */
function hashOf(event: EventView): string {
  try {
    return computeEventHash(event);
  } catch (error) {
    throw new Broken(
      'BUNDLE_MALFORMED',
      `event ${event.eventId} cannot be hashed: ${error instanceof Error ? error.message : String(error)}`,
      {
        stream: event.stream,
        revision: event.revision,
      },
    );
  }
}

/**
 * The hashed content of an event view. The view spells the envelope out (effectiveAt, actor, reason, ...)
 * and may hold `metadata` as stored; absent optional fields are null in a view and absent in the hash.
 */
function toEvent(value: unknown, i: number): EventView {
  const bad = (why: string) => new AuditFailure('BUNDLE_MALFORMED', `events[${i}]: ${why}`);
  if (!isRecord(value)) throw bad('not an object');
  const { stream, revision, eventId, type, schemaVersion, data, recordedAt, prevHash, hash, leaf } = value;
  if (typeof stream !== 'string' || !isIndex(revision) || typeof eventId !== 'string' || typeof type !== 'string')
    throw bad('stream, revision, eventId, type');
  if (typeof schemaVersion !== 'number' || !isRecord(data) || typeof recordedAt !== 'string') throw bad('schemaVersion, data, recordedAt');
  if (!(prevHash === null || isHex64(prevHash)) || !isHex64(hash)) throw bad('prevHash, hash (64 hex digits)');
  if (!(leaf === null || isIndex(leaf))) throw bad('leaf (an index or null)');
  const metadata = isRecord(value.metadata) ? (value.metadata as unknown as EventMetadata) : viewMetadata(value);
  return { stream, revision, eventId, type, schemaVersion, data, metadata, recordedAt, prevHash, hash, leaf };
}

function viewMetadata(view: Record<string, unknown>): EventMetadata {
  const optional = (key: string) => (view[key] === null || view[key] === undefined ? {} : { [key]: view[key] });
  return {
    effectiveAt: view.effectiveAt,
    actor: view.actor,
    commandId: view.commandId,
    correlationId: view.correlationId,
    causationId: view.causationId,
    ...optional('reason'),
    ...optional('legalBasis'),
    ...optional('decisionRef'),
    ...optional('idempotency'),
  } as EventMetadata;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isHex64(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
