import { publishedEvent, type RecordedEvent } from '@permit-ledger/event-store';

/**
 * The public shape of one event with its whole envelope (api.md: history, command answers, the feed, evidence)
 * and its leaf in the ledger's tree (null: not taken in yet, or no leaf).
 */
export function eventView(event: RecordedEvent, leaf: number | null) {
  return { ...publishedEvent(event), leaf };
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** A proof's node hashes as the routes answer them: standard base64, one string a hash. */
export const proofPath = (path: readonly Uint8Array[]) => path.map(base64);

/** One stream's evidence (the ledger slice's StreamEvidence) as answered: the note, the events' views, their paths. */
export function evidenceView(evidence: {
  note: string;
  events: ReadonlyArray<{ event: RecordedEvent; leaf: number }>;
  proofs: ReadonlyArray<{ leaf: number; path: readonly Uint8Array[] }>;
}) {
  return {
    checkpoint: evidence.note,
    events: evidence.events.map(({ event, leaf }) => ({
      ...eventView(event, leaf),
      metadata: event.metadata as unknown as Record<string, unknown>,
    })),
    proofs: evidence.proofs.map(({ leaf, path }) => ({ leaf, path: proofPath(path) })),
  };
}
