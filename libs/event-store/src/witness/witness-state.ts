import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
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
 * is the old record or the new one, never a mix. One witness process per directory.
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
