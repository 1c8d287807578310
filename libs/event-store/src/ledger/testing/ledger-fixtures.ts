/** Builders for ledger specs: chained events in memory, anchors computed as the service would. */
import { randomUUID, type KeyObject } from 'node:crypto';
import type { EventMetadata, NewEvent, RecordedEvent } from '../../port/envelope.js';
import { computeEventHash } from '../../integrity/integrity.js';
import type { EventStore } from '../../port/port.js';
import { leafHash, merkleTreeHash, type Hash } from '../../transparency/merkle.js';
import type { NoteSigner } from '../../transparency/note.js';
import {
  ANCHOR_EVENT_TYPE,
  ANCHOR_STREAM,
  GENESIS_HASH,
  isChained,
  leafInput,
  nextRunningHash,
  signAnchor,
  signCheckpointAnchor,
  type AnchorStatement,
} from '../anchor.js';

let ids = 0;

export function metadata(overrides: Partial<EventMetadata> = {}): EventMetadata {
  return {
    effectiveAt: '2020-10-05T00:00:00.000Z',
    actor: { id: 'officer-1', role: 'officer' },
    commandId: `cmd-${++ids}`,
    correlationId: 'corr-1',
    causationId: null,
    ...overrides,
  };
}

export function newEvent(type: string, data: Record<string, unknown>, meta: Partial<EventMetadata> = {}): NewEvent {
  // UUIDs: EventStoreDB refuses other event ids.
  return { eventId: randomUUID(), type, schemaVersion: 1, data, metadata: metadata(meta) };
}

/** The anchor statement over the chained events up to `position` (default: the last chained one). */
export function statementOf(events: RecordedEvent[], position = Infinity): AnchorStatement {
  let runningHash = GENESIS_HASH;
  let count = 0;
  let last = 0;
  for (const e of events) {
    if (!isChained(e) || e.position > position) continue;
    runningHash = nextRunningHash(runningHash, e.hash);
    count += 1;
    last = e.position;
  }
  return { position: last, count, runningHash };
}

/** The RFC 9162 root over the chained events up to `position`, by the definition (O(n)). */
export function rootOf(events: RecordedEvent[], position = Infinity): Hash {
  return merkleTreeHash(events.filter((e) => isChained(e) && e.position <= position).map((e) => leafHash(leafInput(e))));
}

/** A ledger in memory, hashed and chained as a store would; positions 1, 2, 3 … */
export class LedgerBuilder {
  readonly events: RecordedEvent[] = [];
  private second = 0;

  add(stream: string, type: string, data: Record<string, unknown> = {}, meta: Partial<EventMetadata> = {}): RecordedEvent {
    const previous = this.events.filter((e) => e.stream === stream).at(-1);
    const e = newEvent(type, data, meta);
    const content = {
      ...e,
      stream,
      revision: previous ? previous.revision + 1 : 0,
      position: this.events.length + 1,
      recordedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, this.second++)).toISOString(),
      prevHash: previous?.hash ?? null,
    };
    const recorded: RecordedEvent = { ...content, hash: computeEventHash(content) };
    this.events.push(recorded);
    return recorded;
  }

  /** Appends a LedgerAnchored event covering the chained events up to `position` (default: all so far). */
  anchor(privateKey: KeyObject | null, position?: number): RecordedEvent {
    return this.add(
      ANCHOR_STREAM,
      ANCHOR_EVENT_TYPE,
      { ...signAnchor(statementOf(this.events, position), privateKey) },
      {
        actor: { id: 'ledger-anchor', role: 'system' },
      },
    );
  }

  /** Appends a v2 anchor (statement and signed checkpoint) covering the chained events up to `position`. */
  checkpoint(
    privateKey: KeyObject,
    signer: NoteSigner,
    position?: number,
    edit: (data: Record<string, unknown>, before: RecordedEvent[]) => void = () => undefined,
  ): RecordedEvent {
    const data: Record<string, unknown> = {
      ...signCheckpointAnchor(statementOf(this.events, position), rootOf(this.events, position), privateKey, signer),
    };
    edit(data, this.events);
    const previous = this.events.filter((e) => e.stream === ANCHOR_STREAM).at(-1);
    const recorded = this.add(ANCHOR_STREAM, ANCHOR_EVENT_TYPE, data, { actor: { id: 'ledger-anchor', role: 'system' } });
    // add() writes schema version 1: a v2 anchor is rehashed as the store would hash it.
    const v2 = { ...recorded, schemaVersion: 2, prevHash: previous?.hash ?? null };
    const hashed = { ...v2, hash: computeEventHash(v2) };
    this.events[this.events.length - 1] = hashed;
    return hashed;
  }
}

/**
 * What an attacker with write access does after an edit: recompute every stream's prevHash / hash in
 * the given order so that each stream chain holds again. Positions are kept.
 */
export function rehash(events: RecordedEvent[]): RecordedEvent[] {
  const heads = new Map<string, { revision: number; hash: string }>();
  return events.map((e) => {
    const head = heads.get(e.stream);
    const content = { ...e, revision: head ? head.revision + 1 : 0, prevHash: head?.hash ?? null };
    const hash = computeEventHash(content);
    heads.set(e.stream, { revision: content.revision, hash });
    return { ...content, hash };
  });
}

/** Appends a LedgerAnchored event to a real store over everything chained so far. */
export async function appendAnchor(store: EventStore, privateKey: KeyObject | null): Promise<RecordedEvent> {
  const statement = statementOf(await store.readAll());
  const anchor = newEvent(ANCHOR_EVENT_TYPE, { ...signAnchor(statement, privateKey) }, { actor: { id: 'ledger-anchor', role: 'system' } });
  const result = await store.append(ANCHOR_STREAM, [anchor], { expectedRevision: 'any' });
  return result.events[0];
}
