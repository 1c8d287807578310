import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import {
  FileWitnessState,
  Witness,
  formatCosignerKey,
  lockWitnessState,
  parseCosignerKey,
  witnessLog,
  witnessListener,
} from '@permit-ledger/event-store';

export interface WitnessOptions {
  /** File holding the witness's private key, `PRIVATE+KEY+<name>+<key ID>+<base64(0x04 || seed)>`. */
  keyFile: string;
  /** Directory of the per-log state; its `logs` file, when present, lists more log verifier keys (one a line). */
  stateDir: string;
  port: number;
  host: string;
  /** Verifier keys of the logs to witness (each log's origin is its key's name). */
  logs: string[];
}

/** The logs file of a state directory: one note verifier key a line; blank lines and `#` comments are skipped. */
export const LOGS_FILE = 'logs';

/**
 * Runs a C2SP tlog-witness until SIGINT or SIGTERM: POST /add-checkpoint, GET /<origin hash>/checkpoint.
 * Resolves once the server has closed. One process per state directory: a second one is refused (its lock file).
 */
export async function runWitness(options: WitnessOptions, log: (line: string) => void): Promise<void> {
  const cosigner = parseCosignerKey(readFileSync(options.keyFile, 'utf8').trim());
  const listed = join(options.stateDir, LOGS_FILE);
  const keys = [...options.logs, ...(existsSync(listed) ? readLogsFile(readFileSync(listed, 'utf8')) : [])];
  if (keys.length === 0) throw new Error(`no log to witness: give --log <verifier key> or list keys in ${listed}`);
  const logs = [...new Map(keys.map((k) => [k, witnessLog(k)])).values()];
  // Refuses a second witness process on this state directory before it can cosign anything.
  const unlock = lockWitnessState(options.stateDir);
  const witness = new Witness({ cosigner, logs, state: new FileWitnessState(options.stateDir) });
  const server = createServer({ keepAlive: true }, witnessListener(witness));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    unlock();
    throw error;
  }
  // Listening for the signals before telling anyone where it listens: a SIGTERM sent as soon as the address is
  // read must close the witness (and release its state), not kill it.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => {
        unlock();
        resolve();
      });
      server.closeIdleConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  log(`witness ${cosigner.name} listening on http://${options.host}:${port}\n`);
  log(`verifier key ${cosigner.verifierKey}\n`);
  for (const l of logs) log(`witnessing ${l.origin}\n`);
  await stopped;
}

function readLogsFile(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * A new witness key: the private key written to `out` (never overwritten, mode 0600) and the verifier key
 * returned, for the log operator's LEDGER_WITNESSES; without `out` both are returned.
 */
export function witnessKey(name: string, out?: string): string[] {
  const signerKey = formatCosignerKey(name, randomBytes(32));
  const { verifierKey } = parseCosignerKey(signerKey);
  if (out === undefined) return [signerKey, verifierKey];
  writeFileSync(out, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
  return [verifierKey];
}
