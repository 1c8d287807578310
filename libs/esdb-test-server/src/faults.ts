/**
 * Deterministic fault injection: where faults fall is decided by a seeded PRNG, one draw sequence per
 * faultable call, so the same seed and the same sequence of calls give the same faults.
 */

export interface FaultOptions {
  /** Seed of the PRNG (mulberry32) deciding where faults fall. */
  seed: number;
  /**
   * Probability per append: the events are written, then the append is answered with the write timeout
   * (Append: ABORTED; BatchAppend: DEADLINE_EXCEEDED Status with a Timeout detail).
   */
  ambiguous?: number;
  /**
   * Probability per append: a slow commit. The append is checked and written at once (it holds its
   * revisions: a competing write at the same expected revision gets WrongExpectedVersion naming them) and
   * answered with the write timeout, but it commits only 1-30 ms later. Until then reads and subscriptions
   * see nothing from it on (in any stream: reads serve a prefix of the log), a resend of the same events
   * is dropped (answered with the timeout), and appends written after it are answered only once it has
   * committed. An append that writes nothing (a version mismatch, an idempotent retry) is answered as
   * usual and not counted as faulted.
   */
  late?: number;
  /** Commit a late write this many ms after it was written instead of 1-30 ms (the PRNG is drawn anyway). */
  lateCommitMs?: number;
  /**
   * Probability per call (an append, or a non-subscription Streams.Read): the connection drops. Append: before
   * or after the write (50/50), answered UNAVAILABLE; on BatchAppend the whole call fails, with every append
   * in flight on it. Read: UNAVAILABLE.
   */
  drop?: number;
}

export type AppendFault =
  { kind: 'none' } | { kind: 'ambiguous' } | { kind: 'late'; delayMs: number } | { kind: 'drop'; afterWrite: boolean };

export interface FaultCounts {
  ambiguous: number;
  late: number;
  dropped: number;
}

export class FaultInjector {
  readonly counts: FaultCounts = { ambiguous: 0, late: 0, dropped: 0 };
  private options: FaultOptions | undefined;
  private random: () => number = () => 1;

  constructor(options: FaultOptions | undefined) {
    this.set(options);
  }

  /** Restarts the PRNG from the seed: the fault sequence is reproducible from this call on. */
  set(options: FaultOptions | undefined): void {
    this.options = options;
    if (options) this.random = mulberry32(options.seed);
  }

  nextAppend(): AppendFault {
    const options = this.options;
    if (!options) return { kind: 'none' };
    const roll = this.random();
    const drop = options.drop ?? 0;
    const ambiguous = drop + (options.ambiguous ?? 0);
    const late = ambiguous + (options.late ?? 0);
    if (roll < drop) {
      this.counts.dropped++;
      return { kind: 'drop', afterWrite: this.random() < 0.5 };
    }
    if (roll < ambiguous) {
      this.counts.ambiguous++;
      return { kind: 'ambiguous' };
    }
    if (roll < late) {
      // Counted by the server, once the write is held (see `late`).
      const delayMs = 1 + Math.floor(this.random() * 30);
      return { kind: 'late', delayMs: options.lateCommitMs ?? delayMs };
    }
    return { kind: 'none' };
  }

  /** True when this read's connection drops. */
  nextRead(): boolean {
    const options = this.options;
    if (!options) return false;
    if (this.random() >= (options.drop ?? 0)) return false;
    this.counts.dropped++;
    return true;
  }
}

/** A small, well-known 32-bit PRNG: uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
