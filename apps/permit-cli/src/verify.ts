import { createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  exportEvents,
  keyId,
  parseVerifierKey,
  verifyLedger,
  verifyNdjson,
  type LedgerVerification,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { openLedgerStore } from './export.js';

export interface VerifyOptions {
  /** An NDJSON export to verify offline; the configured store when absent. */
  file?: string;
  /** PEM file of the Ed25519 public key that must have signed every anchor. */
  publicKeyFile?: string;
  /**
   * File of the checkpoints' C2SP verifier key (`<origin>+<8 hex>+<base64>`, GET /api/v1/ledger/verifier-key):
   * every checkpoint must be signed by it under its name as origin. Without it, a checkpoint is checked with the
   * public key under whatever origin it names.
   */
  verifierKeyFile?: string;
}

export type VerifyReport = LedgerVerification & { source: string; keyId: string | null };

/** Redraw interval of the progress line: redrawing per event would cost more than verifying. */
const REDRAW_MS = 100;

export async function verify(options: VerifyOptions, progress: (text: string) => void): Promise<VerifyReport> {
  const publicKey = options.publicKeyFile ? loadPublicKey(options.publicKeyFile) : undefined;
  const verifierKey = options.verifierKeyFile ? loadVerifierKey(options.verifierKeyFile) : undefined;
  const keyInfo = { keyId: publicKey ? keyId(publicKey) : null };
  if (options.file) {
    // Offline: no configuration, no store, no service; only the file and the key.
    const lines = createInterface({ input: createReadStream(options.file), crlfDelay: Infinity });
    try {
      const result = await verifyNdjson(lines, { publicKey, verifierKey });
      return { source: options.file, ...keyInfo, ...result };
    } finally {
      lines.close();
    }
  }

  const { store, kind } = await openLedgerStore();
  try {
    // Positions are 1…n on SQLite and commit offsets on EventStoreDB: position / head is a fair fraction on both.
    const head = await store.headPosition();
    let position = 0;
    const tracked = async function* (events: AsyncIterable<RecordedEvent>) {
      for await (const event of events) {
        position = event.position;
        yield event;
      }
    };
    const started = performance.now();
    let lastDraw = 0;
    const draw = (checked: number) => {
      const seconds = (performance.now() - started) / 1000;
      const rate = Math.round(checked / Math.max(seconds, 1e-3));
      progress(`\r\x1b[2K${bar(head === 0 ? 1 : Math.min(position / head, 1))} ${checked} events, ${rate} events/s`);
    };
    const result = await verifyLedger(tracked(exportEvents(store, { kind: 'ledger' })), {
      publicKey,
      verifierKey,
      onProgress: (checked) => {
        const now = performance.now();
        if (now - lastDraw < REDRAW_MS) return;
        lastDraw = now;
        draw(checked);
      },
    });
    draw(result.checked);
    progress('\n');
    return { source: kind, ...keyInfo, ...result };
  } finally {
    await store.close();
  }
}

function bar(fraction: number, width = 30): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}

function loadPublicKey(file: string): KeyObject {
  const key = createPublicKey(readFileSync(file, 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file}: not an Ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

function loadVerifierKey(file: string): string {
  const key = readFileSync(file, 'utf8').trim();
  try {
    parseVerifierKey(key);
  } catch (error) {
    throw new Error(`${file}: not a note verifier key (${(error as Error).message})`, { cause: error });
  }
  return key;
}
