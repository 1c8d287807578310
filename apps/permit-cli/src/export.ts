import { renameSync, rmSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import {
  csvLines,
  exportEvents,
  withCountedLeaves,
  ndjsonLines,
  openEventStore,
  type EventStore,
  type EventStoreKind,
  type ExportScope,
  type RecordedEvent,
} from '@permit-ledger/event-store';
import { loadConfig } from '@permit-ledger/config';

/**
 * The store the service uses (same configuration, through openEventStore): EventStoreDB when
 * EVENTSTORE_CONNECTION_STRING is set, else DATA_DIR/events.sqlite, which must exist (an auditor
 * pointing at the wrong DATA_DIR must hear it). The SQLite file is in WAL mode, so it can be read
 * while the service runs; this process only reads it.
 */
export function openLedgerStore(): Promise<{ store: EventStore; kind: EventStoreKind }> {
  const config = loadConfig();
  return openEventStore({
    connectionString: config.eventStoreConnectionString,
    dataDir: config.dataDir,
    retries: config.eventStoreRetries,
    mustExist: true,
  });
}

export interface ExportOptions {
  format: 'ndjson' | 'csv';
  scope: ExportScope;
  /** File to write; stdout when absent. */
  out?: string;
}

/** Streams an export of the configured store to a file or stdout; returns the number of events. */
export async function exportLedger(options: ExportOptions, log: (line: string) => void): Promise<number> {
  const { store } = await openLedgerStore();
  try {
    let count = 0;
    const counted = async function* (events: AsyncIterable<RecordedEvent>) {
      for await (const event of events) {
        count += 1;
        yield event;
      }
    };
    // A whole-ledger export counts its leaves; a stream's leaves are in the service's tree, which the CLI does not read.
    const read = exportEvents(store, options.scope);
    const events = counted(options.scope.kind === 'ledger' ? withCountedLeaves(read) : read);
    const lines =
      options.format === 'csv' ? csvLines(events) : ndjsonLines(options.scope, events, { exportedAt: new Date().toISOString() });
    if (!options.out) {
      try {
        await writeLines(lines, process.stdout);
      } catch (error) {
        // The reader closed the pipe (`| head`): it has what it wanted, as with any Unix filter.
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') return count;
        throw error;
      }
    } else {
      // Written aside and renamed at the end: a failed export never leaves a plausible-looking truncated file.
      const partial = `${options.out}.partial`;
      const file = createWriteStream(partial);
      try {
        await writeLines(lines, file);
        file.end();
        await finished(file);
        renameSync(partial, options.out);
      } catch (error) {
        file.destroy();
        rmSync(partial, { force: true });
        throw error;
      }
    }
    log(`exported ${count} events (${describe(options.scope)}) as ${options.format}${options.out ? ` to ${options.out}` : ''}\n`);
    return count;
  } finally {
    await store.close();
  }
}

function describe(scope: ExportScope): string {
  return scope.kind === 'ledger'
    ? 'whole ledger'
    : scope.kind === 'permit'
      ? `permit ${scope.permitNumber}`
      : `decision ${scope.decisionRef}`;
}

/** Writes lines in chunks of about 64 KiB, waiting for 'drain' whenever the stream's buffer is full. */
export async function writeLines(lines: AsyncIterable<string>, out: Writable): Promise<void> {
  let failure: Error | undefined;
  const onError = (error: Error) => (failure ??= error);
  out.on('error', onError);
  try {
    let chunk = '';
    const flush = async () => {
      if (failure) throw failure;
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    };
    for await (const line of lines) {
      chunk += line;
      if (chunk.length >= 64 * 1024) await flush();
    }
    if (chunk) await flush();
    if (failure) throw failure;
  } finally {
    out.off('error', onError);
  }
}
