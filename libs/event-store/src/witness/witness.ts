import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  EMPTY_ROOT,
  TransparencyError,
  decodeNote,
  formatNote,
  formatSignatureLine,
  openCheckpoint,
  parseAddCheckpoint,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  verifyConsistency,
  type Cosigner,
  type NoteVerifier,
} from '../transparency/index.js';
import { bytesEqual } from '../transparency/encoding.js';
import { originHash, type WitnessStateStore } from './witness-state.js';

/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness): it cosigns a log's checkpoint only when it is
 * consistent with the last one it cosigned for that log, so that two witnessed checkpoints of one log can
 * never describe diverging histories. The answers follow the spec's status codes:
 * 400 malformed request or old size above the checkpoint's, 404 unknown origin, 403 no valid signature of a
 * trusted key, 409 old size not the one last cosigned (body: that size, text/x.tlog.size), 422 a consistency
 * proof that does not verify (or a proof from 0, a same-size checkpoint with another root, a bad empty tree),
 * 200 the cosignature line.
 */
export interface WitnessLog {
  /** The checkpoint origin line that names the log. */
  readonly origin: string;
  readonly verifiers: readonly NoteVerifier[];
}

/** A log given by its Ed25519 note verifier key; its origin is the key's name unless given. */
export function witnessLog(verifierKey: string, origin?: string): WitnessLog {
  const verifier = parseVerifierKey(verifierKey);
  return { origin: origin ?? verifier.name, verifiers: [verifier] };
}

export interface WitnessAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface WitnessOptions {
  readonly cosigner: Cosigner;
  readonly logs: readonly WitnessLog[];
  readonly state: WitnessStateStore;
  /** POSIX seconds for the cosignature's timestamp. */
  readonly now?: () => number;
}

export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export class Witness {
  private readonly logs = new Map<string, WitnessLog>();
  /** Per origin, the request in progress: the check of the old size and the save are one step. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: WitnessOptions) {
    for (const log of options.logs) {
      if (this.logs.has(log.origin)) throw new Error(`log ${log.origin} given twice`);
      this.logs.set(log.origin, log);
    }
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  get name(): string {
    return this.options.cosigner.name;
  }

  get verifierKey(): string {
    return this.options.cosigner.verifierKey;
  }

  /** POST <prefix>/add-checkpoint. */
  async addCheckpoint(body: string | Uint8Array): Promise<WitnessAnswer> {
    let request;
    let text: string;
    try {
      request = parseAddCheckpoint(typeof body === 'string' ? body : decodeNote(body));
      text = parseNote(request.checkpoint).text;
      parseCheckpoint(text);
    } catch (error) {
      if (error instanceof TransparencyError) return plain(400, error.message);
      throw error;
    }
    const origin = text.slice(0, text.indexOf('\n'));
    const log = this.logs.get(origin);
    if (log === undefined) return plain(404, `unknown log ${JSON.stringify(origin)}`);
    let opened;
    try {
      opened = openCheckpoint(request.checkpoint, log.verifiers, origin);
    } catch (error) {
      if (error instanceof TransparencyError) return plain(403, error.message);
      throw error;
    }
    const { checkpoint } = opened;
    if (request.oldSize > checkpoint.size) return plain(400, `old size ${request.oldSize} is above the checkpoint size ${checkpoint.size}`);
    return this.serialized(origin, async () => {
      const held = await this.options.state.load(origin);
      const heldSize = held?.size ?? 0;
      if (request.oldSize !== heldSize) return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: `${heldSize}\n` };
      if (checkpoint.size === 0 && !bytesEqual(checkpoint.root, EMPTY_ROOT)) return plain(422, 'a tree of size 0 has the empty root');
      if (request.oldSize === 0) {
        if (request.proof.length > 0) return plain(422, 'no consistency proof from size 0');
      } else if (request.oldSize === checkpoint.size) {
        if (request.proof.length > 0 || !bytesEqual(checkpoint.root, held!.root)) {
          return plain(422, `size ${checkpoint.size} was cosigned with another root`);
        }
      } else if (!verifyConsistency(request.oldSize, checkpoint.size, request.proof, held!.root, checkpoint.root)) {
        return plain(422, `the consistency proof from ${request.oldSize} to ${checkpoint.size} does not verify`);
      }
      const cosignature = this.options.cosigner.cosign(text, this.now());
      const note = formatNote({ text, signatures: [...opened.note.verified, cosignature] });
      await this.options.state.save({ origin, size: checkpoint.size, root: checkpoint.root, note });
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: formatSignatureLine(cosignature) };
    });
  }

  /** GET <prefix>/<origin hash>/checkpoint: the latest cosigned checkpoint of a log (the monitoring interface). */
  async latestCheckpoint(hash: string): Promise<WitnessAnswer> {
    const log = [...this.logs.values()].find((l) => originHash(l.origin) === hash);
    const held = log === undefined ? null : await this.options.state.load(log.origin);
    return held === null
      ? plain(404, 'no checkpoint cosigned for this log')
      : { status: 200, contentType: 'text/plain; charset=utf-8', body: held.note };
  }

  private serialized<T>(origin: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(origin) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(origin, settled);
    void settled.then(() => {
      if (this.locks.get(origin) === settled) this.locks.delete(origin);
    });
    return next;
  }
}

/** Request bodies above this are refused (413): 63 proof lines and a note with many signatures fit well within. */
export const MAX_WITNESS_BODY = 64 * 1024;

/** The witness's HTTP interface for node:http (`createServer(witnessListener(witness))`), under the given prefix. */
export function witnessListener(witness: Witness, prefix = '') {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const answer = (a: WitnessAnswer) => {
      res.writeHead(a.status, { 'Content-Type': a.contentType, 'Content-Length': Buffer.byteLength(a.body) });
      res.end(a.body);
    };
    const fail = (error: unknown) => {
      if (!res.headersSent) answer(plain(500, error instanceof Error ? error.message : String(error)));
      else res.destroy();
    };
    const path = (req.url ?? '').split('?')[0];
    const monitoring = new RegExp(`^${escapeRegExp(prefix)}/([0-9a-f]{64})/checkpoint$`).exec(path);
    if (path === `${prefix}/add-checkpoint`) {
      if (req.method !== 'POST') return answer(plain(405, 'POST only'));
      const chunks: Buffer[] = [];
      let length = 0;
      req.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > MAX_WITNESS_BODY) {
          answer(plain(413, `a request body is at most ${MAX_WITNESS_BODY} bytes`));
          req.destroy();
        } else chunks.push(chunk);
      });
      req.on('end', () => {
        if (length > MAX_WITNESS_BODY) return;
        witness.addCheckpoint(new Uint8Array(Buffer.concat(chunks))).then(answer, fail);
      });
      req.on('error', () => res.destroy());
      return;
    }
    if (monitoring !== null) {
      if (req.method !== 'GET') return answer(plain(405, 'GET only'));
      witness.latestCheckpoint(monitoring[1]).then(answer, fail);
      return;
    }
    answer(plain(404, 'not found'));
  };
}

function plain(status: number, message: string): WitnessAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${message}\n` };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
