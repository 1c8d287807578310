import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  TransparencyError,
  addSignatures,
  cosignatureTime,
  formatAddCheckpoint,
  formatSignatureLine,
  openNote,
  parseCosignatureVerifierKey,
  parseSignatureLine,
  parseSignatureLines,
  type NoteSignature,
  type NoteVerifier,
} from '@permit-ledger/event-store';
import type { AppConfig } from '@permit-ledger/config';
import { APP_CONFIG } from '../platform/store/tokens.js';
import { ReadinessChecks } from '../platform/health/readiness-checks.js';
import { TRANSPARENCY_LOG, type SignedCheckpoint, type TransparencyLog } from './transparency-log.js';

export interface WitnessPushOptions {
  /** First wait after a failed push; it doubles up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Per request. */
  requestTimeoutMs: number;
  /** Leaves a witness may lag behind the latest checkpoint before its indicator is down; null: never down. */
  maxLag: number | null;
}

export const WITNESS_PUSH_OPTIONS = Symbol('WITNESS_PUSH_OPTIONS');

const DEFAULTS: WitnessPushOptions = { initialBackoffMs: 1_000, maxBackoffMs: 60_000, requestTimeoutMs: 10_000, maxLag: null };

/** A witness answers a cosignature line or a size: anything longer than this is not read (and retried). */
export const MAX_WITNESS_ANSWER_BYTES = 16 * 1024;

/** How long shutdown waits for the pushes in flight (the final checkpoint's among them). */
const SHUTDOWN_WAIT_MS = 3_000;

export type WitnessState = 'idle' | 'pushing' | 'retrying' | 'refused';

export interface WitnessStatus {
  name: string;
  url: string;
  /**
   * The size the witness last cosigned as far as this process knows (from its 200, its 409, or a cosignature of
   * it held for the latest checkpoint); null before it said. Never above the latest size: see `ahead`.
   */
  cosignedSize: number | null;
  latestSize: number;
  /** Leaves of the latest checkpoint the witness has not cosigned. */
  lag: number;
  /**
   * A size the witness says it cosigned beyond this log's latest (its 409): the log was restored or forked
   * after the witness saw it. Null otherwise.
   */
  ahead: number | null;
  /** The witness refused the latest push, or is ahead of the log: a fault to look at, whatever the lag. */
  failing: boolean;
  state: WitnessState;
  lastError: string | null;
  lastCosignedAt: string | null;
}

/**
 * Pushes each new checkpoint to every witness of LEDGER_WITNESSES (C2SP tlog-witness add-checkpoint) with the
 * consistency proof from the size that witness last cosigned, learnt from its answers: 200 or a 409 (whose
 * body is its size: the push is then sent again from it). Only the latest checkpoint is pushed: one the
 * witness missed is covered by the next. A returned cosignature is stored (addCosignature) only once it
 * verifies with the witness's configured key over this very checkpoint, so a checkpoint a witness refused is
 * never served as cosigned; it replaces that witness's older line for the checkpoint. At start, a witness
 * that already cosigned the latest checkpoint (a verified line of its key is held) is not asked again: a
 * restart adds no line. Network errors, 5xx and answers over MAX_WITNESS_ANSWER_BYTES are retried with
 * back-off; a refusal (400, 403, 404, 422, or a witness already past this log's size) is logged and
 * reported, and the next checkpoint tries again.
 *
 * Readiness: each witness is `witness:<name>` in /health/ready, with its sizes, lag, state and `failing`
 * (refused, or ahead of the log). A witness is someone else's machine: its outage must not take the ledger
 * down, so it is down only when LEDGER_WITNESS_MAX_LAG is set, and then past that many leaves behind the
 * latest checkpoint or while failing (unset: never down; the data still says so).
 */
@Injectable()
export class WitnessPusher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WitnessPusher');
  private readonly channels: WitnessChannel[];
  private unsubscribe: (() => void) | null = null;

  constructor(
    @Inject(TRANSPARENCY_LOG) private readonly log: TransparencyLog,
    @Inject(APP_CONFIG) config: AppConfig,
    readiness: ReadinessChecks,
    @Optional() @Inject(WITNESS_PUSH_OPTIONS) options?: Partial<WitnessPushOptions>,
  ) {
    const settings = { ...DEFAULTS, maxLag: config.ledgerWitnessMaxLag, ...options };
    this.channels = config.ledgerWitnesses.map(
      (w) => new WitnessChannel(log, addCheckpointUrl(w.url), w.verifierKey, settings, this.logger),
    );
    for (const channel of this.channels) {
      readiness.register({
        name: `witness:${channel.name}`,
        report: () => {
          const status = channel.status();
          return { up: settings.maxLag === null || (!status.failing && status.lag <= settings.maxLag), data: { ...status } };
        },
      });
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.channels.length === 0) return;
    this.unsubscribe = this.log.onCheckpoint((checkpoint) => this.push(checkpoint));
    // After a restart: the last checkpoint may not have reached every witness (those that cosigned it are not asked again).
    const latest = await this.log.latest();
    if (latest) for (const channel of this.channels) channel.resume(latest);
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.all(this.channels.map((c) => c.stop(SHUTDOWN_WAIT_MS)));
  }

  statuses(): WitnessStatus[] {
    return this.channels.map((c) => c.status());
  }

  /** Resolves when every witness has settled (cosigned, refused, or waiting to retry): for specs. */
  settled(): Promise<void> {
    return Promise.all(this.channels.map((c) => c.idle())).then(() => undefined);
  }

  private push(checkpoint: SignedCheckpoint): void {
    for (const channel of this.channels) channel.offer(checkpoint);
  }
}

/** The witness's submission prefix or its add-checkpoint URL itself. */
function addCheckpointUrl(url: string): string {
  return /\/add-checkpoint$/.test(url) ? url : `${url.replace(/\/+$/, '')}/add-checkpoint`;
}

type Outcome = 'cosigned' | 'refused' | 'retry';

class WitnessChannel {
  readonly name: string;
  private pending: SignedCheckpoint | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly abort = new AbortController();
  private wake: (() => void) | null = null;
  private backoff: number;
  private cosignedSize: number | null = null;
  private ahead: number | null = null;
  private latestSize = 0;
  private state: WitnessState = 'idle';
  private lastError: string | null = null;
  private lastCosignedAt: string | null = null;

  private readonly verifier: NoteVerifier;

  constructor(
    private readonly log: TransparencyLog,
    readonly url: string,
    private readonly verifierKey: string,
    private readonly options: WitnessPushOptions,
    private readonly logger: Logger,
  ) {
    this.verifier = parseCosignatureVerifierKey(verifierKey);
    this.name = this.verifier.name;
    this.backoff = options.initialBackoffMs;
  }

  status(): WitnessStatus {
    return {
      name: this.name,
      url: this.url,
      cosignedSize: this.cosignedSize,
      latestSize: this.latestSize,
      lag: Math.max(0, this.latestSize - (this.cosignedSize ?? 0)),
      ahead: this.ahead,
      failing: this.state === 'refused' || this.ahead !== null,
      state: this.state,
      lastError: this.lastError,
      lastCosignedAt: this.lastCosignedAt,
    };
  }

  /**
   * At start: the latest checkpoint, unless a cosignature of this witness over it is already held (then its
   * size is what the witness cosigned, and nothing is sent).
   */
  resume(latest: SignedCheckpoint): void {
    const held = this.heldCosignature(latest);
    if (held === null) return this.offer(latest);
    this.latestSize = Math.max(this.latestSize, latest.size);
    this.cosignedSize = latest.size;
    const time = cosignatureTime(held);
    this.lastCosignedAt = time === undefined ? null : new Date(time * 1000).toISOString();
  }

  private heldCosignature(checkpoint: SignedCheckpoint): NoteSignature | null {
    for (const line of checkpoint.cosignatures) {
      try {
        const signature = parseSignatureLine(line.replace(/\n$/, ''));
        if (openNote(addSignatures(checkpoint.note, [signature]), [this.verifier]).verified.length > 0) return signature;
      } catch (error) {
        if (!(error instanceof TransparencyError)) throw error;
      }
    }
    return null;
  }

  /** Takes the checkpoint if it is newer than what waits; a back-off under way is kept (it is sent after it). */
  offer(checkpoint: SignedCheckpoint): void {
    if (this.stopped) return;
    this.latestSize = Math.max(this.latestSize, checkpoint.size);
    if (this.pending === null || checkpoint.size >= this.pending.size) this.pending = checkpoint;
    this.running ??= this.run().finally(() => (this.running = null));
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async stop(waitMs: number): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const running = this.running;
    if (running) {
      const timer = setTimeout(() => this.abort.abort(), waitMs);
      await running;
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    while (this.pending !== null) {
      const checkpoint = this.pending;
      this.pending = null;
      this.state = 'pushing';
      const outcome = await this.pushOnce(checkpoint).catch((error: unknown): Outcome => {
        this.lastError = error instanceof Error ? error.message : String(error);
        return 'retry';
      });
      if (outcome !== 'retry') {
        this.backoff = this.options.initialBackoffMs;
        this.state = outcome === 'refused' ? 'refused' : 'idle';
        continue;
      }
      this.state = 'retrying';
      if (this.stopped) return;
      this.logger.warn(`witness ${this.name}: push of size ${checkpoint.size} failed, retrying in ${this.backoff} ms: ${this.lastError}`);
      this.pending ??= checkpoint;
      await this.sleep(this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs);
      if (this.stopped) return;
    }
  }

  private async pushOnce(checkpoint: SignedCheckpoint): Promise<Outcome> {
    let oldSize = this.cosignedSize ?? 0;
    // A 409 names the witness's size: one more round from it; a second 409 means it moved meanwhile.
    for (let round = 0; round < 3; round++) {
      const proof = oldSize === 0 || oldSize === checkpoint.size ? [] : await this.log.consistencyProof(oldSize, checkpoint.size);
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: formatAddCheckpoint({ oldSize, proof, checkpoint: checkpoint.note }),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.requestTimeoutMs)]),
      });
      const body = await readAnswer(res);
      if (res.status === 200) return this.accept(checkpoint, body);
      if (res.status === 409) {
        const size = /^(0|[1-9][0-9]{0,15})\n?$/.exec(body)?.[1];
        if (size === undefined) throw new Error(`409 without a size: ${JSON.stringify(body.slice(0, 100))}`);
        if (Number(size) > checkpoint.size) {
          // Never this log's cosigned size (nor its lag): the log lost leaves the witness saw.
          this.ahead = Number(size);
          return this.refuse(`the witness has cosigned size ${size}, beyond this log's ${checkpoint.size}: a restored or forked log`);
        }
        oldSize = Number(size);
        this.cosignedSize = oldSize;
        this.ahead = null;
        continue;
      }
      if (res.status >= 500 || res.status === 429) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200).trim()}`);
      return this.refuse(`HTTP ${res.status}: ${body.slice(0, 200).trim()}`);
    }
    throw new Error('the witness kept answering 409');
  }

  /** Keeps the witness's signatures only if they verify with its key over this checkpoint. */
  private async accept(checkpoint: SignedCheckpoint, body: string): Promise<Outcome> {
    let verified;
    try {
      verified = openNote(addSignatures(checkpoint.note, parseSignatureLines(body)), [this.verifier]).verified;
    } catch (error) {
      if (!(error instanceof TransparencyError)) throw error;
      throw new Error(`its answer holds no valid cosignature of ${this.name}: ${error.message}`, { cause: error });
    }
    for (const signature of verified) await this.log.addCosignature(checkpoint, formatSignatureLine(signature), this.verifierKey);
    this.cosignedSize = checkpoint.size;
    this.ahead = null;
    this.lastError = null;
    this.lastCosignedAt = new Date().toISOString();
    return 'cosigned';
  }

  private refuse(why: string): Outcome {
    this.lastError = why;
    this.logger.error(`witness ${this.name} refused a checkpoint: ${why}`);
    return 'refused';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wake = done;
    });
  }
}

/** The answer's text, at most MAX_WITNESS_ANSWER_BYTES: a longer one is cancelled unread and is an error. */
async function readAnswer(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_WITNESS_ANSWER_BYTES || res.body === null) {
    await res.body?.cancel();
    if (declared > MAX_WITNESS_ANSWER_BYTES)
      throw new Error(`HTTP ${res.status}: an answer of ${declared} bytes, over ${MAX_WITNESS_ANSWER_BYTES}`);
    return '';
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > MAX_WITNESS_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`HTTP ${res.status}: an answer over ${MAX_WITNESS_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
