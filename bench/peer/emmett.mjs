#!/usr/bin/env node
// The peer measurement: Emmett's SQLite event store on the workload of bench/bench.mjs (in-process part).
// A permit decider run by Emmett's DeciderCommandHandler (read the stream, fold, decide, append with the
// expected version) over getSQLiteEventStore on a file database in a temp dir, as Emmett sets it up.
//
//   node bench/peer/emmett.mjs --permits 400 --concurrency 1
//
// Prints one JSON line on stdout; logs go to stderr. Needs dist/ (`npm run build`) for the permit body.
// The measurement runs in a child process of its own (see runPeer), with a libuv thread pool larger than the
// concurrency: node-sqlite3 waits for SQLite's lock on a pool thread, and 64 waiters on Node's default 4 threads
// leave none to the connection that holds the lock, so every command stalls for the whole busy_timeout.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeciderCommandHandler, IllegalStateError } from '@event-driven-io/emmett';
import { getSQLiteEventStore, messagesTable, sqliteConnection } from '@event-driven-io/emmett-sqlite';
import sqlite3 from 'sqlite3';

const HERE = dirname(fileURLToPath(import.meta.url));
const STORY = resolve(HERE, '../../dist/libs/story/src/index.js');
const COMMANDS_PER_PERMIT = 5; // issue, suspend, reinstate, suspend, reinstate
const EXPECTED_TYPES = ['PermitIssued', 'PermitSuspended', 'PermitReinstated', 'PermitSuspended', 'PermitReinstated'];
const ACTOR = { id: 'bench-officer', role: 'officer' };
const log = (...a) => console.error('[peer]', ...a);

const require = createRequire(import.meta.url);
// The packages export no ./package.json: find it beside the resolved entry point.
const versionOf = (name) => {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
};

// ---------------------------------------------------------------------------------------------
// The workload: the same commands and bodies as bench/bench.mjs
// ---------------------------------------------------------------------------------------------
const ISSUE_AT = '2019-03-20T00:00:00.000Z';
const LATER_AT = '2020-10-05T00:00:00.000Z';

async function loadPermitBody() {
  if (!existsSync(STORY)) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  return (await import(pathToFileURL(STORY).href)).permitBody;
}

function lifecycleCommand(permitBody, permitNumber, i) {
  if (i === 0) {
    // Far in the future, as in bench.mjs; the effective date travels on the command, not in the body.
    const { effectiveAt: _, ...data } = permitBody(permitNumber, { expiresOn: '2099-03-19' });
    return { type: 'IssuePermit', data, metadata: { effectiveAt: ISSUE_AT, actor: ACTOR } };
  }
  return {
    type: i % 2 === 1 ? 'SuspendPermit' : 'ReinstatePermit',
    data: { permitNumber, reason: `bench step ${i}`, legalBasis: 'EIPA s.10(1)' },
    metadata: { effectiveAt: LATER_AT, actor: ACTOR },
  };
}
const permitNo = (n) => `EMT-${String(n).padStart(7, '0')}`;

// ---------------------------------------------------------------------------------------------
// The permit decider, Emmett's way: initialState, evolve, decide
// ---------------------------------------------------------------------------------------------
const initialState = () => ({ status: 'Empty' });

function evolve(state, event) {
  switch (event.type) {
    case 'PermitIssued':
      return { status: 'Active', permitNumber: event.data.permitNumber };
    case 'PermitSuspended':
      return { ...state, status: 'Suspended' };
    case 'PermitReinstated':
      return { ...state, status: 'Active' };
    default:
      return state;
  }
}

/** Business rules: issue only when not issued, suspend only when active, reinstate only when suspended. */
function decide(command, state) {
  const { type, data, metadata } = command;
  const event = (eventType) => ({ type: eventType, data, metadata });
  switch (type) {
    case 'IssuePermit':
      if (state.status !== 'Empty') throw new IllegalStateError(`permit ${data.permitNumber} is already issued`);
      return event('PermitIssued');
    case 'SuspendPermit':
      if (state.status !== 'Active') throw new IllegalStateError(`permit ${data.permitNumber} is not active`);
      return event('PermitSuspended');
    case 'ReinstatePermit':
      if (state.status !== 'Suspended') throw new IllegalStateError(`permit ${data.permitNumber} is not suspended`);
      return event('PermitReinstated');
    default:
      throw new IllegalStateError(`unknown command ${type}`);
  }
}

/**
 * SQLITE_BUSY (the lock not had within busy_timeout) leaves nothing written, so the command is run again, read
 * included, with Emmett's own retry option. Emmett-sqlite 0.42.4 hides a BUSY on BEGIN behind the error of the
 * ROLLBACK it then tries ("cannot rollback - no transaction is active"): that one means nothing was written either.
 */
const isBusy = (err) => err?.code === 'SQLITE_BUSY' || /cannot rollback - no transaction is active/.test(err?.message ?? '');
let retried = 0;
const handle = DeciderCommandHandler({
  decide,
  evolve,
  initialState,
  mapToStreamId: (permitNumber) => `permit-${permitNumber}`,
  retry: { retries: 100, minTimeout: 5, maxTimeout: 100, factor: 2, shouldRetryError: isBusy, onRetry: () => retried++ },
});

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/** Same loop as bench.mjs runWorkload: `concurrency` workers, each sends one permit's commands in order. */
async function runWorkload(permits, concurrency, send) {
  let next = 0;
  let commands = 0;
  const latencies = [];
  const worker = async () => {
    while (next < permits.length) {
      const p = permits[next++];
      for (let i = 0; i < COMMANDS_PER_PERMIT; i++) {
        const t = performance.now();
        await send(p, i);
        latencies.push(performance.now() - t);
        commands++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { commands, seconds, perSecond: commands / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Emmett's own pool for a file (SQLiteConnectionPool: a new connection per operation, closed after it), except that
 * each connection gets our busy_timeout before use: Emmett exposes no setting for it (node-sqlite3 sets 1000 ms).
 */
function busyTimeoutPool(fileName, busyTimeoutMs) {
  const open = async () => {
    const connection = sqliteConnection({ fileName }); // runs PRAGMA journal_mode = WAL itself
    await connection.command(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    return connection;
  };
  return {
    connection: open,
    async withConnection(handler) {
      const connection = await open();
      try {
        return await handler(connection);
      } finally {
        connection.close();
      }
    },
    close: async () => {},
  };
}

/** The pragmas the store's connections run with (synchronous is left at the library's default by Emmett and by us). */
async function pragmasOf(pool) {
  return pool.withConnection(async (connection) => {
    const journal = await connection.querySingle('PRAGMA journal_mode');
    const sync = await connection.querySingle('PRAGMA synchronous');
    const busy = await connection.querySingle('PRAGMA busy_timeout');
    return {
      journalMode: journal.journal_mode.toUpperCase(),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync.synchronous],
      busyTimeoutMs: busy.timeout,
    };
  });
}

/** Counts with a plain sqlite3 handle closed before the temp dir is removed (Emmett's close() cannot be awaited). */
async function countMessages(fileName) {
  const db = await new Promise((ok, fail) => {
    const d = new sqlite3.Database(fileName, sqlite3.OPEN_READONLY, (err) => (err ? fail(err) : ok(d)));
  });
  try {
    return await new Promise((ok, fail) =>
      db.get(`SELECT COUNT(*) AS n FROM ${messagesTable.name}`, (err, row) => (err ? fail(err) : ok(row.n))),
    );
  } finally {
    await new Promise((ok) => db.close(() => ok()));
  }
}

async function verify(eventStore, fileName, permits) {
  for (const p of permits) {
    const { events } = await eventStore.readStream(`permit-${p}`);
    const types = events.map((e) => e.type);
    if (types.join() !== EXPECTED_TYPES.join()) throw new Error(`permit ${p}: expected ${EXPECTED_TYPES.join()}, stored ${types.join()}`);
  }
  const stored = await countMessages(fileName);
  if (stored !== permits.length * COMMANDS_PER_PERMIT) {
    throw new Error(`expected ${permits.length * COMMANDS_PER_PERMIT} events in the store, found ${stored}`);
  }
}

/** The measurement, in this process; busyTimeoutMs 5000 is ours (node-sqlite3's default, Emmett as shipped, is 1000). */
export async function measure({ permits: permitCount, concurrency, busyTimeoutMs = 5000 }) {
  const permitBody = await loadPermitBody();
  const dir = mkdtempSync(join(tmpdir(), 'permit-bench-emmett-'));
  const fileName = join(dir, 'emmett.sqlite');
  try {
    const pool = busyTimeoutPool(fileName, busyTimeoutMs);
    const eventStore = getSQLiteEventStore({ fileName, pool }); // the schema is created on first use
    await eventStore.schema.migrate(); // outside the timing, as our store is opened before the workload
    const pragmas = await pragmasOf(pool);
    const permits = Array.from({ length: permitCount }, (_, i) => permitNo(i));
    retried = 0;
    const result = await runWorkload(permits, concurrency, (p, i) => handle(eventStore, p, lifecycleCommand(permitBody, p, i)));
    await verify(eventStore, fileName, permits);
    return {
      peer: 'emmett-sqlite',
      version: versionOf('@event-driven-io/emmett-sqlite'),
      core: versionOf('@event-driven-io/emmett'),
      ...result,
      concurrency,
      ...pragmas,
      retries: retried,
      threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the measurement in a child process (its own thread pool, sqlite3 addon and console) and resolves with its
 * result line. The thread pool has room for every worker waiting on the lock, plus Node's own 4.
 */
export function runPeer({ permits, concurrency, busyTimeoutMs = 5000 }) {
  const env = { ...process.env, UV_THREADPOOL_SIZE: String(Math.min(1024, concurrency + 4)) };
  const argv = ['--permits', String(permits), '--concurrency', String(concurrency), '--busy-timeout', String(busyTimeoutMs)];
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  return new Promise((ok, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`emmett peer exited with ${code}`));
      ok(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

function parseArgs(argv) {
  const args = { permits: 400, concurrency: 1, busyTimeoutMs: 5000 };
  const names = { permits: 'permits', concurrency: 'concurrency', 'busy-timeout': 'busyTimeoutMs' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i].replace(/^--/, '')];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1) throw new Error('usage: emmett.mjs --permits N --concurrency C [--busy-timeout MS]');
    args[key] = value;
  }
  return args;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // Emmett reports a failed transaction with console.log: stdout carries only the result line.
  console.log = console.error;
  const args = parseArgs(process.argv.slice(2));
  // The pool's size is read once, when Node starts it: a process started without it runs the measurement in a child.
  const inChild = process.env.UV_THREADPOOL_SIZE !== undefined;
  if (inChild)
    log(`${args.permits * COMMANDS_PER_PERMIT} commands, concurrency ${args.concurrency}, busy_timeout ${args.busyTimeoutMs} ms`);
  const result = inChild ? await measure(args) : await runPeer(args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
