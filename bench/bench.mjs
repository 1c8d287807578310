#!/usr/bin/env node
// permit-ledger benchmark. Run with `npm run bench` (builds first), or `node bench/bench.mjs`
// against an existing dist/. Plain ESM JS over dist/, so it measures the code the service runs.
//
//   BENCH_SCALE=0.25 npm run bench   shrinks every workload (the 1M-event store too)
//   BENCH_RUNS=3                      runs per figure (the median is reported)
//   BENCH_ONLY=inproc,peer,http,floor,rebuild,replay,startup,tree,soak   a subset
//   BENCH_DIR=/path                   where the generated 1M-event store is kept (reused between runs)
//   BENCH_OUT=/path/results.json      where the figures are written (default bench/results.json)
//   BENCH_PROFILE=/path/dir           the service runs with --cpu-prof into that dir (open in Chrome DevTools)
//
// A quick smoke of the in-process part: BENCH_ONLY=inproc BENCH_SCALE=0.01 BENCH_RUNS=1 BENCH_OUT=/tmp/b.json
//
// Every store lives in a temp dir on the same disk as the OS temp dir (synchronous=FULL, real fsyncs).
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVICE_NODE_FLAGS } from '../scripts/service-flags.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(join(ROOT, 'dist', p)).href;
const MAIN = join(ROOT, 'dist/apps/permit-service/src/main.js');
const STORY = join(ROOT, 'dist/libs/story/src/index.js');
const OUT = process.env.BENCH_OUT ?? join(ROOT, 'bench/results.json');
const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
/** Production requires a key to sign the ledger's checkpoints: one per bench process. */
const SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const ONLY = new Set((process.env.BENCH_ONLY ?? 'inproc,peer,http,floor,rebuild,replay,startup,tree,soak').split(',').map((s) => s.trim()));
const COMMANDS_PER_PERMIT = 5; // issue, suspend, reinstate, suspend, reinstate
const scaled = (n, min = 1) => Math.max(min, Math.round(n * SCALE));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const log = (...a) => console.error('[bench]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The workload
// ---------------------------------------------------------------------------------------------
const ISSUE_AT = '2019-03-20T00:00:00.000Z';
const LATER_AT = '2020-10-05T00:00:00.000Z';
/** The story's plain TR permit (libs/story, from the build): the one body the specs and fixtures vary too. */
const { permitBody } = existsSync(STORY) ? await import(pathToFileURL(STORY).href) : {};
function issueData(permitNumber) {
  // Far in the future: the expiry scheduler must find nothing to do in the benchmark stores.
  const { effectiveAt: _, ...data } = permitBody(permitNumber, { expiresOn: '2099-03-19' });
  return data;
}
const changeData = (permitNumber, i) => ({ permitNumber, reason: `bench step ${i}`, legalBasis: 'EIPA s.10(1)' });
/** The i-th command (0-based) of a permit's lifecycle: issue, then suspend / reinstate in turn. */
function lifecycleCommand(permitNumber, i) {
  if (i === 0) return { type: 'IssuePermit', effectiveAt: ISSUE_AT, data: issueData(permitNumber) };
  return { type: i % 2 === 1 ? 'SuspendPermit' : 'ReinstatePermit', effectiveAt: LATER_AT, data: changeData(permitNumber, i) };
}
const permitNo = (prefix, n) => `${prefix}-${String(n).padStart(7, '0')}`;

/** Runs `permits` lifecycles with `concurrency` workers; each worker sends one permit's commands in order. */
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

// ---------------------------------------------------------------------------------------------
// (a) in-process: the real CommandRunner + PermitCommandHandler on SqliteEventStore, and raw SQLite
// ---------------------------------------------------------------------------------------------
async function inProcessRun(concurrency, permitCount, { tree = false } = {}) {
  const { SqliteEventStore } = await import(dist('libs/event-store/src/index.js'));
  const { CommandRunner } = await import(dist('apps/permit-service/src/platform/commands/command-runner.js'));
  const { PermitCommandHandler } = await import(dist('apps/permit-service/src/permits/permit-commands.js'));
  const { loadConfig } = await import(dist('libs/config/src/config.js'));
  const dir = mkdtempSync(join(tmpdir(), 'permit-bench-inproc-'));
  const store = SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
  const fed = tree ? await feedTree(store, dir) : null;
  try {
    if (store.pragmas().synchronous !== 'FULL') throw new Error('store is not synchronous=FULL');
    const config = loadConfig({ DATA_DIR: dir, AUTH_JWT_SECRET: SECRET });
    const handler = new PermitCommandHandler(new CommandRunner(store, config));
    const actor = { id: 'bench-officer', role: 'officer' };
    const permits = Array.from({ length: permitCount }, (_, i) => permitNo('INP', i));
    const result = await runWorkload(permits, concurrency, (p, i) => {
      const command = lifecycleCommand(p, i);
      return handler.execute({ command, meta: { actor } });
    });
    const stats = store.stats();
    if (stats.appends !== result.commands) throw new Error(`expected ${result.commands} appends, store counted ${stats.appends}`);
    if (!fed) return { ...result, commits: stats.commits };
    const catchUpMs = await fed.catchUp();
    if (fed.tree.size !== result.commands) throw new Error(`expected ${result.commands} leaves, the tree has ${fed.tree.size}`);
    return { ...result, commits: stats.commits, catchUpMs, ...fed.fed };
  } finally {
    await fed?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The ledger's tree fed as the service feeds it (apps/permit-service/src/ledger/ledger-writer.ts): a
 * CheckpointedSubscription on the same store, in the same process, whose handler folds each delivered batch
 * into a LedgerTree over a read-model db, the tree's state row being the consumer's checkpoint. No signing:
 * the writer's checkpoints come once a second, not per command.
 */
async function feedTree(store, dir) {
  const { CheckpointedSubscription, LedgerTree, openReadModelDb } = await import(dist('libs/projections/src/index.js'));
  const db = openReadModelDb(join(dir, 'read-models.sqlite'));
  const tree = new LedgerTree(db);
  const checkpoint = {
    load: async () => (tree.load(), tree.state.position),
    store: async () => {
      throw new Error('the tree stores its position with its nodes');
    },
  };
  const fed = { batches: 0, foldMs: 0 };
  const consumer = {
    name: 'bench-ledger-tree',
    handle(events) {
      const t = performance.now();
      tree.fold(events);
      fed.foldMs += performance.now() - t;
      fed.batches++;
    },
  };
  const subscription = new CheckpointedSubscription(store, checkpoint, consumer, { checkpoint: 'consumer' });
  await subscription.start();
  return {
    tree,
    fed,
    /** ms from the workload's end until the tree has folded the whole log (it follows the commands, never blocks them). */
    async catchUp() {
      const started = performance.now();
      if (!(await subscription.waitFor(await store.headPosition(), 120_000))) throw new Error('the tree did not catch up');
      return performance.now() - started;
    },
    async stop() {
      await subscription.stop();
      db.close();
    },
  };
}

/**
 * The reference: the same workload straight to better-sqlite3 (WAL, synchronous=FULL), one transaction
 * per command: read the stream's head, JSON-encode, hash, insert. No folding, no framework.
 */
async function rawRun(permitCount) {
  const { default: Database } = await import('better-sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'permit-bench-raw-'));
  const db = new Database(join(dir, 'raw.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL,
      event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL,
      prev_hash TEXT, hash TEXT NOT NULL, UNIQUE (stream, revision)) STRICT`);
    const head = db.prepare('SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1');
    const insert = db.prepare(`INSERT INTO events (stream, revision, event_id, type, data, metadata, recorded_at, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const append = db.transaction((stream, command) => {
      const last = head.get(stream);
      const revision = last ? last.revision + 1 : 0;
      const data = JSON.stringify(command.data);
      const metadata = JSON.stringify({ effectiveAt: command.effectiveAt, actor: { id: 'bench-officer', role: 'officer' } });
      const hash = createHash('sha256')
        .update(`${stream}${revision}${data}${metadata}${last?.hash ?? ''}`)
        .digest('hex');
      insert.run(stream, revision, randomUUID(), command.type, data, metadata, new Date().toISOString(), last?.hash ?? null, hash);
    });
    const permits = Array.from({ length: permitCount }, (_, i) => permitNo('RAW', i));
    return await runWorkload(permits, 1, async (p, i) => append.immediate(`permit-${p}`, lifecycleCommand(p, i)));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// the built service as a process, and a keep-alive HTTP client
// ---------------------------------------------------------------------------------------------
async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((ok, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function signToken(sub, roles) {
  const { SignJWT } = await import('jose');
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(SECRET));
}

async function startService(dataDir, env = {}) {
  const port = await freePort();
  const spawned = performance.now();
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...profile, MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      AUTH_JWT_SECRET: SECRET,
      LEDGER_SIGNING_KEY: SIGNING_KEY,
      LEDGER_ORIGIN: 'permit-ledger.bench',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000000',
      // The first burst of 64 arrives before any of its requests has verified the (one) token.
      ANONYMOUS_RATE_LIMIT_PER_MINUTE: '100000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b) => (output = (output + b).slice(-20000)));
  child.stderr.on('data', (b) => (output = (output + b).slice(-20000)));
  if (process.env.BENCH_SERVICE_STDERR) child.stderr.pipe(process.stderr);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}: ${output}`);
    const status = await fetch(`${url}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    await sleep(10);
  }
  if (Date.now() >= deadline) throw new Error(`service not ready: ${output}`);
  const readyMs = performance.now() - spawned;
  return {
    url,
    port,
    readyMs,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (null where there is none). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** The service's group commits so far, from its metrics: how many, and appends per commit. */
async function groupCommits(url) {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const commits = value('permit_ledger_group_commit_batch_size_count');
  return { commits, appendsPerCommit: value('permit_ledger_group_commit_batch_size_sum') / commits };
}

/** One API request over a keep-alive agent; resolves { status, body }. */
function request(agent, url, method, path, token, body) {
  return requestAt(agent, `${url}/api/v1${path}`, method, token, body);
}

function requestAt(agent, href, method, token, body) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveReq, reject) => {
    const req = http.request(
      href,
      {
        method,
        agent,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolveReq({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function httpCommand(permitNumber, i) {
  const c = lifecycleCommand(permitNumber, i);
  if (i === 0) return { path: '/permits', body: { ...c.data, effectiveAt: '2019-03-20' } };
  const { permitNumber: _, ...rest } = c.data;
  return {
    path: `/permits/${permitNumber}/${c.type === 'SuspendPermit' ? 'suspend' : 'reinstate'}`,
    body: { ...rest, effectiveAt: '2020-10-05' },
  };
}

async function httpRun(permitCount, connections) {
  const dir = mkdtempSync(join(tmpdir(), 'permit-bench-http-'));
  const service = await startService(dir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  try {
    const token = await signToken('bench-clerk', ['officer', 'minister']);
    // Warm-up: JIT, caches, connections (not measured).
    const warm = Array.from({ length: connections }, (_, i) => permitNo('WRM', i));
    await runWorkload(warm, connections, async (p, i) => {
      const { path, body } = httpCommand(p, i);
      const r = await request(agent, service.url, 'POST', path, token, body);
      if (r.status !== 201 && r.status !== 200) throw new Error(`warm-up ${path}: ${r.status} ${r.body}`);
    });
    let errors = 0;
    const permits = Array.from({ length: permitCount }, (_, i) => permitNo('HTP', i));
    const cpuBefore = cpuSeconds(service.child.pid);
    const result = await runWorkload(permits, connections, async (p, i) => {
      const { path, body } = httpCommand(p, i);
      const r = await request(agent, service.url, 'POST', path, token, body);
      if (r.status !== 201 && r.status !== 200) {
        if (errors++ < 3) log(`http ${path}: ${r.status} ${r.body.slice(0, 300)}`);
      }
    });
    const cpu = cpuBefore === null ? null : cpuSeconds(service.child.pid) - cpuBefore;
    const commits = await groupCommits(service.url);
    // The service's CPU time per command: steadier than throughput on a shared machine.
    return { ...result, errors, ...commits, ...(cpu === null ? {} : { cpuUsPerCommand: (cpu * 1e6) / result.commands }) };
  } finally {
    agent.destroy();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What HTTP costs before any of the service's work, with the same client, body and connections: a bare
 * node:http server that parses the body and answers 201 (the machine's and the client's ceiling), and the
 * service's own GET /health/live (Express, Nest's routing, guards, interceptors and the middlewares, no body).
 */
async function floorRun(requests, connections) {
  const port = await freePort();
  const bare = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((req, res) => { const c = []; req.on('data', (b) => c.push(b)); req.on('end', () => {
        const body = JSON.stringify({ got: Object.keys(JSON.parse(Buffer.concat(c).toString() || '{}')).length });
        res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body); }); })
        .listen(${port}, '127.0.0.1', () => console.log('up'));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((ok) => bare.stdout.once('data', ok));
  const dir = mkdtempSync(join(tmpdir(), 'permit-bench-floor-'));
  const service = await startService(dir);
  const body = httpCommand(permitNo('FLR', 0), 0).body;
  const load = async (href, method, payload) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const send = () => requestAt(agent, href, method, undefined, payload);
    await Promise.all(Array.from({ length: connections }, send)); // warm-up
    let left = requests;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (left-- > 0) await send();
      }),
    );
    agent.destroy();
    return requests / ((performance.now() - started) / 1000);
  };
  try {
    const bareUrl = `http://127.0.0.1:${port}`;
    return {
      barePostPerSecond: await load(`${bareUrl}/api/v1/permits`, 'POST', body),
      serviceLivePerSecond: await load(`${service.url}/health/live`, 'GET'),
    };
  } finally {
    bare.kill();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** scripts/soak.mjs as it is run by hand: its JSON report (RSS start / end / peak, growth over the second half). */
async function soakRun(seconds, connections) {
  const run = await timeNode([join(ROOT, 'scripts/soak.mjs'), '--seconds', String(seconds), '--connections', String(connections)], ROOT);
  const report = JSON.parse(run.output.slice(run.output.indexOf('{'), run.output.lastIndexOf('}') + 1));
  if (run.code !== 0) throw new Error(`soak exited ${run.code}: ${run.output.slice(-1000)}`);
  return report;
}

/**
 * The peer: Emmett's SQLite event store on the same workload, in process (bench/peer, its own package so the
 * service never depends on it; installed from its lock file on first use).
 */
async function peerRun(permits, concurrency, busyTimeoutMs) {
  const peer = join(ROOT, 'bench/peer');
  if (!existsSync(join(peer, 'node_modules'))) {
    log('peer: npm ci in bench/peer');
    const install = await new Promise((ok) =>
      spawn('npm', ['ci', '--no-audit', '--no-fund'], { cwd: peer, stdio: 'inherit' }).on('exit', (code) => ok(code)),
    );
    if (install !== 0) throw new Error(`npm ci in bench/peer exited ${install}`);
  }
  const args = ['--permits', String(permits), '--concurrency', String(concurrency), '--busy-timeout', String(busyTimeoutMs)];
  const run = await timeNode([join(peer, 'emmett.mjs'), ...args], peer);
  if (run.code !== 0) throw new Error(`the peer exited ${run.code}: ${run.output.slice(-1000)}`);
  const line = run.output.split('\n').find((l) => l.startsWith('{"peer"'));
  return JSON.parse(line);
}

// ---------------------------------------------------------------------------------------------
// (c, d, e) the big store: generated once, reused between runs
// ---------------------------------------------------------------------------------------------
const BIG_EVENTS = scaled(1_000_000, 20_000);
const REPLAY_EVENTS = 10_000;
const EVENTS_PER_PERMIT = 10;
const REPLAY_PERMIT = 'REPLAY-0000001';

async function ensureBigStore(dir) {
  const marker = join(dir, 'generated.json');
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8'));
    if (m.events === BIG_EVENTS && m.version === 2) {
      log(`reusing the ${m.events}-event store in ${dir}`);
      return m;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { SqliteEventStore } = await import(dist('libs/event-store/src/index.js'));
  const { CommandRunner } = await import(dist('apps/permit-service/src/platform/commands/command-runner.js'));
  const { PermitCommandHandler } = await import(dist('apps/permit-service/src/permits/permit-commands.js'));
  const { loadConfig } = await import(dist('libs/config/src/config.js'));

  // Templates: real events produced by the real command path on a scratch store.
  const scratchDir = mkdtempSync(join(tmpdir(), 'permit-bench-tpl-'));
  const scratch = SqliteEventStore.open({ file: join(scratchDir, 'events.sqlite') });
  const handler = new PermitCommandHandler(new CommandRunner(scratch, loadConfig({ DATA_DIR: scratchDir, AUTH_JWT_SECRET: SECRET })));
  const actor = { id: 'bench-officer', role: 'officer' };
  for (let i = 0; i < 3; i++) {
    const command = lifecycleCommand('TPL-0000000', i);
    await handler.execute({ command, meta: { actor } });
  }
  const templates = await scratch.readStream('permit-TPL-0000000');
  await scratch.close();
  rmSync(scratchDir, { recursive: true, force: true });
  const streamOf = (p) => templates[0].stream.replace('TPL-0000000', p);
  const eventFor = (p, i) => {
    const t = templates[i === 0 ? 0 : i % 2 === 1 ? 1 : 2];
    const commandId = randomUUID();
    return {
      eventId: randomUUID(),
      type: t.type,
      schemaVersion: t.schemaVersion,
      data: { ...t.data, permitNumber: p, ...(i > 0 ? { reason: `bench step ${i}` } : {}) },
      metadata: { ...t.metadata, commandId, correlationId: commandId, ...(i > 0 ? { reason: `bench step ${i}` } : {}) },
    };
  };

  const started = performance.now();
  const store = SqliteEventStore.open({ file: join(dir, 'events.sqlite'), groupCommit: true, maxBatchSize: 512 });
  // The auditor's permit: 10,000 events on one stream.
  for (let rev = 0; rev < REPLAY_EVENTS; rev += 1000) {
    const events = Array.from({ length: 1000 }, (_, k) => eventFor(REPLAY_PERMIT, rev + k));
    await store.append(streamOf(REPLAY_PERMIT), events, { expectedRevision: rev === 0 ? 'no_stream' : rev - 1 });
  }
  const permits = Math.floor((BIG_EVENTS - REPLAY_EVENTS) / EVENTS_PER_PERMIT);
  const BATCH = 2048;
  for (let first = 0; first < permits; first += BATCH) {
    const appends = [];
    for (let n = first; n < Math.min(permits, first + BATCH); n++) {
      const p = permitNo('GEN', n);
      appends.push(
        store.append(
          streamOf(p),
          Array.from({ length: EVENTS_PER_PERMIT }, (_, i) => eventFor(p, i)),
          { expectedRevision: 'no_stream' },
        ),
      );
    }
    await Promise.all(appends);
    if ((first / BATCH) % 10 === 0) log(`generating: ${first * EVENTS_PER_PERMIT + REPLAY_EVENTS} / ${BIG_EVENTS} events`);
  }
  const events = await store.headPosition();
  await store.close();
  const m = { version: 2, events, permits: permits + 1, replayPermit: REPLAY_PERMIT, seconds: (performance.now() - started) / 1000 };
  writeFileSync(marker, JSON.stringify(m));
  log(`generated ${events} events in ${m.seconds.toFixed(1)} s (${Math.round(events / m.seconds)} ev/s)`);
  return m;
}

/** Child mode: rebuild every read model of DATA_DIR from the log, print { events, seconds, maxRssMb }. */
async function rebuildChild(dir) {
  const { SqliteEventStore } = await import(dist('libs/event-store/src/index.js'));
  const { allProjections, openReadModelDb, Projections } = await import(dist('libs/projections/src/index.js'));
  const store = SqliteEventStore.open({ file: join(dir, 'events.sqlite') });
  const db = openReadModelDb(join(dir, 'read-models.sqlite'));
  const projections = new Projections(store, db, allProjections());
  const head = await store.headPosition();
  const started = performance.now();
  await projections.rebuild();
  const seconds = (performance.now() - started) / 1000;
  await projections.stop();
  await store.close();
  db.close();
  process.stdout.write(
    JSON.stringify({ events: head, seconds, perSecond: head / seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
  );
}

function runChild(args) {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('exit', (code) => (code === 0 ? ok(JSON.parse(out)) : fail(new Error(`child ${args.join(' ')} exited ${code}`))));
  });
}

// ---------------------------------------------------------------------------------------------
// (f) the transparency log's tree: appends, proofs, and an offline check of a permit's evidence
// ---------------------------------------------------------------------------------------------
const TREE_LEAVES = scaled(1_000_000, 10_000);
const FOLD_BATCH = 256; // the subscription's default batch: what the ledger writer's fold is handed
const PROOFS = 1000;
const BUNDLE_PERMIT = 'EXP-20-005181';
/** Leaf i's event hash: any 32 bytes do for the tree, and these can be computed again to check a proof. */
const leafEventHash = (i) => createHash('sha256').update(`bench leaf ${i}`).digest('hex');

/**
 * Folds `leaves` events into a LedgerTree over a read-model db in `dir`, in the subscription's batches;
 * only the fold is timed (the events are what the store delivers: position, stream, hash).
 */
async function treeFoldRun(dir, leaves) {
  const { LedgerTree, openReadModelDb } = await import(dist('libs/projections/src/index.js'));
  const db = openReadModelDb(join(dir, 'read-models.sqlite'));
  const tree = new LedgerTree(db);
  let foldMs = 0;
  for (let first = 0; first < leaves; first += FOLD_BATCH) {
    const events = Array.from({ length: Math.min(FOLD_BATCH, leaves - first) }, (_, k) => ({
      position: first + k + 1,
      stream: 'permit-BENCH-0000001',
      hash: leafEventHash(first + k),
    }));
    const t = performance.now();
    tree.fold(events);
    foldMs += performance.now() - t;
    if (first % 100_000 < FOLD_BATCH && first > 0) log(`tree: ${first} / ${leaves} leaves folded`);
  }
  if (tree.size !== leaves) throw new Error(`expected ${leaves} leaves, the tree has ${tree.size}`);
  return { db, tree, seconds: foldMs / 1000, usPerAppend: (foldMs * 1000) / leaves };
}

/**
 * Inclusion proofs of random (leaf, size) pairs and consistency proofs of random (from, size) pairs, from the
 * SQLite-backed tree of `leaves`; each is checked against the tree's root afterwards (not timed).
 */
async function proofRun(tree, leaves) {
  const { leafHash, verifyConsistency, verifyInclusion } = await import(dist('libs/event-store/src/index.js'));
  const random = (n) => Math.floor(Math.random() * n);
  const pairs = Array.from({ length: PROOFS }, () => {
    const size = 1 + random(leaves);
    return { size, leaf: random(size), from: 1 + random(size) };
  });
  const kinds = {
    inclusion: (p) => tree.inclusionProof(p.leaf, p.size),
    consistency: (p) => tree.consistencyProof(p.from, p.size),
  };
  const result = {};
  for (const [kind, prove] of Object.entries(kinds)) {
    for (const p of pairs.slice(0, 50)) prove(p); // warm-up: JIT and the page cache
    const ms = [];
    const proofs = pairs.map((p) => {
      const t = performance.now();
      const proof = prove(p);
      ms.push(performance.now() - t);
      return proof;
    });
    pairs.forEach((p, i) => {
      const ok =
        kind === 'inclusion'
          ? verifyInclusion(p.leaf, p.size, leafHash(Buffer.from(leafEventHash(p.leaf), 'hex')), proofs[i], tree.root(p.size))
          : verifyConsistency(p.from, p.size, proofs[i], tree.root(p.from), tree.root(p.size));
      if (!ok) throw new Error(`${kind} proof ${JSON.stringify(p)} does not verify`);
    });
    const hashes = proofs.map((x) => x.length);
    ms.sort((a, b) => a - b);
    result[kind] = {
      proofs: PROOFS,
      meanHashes: hashes.reduce((a, b) => a + b, 0) / PROOFS,
      maxHashes: Math.max(...hashes),
      maxBytes: Math.max(...hashes) * 32,
      meanMs: ms.reduce((a, b) => a + b, 0) / PROOFS,
      p99Ms: percentile(ms, 99),
    };
  }
  return result;
}

/** Runs `node args…` to its end: { code, ms } (wall clock from spawn to exit). */
function timeNode(args, cwd) {
  return new Promise((ok, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b) => (output += b));
    child.stderr.on('data', (b) => (output += b));
    child.on('error', fail);
    child.on('exit', (code) => ok({ code, ms: performance.now() - started, output }));
  });
}

/**
 * The story through the built service (as `permit-cli story` loads it), then one permit's evidence once a
 * checkpoint covers all its events, and `permit-cli verify --bundle` on it: wall clock, median of the runs.
 */
async function verifyBundleRun(runs) {
  const { runStory } = await import(pathToFileURL(STORY).href);
  const dir = mkdtempSync(join(tmpdir(), 'permit-bench-bundle-'));
  const service = await startService(dir);
  try {
    const tokens = new Map();
    const token = (role) => tokens.get(role) ?? tokens.set(role, signToken(`bench-${role}`, [role])).get(role);
    const call = async (method, path, role, body) => {
      const r = await request(undefined, service.url, method, path, await token(role), body);
      return { status: r.status, text: r.body, body: r.body ? JSON.parse(r.body) : null };
    };
    await runStory({ call });
    const history = await call('GET', `/permits/${BUNDLE_PERMIT}/history`, 'auditor');
    if (history.status !== 200) throw new Error(`history: ${history.status} ${history.text}`);
    const deadline = Date.now() + 60_000;
    let evidence;
    while (
      (evidence = await call('GET', `/permits/${BUNDLE_PERMIT}/evidence`, 'auditor')).body?.events?.length !== history.body.events.length
    ) {
      if (Date.now() > deadline)
        throw new Error(`no checkpoint covers ${BUNDLE_PERMIT}: ${evidence.status} ${evidence.text.slice(0, 300)}`);
      await sleep(100);
    }
    const key = await fetch(`${service.url}/api/v1/ledger/verifier-key`); // public, text/plain
    if (!key.ok) throw new Error(`verifier-key: ${key.status}`);
    const bundleFile = join(dir, 'evidence.json');
    const keyFile = join(dir, 'ledger.vkey');
    writeFileSync(bundleFile, evidence.text);
    writeFileSync(keyFile, await key.text());
    const cli = join(ROOT, 'dist/apps/permit-cli/src/main.js');
    const times = [];
    for (let r = 0; r < runs; r++) {
      const run = await timeNode([cli, 'verify', '--bundle', bundleFile, '--verifier-key', keyFile], dir);
      if (run.code !== 0) throw new Error(`verify --bundle exited ${run.code}: ${run.output.slice(0, 500)}`);
      times.push(run.ms);
    }
    return {
      permit: BUNDLE_PERMIT,
      events: evidence.body.events.length,
      bundleBytes: evidence.text.length,
      ms: median(times),
      runs: times,
    };
  } finally {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------
async function measure(name, fn) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const res = await fn(r);
    log(`${name} run ${r + 1}/${RUNS}: ${JSON.stringify(res, (k, v) => (typeof v === 'number' ? Math.round(v * 100) / 100 : v))}`);
    runs.push(res);
  }
  const keys = Object.keys(runs[0]).filter((k) => typeof runs[0][k] === 'number');
  return { ...Object.fromEntries(keys.map((k) => [k, median(runs.map((x) => x[k]))])), runs };
}

async function main() {
  if (process.argv[2] === '--rebuild-child') return rebuildChild(process.argv[3]);
  if (!existsSync(MAIN) || !permitBody) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does)');
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  const results = { date: new Date().toISOString(), machine, scale: SCALE, runs: RUNS, figures: {} };
  const f = results.figures;
  const t0 = performance.now();

  if (ONLY.has('inproc')) {
    const seqPermits = scaled(400, 20);
    const conPermits = scaled(2000, 64);
    log(
      `in-process: sequential ${seqPermits * COMMANDS_PER_PERMIT} commands, raw the same, 64 concurrent ${conPermits * COMMANDS_PER_PERMIT} commands`,
    );
    // Interleaved, so the raw reference and the framework see the same disk conditions.
    const raw = [];
    const seq = [];
    const con = [];
    for (let r = 0; r < RUNS; r++) {
      raw.push(await rawRun(seqPermits));
      seq.push(await inProcessRun(1, seqPermits));
      con.push(await inProcessRun(64, conPermits));
      log(
        `in-process run ${r + 1}/${RUNS}: raw ${raw[r].perSecond.toFixed(0)}/s, sequential ${seq[r].perSecond.toFixed(0)}/s, 64 concurrent ${con[r].perSecond.toFixed(0)}/s (${con[r].commits} commits)`,
      );
    }
    const pick = (runs) => ({
      perSecond: median(runs.map((x) => x.perSecond)),
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
      commands: runs[0].commands,
      runs: runs.map((x) => Math.round(x.perSecond)),
    });
    f.rawSequential = pick(raw);
    f.inProcessSequential = pick(seq);
    f.inProcessSequential.ratioToRaw = median(seq.map((s, i) => s.perSecond / raw[i].perSecond));
    f.inProcessConcurrent64 = { ...pick(con), commitsPerRun: median(con.map((x) => x.commits)) };
  }

  if (ONLY.has('peer')) {
    // At 64 concurrent Emmett's connections wait on SQLite's lock and time out (retried, counted): a smaller run, and
    // node-sqlite3's own busy timeout (1 s, Emmett as shipped), with which it does best there (bench/peer/README.md).
    const seqPermits = scaled(400, 20);
    const conPermits = scaled(128, 16);
    log(`peer (Emmett SQLite): sequential ${seqPermits * COMMANDS_PER_PERMIT} commands, 64 concurrent ${conPermits * COMMANDS_PER_PERMIT}`);
    const seq = await measure('peer sequential', () => peerRun(seqPermits, 1, 5000));
    const con = await measure('peer 64 concurrent', () => peerRun(conPermits, 64, 1000));
    const { runs: _, ...about } = seq.runs[0];
    f.peer = {
      ...about,
      sequentialPerSecond: seq.perSecond,
      concurrent64PerSecond: con.perSecond,
      best: Math.max(seq.perSecond, con.perSecond),
      runs: { sequential: seq.runs.map((x) => Math.round(x.perSecond)), concurrent64: con.runs.map((x) => Math.round(x.perSecond)) },
    };
  }

  if (ONLY.has('http')) {
    const permits = scaled(1000, 64);
    log(`http: ${permits * COMMANDS_PER_PERMIT} commands over 64 keep-alive connections, per run`);
    const m = await measure('http', () => httpRun(permits, 64));
    f.http64 = {
      perSecond: m.perSecond,
      p50: m.p50,
      p99: m.p99,
      errors: m.errors,
      commands: permits * COMMANDS_PER_PERMIT,
      cpuUsPerCommand: m.cpuUsPerCommand,
      appendsPerCommit: m.appendsPerCommit,
      runs: m.runs.map((x) => Math.round(x.perSecond)),
    };
  }

  if (ONLY.has('floor')) {
    const requests = scaled(10_000, 640);
    log(`floor: ${requests} requests over 64 connections to a bare node:http server and to the service's /health/live`);
    f.floor = await measure('floor', () => floorRun(requests, 64));
  }

  if (ONLY.has('soak')) {
    const seconds = scaled(300, 20);
    log(`soak: ${seconds} s at 32 connections (scripts/soak.mjs), the service's RSS sampled every second`);
    f.soak = await soakRun(seconds, 32);
  }

  if (ONLY.has('rebuild') || ONLY.has('replay') || ONLY.has('startup')) {
    const bigDir = process.env.BENCH_DIR ?? join(tmpdir(), `permit-bench-store-${BIG_EVENTS}`);
    const gen = await ensureBigStore(bigDir);
    f.store = { events: gen.events, dir: bigDir, generatedSeconds: gen.seconds };

    if (ONLY.has('rebuild') || ONLY.has('startup') || ONLY.has('replay')) {
      const m = await measure('rebuild', () => runChild(['--rebuild-child', bigDir]));
      f.rebuild = {
        events: m.events,
        perSecond: m.perSecond,
        seconds: m.seconds,
        maxRssMb: Math.max(...m.runs.map((x) => x.maxRssMb)),
        runs: m.runs.map((x) => Math.round(x.perSecond)),
      };
    }

    if (ONLY.has('startup') || ONLY.has('replay')) {
      // First start on a freshly rebuilt store: the ledger's running hash is folded once over the
      // whole log (kept afterwards with the read models). Reported, not the goal's figure.
      const first = await startService(bigDir);
      f.startupFirst = { ms: first.readyMs };
      log(`first start (running hash folded over the whole log): ${first.readyMs.toFixed(0)} ms`);

      if (ONLY.has('replay')) {
        const auditor = await signToken('bench-auditor', ['auditor']);
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const asOf = '2021-01-01';
        const once = async () => {
          const t = performance.now();
          const r = await request(agent, first.url, 'GET', `/permits/${REPLAY_PERMIT}/state?asOf=${asOf}`, auditor);
          const ms = performance.now() - t;
          if (r.status !== 200) throw new Error(`replay: ${r.status} ${r.body.slice(0, 300)}`);
          return { ms, revision: JSON.parse(r.body).revision ?? null };
        };
        // Warm-up: the first query reads and folds the stream; the service has just started and its consumers may
        // still be taking in the log's tail. What is measured is a replay of a permit already read once.
        for (let w = 0; w < 5; w++) await once();
        await sleep(1000);
        const m = await measure('replay', once);
        f.replay = { events: REPLAY_EVENTS, ms: m.ms, runs: m.runs.map((x) => Math.round(x.ms * 10) / 10) };
        agent.destroy();
      }
      await first.stop();

      if (ONLY.has('startup')) {
        const m = await measure('startup', async () => {
          const s = await startService(bigDir);
          const ms = s.readyMs;
          await s.stop();
          return { ms };
        });
        f.startup = { events: gen.events, ms: m.ms, runs: m.runs.map((x) => Math.round(x.ms)) };
      }
    }
  }

  if (ONLY.has('tree')) {
    const dir = mkdtempSync(join(tmpdir(), 'permit-bench-tree-'));
    try {
      log(`tree: folding ${TREE_LEAVES} leaves in batches of ${FOLD_BATCH}, then ${PROOFS} proofs of each kind`);
      const { db, tree, seconds, usPerAppend } = await treeFoldRun(dir, TREE_LEAVES);
      f.treeAppend = { leaves: TREE_LEAVES, batch: FOLD_BATCH, seconds, usPerAppend };
      log(`tree: ${usPerAppend.toFixed(1)} µs per append`);
      f.treeProofs = { leaves: TREE_LEAVES, ...(await proofRun(tree, TREE_LEAVES)) };
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const permits = scaled(2000, 64);
    log(`tree: 64 concurrent ${permits * COMMANDS_PER_PERMIT} commands in process, without and with the tree fed`);
    const without = [];
    const fed = [];
    for (let r = 0; r < RUNS; r++) {
      without.push(await inProcessRun(64, permits));
      fed.push(await inProcessRun(64, permits, { tree: true }));
      log(
        `tree run ${r + 1}/${RUNS}: ${without[r].perSecond.toFixed(0)}/s without, ${fed[r].perSecond.toFixed(0)}/s with ` +
          `(${fed[r].batches} batches, ${fed[r].foldMs.toFixed(0)} ms folding of ${(fed[r].seconds * 1000).toFixed(0)}; caught up ${fed[r].catchUpMs.toFixed(0)} ms later)`,
      );
    }
    f.treeCommands = {
      commands: permits * COMMANDS_PER_PERMIT,
      without: median(without.map((x) => x.perSecond)),
      with: median(fed.map((x) => x.perSecond)),
      fewer: median(fed.map((x, i) => 1 - x.perSecond / without[i].perSecond)),
      catchUpMs: median(fed.map((x) => x.catchUpMs)),
      foldMs: median(fed.map((x) => x.foldMs)),
      batches: median(fed.map((x) => x.batches)),
      runs: without.map((x, i) => [Math.round(x.perSecond), Math.round(fed[i].perSecond)]),
    };

    log(`tree: the story through the service, then verify --bundle for ${BUNDLE_PERMIT}`);
    f.verifyBundle = await verifyBundleRun(Math.max(3, RUNS));
  }

  results.totalSeconds = (performance.now() - t0) / 1000;
  const rows = [];
  const row = (figure, value, goal, pass) => rows.push({ figure, value, goal, result: pass === undefined ? '' : pass ? 'pass' : 'MISS' });
  const n = (x, d = 0) => (x === undefined ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  if (f.inProcessConcurrent64) {
    const c = f.inProcessConcurrent64;
    row('in-process, 64 concurrent (cmd/s)', n(c.perSecond), '>= 20,000', c.perSecond >= 20_000);
    row('in-process, sequential (cmd/s)', n(f.inProcessSequential.perSecond), '', undefined);
    row('raw better-sqlite3, sequential (cmd/s)', n(f.rawSequential.perSecond), 'reference', undefined);
    row(
      'in-process sequential / raw',
      `${n(f.inProcessSequential.ratioToRaw * 100, 1)} %`,
      '>= 80 %',
      f.inProcessSequential.ratioToRaw >= 0.8,
    );
  }
  if (f.peer) {
    row(`peer: Emmett SQLite ${f.peer.version}, sequential (cmd/s)`, n(f.peer.sequentialPerSecond), 'reference', undefined);
    row(`peer: Emmett SQLite ${f.peer.version}, 64 concurrent (cmd/s)`, n(f.peer.concurrent64PerSecond), 'reference', undefined);
  }
  if (f.http64) {
    const h = f.http64;
    row('HTTP, 64 connections, issue + suspend/reinstate (cmd/s)', n(h.perSecond), '>= 4,000', h.perSecond >= 4000);
    if (f.peer)
      row(
        'HTTP / the peer in process (best of its two)',
        `${n(h.perSecond / f.peer.best, 1)} x`,
        '>= 12 x',
        h.perSecond >= 12 * f.peer.best,
      );
    row('HTTP p50 (ms)', n(h.p50, 1), '', undefined);
    row('HTTP p99 (ms)', n(h.p99, 1), '< 50', h.p99 < 50);
    row('HTTP errors (non-2xx)', n(h.errors), '0', h.errors === 0);
    if (h.cpuUsPerCommand) row('HTTP: service CPU per command (µs, user + system)', n(h.cpuUsPerCommand), '', undefined);
    if (h.appendsPerCommit) row('HTTP: appends per group commit', n(h.appendsPerCommit, 1), '', undefined);
  }
  if (f.floor) {
    row('floor: bare node:http POST, same client (req/s)', n(f.floor.barePostPerSecond), 'reference', undefined);
    row("floor: the service's GET /health/live (req/s)", n(f.floor.serviceLivePerSecond), 'reference', undefined);
  }
  if (f.rebuild) {
    row(`rebuild over ${n(f.rebuild.events)} events (ev/s)`, n(f.rebuild.perSecond), '>= 100,000', f.rebuild.perSecond >= 100_000);
    row('rebuild peak RSS (MB)', n(f.rebuild.maxRssMb), '< 300', f.rebuild.maxRssMb < 300);
  }
  if (f.replay) row(`replay, permit of ${n(f.replay.events)} events, HTTP (ms)`, n(f.replay.ms, 1), '< 10', f.replay.ms < 10);
  if (f.startup) row(`startup to ready, ${n(f.startup.events)} events (ms)`, n(f.startup.ms), '< 5,000', f.startup.ms < 5000);
  if (f.startupFirst) row('first start after rebuild (ms, info)', n(f.startupFirst.ms), '', undefined);
  if (f.soak) {
    const r = f.soak.rssMb;
    row(`soak: ${f.soak.seconds} s at ${f.soak.connections} connections, RSS peak (MB)`, n(r.peak), '< 250', r.peak < 250);
    // Flat: what the second half of the run added, past warm-up, under a twentieth of the peak.
    row(
      'soak: RSS growth over the second half (MB)',
      n(r.secondHalfGrowth ?? 0, 1),
      'flat (< 5 %)',
      (r.secondHalfGrowth ?? 0) < r.peak / 20,
    );
    row(
      'soak: commands/s, errors',
      `${n(f.soak.commandsPerSecond)}, ${n(Object.keys(f.soak.errors).length)}`,
      '0 errors',
      Object.keys(f.soak.errors).length === 0,
    );
  }
  if (f.treeAppend) row(`tree: cost per append, ${n(f.treeAppend.leaves)} leaves (µs)`, n(f.treeAppend.usPerAppend, 1), '', undefined);
  if (f.treeCommands) {
    const c = f.treeCommands;
    row('tree: in-process 64 concurrent, without / with (cmd/s)', `${n(c.without)} / ${n(c.with)}`, '', undefined);
    row('tree: fewer commands/s with the tree', `${n(c.fewer * 100, 1)} %`, '< 5 %', c.fewer < 0.05);
  }
  for (const kind of ['inclusion', 'consistency']) {
    const p = f.treeProofs?.[kind];
    if (!p) continue;
    const at = n(f.treeProofs.leaves);
    row(`tree: ${kind} proof at ${at} leaves, hashes mean / max`, `${n(p.meanHashes, 1)} / ${n(p.maxHashes)}`, '', undefined);
    row(`tree: ${kind} proof at ${at} leaves, max (bytes)`, n(p.maxBytes), '', undefined);
    row(`tree: ${kind} proof time, mean / p99 (ms)`, `${n(p.meanMs, 3)} / ${n(p.p99Ms, 3)}`, '< 2', p.p99Ms < 2);
  }
  if (f.verifyBundle) row(`verify --bundle, ${f.verifyBundle.permit} (ms, wall clock)`, n(f.verifyBundle.ms), '', undefined);
  results.table = rows;
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);

  const w = [
    Math.max(...rows.map((r) => r.figure.length), 6),
    Math.max(...rows.map((r) => r.value.length), 5),
    Math.max(...rows.map((r) => r.goal.length), 4),
  ];
  console.log(
    `\npermit-ledger bench — ${machine.cores} cores, ${machine.cpu}, node ${machine.node}; median of ${RUNS} runs, scale ${SCALE}`,
  );
  console.log(`${'figure'.padEnd(w[0])}  ${'value'.padStart(w[1])}  ${'goal'.padEnd(w[2])}  result`);
  for (const r of rows) console.log(`${r.figure.padEnd(w[0])}  ${r.value.padStart(w[1])}  ${r.goal.padEnd(w[2])}  ${r.result}`);
  console.log(`(written to ${OUT}; ${results.totalSeconds.toFixed(0)} s)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
