import { Inject, Injectable } from '@nestjs/common';
import {
  addSignatures,
  ANCHOR_STREAM,
  EVENT_STORE,
  parseSignatureLine,
  type EventStore,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import type { AppConfig } from '@permit-ledger/config';
import { ApplicationError } from '../platform/errors/application-error.js';
import { APP_CONFIG } from '../platform/store/tokens.js';
import { TRANSPARENCY_LOG, type SignedCheckpoint, type TransparencyLog } from './transparency-log.js';

/** One stream's events that a checkpoint covers, each with its inclusion path in that checkpoint's tree. */
export interface StreamEvidence {
  /** The checkpoint note with its witnesses' cosignature lines. */
  note: string;
  size: number;
  events: Array<{ event: RecordedEvent; leaf: number }>;
  proofs: Array<{ leaf: number; path: Uint8Array[] }>;
}

/** How often a wait for the tree looks again, besides being woken by a new checkpoint. */
const POLL_MS = 50;

/**
 * The checkpoint's note followed by the cosignature lines witnesses returned for it: still one valid C2SP
 * signed note (signature lines after the blank line). A stored line that does not parse is left out rather
 * than break the note for every reader.
 */
export function cosignedNote(checkpoint: SignedCheckpoint): string {
  const signatures = checkpoint.cosignatures.flatMap((line) => {
    try {
      return [parseSignatureLine(line.replace(/\n$/, ''))];
    } catch {
      return [];
    }
  });
  return signatures.length ? addSignatures(checkpoint.note, signatures) : checkpoint.note;
}

/** Leaf indexes for events, and one stream's evidence against the latest checkpoint, from the transparency log. */
@Injectable()
export class LedgerEvidence {
  constructor(
    @Inject(TRANSPARENCY_LOG) private readonly log: TransparencyLog,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Each event's leaf (null: not in the tree yet, or no leaf at all), in one batched lookup. */
  async leaves(events: ReadonlyArray<Pick<RecordedEvent, 'position'>>): Promise<Array<number | null>> {
    if (events.length === 0) return [];
    const found = await this.log.leavesOf([...new Set(events.map((e) => e.position))]);
    return events.map((e) => found.get(e.position) ?? null);
  }

  /**
   * The leaves of events that are (or will be) leaves, waiting up to `waitMs` for the tree to take in those it
   * has not yet: an event is committed before the tree's own subscription reaches it. Anchors are never leaves.
   */
  async leavesWithin(events: readonly RecordedEvent[], waitMs: number): Promise<Array<number | null>> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const leaves = await this.leaves(events);
      const missing = events.some((e, i) => leaves[i] === null && e.stream !== ANCHOR_STREAM);
      if (!missing || Date.now() >= deadline) return leaves;
      await this.pause(deadline);
    }
  }

  /**
   * The stream's events covered by the latest checkpoint, with one inclusion proof each; null for a stream
   * without events. Waits up to MIN_POSITION_WAIT_MS for a checkpoint that covers every event the stream has
   * (the tree and its checkpoints follow the log within LEDGER_CHECKPOINT_SECONDS); events still newer than the
   * latest checkpoint after that are left out. Throws NO_CHECKPOINT when the log has signed none yet.
   */
  async forStream(stream: string): Promise<StreamEvidence | null> {
    const events = await this.store.readStream(stream);
    if (events.length === 0) return null;
    const deadline = Date.now() + this.config.minPositionWaitMs;
    for (;;) {
      const checkpoint = await this.log.latest();
      const leaves = await this.leaves(events);
      const size = checkpoint?.size ?? 0;
      const covered = events.flatMap((event, i) => {
        const leaf = leaves[i];
        return leaf !== null && leaf < size ? [{ event, leaf }] : [];
      });
      if (checkpoint && (covered.length === events.length || Date.now() >= deadline)) {
        const paths = await Promise.all(covered.map(({ leaf }) => this.log.inclusionProof(leaf, size)));
        return {
          note: cosignedNote(checkpoint),
          size,
          events: covered,
          proofs: covered.map(({ leaf }, i) => ({ leaf, path: paths[i] })),
        };
      }
      if (Date.now() >= deadline) {
        throw new ApplicationError('not_found', 'NO_CHECKPOINT', 'the ledger has signed no checkpoint yet', { retryAfterSeconds: 1 });
      }
      await this.pause(deadline);
    }
  }

  /** Until the next checkpoint, POLL_MS or the deadline, whichever comes first. */
  private pause(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(POLL_MS, deadline - Date.now())));
      const stop = this.log.onCheckpoint(done);
    });
  }
}
