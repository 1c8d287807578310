import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCheckpoint, parseNote } from '../transparency/index.js';

/** What a witness keeps per log: the latest checkpoint it cosigned, as it served it (log signature and its own cosignature). */
export interface WitnessRecord {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  /** The signed note: the log's verified signature and the witness's cosignature (the tlog-witness monitoring answer). */
  readonly note: string;
}

export interface WitnessStateStore {
  /** The record of a log, or null before its first cosigned checkpoint. */
  load(origin: string): Promise<WitnessRecord | null>;
  /** Durable before it resolves: a witness answers a cosignature only after its state is on disk. */
  save(record: WitnessRecord): Promise<void>;
}

/** C2SP tlog-witness names a log by the lower-case hex SHA-256 of its origin (the monitoring path): so do the state files. */
export function originHash(origin: string): string {
  return createHash('sha256').update(origin, 'utf8').digest('hex');
}

/**
 * One file per log in a directory, `<origin hash>.checkpoint`, holding the cosigned note. A save writes a
 * temporary file, fsyncs it, renames it over the old one and fsyncs the directory: after a crash the file
 * is the old record or the new one, never a mix. One witness process per directory (lockWitnessState).
 */
export class FileWitnessState implements WitnessStateStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  async load(origin: string): Promise<WitnessRecord | null> {
    let note: string;
    try {
      note = await readFile(this.file(origin), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const checkpoint = parseCheckpoint(parseNote(note).text);
    if (checkpoint.origin !== origin) throw new Error(`${this.file(origin)} holds a checkpoint of ${JSON.stringify(checkpoint.origin)}`);
    return { origin, size: checkpoint.size, root: checkpoint.root, note };
  }

  async save(record: WitnessRecord): Promise<void> {
    await writeFileAtomic(this.file(record.origin), record.note);
  }

  private file(origin: string): string {
    return join(this.dir, `${originHash(origin)}.checkpoint`);
  }
}

/** The lock file of a witness state directory: it holds the owning process's id. */
export const WITNESS_LOCK_FILE = 'lock';

/**
 * Takes a state directory for this process: two witnesses on one directory would each cosign from their own
 * view of the last checkpoint, and so could cosign two forks. A lock left by a process that no longer runs
 * (a crash) is taken over. Returns the release function (also run at exit).
 */
export function lockWitnessState(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, WITNESS_LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(file, error);
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isSafeInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new Error(`${dir} is the state of another witness process (pid ${owner}, ${file})`, { cause: error });
      }
      rmSync(file, { force: true });
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}

function lockError(file: string, error: unknown): Error {
  return new Error(`cannot take ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Write, fsync, rename over, fsync the directory. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const dir = await open(join(file, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** In memory, for specs and embedded use. */
export class MemoryWitnessState implements WitnessStateStore {
  private readonly records = new Map<string, WitnessRecord>();
  async load(origin: string): Promise<WitnessRecord | null> {
    return this.records.get(origin) ?? null;
  }
  async save(record: WitnessRecord): Promise<void> {
    this.records.set(record.origin, record);
  }
}
